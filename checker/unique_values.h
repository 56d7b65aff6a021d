// The unique-value fast path: one key's sub-history decided without a search when every value
// written on it is unique (issue 13, point 3).
//
// When no two operations write the same value, a read names the one write it saw, and the
// history is decided by ordering versions instead of searching orders of operations (Gibbons &
// Korach, SIAM J. Comput. 1997; Elle's list-append inference):
//
// - kv (get / append of strings, no put): the longest get is parsed into the appended strings
//   it holds, which pins the version order; every get must be a prefix of it and end on a
//   string's boundary. The precedence graph (version order, reads-from, anti-dependency and
//   real-time edges, the last through a chain of time points so it stays linear in size) is
//   then checked for a cycle. Every edge is forced, so a cycle proves the key invalid and a
//   topological order is a linearization.
// - set (add / whole-set read): the reads must form a chain under inclusion, which pins the
//   version order but for the order of adds between two versions, which nothing observes; the
//   graph is the kv one with a gate between versions.
// - register and cas-register (read / write / cas): a successful cas [a, b] pins b right after
//   a; the order of the chains this makes is not pinned, so it is chosen by the chains' zones
//   (Gibbons & Korach: the span in which a chain must hold; a few placements are tried, and
//   then the same with the unobserved indeterminate writes allowed to take effect, which a
//   mismatch observation may need) and the resulting linearization is checked. Invalid is only
//   answered on a forced contradiction: a read of a value nobody wrote, a read that ended before
//   its write began, two successful cas from one value, or two zones that overlap (one inside the
//   other).
//
// Soundness does not rest on the inference: a valid answer comes with a linearization that is
// replayed through the model and checked against real time before it is believed, and an
// invalid answer only from constraints every linearization must meet. Anything else — a value
// written twice, a put, an ambiguous parse, a zone order that does not work out, a mismatch
// observation the chosen order cannot place — answers "not applicable" and the key goes to the
// search. The failing operation is the search's: the first completed operation whose prefix
// of the history cannot be linearized, found by a binary search over prefixes.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "checker/history.h"
#include "checker/model.h"
#include "checker/value.h"

namespace faultline::checker {

struct UniqueOutcome {
  enum class Kind { kNotApplicable, kValid, kInvalid };
  Kind kind = Kind::kNotApplicable;
  std::string not_applicable;  // why the fast path did not decide (for tests and benchmarks)
  // For kInvalid (positions in `ops`), as SearchOutcome has them:
  int failing_op = -1;        // the first completed operation that cannot be linearized
  std::vector<int> prefix;    // a linearization of everything that completed before it
  std::vector<Value> states;  // the state after that prefix (one of the reachable ones)
  std::string reason;         // the contradiction in words
};

// Decides `ops` (one key's, relevant to `model`, sorted by invoke_pos, as SearchLinearization
// takes them) when the model is register, cas-register, kv or set and the preconditions hold.
// `stop` (may be null) is polled; a stop answers kNotApplicable.
UniqueOutcome DecideUniqueValues(const Model& model, const Value& initial,
                                 const std::vector<const Operation*>& ops,
                                 const std::atomic<int>* stop);

}  // namespace faultline::checker
