// The first finding of a failing checker in a few lines, for the summary of an INVALID run, with
// the node that served each operation named (the history's `node` of its completion).
// Linearizability renders its own (checker::io::RenderFirstCounterexample, carried in
// CheckerResult::counterexample); this covers the set, counter and fencing checkers from their
// results.json detail objects, whose formats their headers fix (checker/set_checker.h,
// counter_checker.h, fencing_checker.h).
#pragma once

#include <string>

#include "checker/history.h"
#include "workloads/workload.h"

namespace faultline::harness {

// "" when the checker is valid or has nothing more to show than its summary.
std::string FirstFinding(const workloads::CheckerResult& result, const checker::History& history);

}  // namespace faultline::harness
