// The set checker (after Jepsen's jepsen.checker/set): did every acknowledged add survive into
// the final reads, and did the reads show only elements someone tried to add?
//
// Operations: f "add" with value x; f "read" whose ok value is an array (null counts as the
// empty set: the key was absent). Operations with a `key` form independent sets, each judged
// against its own reads.
//
// Semantics, and where they differ from Jepsen's:
// - Jepsen judges against the single last ok read. Here there is one final read per node, and an
//   acknowledged add is *lost* if it is missing from ANY ok final read of its key that was
//   invoked after the add completed. "Any" because after healing every node must agree: an
//   element present on n1 but not on n3 is gone for whoever reads n3. "Invoked after the ack"
//   (real-time order, not "completed after") because a read concurrent with the add may
//   linearize before it and rightly miss it.
// - An acknowledged add that no ok final read was invoked after (it completed after every final
//   read began) cannot be judged; it is listed as `unchecked` and makes the verdict unknown.
// - *unexpected*: an element of any ok read (final or not) for which no add to that key was
//   ever invoked. Jepsen looks at the final read only; looking at all reads costs nothing.
// - *recovered*: an indeterminate (info, or never completed) add that appears in some ok final
//   read. Not an anomaly: an info add may take effect at any time.
// - An ok read whose value is neither an array nor null is *malformed*: the store returned
//   something no add can produce.
// Verdict: invalid if anything is lost, unexpected or malformed; otherwise unknown if no final
// read succeeded or some acknowledged add is unchecked; otherwise valid.
//
// Which reads are final: given explicitly (the `index` of each final read's invoke event), or by
// default every read of a key invoked after the last add to that key was invoked. The default
// fits the harness's phases (final reads run after the workload stops) and stays sound if it
// also catches a late ordinary read: any ok read invoked after an add's ack must contain it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

struct SetCheckOptions {
  // The `index` of each final read's invoke event; nullopt = the default rule above.
  std::optional<std::set<int64_t>> final_reads;
};

struct LostElement {
  bool has_key = false;
  Value key;
  Value element;
  int64_t add_index = 0;              // the first acknowledging completion's index
  std::vector<int64_t> missing_from;  // invoke indices of the ok final reads without it
  int64_t present_in = 0;             // ok final reads (invoked after the ack) with it
};

struct SetCheckResult {
  Verdict verdict = Verdict::kValid;
  std::string summary;  // one line for people

  // Add operations by outcome (a never-completed add counts as indeterminate).
  int64_t attempted = 0;
  int64_t acknowledged = 0;
  int64_t indeterminate = 0;
  int64_t failed = 0;
  int64_t keys = 0;            // distinct keys with an add or a read
  int64_t reads_ok = 0;        // all ok reads, final or not
  int64_t final_reads = 0;     // final reads invoked
  int64_t final_reads_ok = 0;  // ... of which completed ok

  // Element lists, in the order of the first add that mentions them.
  std::vector<LostElement> lost;
  std::vector<Value> unexpected;
  std::vector<Value> recovered;
  std::vector<Value> unchecked;    // acknowledged, but no ok final read came after the ack
  std::vector<int64_t> malformed;  // completion indices of ok reads that are not arrays
};

// Errors: a history whose operations do not pair (see PairOperations).
base::Result<SetCheckResult> CheckSet(const History& history, const SetCheckOptions& options = {});

// {"valid": true|false|"unknown", "summary", "attempted", "acknowledged", "indeterminate",
//  "failed", "keys", "reads_ok", "final_reads", "final_reads_ok", "lost_count", "lost": [{"key",
//  "element", "add_index", "missing_from", "present_in"}], "unexpected_count", "unexpected",
//  "recovered_count", "recovered", "unchecked_count", "unchecked", "malformed_reads"}. Lists
// are cut to `max_list` items; the *_count members give the full sizes.
Value SetCheckResultToValue(const SetCheckResult& result, size_t max_list = 100);

}  // namespace faultline::checker
