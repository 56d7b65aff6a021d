#include "harness/probe_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "harness/cluster.h"
#include "harness/log.h"
#include "harness/run_signals.h"
#include "nemesis/net.h"
#include "results/exit_codes.h"
#include "results/store.h"
#include "targets/protocol_probe.h"
#include "targets/target.h"

namespace faultline::harness {
namespace {

using base::Result;
using base::Status;

std::chrono::milliseconds Millis(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

int BadOption(const std::string& message) {
  std::fprintf(stderr, "faultline: %s\n", message.c_str());
  return results::kExitBadInput;
}

// Probes `nodes` and prints the table; with a run folder `dir`, keeps it in dir/probe.txt too.
int Probe(const std::vector<base::NodeAddress>& nodes, const ProbeCommandOptions& o,
          const std::string& dir = "") {
  targets::ProbeOptions popts;
  popts.timeout = Millis(o.request_timeout_s);
  const targets::ProbeReport report = targets::RunProtocolProbe(nodes, popts);
  const std::string table = targets::FormatProbeReport(report);
  std::printf("%s", table.c_str());
  std::fflush(stdout);
  if (!dir.empty()) {
    if (FILE* f = std::fopen((dir + "/probe.txt").c_str(), "w")) {
      std::fputs(table.c_str(), f);
      std::fclose(f);
    } else {
      std::fprintf(stderr, "faultline: cannot write %s/probe.txt\n", dir.c_str());
    }
  }
  return report.required_passed() ? results::kExitValid : results::kExitInvalid;
}

// Starts the nodes as `faultline test --target process` does, probes them, stops them.
int ProbeStarted(const ProbeCommandOptions& o) {
  Result<std::unique_ptr<targets::Target>> target = targets::MakeProcessTarget(o.node_cmd);
  if (!target.ok()) return BadOption(target.status().message());
  if (Status s = (*target)->Check(); !s.ok()) return BadOption(s.message());
  if (o.net == "netns" && ::geteuid() != 0) {
    return BadOption("--net netns needs root (CAP_NET_ADMIN); use --net proxy");
  }
  Result<std::string> dir =
      results::CreateRunDir(o.results_dir, "probe", std::chrono::system_clock::now());
  if (!dir.ok()) return BadOption(dir.status().message());
  RunLog log;
  if (!log.Open(*dir + "/faultline.log"))
    return BadOption("cannot write " + *dir + "/faultline.log");
  SetSignalLog(&log);
  InstallRunSignals();
  log.Say("run folder " + *dir);
  std::string why;
  // Short (interface names are at most 15 bytes), distinct from test's "fl....".
  std::string run_id = "fp";
  for (uint64_t x = static_cast<uint64_t>(::getpid()), i = 0; i < 4; ++i, x /= 36)
    run_id += "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
  Result<std::unique_ptr<nemesis::NetBackend>> net =
      nemesis::MakeNetBackend(o.net, nemesis::NetOptions{run_id}, &why);
  if (!net.ok()) {
    log.Say("error: " + net.status().message());
    SetSignalLog(nullptr);
    return o.net == "auto" ? results::kExitUnknown : results::kExitBadInput;
  }
  log.Info("network: " + why);
  std::vector<std::string> ids;
  for (int i = 1; i <= o.nodes; ++i) ids.push_back("n" + std::to_string(i));
  int code = results::kExitUnknown;
  {
    // Declared after the network: destroyed (every node killed) before it is torn down.
    Cluster cluster(target->get(), net->get(), *dir, &log);
    Status s = (*net)->Setup(ids);
    if (s.ok()) s = cluster.Prepare();
    if (s.ok()) {
      log.Say("starting " + std::to_string(o.nodes) + " nodes");
      s = cluster.StartAll();
    }
    if (s.ok()) s = cluster.WaitHealthy(Millis(o.start_timeout_s), Interrupted);
    if (!s.ok()) {
      log.Say("error: could not start the nodes: " + s.message());
      for (const std::string& line : cluster.NotReady()) log.Say("  " + line);
    } else {
      code = Probe(cluster.addresses(), o, *dir);
    }
    cluster.StopAll(std::chrono::seconds(5));
  }
  (*net)->Teardown();
  SetSignalLog(nullptr);
  return code;
}

}  // namespace

Result<std::vector<base::NodeAddress>> ParseAddressList(const std::string& list) {
  std::vector<base::NodeAddress> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string item = list.substr(start, end - start);
    const size_t colon = item.rfind(':');
    std::string host = colon == std::string::npos ? "" : item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const std::string port = colon == std::string::npos ? "" : item.substr(colon + 1);
    int p = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (const char c : port) digits = digits && c >= '0' && c <= '9';
    if (digits) p = std::stoi(port);
    if (host.empty() || !digits || p < 1 || p > 65535) {
      return Status::InvalidArgument("--address: '" + item +
                                     "' is not HOST:PORT (a comma list, e.g. "
                                     "127.0.0.1:7001,127.0.0.1:7002)");
    }
    base::NodeAddress a;
    a.id = "n" + std::to_string(out.size() + 1);
    a.host = host;
    a.client_port = p;
    out.push_back(a);
    start = end + 1;
  }
  return out;
}

int RunProbeCommand(const ProbeCommandOptions& o) {
  if (o.node_cmd.empty() == o.address.empty()) {
    return BadOption(
        "probe: give either --node-cmd (start the nodes) or --address (running nodes)");
  }
  if (o.request_timeout_s <= 0) return BadOption("--request-timeout must be positive");
  if (o.start_timeout_s <= 0) return BadOption("--start-timeout must be positive");
  if (!o.address.empty()) {
    Result<std::vector<base::NodeAddress>> nodes = ParseAddressList(o.address);
    if (!nodes.ok()) return BadOption(nodes.status().message());
    return Probe(*nodes, o);
  }
  if (o.nodes < 1 || o.nodes > 64) {
    return BadOption("--nodes must be between 1 and 64, not " + std::to_string(o.nodes));
  }
  if (o.net != "auto" && o.net != "netns" && o.net != "proxy") {
    return BadOption("--net must be auto, netns or proxy, not '" + o.net + "'");
  }
  return ProbeStarted(o);
}

}  // namespace faultline::harness
