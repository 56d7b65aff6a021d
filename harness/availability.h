// Each node's availability during a test run: the share of the operations sent to it that
// succeeded, overall and during each kind of fault (and during no fault). Succeeded: ok, or a
// definite answer of a serving node (a cas mismatch, a lock held); not a refused connection, a
// 503 such as not-leader (harness/backoff.h) or an unknown outcome (info). Computed from the
// recorded history after the run: client process p is worker p mod concurrency (DESIGN.md
// section 2: a retired process goes on as p + concurrency), and worker w talks to node
// w mod nodes; an operation counts under the faults active when it completed.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checker/history.h"
#include "checker/value.h"

namespace faultline::harness {

struct AvailabilityCount {
  uint64_t ok = 0;  // succeeded (served)
  uint64_t total = 0;
  double share() const { return total == 0 ? 0 : static_cast<double>(ok) / total; }
  friend bool operator==(const AvailabilityCount&, const AvailabilityCount&) = default;
};

struct NodeAvailability {
  std::string node;
  AvailabilityCount overall;
  // "none" (no fault active), "partition", "pause", "kill": the fault kind of the nemesis events
  // start-<kind> / stop-<kind>. Only kinds that saw an operation appear.
  std::map<std::string, AvailabilityCount> during;
};

// `worker_nodes[w]` is the node worker w talks to (its size is the concurrency). Processes above
// `max_worker_process` are not workers' (the final reads) and are left out.
std::vector<NodeAvailability> ComputeAvailability(const checker::History& history,
                                                  const std::vector<std::string>& worker_nodes,
                                                  int64_t max_worker_process);

// results.json's run.availability: {"n1": {"ok": .., "total": .., "share": ..,
// "during": {"none": {...}, "kill": {...}}}, ...}.
checker::Value AvailabilityValue(const std::vector<NodeAvailability>& nodes);

// One summary line per node: "n1  97.1% of 3021 ops (no fault 100.0%, partition 81.3%, ...)".
std::vector<std::string> AvailabilityLines(const std::vector<NodeAvailability>& nodes);

}  // namespace faultline::harness
