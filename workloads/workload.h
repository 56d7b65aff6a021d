// Workload: an operation generator plus the client logic and the checkers that judge it
// (DESIGN.md section 1). The harness owns threads, timing, rate and recording; a workload says
// what each worker does next, how one operation is carried out through a targets::Client, and
// how the recorded history is judged.
//
// Independent keys: workers form groups of `group_size`; a group works on one key at a time and
// moves to a fresh key after `ops_per_key` operations. To keep a seed's schedule reproducible
// whatever the timing, a worker's n-th operation and its key are a pure function of (seed,
// worker, n, and for stateful workloads the completions that worker saw).
//
// Thread safety: Next and Execute are called by worker `worker` only, from that worker's thread;
// different workers call concurrently. FinalReads and Check are called alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/op.h"
#include "checker/value.h"
#include "targets/client.h"

namespace faultline::workloads {

struct WorkloadOptions {
  int concurrency = 10;   // workers 0 .. concurrency-1
  int group_size = 5;     // workers per key (clamped to [1, concurrency])
  int ops_per_key = 200;  // a group moves to a fresh key after this many operations
  uint64_t seed = 0;
  int64_t lease_ms = 1000;  // lock: the lease asked for with each acquire
  // lock: how a holder imitating a GC pause sleeps (called from Execute on the worker's
  // thread). Empty = std::this_thread::sleep_for; tests inject a manual clock here.
  std::function<void(int64_t ms)> sleep_ms;
};

struct CheckSettings {
  double timeout_s = 0;  // per checker; 0 = none
  uint64_t memory_limit_mb = 0;
  int threads = 0;
};

// One checker's judgement of a history.
struct CheckerResult {
  std::string name;  // "linearizable", "set", "counter", "fencing", ...
  checker::Verdict verdict = checker::Verdict::kValid;
  std::string summary;    // one line for people: "lost 2 of 480 acknowledged adds: 17, 40"
  checker::Value detail;  // a JSON object for results.json; for "linearizable" the section 4 object
  // For people, when there is more to say than the summary (linearizable: "" when valid):
  // `counterexample`, the first one in a few lines for the run's summary; `report`, the full
  // explanation `faultline check` prints, for report.txt.
  // (Default member initializers: a CheckerResult{name, verdict, summary, detail} stays warning-
  // free under -Wmissing-field-initializers.)
  std::string counterexample{};
  std::string report{};
};

class Workload {
 public:
  virtual ~Workload() = default;

  virtual std::string name() const = 0;  // "register", "set", "counter", "lock"

  // The next operation worker `worker` invokes.
  virtual checker::Op Next(int worker) = 0;

  // Carries out `op` through `client` (it may take several requests: a CAS loop, a guarded
  // write, a sleep past a lease) and says how it ended. Never throws.
  virtual checker::Completion Execute(targets::Client& client, int worker,
                                      const checker::Op& op) = 0;

  // Reads made once on every node at the end of a run, after healing (possibly none).
  virtual std::vector<checker::Op> FinalReads() const = 0;

  // Judges the whole history (nemesis events included; checkers ignore them). Errors are for a
  // history the workload cannot have produced. The built-in workloads end the list with "stats"
  // (common.h: UNKNOWN when an operation kind they issue never succeeded).
  virtual base::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                         const CheckSettings& settings) const = 0;
};

std::vector<std::string> WorkloadNames();  // register, set, counter, lock

// Errors: an unknown name (one line listing the known ones), options out of range.
base::Result<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                                     const WorkloadOptions& options);

}  // namespace faultline::workloads
