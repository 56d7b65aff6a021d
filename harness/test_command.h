// `faultline test`: one Jepsen-style run (DESIGN.md section 7). Phases: prepare nodes -> start
// and wait healthy -> workload and nemesis for the time limit -> heal -> recovery wait -> final
// reads -> stop nodes -> check -> report, everything written to results/<name>/<timestamp>/.
// The phases are the methods of TestRun (harness/test_run.h); this header is the command's
// options and the checks and texts that depend on the options alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/value.h"
#include "workloads/workload.h"

namespace faultline::harness {

struct TestCommandOptions {
  std::string target = "raft";  // raft | process | etcd | zookeeper
  int nodes = 5;
  std::string workload = "register";             // register | set | counter | lock
  std::string nemesis = "partition,pause,kill";  // none | all | comma list
  double nemesis_interval_s = 5;
  double time_limit_s = 60;
  int concurrency = 0;  // 0: two workers per node
  double rate = 500;    // total operations per second; 0: as fast as possible
  int ops_per_key = 200;
  std::optional<uint64_t> seed;  // random (and recorded) when absent
  std::string results_dir = "results";
  std::string net = "auto";                 // auto | netns | proxy
  std::string node_cmd;                     // --target process
  std::vector<std::string> raft_opts;       // --target raft
  std::string etcd_reads = "linearizable";  // --target etcd: linearizable | serializable
  std::string zk_reads = "sync";            // --target zookeeper: sync | plain
  std::string name;                         // default: <target>-<workload>
  double request_timeout_s = 1;
  double check_timeout_s = 600;
  int64_t lease_ms = 1000;
  double recovery_s = 30;       // bound on the wait for health after healing
  double start_timeout_s = 30;  // bound on the wait for a started cluster to become ready
  // What a liveness or node-exit finding makes the run: invalid (default), unknown, or report
  // (printed and recorded, the verdict left to the safety checkers).
  std::string liveness = "invalid";
  bool follow_leader = true;  // retry a not-leader answer once at the leader it names
};

// Returns the exit code (DESIGN.md section 5): 0 valid, 1 invalid, 2 unknown or the test could
// not run to the end, 254 bad options, 255 internal error.
int RunTestCommand(const TestCommandOptions& options);

// The option checks that need nothing but the options (one-line messages for exit 254).
base::Status ValidateTestOptions(const TestCommandOptions& o);
// test.json's `config`: every option, with the seed and the concurrency actually used.
checker::Value TestConfigValue(const TestCommandOptions& o, const std::string& name, uint64_t seed,
                               int concurrency);
// The options back from test.json's `config` (TestConfigValue), for `faultline analyze`: the
// seed and the concurrency actually used are set. A one-line error for a config that is not an
// object or has a field of the wrong type; fields it lacks keep their defaults.
base::Result<TestCommandOptions> TestOptionsFromConfig(const checker::Value& config);
// The workload's options for a run with these options, `concurrency` workers and `seed`: the
// same for the run and for its re-analysis, so the checkers judge what the workload generated.
workloads::WorkloadOptions WorkloadOptionsFor(const TestCommandOptions& o, int concurrency,
                                              uint64_t seed);
// The command line that reruns this test with the same seed: every option not at its default
// (harness/cli.h builds it from the same table as the parser).
std::string RerunLine(const TestCommandOptions& o, uint64_t seed);
// `v` with `digits` decimals ("%.*f").
std::string FormatFixed(double v, int digits);

}  // namespace faultline::harness
