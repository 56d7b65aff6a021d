// The counter checker (after Jepsen's jepsen.checker/counter): every ok read of a counter must
// lie between what had certainly been added before the read began and what could possibly have
// been added by the time it ended.
//
// Operations: f "add" with an integer value n; f "read" whose ok value is an integer (null
// counts as 0: the key was absent). Operations with a `key` are separate counters starting at 0.
//
// For an ok read R (real-time order is the order of events in the history):
//   certain  = ok adds that completed before R was invoked;
//   possible = ok or indeterminate (info / never completed) adds invoked before R completed
//              that are not certain. A failed add never counts.
//   lower = sum(certain) + sum of the negative n among possible,
//   upper = sum(certain) + sum of the positive n among possible.
// With the usual non-negative adds this is exactly [sum of acknowledged adds before the read
// was invoked, sum of all non-failed adds invoked before the read completed]; the general form
// keeps the bounds sound if someone adds negative amounts. Sums saturate at the int64 limits.
//
// Verdict: invalid if some ok read lies outside its bounds (or is not an integer); otherwise
// unknown if no read succeeded (nothing was observed); otherwise valid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

struct CounterViolation {
  bool has_key = false;
  Value key;
  int64_t process = 0;
  int64_t invoke_index = 0;
  int64_t complete_index = 0;
  Value value;  // what the read returned
  int64_t lower = 0;
  int64_t upper = 0;
};

struct CounterCheckResult {
  Verdict verdict = Verdict::kValid;
  std::string summary;  // one line for people
  int64_t keys = 0;
  int64_t adds_ok = 0;
  int64_t adds_indeterminate = 0;
  int64_t adds_failed = 0;
  int64_t reads_ok = 0;
  std::vector<CounterViolation> violations;  // in history order
};

// Errors: operations that do not pair; an add whose value is not an integer.
base::Result<CounterCheckResult> CheckCounter(const History& history);

// {"valid", "summary", "keys", "adds_ok", "adds_indeterminate", "adds_failed", "reads_ok",
//  "violation_count", "violations": [{"key", "process", "invoke_index", "complete_index", "value",
//  "lower", "upper"}]} with at most `max_list` violations listed.
Value CounterCheckResultToValue(const CounterCheckResult& result, size_t max_list = 100);

}  // namespace faultline::checker
