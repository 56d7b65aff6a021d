// The mutex checker: did two clients ever hold the same lock at the same time, as the clients
// saw it? (The question Jepsen's etcd 3.4.3 analysis asked of etcd's locks under process pauses.)
//
// Operations: f "acquire" whose ok value is the granted token (an integer) and f "release" whose
// value is the token being released. Operations with a `key` are separate locks.
//
// A hold is an ok acquire. Its holder certainly held the lock from the acquire's completion (it
// was granted at some point before that) until the invocation of the release naming its token
// (it cannot have given the lock up before asking to), or until the end of the history when no
// such release was invoked. Holds are matched to releases by (key, token), not by process: after
// an indeterminate write the holder continues under a new process number (DESIGN.md section 2),
// and the token is what stays the same. Indeterminate (info) acquires are not holds: nobody
// knows whether they were granted, and the holder did not act as if they were.
//
// An overlap is two holds of the same lock whose intervals intersect, in the order of events
// (the recorder's real-time order): the two clients both believed they held the lock during
// [later start, earlier end].
//
// Leases. A lock with a lease (raftkv's ttl_ms, an etcd lease, a ZooKeeper session) is given up
// by the store when its holder goes quiet, and the holder may learn it only later: a holder that
// sleeps past its lease (the lock workload does it on purpose) overlaps with the next holder by
// design, and only fencing tokens make that safe. So the checker splits overlaps with the lease
// the workload asked for (`lease_ns`):
// - within the lease: when the overlap began, both holds were still inside the lease they were
//   certainly granted (a grant happens after the acquire's invocation, so a hold's lease lasts at
//   least until invocation + lease). Two live leases at once is a broken lock: INVALID.
// - after a lease: at least one hold could have run out of its lease before the overlap began.
//   Reported (count, evidence, summary) but VALID: the lock behaved as a lease lock may; whether
//   that was safe is the fencing checker's verdict.
// With lease_ns == 0 (a lock without leases) or events without times (-1, e.g. an imported
// history), every overlap is within the lease: INVALID.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

// One ok acquire and the release that ended it.
struct MutexHold {
  int64_t process = 0;
  int64_t token = 0;
  std::string node;
  int64_t acquire_invoke_index = 0;
  int64_t acquire_complete_index = 0;
  int64_t acquire_invoke_time = -1;    // ns since the start; -1 unknown
  int64_t acquire_complete_time = -1;  // the hold starts here
  int64_t release_invoke_index = -1;   // -1: no release was invoked (held to the end)
  int64_t release_invoke_time = -1;    // the hold ends here (the history's end when -1)
};

struct MutexOverlap {
  bool has_key = false;
  Value key;
  MutexHold first;          // the hold that started first
  MutexHold second;         // started while `first` was held
  int64_t start_time = -1;  // both held from here (ns) ...
  int64_t end_time = -1;    // ... to here (ns); -1 unknown
  bool within_lease = true;
};

struct MutexCheckResult {
  Verdict verdict = Verdict::kValid;
  std::string summary;  // one line for people
  int64_t holds = 0;    // ok acquires
  int64_t locks = 0;    // distinct keys with at least one hold
  int64_t lease_ns = 0;
  int64_t overlaps_within_lease = 0;
  int64_t overlaps_after_lease = 0;
  int64_t holds_overlapping = 0;  // holds in at least one overlap (one long hold may overlap many)
  std::vector<MutexOverlap> overlaps;  // in history order of the second hold's start
};

// Errors: operations that do not pair; an ok acquire whose value is not an integer.
base::Result<MutexCheckResult> CheckMutex(const History& history, int64_t lease_ns);

// {"valid", "summary", "holds", "locks", "lease_ms", "overlaps_within_lease",
//  "overlaps_after_lease", "holds_overlapping", "overlaps": [{"key", "within_lease", "start_ns",
//  "end_ns", "first": hold, "second": hold}]}, where a hold is {"process", "token", "node",
//  "acquire_invoke_index", "acquire_complete_index", "release_invoke_index"}; the list cut to
//  `max_list`.
Value MutexCheckResultToValue(const MutexCheckResult& result, size_t max_list = 100);

}  // namespace faultline::checker
