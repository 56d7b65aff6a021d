// The bundled raftkv (targets/raft/server) as a Target. The unsafe switches come from raftkv's
// own table (targets/raft/core/unsafe_switches.h); the tuning flag names below mirror
// targets/raft/server/flags.cc. A --raft-opt that raftkv would reject is caught by Check()
// before any node starts, with a line listing what is accepted.
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string_view>

#include "targets/kv_http_client.h"
#include "targets/raft/core/unsafe_switches.h"
#include "targets/target.h"

namespace faultline::targets {
namespace {

// raftkv's tuning flags; each takes a positive integer, given as name=value.
constexpr std::string_view kTuningOpts[] = {"election-timeout-ms", "heartbeat-ms",
                                            "snapshot-threshold"};

std::string KnownOpts() {
  std::string out = raft::UnsafeSwitchNames();
  for (const std::string_view name : kTuningOpts) {
    out += ", ";
    out += name;
    out += "=N";
  }
  return out;
}

bool IsPositiveInteger(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (const char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return s.find_first_not_of('0') != std::string_view::npos;
}

// The raftkv flag for one --raft-opt value ("election-timeout-ms=500" →
// "--election-timeout-ms=500"). A leading "--" is tolerated, since users copy flags from raftkv's
// own usage.
Result<std::string> RaftFlag(const std::string& opt) {
  std::string_view s = opt;
  if (s.substr(0, 2) == "--") s.remove_prefix(2);
  const size_t eq = s.find('=');
  const std::string_view name = s.substr(0, eq);
  if (raft::FindUnsafeSwitch(name)) {
    if (eq != std::string_view::npos) {
      return Status::InvalidArgument("--raft-opt " + opt + ": " + std::string(name) +
                                     " takes no value");
    }
    return "--" + std::string(s);
  }
  for (const std::string_view tuning : kTuningOpts) {
    if (name != tuning) continue;
    if (eq == std::string_view::npos || !IsPositiveInteger(s.substr(eq + 1))) {
      return Status::InvalidArgument("--raft-opt " + opt + ": want " + std::string(name) +
                                     "=N with N a positive integer");
    }
    return "--" + std::string(s);
  }
  return Status::InvalidArgument("unknown --raft-opt '" + opt + "' (known: " + KnownOpts() + ")");
}

// One instance per test run; immutable after construction, so safe to share between threads.
class RaftTarget final : public Target {
 public:
  RaftTarget(std::string raftkv_path, std::vector<std::string> raft_opts)
      : raftkv_path_(std::move(raftkv_path)), raft_opts_(std::move(raft_opts)) {}

  std::string name() const override { return "raft"; }

  Status Check() const override {
    struct stat st {};
    if (::stat(raftkv_path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::InvalidArgument("raftkv binary not found at " + raftkv_path_ +
                                     " (build it: ./faultline builds build/bin/raftkv)");
    }
    if (::access(raftkv_path_.c_str(), X_OK) != 0) {
      return Status::InvalidArgument("raftkv binary " + raftkv_path_ + " is not executable");
    }
    for (const std::string& opt : raft_opts_) {
      if (auto flag = RaftFlag(opt); !flag.ok()) return flag.status();
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> NodeCommand(const base::NodeAddress& self, const PeerList& peers,
                                               const std::string& data_dir) const override {
    std::string peer_list;
    for (const auto& [id, address] : peers) {
      if (!peer_list.empty()) peer_list += ",";
      peer_list += id + "=" + address;
    }
    std::vector<std::string> argv = {raftkv_path_,
                                     "--id",
                                     self.id,
                                     "--host",
                                     self.host,
                                     "--client-port",
                                     std::to_string(self.client_port),
                                     "--peer-port",
                                     std::to_string(self.peer_port),
                                     "--peers",
                                     peer_list,
                                     "--data",
                                     data_dir};
    for (const std::string& opt : raft_opts_) {
      auto flag = RaftFlag(opt);
      if (!flag.ok()) return flag.status();
      argv.push_back(std::move(flag).value());
    }
    return argv;
  }

  std::unique_ptr<Client> NewClient(const base::NodeAddress& node,
                                    const ClientOptions& options) const override {
    return MakeKvHttpClient(node, options);
  }

 private:
  const std::string raftkv_path_;
  const std::vector<std::string> raft_opts_;
};

}  // namespace

std::unique_ptr<Target> MakeRaftTarget(std::string raftkv_path,
                                       std::vector<std::string> raft_opts) {
  return std::make_unique<RaftTarget>(std::move(raftkv_path), std::move(raft_opts));
}

}  // namespace faultline::targets
