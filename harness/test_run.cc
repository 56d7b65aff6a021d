#include "harness/test_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>

#include "checker/io/load.h"
#include "harness/availability.h"
#include "harness/run_report.h"
#include "harness/run_signals.h"
#include "results/exit_codes.h"
#include "results/store.h"
#include "targets/protocol_probe.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using base::Result;
using base::Status;
using checker::EventType;
using checker::Verdict;
using Clock = std::chrono::steady_clock;

namespace {

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::chrono::milliseconds Millis(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

// The folder of the running binary: raftkv is built beside faultline.
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

// The live progress line (on a terminal) and, every 10 s, its copy in the log (and on stderr
// when stderr is not a terminal).
class ProgressLine {
 public:
  ProgressLine(RunLog* log, Clock::time_point start, double time_limit_s)
      : log_(log),
        start_(start),
        time_limit_s_(time_limit_s),
        next_log_(start + std::chrono::seconds(10)),
        last_rate_time_(start) {}

  void Show(Clock::time_point now, const HistoryRecorder::Counts& c, const std::string& active) {
    const uint64_t done = c.ok + c.fail + c.info;
    const double dt = std::chrono::duration<double>(now - last_rate_time_).count();
    if (dt >= 1.0) {
      ops_per_s_ = (done - last_done_) / dt;
      last_done_ = done;
      last_rate_time_ = now;
    }
    const double elapsed_s = std::chrono::duration<double>(now - start_).count();
    const std::string line = "[" + FormatFixed(elapsed_s, 0) + "/" + FormatFixed(time_limit_s_, 0) +
                             " s] " + std::to_string(c.ok) + " ok, " + std::to_string(c.fail) +
                             " fail, " + std::to_string(c.info) + " info, " +
                             FormatFixed(ops_per_s_, 0) + " ops/s";
    if (tty_) log_->Progress(line + (active.empty() ? "" : ", " + active));
    // The periodic line names the fault active now, or else the ones since the last such line:
    // with the default 5 s interval a fault stops exactly when a 10 s line is due.
    if (!active.empty() && (seen_.empty() || seen_.back() != active)) seen_.push_back(active);
    if (now < next_log_) return;
    std::string faults;
    if (!active.empty()) {
      faults = ", " + active;
    } else if (!seen_.empty()) {
      faults = ", no fault now (since the last line: ";
      for (size_t i = 0; i < seen_.size(); ++i) faults += (i > 0 ? "; " : "") + seen_[i];
      faults += ")";
    }
    seen_.clear();
    if (tty_) {
      log_->Info(line + faults);
    } else {
      log_->Say(line + faults);
    }
    next_log_ += std::chrono::seconds(10);
  }

 private:
  RunLog* const log_;
  const Clock::time_point start_;
  const double time_limit_s_;
  const bool tty_ = ::isatty(STDERR_FILENO) == 1;
  Clock::time_point next_log_;
  uint64_t last_done_ = 0;
  Clock::time_point last_rate_time_;
  double ops_per_s_ = 0;
  std::vector<std::string> seen_;  // faults active since the last periodic line, in order
};

// "partition,pause,kill", or "none".
std::string KindList(const std::vector<nemesis::FaultKind>& kinds) {
  std::string out;
  for (const nemesis::FaultKind k : kinds)
    out += (out.empty() ? "" : ",") + std::string(nemesis::FaultKindName(k));
  return out.empty() ? "none" : out;
}

}  // namespace

TestRun::TestRun(TestCommandOptions options) : options_(std::move(options)) {}

// Clears the signal thread's pointer before the log goes; members then go in reverse order
// (nemesis, cluster: its nodes are killed, recorder: flushed, network: torn down).
TestRun::~TestRun() { SetSignalLog(nullptr); }

int TestRun::Run() {
  if (Status s = Configure(); !s.ok()) {
    std::fprintf(stderr, "faultline: %s\n", s.message().c_str());
    return results::kExitBadInput;
  }
  const auto prepare_start = Clock::now();
  if (std::optional<int> code = Prepare()) return *code;
  phases_s_.emplace_back("prepare", SecondsSince(prepare_start));
  Phase("start", &TestRun::Start);
  Phase("run", &TestRun::RunWorkload);
  Phase("heal", &TestRun::Heal);
  Phase("recover", &TestRun::Recover);
  Phase("final_reads", &TestRun::FinalReads);
  Phase("stop", &TestRun::Stop);
  Phase("check", &TestRun::Check);
  check_s_ = phases_s_.back().second;
  return Report();
}

Status TestRun::Preflight(const TestCommandOptions& options, bool* unavailable) {
  TestRun run(options);
  Status s = run.Configure();
  *unavailable = !s.ok() && run.unavailable_;
  return s;
}

void TestRun::Phase(const char* name, void (TestRun::*phase)()) {
  const auto start = Clock::now();
  (this->*phase)();
  phases_s_.emplace_back(name, SecondsSince(start));
}

void TestRun::Fail(const std::string& what) {
  if (error_.empty()) error_ = what;
  log_.Say("error: " + what);
}

void TestRun::NoteExits() {
  if (!cluster_) return;
  for (NodeExit& e : cluster_->NewExits()) {
    log_.Say(NodeExitLine(e));
    exits_.push_back(std::move(e));
  }
}

// ---- Configure: the options resolved; every mistake is one line and exit 254 ----------------

Status TestRun::Configure() {
  if (Status s = ValidateTestOptions(options_); !s.ok()) return s;
  Result<std::vector<nemesis::FaultKind>> kinds = nemesis::ParseFaultKinds(options_.nemesis);
  if (!kinds.ok()) return kinds.status();
  kinds_ = std::move(*kinds);
  const auto partition = std::find(kinds_.begin(), kinds_.end(), nemesis::FaultKind::kPartition);
  if (partition != kinds_.end() && options_.nodes < 2) {
    // The default faults shrink to those that fit one node; partitions asked for are an error.
    if (options_.nemesis != TestCommandOptions{}.nemesis) {
      return Status::InvalidArgument("a partition needs at least 2 nodes (--nodes " +
                                     std::to_string(options_.nodes) +
                                     "); --nemesis pause,kill fits one node");
    }
    kinds_.erase(partition);
    fitted_nemesis_ = "one node: partitions left out of the default faults";
  }
  if (options_.net == "netns" && ::geteuid() != 0) {
    unavailable_ = true;
    return Status::InvalidArgument("--net netns needs root (CAP_NET_ADMIN); use --net proxy");
  }
  concurrency_ = options_.concurrency > 0 ? options_.concurrency : 2 * options_.nodes;
  last_process_.assign(concurrency_, 0);
  seed_ =
      options_.seed ? *options_.seed : (std::random_device{}() * 0x100000001ull) % 1000000000ull;
  name_ = options_.name.empty() ? options_.target + "-" + options_.workload : options_.name;
  rerun_ = RerunLine(options_, seed_);

  Result<std::unique_ptr<workloads::Workload>> workload =
      workloads::MakeWorkload(options_.workload, WorkloadOptionsFor(options_, concurrency_, seed_));
  if (!workload.ok()) return workload.status();
  workload_ = std::move(*workload);
  return MakeTarget();
}

Status TestRun::MakeTarget() {
  if (options_.target == "raft") {
    target_ = targets::MakeRaftTarget(SelfDir() + "/raftkv", options_.raft_opts);
  } else if (options_.target == "etcd") {
    target_ = targets::MakeEtcdTarget("/usr/bin/etcd", options_.etcd_reads == "serializable");
  } else if (options_.target == "zookeeper") {
    targets::ZooKeeperSettings zk;
    zk.sync_reads = options_.zk_reads == "sync";
    zk.lease_ms = options_.lease_ms;
    target_ = targets::MakeZooKeeperTarget(zk);
  } else {
    // Its errors name --node-cmd already.
    Result<std::unique_ptr<targets::Target>> t = targets::MakeProcessTarget(options_.node_cmd);
    if (!t.ok()) return t.status();
    target_ = std::move(*t);
  }
  if (Status s = target_->Check(); !s.ok()) {
    // A packaged target's binary not installed here; a --node-cmd that names no program is the
    // options' mistake.
    unavailable_ = options_.target != "process";
    return s;
  }
  // --net proxy is refused with the options; under --net auto, proxy is what a non-root run gets.
  if (target_->needs_shared_peer_addresses() && options_.net == "auto" && ::geteuid() != 0) {
    unavailable_ = true;
    return Status::InvalidArgument("--target " + options_.target +
                                   " needs --net netns, which needs root (CAP_NET_ADMIN)");
  }
  if (options_.workload == "lock" && !target_->supports_locks()) {
    return Status::InvalidArgument("target " + target_->name() + " has no lock operations");
  }
  return Status::Ok();
}

// ---- Prepare: the run folder, the log, signals, the network, the nodes' commands, test.json ---

std::optional<int> TestRun::Prepare() {
  if (std::optional<int> code = OpenRunFolder()) return code;
  test_record_.config = TestConfigValue(options_, name_, seed_, concurrency_);
  test_record_.rerun = rerun_;
  test_record_.faultline_version = "0.1.0";
  test_record_.started_at = results::RunTimestamp(std::chrono::system_clock::now());
  test_record_.run_id = MakeRunId(seed_);  // prefixes namespaces, links, rules
  if (std::optional<int> code = MakeNetwork()) return code;
  PrepareNodes();
  (void)results::WriteTestJson(run_dir_, test_record_);
  return std::nullopt;
}

// The run folder and its log; from here on Ctrl-C wraps the run up.
std::optional<int> TestRun::OpenRunFolder() {
  Result<std::string> dir =
      results::CreateRunDir(options_.results_dir, name_, std::chrono::system_clock::now());
  if (!dir.ok()) {
    std::fprintf(stderr, "faultline: %s\n", dir.status().message().c_str());
    return results::kExitBadInput;
  }
  run_dir_ = *dir;
  if (!log_.Open(run_dir_ + "/faultline.log")) {
    std::fprintf(stderr, "faultline: cannot write %s/faultline.log\n", run_dir_.c_str());
    return results::kExitBadInput;
  }
  SetSignalLog(&log_);
  InstallRunSignals();
  (void)results::UpdateLatest(options_.results_dir, run_dir_);
  log_.Say("run folder " + run_dir_);
  log_.Info("rerun: " + rerun_);
  if (!fitted_nemesis_.empty()) log_.Say(fitted_nemesis_ + " (nemesis " + KindList(kinds_) + ")");
  return std::nullopt;
}

// A backend that cannot be made here ends the run before any node exists: 254 when --net named
// it, 2 under --net auto (then the machine is at fault, not the options).
std::optional<int> TestRun::MakeNetwork() {
  std::string why;
  Result<std::unique_ptr<nemesis::NetBackend>> net =
      nemesis::MakeNetBackend(options_.net, nemesis::NetOptions{test_record_.run_id}, &why);
  if (!net.ok()) {
    log_.Say("error: " + net.status().message());
    return options_.net == "auto" ? results::kExitUnknown : results::kExitBadInput;
  }
  net_ = std::move(*net);
  log_.Say("network: " + why);
  log_.Info("run id " + test_record_.run_id);
  return std::nullopt;
}

void TestRun::PrepareNodes() {
  std::vector<std::string> ids;
  for (int i = 1; i <= options_.nodes; ++i) ids.push_back("n" + std::to_string(i));
  if (Status s = net_->Setup(ids); !s.ok()) return Fail("network setup: " + s.message());
  cluster_ = std::make_unique<Cluster>(target_.get(), net_.get(), run_dir_, &log_);
  if (Status s = cluster_->Prepare(); !s.ok()) return Fail(s.message());
  test_record_.node_commands = cluster_->commands();
  test_record_.net_backend = net_->name();
}

// ---- Start: the nodes up and healthy ---------------------------------------------------------

void TestRun::Start() {
  if (!error_.empty()) return;
  log_.Say("starting " + std::to_string(options_.nodes) + " " + target_->name() +
           (options_.nodes == 1 ? " node" : " nodes"));
  if (Status s = cluster_->StartAll(); !s.ok()) return Fail(s.message());
  if (Status s = cluster_->WaitHealthy(Millis(options_.start_timeout_s), Interrupted); !s.ok()) {
    Fail(s.message());
    for (const std::string& line : cluster_->NotReady()) log_.Say("  " + line);
    not_ready_ = cluster_->NotReady();
    return;
  }
  if (options_.target == "process") ProbeProtocol();
}

// A bring-your-own store must pass the protocol probe's required items before minutes are spent
// on it: a store that answers something else would only give a run of info operations or a false
// anomaly. The table goes to stdout and probe.txt. The lock items stay optional even for the lock
// workload: a store without locks runs, and the stats checker ends it UNKNOWN ("no operation ever
// succeeded: ... info http-404"), which names the missing endpoint as clearly.
void TestRun::ProbeProtocol() {
  targets::ProbeOptions popts;
  popts.required_only = true;
  popts.timeout = std::max(Millis(options_.request_timeout_s), std::chrono::milliseconds(1000));
  const targets::ProbeReport report = targets::RunProtocolProbe(cluster_->addresses(), popts);
  const std::string table = targets::FormatProbeReport(report);
  (void)results::WriteFileAtomic(run_dir_ + "/probe.txt", table);
  if (report.required_passed()) {
    log_.Info("protocol probe: " + std::to_string(report.items.size()) + " required items passed");
    return;
  }
  log_.Info("protocol probe:\n" + table);
  std::printf("protocol probe (docs/PROTOCOL.md):\n%s\n", table.c_str());
  std::fflush(stdout);
  const int failed = report.failed(true);
  Fail("the store does not speak the protocol (" + std::to_string(failed) + " required probe item" +
       (failed == 1 ? "" : "s") + " failed: " + run_dir_ + "/probe.txt)");
}

// ---- Run: the workload and the nemesis for the time limit ------------------------------------

void TestRun::RunWorkload() {
  if (!error_.empty() || Interrupted() || !OpenRecorder()) return;
  nemesis_ = std::make_unique<nemesis::Nemesis>(
      cluster_.get(), net_.get(), kinds_, seed_, [this](const nemesis::NemesisEvent& e) {
        const checker::Value value = NemesisEventValue(e);
        recorder_->Nemesis(e.f, value);
        log_.Info("nemesis " + e.f + " " + value.ToJson());
      });
  WorkerShared shared;
  shared.workload = workload_.get();
  shared.recorder = recorder_.get();
  shared.concurrency = concurrency_;
  shared.rate = options_.rate;
  shared.seed = seed_;
  log_.Say("running " + options_.workload + " for " + FormatFixed(options_.time_limit_s, 0) +
           " s, " + std::to_string(concurrency_) + " workers, nemesis " + KindList(kinds_) +
           ", seed " + std::to_string(seed_));
  std::vector<std::thread> workers = StartWorkers(&shared);

  const auto start = Clock::now();
  DriveWorkload(start);
  completed_workload_ = !Interrupted();
  workload_s_ = SecondsSince(start);
  log_.ClearProgress();
  shared.stop.store(true);
  log_.Info("stopping workers");
  for (std::thread& t : workers) t.join();
  NoteExits();
}

bool TestRun::OpenRecorder() {
  Result<std::unique_ptr<HistoryRecorder>> recorder =
      HistoryRecorder::Open(run_dir_ + "/history.jsonl");
  if (!recorder.ok()) {
    Fail(recorder.status().message());
    return false;
  }
  recorder_ = std::move(*recorder);
  return true;
}

std::vector<std::thread> TestRun::StartWorkers(WorkerShared* shared) {
  targets::ClientOptions copts;
  copts.timeout = Millis(options_.request_timeout_s);
  copts.connect_timeout = std::min(copts.timeout, std::chrono::milliseconds(500));
  if (options_.follow_leader) copts.cluster = cluster_->addresses();
  const std::vector<base::NodeAddress>& nodes = cluster_->addresses();
  std::vector<std::thread> workers;
  try {
    for (int w = 0; w < concurrency_; ++w) {
      workers.emplace_back(RunWorker, shared, w, target_->NewClient(nodes[w % nodes.size()], copts),
                           &last_process_[w]);
    }
  } catch (const std::system_error& e) {
    // Out of threads: stop the ones that started, and go on to heal, stop and check.
    Fail(std::string("cannot start worker threads: ") + e.what());
    Interrupt();  // ends the workload loop at once
  }
  return workers;
}

// Every interval the nemesis acts: start a fault, then stop it, then start the next. The
// progress line is redrawn four times a second.
void TestRun::DriveWorkload(Clock::time_point start) {
  const auto end = start + Seconds(options_.time_limit_s);
  const auto interval = Seconds(options_.nemesis_interval_s);
  auto next_nemesis = start + interval;
  bool fault_active = false;
  auto next_progress = start;
  ProgressLine progress(&log_, start, options_.time_limit_s);
  while (!Interrupted()) {
    const auto now = Clock::now();
    if (now >= end) break;
    if (!kinds_.empty() && now >= next_nemesis) {
      Status s = fault_active ? nemesis_->StopCurrent() : nemesis_->StartNext();
      if (!s.ok()) log_.Say("nemesis: " + s.message());
      fault_active = !fault_active;
      next_nemesis += interval;
    }
    if (now >= next_progress) {
      progress.Show(now, recorder_->counts(), nemesis_->ActiveSummary());
      NoteExits();
      next_progress = now + std::chrono::milliseconds(250);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- Heal, recover ----------------------------------------------------------------------------

void TestRun::Heal() {
  if (!nemesis_) return;
  log_.Say("healing");
  if (Status s = nemesis_->HealAll(); !s.ok()) log_.Say("heal: " + s.message());
}

// Only after a workload that ran to its end: an interrupted run goes straight to stop and check.
void TestRun::Recover() {
  if (!recorder_ || !completed_workload_ || Interrupted()) return;
  liveness_phase_ = true;
  log_.Say("waiting for the cluster to recover");
  const auto healed = Clock::now();
  const auto deadline = healed + Millis(options_.recovery_s);
  if (Status s = cluster_->WaitHealthy(Millis(options_.recovery_s), Interrupted); !s.ok()) {
    log_.Say("recovery: " + s.message() + "; final reads may fail");
  }
  NoteExits();
  // Liveness: a write and a read must go through again within --recovery s of the heal.
  targets::ClientOptions lopts;
  lopts.timeout = std::min(Millis(options_.recovery_s), std::chrono::milliseconds(2000));
  lopts.connect_timeout = std::chrono::milliseconds(300);
  if (options_.follow_leader) lopts.cluster = cluster_->addresses();
  recovery_ = ProbeRecovery(*target_, cluster_->addresses(), lopts, deadline, Interrupted);
  recovery_.seconds = SecondsSince(healed);  // the bound counts from the heal
  log_.Say("liveness: " + LivenessResult(recovery_, options_.recovery_s).summary);
}

// ---- Final reads ------------------------------------------------------------------------------

// One thread per node, each with its own client. A node that fails three reads in a row is given
// up on (a cluster that did not recover would otherwise cost a timeout per read), and the whole
// phase has a deadline.
void TestRun::FinalReads() {
  if (!liveness_phase_) return;
  const std::vector<checker::Op> finals = workload_->FinalReads();
  if (finals.empty()) return;
  log_.Say("final reads on every node (" + std::to_string(finals.size()) + " each)");
  std::atomic<int64_t> next_process{*std::max_element(last_process_.begin(), last_process_.end()) +
                                    1};
  targets::ClientOptions fopts;
  fopts.timeout = Millis(std::max(options_.request_timeout_s, 5.0));
  if (options_.follow_leader) fopts.cluster = cluster_->addresses();
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> readers;
  for (const base::NodeAddress& node : cluster_->addresses()) {
    readers.emplace_back([this, node, &finals, &fopts, deadline, &next_process] {
      ReadFinals(node, finals, fopts, deadline, &next_process);
    });
  }
  for (std::thread& t : readers) t.join();
}

void TestRun::ReadFinals(const base::NodeAddress& node, const std::vector<checker::Op>& finals,
                         const targets::ClientOptions& client_options, Clock::time_point deadline,
                         std::atomic<int64_t>* next_process) {
  std::unique_ptr<targets::Client> client = target_->NewClient(node, client_options);
  int failures_in_a_row = 0;
  size_t done = 0;
  for (const checker::Op& op : finals) {
    if (failures_in_a_row >= 3 || Clock::now() >= deadline || Interrupted()) break;
    const int64_t process = next_process->fetch_add(1);
    const int64_t t = recorder_->Invoke(process, op);
    const checker::Completion c = workload_->Execute(*client, 0, op);
    recorder_->Complete(process, op, c, t);
    failures_in_a_row = c.type == EventType::kOk ? 0 : failures_in_a_row + 1;
    ++done;
  }
  if (done == finals.size()) return;
  log_.Say(node.id + ": gave up on " + std::to_string(finals.size() - done) + " of " +
           std::to_string(finals.size()) + " final reads" +
           (failures_in_a_row >= 3 ? " after 3 failures in a row" : " (deadline)"));
}

// ---- Stop -------------------------------------------------------------------------------------

void TestRun::Stop() {
  if (cluster_) {
    NoteExits();
    for (const NodeExit& e : exits_) crashed_.push_back(e.id + " " + e.description);
    log_.Say("stopping nodes");
    cluster_->StopAll(std::chrono::seconds(5));
  }
  net_->Teardown();
  if (!recorder_) return;
  recorder_->Flush();  // the check reads the file back
  if (!recorder_->error().empty()) Fail(recorder_->error());
}

// ---- Check ------------------------------------------------------------------------------------

void TestRun::Check() {
  cause_ = TestErrorCause();
  if (!recorder_) return;
  const std::string history_path = HistoryPath();
  // Until the check ends, results.json says so.
  (void)results::WriteCheckPending(run_dir_, history_path);
  log_.Say("checking " + history_path);
  checker::io::LoadOptions lopts;
  lopts.format = checker::io::Format::kJsonl;
  Result<checker::History> history = checker::io::LoadHistoryFile(history_path, lopts);
  if (!history.ok()) {
    Fail("cannot read back the history: " + history.status().message());
    cause_ = TestErrorCause();
    return;
  }
  ComputeNodeAvailability(*history);
  Judge(*history);
}

void TestRun::ComputeNodeAvailability(const checker::History& history) {
  if (!cluster_ || cluster_->addresses().empty() || last_process_.empty()) return;
  std::vector<std::string> worker_nodes;
  for (int w = 0; w < concurrency_; ++w) {
    worker_nodes.push_back(cluster_->addresses()[w % cluster_->addresses().size()].id);
  }
  availability_ = ComputeAvailability(
      history, worker_nodes, *std::max_element(last_process_.begin(), last_process_.end()));
}

void TestRun::Judge(const checker::History& history) {
  workloads::CheckSettings settings;
  settings.timeout_s = options_.check_timeout_s;
  // The run's own findings beside the workload's: the cluster came back, no node died alone.
  std::vector<workloads::CheckerResult> run_checks;
  if (completed_workload_) {
    run_checks.push_back(
        ApplyLivenessMode(LivenessResult(recovery_, options_.recovery_s), options_.liveness));
  }
  run_checks.push_back(ApplyLivenessMode(NodeExitsResult(exits_), options_.liveness));
  Result<RunJudgement> judgement = JudgeHistory(*workload_, history, settings,
                                                std::move(run_checks), error_, completed_workload_);
  if (!judgement.ok()) {
    Fail("check: " + judgement.status().message());
    cause_ = TestErrorCause();
    return;
  }
  verdict_ = judgement->verdict;
  cause_ = std::move(judgement->cause);
  checks_ = std::move(judgement->checks);
}

// ---- Report -----------------------------------------------------------------------------------

int TestRun::Report() {
  RunReport report;
  report.run_dir = run_dir_;
  report.name = name_;
  report.rerun = rerun_;
  report.judgement = {verdict_, cause_, checks_};
  report.stats = Stats();
  report.availability_lines = AvailabilityLines(availability_);
  (void)WriteRunReport(report);
  PrintRunSummary(report);
  log_.Info(std::string("verdict ") + results::VerdictWord(verdict_) +
            (cause_.empty() ? "" : ": " + cause_));
  return results::ExitCodeFor(verdict_);
}

std::string TestRun::TestErrorCause() const { return harness::TestErrorCause(error_); }

std::string TestRun::HistoryPath() const { return HistoryPathOf(run_dir_); }

results::RunStats TestRun::Stats() const {
  results::RunStats s;
  s.name = name_;
  s.seed = seed_;
  s.net_backend = net_ ? net_->name() : "";
  if (recorder_) {
    const HistoryRecorder::Counts c = recorder_->counts();
    s.invokes = c.invokes;
    s.ok = c.ok;
    s.fail = c.fail;
    s.info = c.info;
    s.nemesis_events = c.nemesis;
    s.errors = recorder_->errors();
  }
  s.faults = nemesis_ ? nemesis_->faults_started() : 0;
  s.workload_s = workload_s_;
  s.check_s = check_s_;
  s.phases_s = phases_s_;
  s.completed = completed_workload_;
  s.nodes_exited = crashed_;
  s.error = error_;
  s.not_ready = not_ready_;
  if (!availability_.empty()) s.availability = AvailabilityValue(availability_);
  return s;
}

}  // namespace faultline::harness
