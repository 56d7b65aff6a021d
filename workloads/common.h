// Pieces the built-in workloads share: the key schedule,
// wire key names, the linearizability checker wrapper and the factories MakeWorkload calls.
// Internal to workloads/ (and its tests).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/rand.h"
#include "workloads/workload.h"

namespace faultline::workloads {

// Independent keys (workload.h): workers 0..concurrency-1 form groups of `group_size`
// consecutive workers (the last group may be smaller); a group moves to a fresh key after
// `ops_per_key` operations, i.e. after ops_per_key / group_size of each member's operations.
// Key ids never repeat: generation * groups + group.
class KeySchedule {
 public:
  // REQUIRES: concurrency >= 1, ops_per_key >= 1. group_size is clamped to [1, concurrency].
  KeySchedule(int concurrency, int group_size, int ops_per_key);

  int groups() const { return groups_; }
  int group(int worker) const { return worker / group_size_; }
  int64_t ops_per_worker_per_key() const { return per_worker_; }
  int64_t generation(int64_t n) const { return n / per_worker_; }
  // The key of worker `worker`'s n-th operation (n from 0).
  int64_t KeyId(int worker, int64_t n) const { return generation(n) * groups_ + group(worker); }
  // Every key some worker reached, in order, given how many operations each worker generated
  // (ops_by_worker[w]): for each group, every generation up to the furthest any member got to.
  std::vector<int64_t> KeysReached(const std::vector<int64_t>& ops_by_worker) const;

 private:
  int group_size_;
  int groups_;
  int64_t per_worker_;
};

// A history key (an integer) as the KV protocol names it: prefix + number, e.g. "r7".
std::string WireKey(const std::string& prefix, const checker::Value& key);

checker::Op MakeOp(std::string f, int64_t key, checker::Value value);

// Bound on the requests of one CAS loop (set add, counter add, guarded write): contention
// makes mismatches routine, a partition makes failures routine, and a worker must not spin.
inline constexpr int kCasAttemptsMax = 10;

// The read-modify-CAS loop behind the set's add, the counter's add and the lock's guarded write:
// Get the key, ask `update` for the value to put in its place, Cas(old, new), again on a
// definite failure (a mismatch, a not-leader, an unreadable key: a Get changes nothing), up to
// kCasAttemptsMax times. `update` returns nullopt with *refusal set when the current value
// forbids the write (e.g. "stale-token"): the operation then fails without writing.
// The completion is ok once a Cas succeeded, info as soon as one Cas is indeterminate (it may
// have been applied, and retrying could not tell), fail otherwise ("retries-exhausted: <last
// error>"); its value is `arg`, the operation's argument.
using CasUpdate = std::function<std::optional<checker::Value>(const checker::Value& current,
                                                              std::string* refusal)>;
checker::Completion CasLoop(targets::Client& client, const std::string& key,
                            const checker::Value& arg, const CasUpdate& update);

// Runs the linearizability checker on `history` with `model` and wraps the result. Only events
// whose f is in `fs` are kept (empty = all); an operation's invoke and completion share f, so
// filtering keeps the pairing intact.
base::Result<CheckerResult> CheckLinearizable(const checker::History& history,
                                              const std::string& model,
                                              const CheckSettings& settings,
                                              const std::vector<std::string>& fs = {});

// As CheckLinearizable, but a history the model cannot take (a read of the wrong shape, which
// the workload's own checker already reports) gives an "unknown" result instead of an error,
// so the other checkers' verdicts still stand.
CheckerResult CheckLinearizableOrUnknown(const checker::History& history, const std::string& model,
                                         const CheckSettings& settings,
                                         const std::vector<std::string>& fs = {});

// The stats checker (checker/stats_checker.h) as a CheckerResult named "stats": unknown when no
// operation, or no operation of one of the kinds `fs` the workload issues, ever succeeded.
CheckerResult CheckStatsResult(const checker::History& history, const std::vector<std::string>& fs);

std::unique_ptr<Workload> MakeRegisterWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeSetWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeCounterWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeLockWorkload(const WorkloadOptions& options);

}  // namespace faultline::workloads
