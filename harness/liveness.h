// Liveness findings of a test run, judged beside the workload's checkers (issue 12: a cluster
// that never came back must not pass):
//
//   "liveness"    after healing and the recovery wait, the cluster must take a write and a
//                 read again within --recovery seconds of the heal (ProbeRecovery);
//   "node-exits"  no node may end on its own: an exit that neither the nemesis (kill) nor the
//                 final stop caused is a finding, with its exit status and the last lines of
//                 the node's stderr.
//
// Both are INVALID when they fail; "liveness" is unknown when it could not be asked (the run
// was interrupted before the recovery phase).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/node_address.h"
#include "harness/cluster.h"
#include "targets/target.h"
#include "workloads/workload.h"

namespace faultline::harness {

struct RecoveryProbe {
  bool asked = false;  // false: never probed (the run did not get to its recovery phase)
  bool ok = false;     // a write and then a read of the same key succeeded through one node
  double seconds = 0;  // from the start of the probe to success or deadline (TestRun: the heal)
  std::string node;    // the node that took them
  int attempts = 0;
  std::string last_errors;  // per node, the last answer that was not ok: "n1 connection-refused"
};

// Tries, node after node, a write of a probe key and a read of it until both succeed through
// the same node, until `deadline` (every node is tried at least once) or until `cancelled` says
// so (then `asked` is false: nothing was learnt). Never throws.
RecoveryProbe ProbeRecovery(const targets::Target& target,
                            const std::vector<base::NodeAddress>& nodes,
                            const targets::ClientOptions& options,
                            std::chrono::steady_clock::time_point deadline,
                            const std::function<bool()>& cancelled = {});

// The "liveness" checker result. `recovery_s` is the bound the probe had.
workloads::CheckerResult LivenessResult(const RecoveryProbe& probe, double recovery_s);

// The "node-exits" checker result over every exit of the run, in the order they were seen.
workloads::CheckerResult NodeExitsResult(const std::vector<NodeExit>& exits);

// `r` (a liveness or node-exits result) as --liveness MODE ("invalid", "unknown", "report")
// judges it: a finding keeps its summary but counts as unknown, or under "report" as valid with
// "(reported only)" in front of its summary. "invalid" leaves it as it is.
workloads::CheckerResult ApplyLivenessMode(workloads::CheckerResult r, const std::string& mode);

// One line for the log: "n2 exited with status 3 on its own (start 2); stderr ends: ...".
std::string NodeExitLine(const NodeExit& exit);

}  // namespace faultline::harness
