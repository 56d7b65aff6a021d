// The checker's entry point: is a history linearizable with respect to a model?
//
// CheckHistory pairs the history's operations, splits them by `key` (P-compositionality: each
// key's sub-history is checked on its own, in parallel on `threads`), and runs the Wing & Gong
// search with Lowe's memoization on each. Every failing key is reported, each with a
// counterexample a person can follow.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

enum class Verdict { kValid, kInvalid, kUnknown };

inline constexpr uint64_t kNoMemoryLimit = ~uint64_t{0};

// The default --memory-limit, in MB: half of the memory this process can get, which is the
// smallest of MemAvailable (/proc/meminfo), the cgroup's memory.max less its memory.current,
// and the address-space and data limits (ulimit -v, -d). At least 64 MB; 4096 MB when none of
// these can be read. Read afresh on each call.
uint64_t DefaultMemoryLimitMb();
const char* VerdictName(Verdict v);  // "valid", "invalid", "unknown"
Value VerdictValue(Verdict v);       // as JSON output writes it: true, false, "unknown"

struct CheckOptions {
  std::string model = "cas-register";
  std::optional<Value> initial;  // the model's documented default when absent
  double timeout_s = 0;          // wall-clock limit for the whole check; 0 = none
  // When timeout_s started counting; unset: at the call. `faultline check` starts it before
  // reading the file, so that the limit covers parsing too (issue 13).
  std::optional<std::chrono::steady_clock::time_point> started;
  // Limit on the search's memory (see MemoryBudget): 0 = the machine's default,
  // DefaultMemoryLimitMb(); kNoMemoryLimit = none.
  uint64_t memory_limit_mb = 0;
  int threads = 0;  // 0 = one per core
  // false: the plain search, without the pruning of indeterminate operations (for tests and
  // benchmarks; see SearchLinearization).
  bool reductions = true;
  // false: every key is searched, even when all its written values are unique (see
  // unique_values.h; for tests and benchmarks).
  bool unique_fast_path = true;
};

// An operation as a report shows it.
struct OpRef {
  int64_t process = 0;
  std::string f;
  Value value;
  OpStatus status = OpStatus::kOk;
  int64_t invoke_index = 0;
  int64_t complete_index = -1;  // -1: never completed
  // The index that names the operation: its completion's, or its invoke's if it never completed.
  int64_t index() const { return complete_index >= 0 ? complete_index : invoke_index; }
  std::string text;  // e.g. "read -> 3", "cas 1 -> 2 (info)"
  std::string node;  // the node that served it, when the history says ("n2"); else empty
};

struct Counterexample {
  OpRef op;                         // the first completed operation that cannot be linearized
  std::vector<OpRef> concurrent;    // operations whose intervals overlap op's
  std::vector<std::string> states;  // model states reachable just before op (rendered, capped)
  bool states_truncated = false;
  std::vector<OpRef> prefix;  // the longest linearizable prefix, in linearization order
  std::string reason;         // why the model rejects op in each of those states
};

struct KeyResult {
  bool has_key = false;
  Value key;
  Verdict verdict = Verdict::kValid;
  std::string cause;  // for unknown: "timeout", "memory-limit"; for invalid: a short summary
  uint64_t ops = 0;
  uint64_t steps = 0;          // model steps taken by the search
  uint64_t cache_entries = 0;  // memoized (linearized set, state) configurations
  double ms = 0;
  bool fast_path = false;  // decided by the unique-value fast path, without a search
  std::optional<Counterexample> counterexample;
};

struct CheckResult {
  Verdict verdict = Verdict::kValid;  // invalid if any key is; else unknown if any key is
  std::string cause;
  std::string model;
  std::vector<KeyResult> keys;  // in order of first appearance in the history
  uint64_t ops = 0;
  uint64_t steps = 0;
  double ms = 0;
  uint64_t peak_memory_bytes = 0;  // the search's accounted memory at its peak
  uint64_t memory_limit_mb = 0;    // the limit applied; 0 = none
};

// Errors: an unknown model, an --initial the model cannot take, a history whose operations do
// not pair (see PairOperations), an operation the model does not know (e.g. f "dequeue" for
// "register"). All one line.
base::Result<CheckResult> CheckHistory(const History& history, const CheckOptions& options);

// The names of all models, for --help and error messages.
std::vector<std::string> ModelNames();

}  // namespace faultline::checker
