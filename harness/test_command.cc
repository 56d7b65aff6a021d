#include "harness/test_command.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>

#include "checker/io/load.h"
#include "harness/cluster.h"
#include "harness/exit_codes.h"
#include "harness/log.h"
#include "harness/node_process.h"
#include "harness/recorder.h"
#include "harness/workers.h"
#include "nemesis/nemesis.h"
#include "nemesis/net.h"
#include "results/store.h"
#include "targets/target.h"
#include "workloads/workload.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using checker::EventType;
using base::Status;
using checker::Value;
using checker::Verdict;
using Clock = std::chrono::steady_clock;

namespace {

// ---- Signals -------------------------------------------------------------------------------
// SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken by one thread with sigwait,
// so no handler runs at an awkward moment. The first asks the run to wrap up (stop the
// workload, heal, stop the nodes, check what was recorded); the second stops at once: every node
// is SIGKILLed and the process exits. Namespaces are then removed by the netns janitor, proxies
// end with the process, and the history is already on disk line by line.

std::atomic<int> g_signals{0};
std::mutex g_log_mu;
RunLog* g_log = nullptr;  // GUARDED_BY(g_log_mu): the run's log while it exists

void SetSignalLog(RunLog* log) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log = log;
}

void SignalSay(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  if (g_log != nullptr) g_log->Say(line);
}

void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      const int n = g_signals.fetch_add(1) + 1;
      if (n == 1) {
        SignalSay(std::string("got ") + (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP") +
                  ": wrapping up (again to stop at once)");
        continue;
      }
      KillAllNodes();
      SignalSay("stopped at once; the history so far is on disk");
      std::_Exit(kExitUnknown);
    }
  }).detach();
}

bool Interrupted() { return g_signals.load() > 0; }

// ---- Helpers ---------------------------------------------------------------------------------

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string SelfDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

std::string MakeRunId(uint64_t seed) {
  // Short (interface names are at most 15 bytes) and unique among concurrent runs on a machine.
  static const char* kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  uint64_t x = (static_cast<uint64_t>(::getpid()) << 20) ^ seed ^
               static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  std::string id = "fl";
  for (int i = 0; i < 4; ++i) {
    id += kAlphabet[x % 36];
    x /= 36;
  }
  return id;
}

Value StringList(const std::vector<std::string>& v) {
  Value::Array a;
  for (const std::string& s : v) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

Value VerdictValue(Verdict v) {
  if (v == Verdict::kValid) return Value::Bool(true);
  if (v == Verdict::kInvalid) return Value::Bool(false);
  return Value::String("unknown");
}

Verdict Worse(Verdict a, Verdict b) {
  auto rank = [](Verdict v) { return v == Verdict::kInvalid ? 2 : v == Verdict::kUnknown ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

// ---- The run -----------------------------------------------------------------------------------

struct RunState {
  std::string run_dir;
  RunLog log;
  std::string error;  // the first thing that kept the run from completing; "" if none
  void Fail(const std::string& what) {
    if (error.empty()) error = what;
    log.Say("error: " + what);
  }
};

Status Validate(const TestCommandOptions& o) {
  if (o.target != "raft" && o.target != "process") {
    return Status::InvalidArgument("unknown --target '" + o.target + "' (use raft or process)");
  }
  if (o.target == "process" && o.node_cmd.empty()) {
    return Status::InvalidArgument("--target process needs --node-cmd 'TEMPLATE'");
  }
  if (o.target == "raft" && !o.node_cmd.empty()) {
    return Status::InvalidArgument("--node-cmd is for --target process");
  }
  if (o.target != "raft" && !o.raft_opts.empty()) return Status::InvalidArgument("--raft-opt is for --target raft");
  if (o.nodes < 1 || o.nodes > 64) return Status::InvalidArgument("--nodes must be between 1 and 64");
  if (!(o.time_limit_s > 0)) return Status::InvalidArgument("--time-limit must be positive");
  if (!(o.nemesis_interval_s > 0)) return Status::InvalidArgument("--nemesis-interval must be positive");
  if (o.concurrency < 0 || o.concurrency > 1024) return Status::InvalidArgument("--concurrency must be between 1 and 1024");
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) return Status::InvalidArgument("--rate must be 0 (unlimited) or positive");
  if (o.ops_per_key < 1) return Status::InvalidArgument("--ops-per-key must be at least 1");
  if (o.net != "auto" && o.net != "netns" && o.net != "proxy") {
    return Status::InvalidArgument("unknown --net '" + o.net + "' (use auto, netns or proxy)");
  }
  if (!(o.request_timeout_s > 0)) return Status::InvalidArgument("--request-timeout must be positive");
  return Status::Ok();
}

Value ConfigValue(const TestCommandOptions& o, const std::string& name, uint64_t seed, int concurrency) {
  Value::Object c;
  c.emplace_back("name", Value::String(name));
  c.emplace_back("target", Value::String(o.target));
  c.emplace_back("nodes", Value::Int(o.nodes));
  c.emplace_back("workload", Value::String(o.workload));
  c.emplace_back("nemesis", Value::String(o.nemesis));
  c.emplace_back("nemesis_interval_s", Value::Double(o.nemesis_interval_s));
  c.emplace_back("time_limit_s", Value::Double(o.time_limit_s));
  c.emplace_back("concurrency", Value::Int(concurrency));
  c.emplace_back("rate", Value::Double(o.rate));
  c.emplace_back("ops_per_key", Value::Int(o.ops_per_key));
  c.emplace_back("seed", Value::Int(static_cast<int64_t>(seed)));
  c.emplace_back("net", Value::String(o.net));
  if (!o.node_cmd.empty()) c.emplace_back("node_cmd", Value::String(o.node_cmd));
  c.emplace_back("raft_opts", StringList(o.raft_opts));
  c.emplace_back("request_timeout_s", Value::Double(o.request_timeout_s));
  c.emplace_back("check_timeout_s", Value::Double(o.check_timeout_s));
  c.emplace_back("lease_ms", Value::Int(o.lease_ms));
  c.emplace_back("follow_leader", Value::Bool(o.follow_leader));
  return Value::MakeObject(std::move(c));
}

// The command line that reruns this test with the same seed.
std::string RerunLine(const TestCommandOptions& o, const std::string& name, uint64_t seed, int concurrency) {
  std::string line = "faultline test --target " + o.target + " --nodes " + std::to_string(o.nodes) + " --workload " +
                     o.workload + " --nemesis " + o.nemesis + " --nemesis-interval " + Fixed(o.nemesis_interval_s, 3) +
                     " --time-limit " + Fixed(o.time_limit_s, 3) + " --concurrency " + std::to_string(concurrency) +
                     " --rate " + Fixed(o.rate, 3) + " --ops-per-key " + std::to_string(o.ops_per_key) + " --seed " +
                     std::to_string(seed) + " --net " + o.net + " --name " + name;
  for (const std::string& r : o.raft_opts) line += " --raft-opt " + r;
  if (!o.node_cmd.empty()) line += " --node-cmd '" + o.node_cmd + "'";
  if (!o.follow_leader) line += " --no-redirect";
  return line;
}

}  // namespace

int RunTestCommand(const TestCommandOptions& options) {
  if (Status s = Validate(options); !s.ok()) {
    std::fprintf(stderr, "faultline: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  base::Result<std::vector<nemesis::FaultKind>> kinds = nemesis::ParseFaultKinds(options.nemesis);
  if (!kinds.ok()) {
    std::fprintf(stderr, "faultline: %s\n", kinds.status().message().c_str());
    return kExitBadInput;
  }
  const bool wants_partition =
      std::find(kinds->begin(), kinds->end(), nemesis::FaultKind::kPartition) != kinds->end();
  if (wants_partition && options.nodes < 2) {
    std::fprintf(stderr, "faultline: a partition needs at least 2 nodes\n");
    return kExitBadInput;
  }
  if (options.net == "netns" && ::geteuid() != 0) {
    std::fprintf(stderr, "faultline: --net netns needs root (CAP_NET_ADMIN); use --net proxy\n");
    return kExitBadInput;
  }
  const int concurrency = options.concurrency > 0 ? options.concurrency : 2 * options.nodes;
  const uint64_t seed = options.seed ? *options.seed : (std::random_device{}() * 0x100000001ull) % 1000000000ull;
  const std::string name = options.name.empty() ? options.target + "-" + options.workload : options.name;

  workloads::WorkloadOptions wopts;
  wopts.concurrency = concurrency;
  wopts.group_size = std::min(concurrency, options.nodes);
  wopts.ops_per_key = options.ops_per_key;
  wopts.seed = seed;
  wopts.lease_ms = options.lease_ms;
  base::Result<std::unique_ptr<workloads::Workload>> workload = workloads::MakeWorkload(options.workload, wopts);
  if (!workload.ok()) {
    std::fprintf(stderr, "faultline: %s\n", workload.status().message().c_str());
    return kExitBadInput;
  }

  std::unique_ptr<targets::Target> target;
  if (options.target == "raft") {
    target = targets::MakeRaftTarget(SelfDir() + "/raftkv", options.raft_opts);
  } else {
    base::Result<std::unique_ptr<targets::Target>> t = targets::MakeProcessTarget(options.node_cmd);
    if (!t.ok()) {
      std::fprintf(stderr, "faultline: --node-cmd: %s\n", t.status().message().c_str());
      return kExitBadInput;
    }
    target = std::move(*t);
  }
  if (Status s = target->Check(); !s.ok()) {
    std::fprintf(stderr, "faultline: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  if (options.workload == "lock" && !target->supports_locks()) {
    std::fprintf(stderr, "faultline: target %s has no lock operations\n", target->name().c_str());
    return kExitBadInput;
  }

  // ---- prepare: the run folder, the log, test.json ----
  base::Result<std::string> run_dir = results::CreateRunDir(options.results_dir, name, std::chrono::system_clock::now());
  if (!run_dir.ok()) {
    std::fprintf(stderr, "faultline: %s\n", run_dir.status().message().c_str());
    return kExitBadInput;
  }
  RunState run;
  run.run_dir = *run_dir;
  if (!run.log.Open(run.run_dir + "/faultline.log")) {
    std::fprintf(stderr, "faultline: cannot write %s/faultline.log\n", run.run_dir.c_str());
    return kExitBadInput;
  }
  SetSignalLog(&run.log);
  BlockSignals();
  (void)results::UpdateLatest(options.results_dir, run.run_dir);
  const std::string rerun = RerunLine(options, name, seed, concurrency);
  run.log.Say("run folder " + run.run_dir);
  run.log.Info("rerun: " + rerun);

  Value::Object test_json;
  test_json.emplace_back("config", ConfigValue(options, name, seed, concurrency));
  test_json.emplace_back("rerun", Value::String(rerun));
  test_json.emplace_back("faultline_version", Value::String("0.1.0"));
  test_json.emplace_back("started_at", Value::String(results::RunTimestamp(std::chrono::system_clock::now())));

  // ---- the network and the nodes ----
  std::string why;
  const std::string run_id = MakeRunId(seed);
  test_json.emplace_back("run_id", Value::String(run_id));  // prefixes namespaces, links, rules
  base::Result<std::unique_ptr<nemesis::NetBackend>> net =
      nemesis::MakeNetBackend(options.net, nemesis::NetOptions{run_id}, &why);
  if (!net.ok()) {
    run.log.Say("error: " + net.status().message());
    SetSignalLog(nullptr);
    return options.net == "auto" ? kExitUnknown : kExitBadInput;
  }
  run.log.Say("network: " + why);
  run.log.Info("run id " + run_id);
  std::vector<std::string> ids;
  for (int i = 1; i <= options.nodes; ++i) ids.push_back("n" + std::to_string(i));

  HistoryRecorder* recorder_ptr = nullptr;
  std::unique_ptr<HistoryRecorder> recorder;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<nemesis::Nemesis> nem;
  bool completed_workload = false;
  double workload_s = 0;

  if (Status s = (*net)->Setup(ids); !s.ok()) {
    run.Fail("network setup: " + s.message());
  } else {
    cluster = std::make_unique<Cluster>(target.get(), net->get(), run.run_dir, &run.log);
    Value::Array commands;
    if (Status p = cluster->Prepare(); !p.ok()) {
      run.Fail(p.message());
    } else {
      for (const auto& argv : cluster->commands()) commands.push_back(StringList(argv));
      test_json.emplace_back("node_commands", Value::MakeArray(std::move(commands)));
      test_json.emplace_back("net_backend", Value::String((*net)->name()));
      (void)results::WriteFileAtomic(run.run_dir + "/test.json", Value::MakeObject(test_json).ToJson() + "\n");
      run.log.Say("starting " + std::to_string(options.nodes) + " " + target->name() + " nodes");
      if (Status st = cluster->StartAll(); !st.ok()) {
        run.Fail(st.message());
      } else if (Status h = cluster->WaitHealthy(std::chrono::seconds(30), Interrupted); !h.ok()) {
        run.Fail(h.message());
      }
    }
  }
  if (!test_json.empty() && !fs::exists(run.run_dir + "/test.json")) {
    (void)results::WriteFileAtomic(run.run_dir + "/test.json", Value::MakeObject(test_json).ToJson() + "\n");
  }

  // ---- the workload and the nemesis ----
  if (run.error.empty() && !Interrupted()) {
    base::Result<std::unique_ptr<HistoryRecorder>> rec = HistoryRecorder::Open(run.run_dir + "/history.jsonl");
    if (!rec.ok()) {
      run.Fail(rec.status().message());
    } else {
      recorder = std::move(*rec);
      recorder_ptr = recorder.get();
    }
  }
  std::vector<int64_t> last_process(concurrency, 0);
  if (recorder_ptr != nullptr) {
    nem = std::make_unique<nemesis::Nemesis>(cluster.get(), net->get(), *kinds, seed,
                                             [recorder_ptr, &run](const nemesis::NemesisEvent& e) {
                                               const checker::Value value = NemesisEventValue(e);
                                               recorder_ptr->Nemesis(e.f, value);
                                               run.log.Info("nemesis " + e.f + " " + value.ToJson());
                                             });
    WorkerShared shared;
    shared.workload = workload->get();
    shared.recorder = recorder_ptr;
    shared.concurrency = concurrency;
    shared.rate = options.rate;
    shared.seed = seed;
    targets::ClientOptions copts;
    copts.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.request_timeout_s * 1000));
    copts.connect_timeout = std::min(copts.timeout, std::chrono::milliseconds(500));
    if (options.follow_leader) copts.cluster = cluster->addresses();

    run.log.Say("running " + options.workload + " for " + Fixed(options.time_limit_s, 0) + " s, " +
                std::to_string(concurrency) + " workers, nemesis " + options.nemesis + ", seed " + std::to_string(seed));
    std::vector<std::thread> workers;
    try {
      for (int w = 0; w < concurrency; ++w) {
        const base::NodeAddress& node = cluster->addresses()[w % cluster->addresses().size()];
        workers.emplace_back(RunWorker, &shared, w, target->NewClient(node, copts), &last_process[w]);
      }
    } catch (const std::system_error& e) {
      // Out of threads: stop the ones that started, and go on to heal, stop and check.
      run.Fail(std::string("cannot start worker threads: ") + e.what());
      g_signals.fetch_add(1);  // ends the workload loop below at once
    }

    const bool tty = ::isatty(STDERR_FILENO) == 1;
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.time_limit_s));
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.nemesis_interval_s));
    // Every interval the nemesis acts: start a fault, then stop it, then start the next.
    auto next_nemesis = start + interval;
    bool fault_active = false;
    auto next_progress = start;
    auto next_log = start + std::chrono::seconds(10);
    uint64_t last_done = 0;
    auto last_rate_time = start;
    double ops_per_s = 0;
    while (!Interrupted()) {
      const auto now = Clock::now();
      if (now >= end) break;
      if (!kinds->empty() && now >= next_nemesis) {
        Status s = fault_active ? nem->StopCurrent() : nem->StartNext();
        if (!s.ok()) run.log.Say("nemesis: " + s.message());
        fault_active = !fault_active;
        next_nemesis += interval;
      }
      if (now >= next_progress) {
        const HistoryRecorder::Counts c = recorder_ptr->counts();
        const uint64_t done = c.ok + c.fail + c.info;
        const double dt = std::chrono::duration<double>(now - last_rate_time).count();
        if (dt >= 1.0) {
          ops_per_s = (done - last_done) / dt;
          last_done = done;
          last_rate_time = now;
        }
        const std::string active = nem->ActiveSummary();
        const std::string line = "[" + Fixed(std::chrono::duration<double>(now - start).count(), 0) + "/" +
                                 Fixed(options.time_limit_s, 0) + " s] " + std::to_string(c.ok) + " ok, " +
                                 std::to_string(c.fail) + " fail, " + std::to_string(c.info) + " info, " +
                                 Fixed(ops_per_s, 0) + " ops/s" + (active.empty() ? "" : ", " + active);
        if (tty) run.log.Progress(line);
        if (now >= next_log) {
          if (!tty) run.log.Say(line);
          else run.log.Info(line);
          next_log += std::chrono::seconds(10);
        }
        for (const std::string& u : cluster->Unexpected()) run.log.Info("node exited unexpectedly: " + u);
        next_progress = now + std::chrono::milliseconds(250);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    completed_workload = !Interrupted();
    workload_s = std::chrono::duration<double>(Clock::now() - start).count();
    run.log.ClearProgress();
    shared.stop.store(true);
    run.log.Info("stopping workers");
    for (auto& t : workers) t.join();
    for (const std::string& u : cluster->Unexpected()) run.log.Say("node exited on its own: " + u);
  }

  // ---- heal, recover, final reads ----
  if (nem) {
    run.log.Say("healing");
    if (Status s = nem->HealAll(); !s.ok()) run.log.Say("heal: " + s.message());
  }
  if (recorder_ptr != nullptr && completed_workload && !Interrupted()) {
    run.log.Say("waiting for the cluster to recover");
    if (Status h = cluster->WaitHealthy(std::chrono::milliseconds(static_cast<int64_t>(options.recovery_s * 1000)),
                                        Interrupted);
        !h.ok()) {
      run.log.Say("recovery: " + h.message() + "; final reads may fail");
    }
    const std::vector<checker::Op> finals = (*workload)->FinalReads();
    if (!finals.empty()) {
      run.log.Say("final reads on every node (" + std::to_string(finals.size()) + " each)");
      // One thread per node, each with its own client. A node that fails three reads in a row
      // is given up on (a cluster that did not recover would otherwise cost a timeout per read),
      // and the whole phase has a deadline.
      std::atomic<int64_t> next_process{*std::max_element(last_process.begin(), last_process.end()) + 1};
      targets::ClientOptions fopts;
      fopts.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::max(options.request_timeout_s, 5.0) * 1000));
      if (options.follow_leader) fopts.cluster = cluster->addresses();
      const auto deadline = Clock::now() + std::chrono::seconds(60);
      std::vector<std::thread> readers;
      for (const base::NodeAddress& node : cluster->addresses()) {
        readers.emplace_back([&, node] {
          std::unique_ptr<targets::Client> client = target->NewClient(node, fopts);
          int failures_in_a_row = 0;
          size_t done = 0;
          for (const checker::Op& op : finals) {
            if (failures_in_a_row >= 3 || Clock::now() >= deadline || Interrupted()) break;
            const int64_t process = next_process.fetch_add(1);
            const int64_t t = recorder_ptr->Invoke(process, op);
            const checker::Completion c = (*workload)->Execute(*client, 0, op);
            recorder_ptr->Complete(process, op, c, t);
            failures_in_a_row = c.type == EventType::kOk ? 0 : failures_in_a_row + 1;
            ++done;
          }
          if (done < finals.size()) {
            run.log.Say(node.id + ": gave up on " + std::to_string(finals.size() - done) + " of " +
                        std::to_string(finals.size()) + " final reads" +
                        (failures_in_a_row >= 3 ? " after 3 failures in a row" : " (deadline)"));
          }
        });
      }
      for (auto& t : readers) t.join();
    }
  }

  // ---- stop ----
  std::vector<std::string> crashed;
  if (cluster) {
    crashed = cluster->Unexpected();
    run.log.Say("stopping nodes");
    cluster->StopAll(std::chrono::seconds(5));
  }
  if (net.ok()) (*net)->Teardown();
  if (recorder_ptr != nullptr) recorder_ptr->Flush();  // the check reads the file back
  if (recorder_ptr != nullptr && !recorder_ptr->error().empty()) run.Fail(recorder_ptr->error());

  // ---- check ----
  Verdict verdict = Verdict::kUnknown;
  std::string cause = run.error;
  std::vector<workloads::CheckerResult> checks;
  const std::string history_path = run.run_dir + "/history.jsonl";
  const auto check_start = Clock::now();
  if (recorder_ptr != nullptr) {
    // Until the check ends, results.json says so: a second Ctrl-C during a long check still
    // leaves a run folder that explains itself.
    (void)results::WriteFileAtomic(
        run.run_dir + "/results.json",
        Value::MakeObject({{"file", Value::String(history_path)},
                           {"valid", Value::String("unknown")},
                           {"cause", Value::String("the check did not finish")}})
                .ToJson() +
            "\n");
    run.log.Say("checking " + history_path);
    checker::io::LoadOptions lopts;
    lopts.format = checker::io::Format::kJsonl;
    base::Result<checker::History> history = checker::io::LoadHistoryFile(history_path, lopts);
    if (!history.ok()) {
      run.Fail("cannot read back the history: " + history.status().message());
      cause = run.error;
    } else {
      workloads::CheckSettings settings;
      settings.timeout_s = options.check_timeout_s;
      base::Result<std::vector<workloads::CheckerResult>> r = (*workload)->Check(*history, settings);
      if (!r.ok()) {
        run.Fail("check: " + r.status().message());
        cause = run.error;
      } else {
        checks = std::move(*r);
        verdict = Verdict::kValid;
        for (const auto& c : checks) verdict = Worse(verdict, c.verdict);
        if (checks.empty()) verdict = Verdict::kUnknown;
        for (const auto& c : checks) {
          if (c.verdict != Verdict::kValid && cause.empty()) cause = c.name + ": " + c.summary;
        }
        // A run that did not finish cannot vouch for validity, but an anomaly found is real.
        if (verdict == Verdict::kValid && !run.error.empty()) verdict = Verdict::kUnknown;
        if (verdict == Verdict::kValid && !completed_workload) {
          verdict = Verdict::kUnknown;
          cause = "interrupted";
        }
      }
    }
  }
  const double check_s = std::chrono::duration<double>(Clock::now() - check_start).count();

  // ---- report ----
  Value::Object doc;
  doc.emplace_back("file", Value::String(history_path));
  doc.emplace_back("valid", VerdictValue(verdict));
  if (!cause.empty()) doc.emplace_back("cause", Value::String(cause));
  Value::Object per_checker;
  for (const auto& c : checks) {
    if (c.name == "linearizable" && c.detail.is_object()) {
      for (const char* field : {"keys", "failures", "stats"}) {
        if (const Value* v = c.detail.find(field)) doc.emplace_back(field, *v);
      }
    }
    Value::Object o;
    o.emplace_back("valid", VerdictValue(c.verdict));
    o.emplace_back("summary", Value::String(c.summary));
    o.emplace_back("detail", c.detail);
    per_checker.emplace_back(c.name, Value::MakeObject(std::move(o)));
  }
  doc.emplace_back("checkers", Value::MakeObject(std::move(per_checker)));
  const HistoryRecorder::Counts counts = recorder_ptr ? recorder_ptr->counts() : HistoryRecorder::Counts{};
  Value::Object stats;
  stats.emplace_back("name", Value::String(name));
  stats.emplace_back("seed", Value::Int(static_cast<int64_t>(seed)));
  stats.emplace_back("net_backend", Value::String(net.ok() ? (*net)->name() : ""));
  stats.emplace_back("invokes", Value::Int(static_cast<int64_t>(counts.invokes)));
  stats.emplace_back("ok", Value::Int(static_cast<int64_t>(counts.ok)));
  stats.emplace_back("fail", Value::Int(static_cast<int64_t>(counts.fail)));
  stats.emplace_back("info", Value::Int(static_cast<int64_t>(counts.info)));
  stats.emplace_back("nemesis_events", Value::Int(static_cast<int64_t>(counts.nemesis)));
  std::string error_line;
  {
    Value::Object errors;
    if (recorder_ptr != nullptr) {
      std::vector<std::pair<uint64_t, std::string>> sorted;
      for (const auto& [what, n] : recorder_ptr->errors()) {
        errors.emplace_back(what, Value::Int(static_cast<int64_t>(n)));
        sorted.emplace_back(n, what);
      }
      std::sort(sorted.rbegin(), sorted.rend());
      for (const auto& [n, what] : sorted) error_line += (error_line.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    }
    stats.emplace_back("errors", Value::MakeObject(std::move(errors)));
  }
  stats.emplace_back("faults", Value::Int(nem ? nem->faults_started() : 0));
  stats.emplace_back("workload_s", Value::Double(workload_s));
  stats.emplace_back("check_s", Value::Double(check_s));
  stats.emplace_back("completed", Value::Bool(completed_workload));
  stats.emplace_back("nodes_exited", StringList(crashed));
  if (!run.error.empty()) stats.emplace_back("error", Value::String(run.error));
  doc.emplace_back("run", Value::MakeObject(std::move(stats)));
  (void)results::WriteFileAtomic(run.run_dir + "/results.json", Value::MakeObject(std::move(doc)).ToJson() + "\n");

  std::vector<results::JunitCase> cases;
  for (const auto& c : checks) cases.push_back({c.name, c.verdict, c.summary, check_s});
  if (checks.empty()) cases.push_back({"run", Verdict::kUnknown, cause.empty() ? "no checker ran" : cause, 0});
  (void)results::WriteFileAtomic(run.run_dir + "/junit.xml", results::JunitXml(name, cases, workload_s + check_s));

  // The human summary: counts, each checker, the verdict line, the folder.
  std::printf("%s: %llu ops (%llu ok, %llu fail, %llu info), %d faults, %.0f s on %s\n", name.c_str(),
              static_cast<unsigned long long>(counts.invokes), static_cast<unsigned long long>(counts.ok),
              static_cast<unsigned long long>(counts.fail), static_cast<unsigned long long>(counts.info),
              nem ? nem->faults_started() : 0, workload_s, net.ok() ? (*net)->name() : "-");
  if (!error_line.empty()) std::printf("  not ok: %s\n", error_line.c_str());
  for (const auto& c : checks) std::printf("  %-13s %-8s %s\n", c.name.c_str(), checker::VerdictName(c.verdict), c.summary.c_str());
  for (const std::string& c : crashed) std::printf("  node exited on its own: %s\n", c.c_str());
  const char* word = verdict == Verdict::kValid ? "VALID" : verdict == Verdict::kInvalid ? "INVALID" : "UNKNOWN";
  std::printf("%s%s%s\n", word, cause.empty() ? "" : ": ", cause.c_str());
  std::printf("results: %s\n", run.run_dir.c_str());
  if (verdict != Verdict::kValid) std::printf("rerun: %s\n", rerun.c_str());
  std::fflush(stdout);
  run.log.Info(std::string("verdict ") + word + (cause.empty() ? "" : ": " + cause));
  SetSignalLog(nullptr);
  return verdict == Verdict::kValid ? kExitValid : verdict == Verdict::kInvalid ? kExitInvalid : kExitUnknown;
}

}  // namespace faultline::harness
