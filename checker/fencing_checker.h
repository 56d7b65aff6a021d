// The fencing checker: did a resource guarded by fencing tokens (Kleppmann, "How to do
// distributed locking", 2016) ever accept a write from a holder whose token was already
// superseded?
//
// Operations: f "write" with value = the writer's token (an integer); ok means the resource
// accepted it, fail means it rejected it (e.g. "stale-token"), info is unknown. f "acquire"
// whose ok value is the granted token. Operations with a `key` are separate resources / locks.
//
// Anomalies:
// - stale write: writes A and B to the same resource, both ok, A completed before B was invoked
//   (real-time order, the order of events in the history), and B's token < A's token. Only
//   acknowledged writes count: an info write may or may not have landed, so it proves nothing.
//   Equal tokens are not flagged here (one holder may write twice); two holders sharing a token
//   shows up as a duplicate grant below.
// - duplicate token: two ok acquires of the same lock returned the same token.
// Each stale write is reported once, against the highest token accepted before it began.
//
// Verdict: invalid if there is any anomaly, else valid (the property is a "never"; a history
// with no accepted writes is vacuously fine).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

// An operation as the fencing report names it.
struct FencingOp {
  int64_t process = 0;
  int64_t invoke_index = 0;
  int64_t complete_index = 0;
  int64_t token = 0;
};

struct StaleWrite {
  bool has_key = false;
  Value key;
  FencingOp write;    // accepted although ...
  FencingOp earlier;  // ... this write, with a higher token, had already been accepted
};

struct DuplicateToken {
  bool has_key = false;
  Value key;
  int64_t token = 0;
  FencingOp first;
  FencingOp second;
};

struct FencingCheckResult {
  Verdict verdict = Verdict::kValid;
  std::string summary;          // one line for people
  int64_t writes = 0;           // write operations invoked
  int64_t writes_accepted = 0;  // ... completed ok
  int64_t writes_rejected = 0;  // ... completed fail
  int64_t acquires_ok = 0;
  std::vector<StaleWrite> stale_writes;          // in history order of the stale write
  std::vector<DuplicateToken> duplicate_tokens;  // in history order of the second grant
};

// Errors: operations that do not pair; an ok write or ok acquire whose value is not an integer.
base::Result<FencingCheckResult> CheckFencing(const History& history);

// {"valid", "summary", "writes", "writes_accepted", "writes_rejected", "acquires_ok",
//  "stale_write_count", "stale_writes": [{"key", "write": {...}, "earlier": {...}}],
//  "duplicate_token_count", "duplicate_tokens": [{"key", "token", "first", "second"}]}, where an
//  operation is {"process", "invoke_index", "complete_index", "token"}; lists cut to `max_list`.
Value FencingCheckResultToValue(const FencingCheckResult& result, size_t max_list = 100);

}  // namespace faultline::checker
