// The linearizability search for one partition (one key's sub-history): Wing & Gong's
// backtracking over a doubly linked list of call/return entries, with Lowe's memoization of
// (linearized set, model state) and his "lift" of linearized entries out of the list.
//
// Semantics, defended:
// - Entries are ordered by their position in the history file, not by timestamps: the file
//   order is the order in which the recorder saw them, so an operation whose completion comes
//   before another's invocation in the file really did finish first.
// - An indeterminate operation (info, or never completed) has a call entry and no return entry:
//   it may be linearized at any point after its call, or never. The search succeeds when every
//   determinate operation is linearized. Nothing is assumed about its effect.
// - A cas that failed with "mismatch" is a determinate operation that leaves the state alone
//   but must be linearized at a point where the compare did not match.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "checker/check.h"
#include "checker/history.h"
#include "checker/model.h"

namespace faultline::checker {

// Memory shared by concurrent searches, with a limit. Thread-safe.
class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  // Charges `bytes`; false (and nothing charged) when that would pass the limit.
  bool Charge(uint64_t bytes);
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }

 private:
  const uint64_t limit_;  // 0 = none
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> peak_{0};
};

// Why a search stopped without a verdict.
enum class StopCause : int { kNone = 0, kTimeout = 1, kMemoryLimit = 2 };

struct SearchLimits {
  // Polled by the search; a non-kNone value stops it with that cause.
  const std::atomic<int>* stop = nullptr;
  MemoryBudget* memory = nullptr;  // may be null: no accounting
  // false: Wing & Gong with Lowe's memo only, without the reductions of SearchLinearization
  // (for differential tests and benchmarks).
  bool reductions = true;
};

struct SearchOutcome {
  Verdict verdict = Verdict::kValid;
  StopCause stop_cause = StopCause::kNone;  // for kUnknown
  uint64_t steps = 0;
  uint64_t cache_entries = 0;
  uint64_t memory_bytes = 0;  // peak bytes this search charged
  // For kMemoryLimit: bytes other searches held on the shared budget when this one was refused
  // (when large, the key may be decidable alone).
  uint64_t others_bytes = 0;
  // For kInvalid (positions in the `ops` given to SearchLinearization):
  int failing_op = -1;        // the first completed operation that cannot be linearized
  std::vector<int> prefix;    // the longest linearizable prefix, in linearization order
  std::vector<Value> states;  // model states reachable just before failing_op
  bool states_truncated = false;
};

// Searches for a linearization of `ops`, which must all be relevant to `model` (validated, not
// kFail, not Irrelevant) and sorted by invoke_pos. The search memoizes model steps per
// (state, operation class), so `model.Step` runs once per distinct pair.
SearchOutcome SearchLinearization(const Model& model, const Value& initial,
                                  const std::vector<const Operation*>& ops,
                                  const SearchLimits& limits);

}  // namespace faultline::checker
