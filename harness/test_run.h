// TestRun: one `faultline test` run, as the phases of DESIGN.md section 7:
//
//   Configure   the options resolved into a workload, a target and a fault list (exit 254 here)
//   Prepare     the run folder, the log, Ctrl-C handling, the network, the node commands,
//               test.json
//   Start       the nodes started and waited for until healthy
//   RunWorkload client workers and the nemesis for --time-limit (the safety phase)
//   Heal        every fault stopped
//   Recover     a bounded wait until the cluster is healthy again, then the liveness probe: a
//               write and a read within --recovery s of the heal (harness/liveness.h)
//   FinalReads  the workload's final reads on every node
//   Stop        the nodes stopped, the network torn down, the history flushed
//   Check       the history read back and judged by the workload's checkers, plus the run's
//               own: liveness (the probe) and node-exits (nodes that exited on their own)
//   Report      results.json, junit.xml, the summary on stdout; the exit code
//
// A phase that cannot do its work records why (Fail) and the later phases do what still makes
// sense: whatever happened, faults are healed, nodes stopped, the network torn down and the
// folder explains the run. Ctrl-C once (Interrupted) ends the workload early and skips the
// recovery and final reads; a second Ctrl-C stops at once (harness/run_signals.h).
//
// Ownership: the run owns everything it starts; destroying it kills what still runs. Members are
// declared so that users are destroyed before what they point at (the nemesis before the
// cluster, the cluster before the network, the log and the target).
//
// Thread safety: the phases run on one thread (the main thread: node processes are spawned
// there). Workers, final readers and the signal thread share only the recorder, the log, the
// workload and the target (read-only: it makes clients), all safe to share.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "harness/availability.h"
#include "harness/cluster.h"
#include "harness/liveness.h"
#include "harness/log.h"
#include "harness/recorder.h"
#include "harness/test_command.h"
#include "harness/workers.h"
#include "nemesis/nemesis.h"
#include "nemesis/net.h"
#include "results/run_files.h"
#include "targets/target.h"
#include "workloads/workload.h"

namespace faultline::harness {

class TestRun {
 public:
  explicit TestRun(TestCommandOptions options);
  ~TestRun();
  TestRun(const TestRun&) = delete;
  TestRun& operator=(const TestRun&) = delete;

  // Runs every phase in order. Returns the exit code (DESIGN.md section 5). Call once.
  int Run();

  // Configure alone, nothing started or written (`faultline suite` checks every run before the
  // first starts): Ok, or the line `test` would end with (exit 254). `*unavailable` says the
  // line is about this machine rather than the options: the target's packaged binary is
  // missing, or the target needs root.
  static base::Status Preflight(const TestCommandOptions& options, bool* unavailable);

 private:
  using Clock = std::chrono::steady_clock;

  // The phases, in order.
  base::Status Configure();
  std::optional<int> Prepare();  // an exit code when the run cannot even have a folder
  void Start();
  void RunWorkload();
  void Heal();
  void Recover();
  void FinalReads();
  void Stop();
  void Check();
  int Report();

  // Runs `phase` and keeps its duration for results.json (run.phases_s).
  void Phase(const char* name, void (TestRun::*phase)());

  // Parts of the phases.
  base::Status MakeTarget();
  std::optional<int> OpenRunFolder();
  std::optional<int> MakeNetwork();
  void PrepareNodes();
  void ProbeProtocol();
  bool OpenRecorder();
  std::vector<std::thread> StartWorkers(WorkerShared* shared);
  void DriveWorkload(Clock::time_point start);
  void ReadFinals(const base::NodeAddress& node, const std::vector<checker::Op>& finals,
                  const targets::ClientOptions& client_options, Clock::time_point deadline,
                  std::atomic<int64_t>* next_process);
  void Judge(const checker::History& history);
  void ComputeNodeAvailability(const checker::History& history);
  std::string HistoryPath() const;
  // "test error: <error_>": the run went wrong (distinct from a checker's unknown); "" if not.
  std::string TestErrorCause() const;
  results::RunStats Stats() const;

  // Logs each node exit no fault caused, once, and keeps it for the node-exits checker.
  void NoteExits();

  // Records the first thing that kept the run from completing, and logs every one.
  void Fail(const std::string& what);

  const TestCommandOptions options_;
  // Configure.
  int concurrency_ = 0;
  uint64_t seed_ = 0;
  std::string name_;
  std::string rerun_;
  std::vector<nemesis::FaultKind> kinds_;
  std::string fitted_nemesis_;  // why the default faults were narrowed; "" when they were not
  std::unique_ptr<workloads::Workload> workload_;
  std::unique_ptr<targets::Target> target_;
  bool unavailable_ = false;  // Configure failed for want of something on this machine
  // Prepare.
  std::string run_dir_;
  RunLog log_;
  results::TestRecord test_record_;
  std::unique_ptr<nemesis::NetBackend> net_;
  std::unique_ptr<HistoryRecorder> recorder_;  // from RunWorkload on; null if it never ran
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<nemesis::Nemesis> nemesis_;
  // What happened.
  std::string error_;  // the first thing that kept the run from completing; "" if none
  std::vector<int64_t> last_process_;           // per worker: the last process number it used
  bool completed_workload_ = false;             // the workload ran its whole time limit
  bool liveness_phase_ = false;                 // Recover ran, so FinalReads runs too
  std::vector<std::string> crashed_;            // nodes that exited on their own ("n2 exited ...")
  std::vector<NodeExit> exits_;                 // every exit no fault caused, in the order seen
  RecoveryProbe recovery_;                      // the liveness probe after healing
  std::vector<std::string> not_ready_;          // a failed start: why each node was not ready
  std::vector<NodeAvailability> availability_;  // per node, from the history (Check)
  double workload_s_ = 0;
  double check_s_ = 0;
  std::vector<std::pair<std::string, double>> phases_s_;
  // Check.
  checker::Verdict verdict_ = checker::Verdict::kUnknown;
  std::string cause_;
  std::vector<workloads::CheckerResult> checks_;
};

}  // namespace faultline::harness
