// lock: fencing tokens (Kleppmann 2016). Each worker cycles acquire -> guarded write -> release:
//   acquire: Acquire(lock, owner, ttl = lease_ms) -> token;
//   write:   the resource keeps {"token": t} of the last accepted writer and turns away a lower
//            token: Get it; if it holds a higher token, fail "stale-token"; else
//            Cas(old, {"token": mine}) (a CAS loop, so two holders cannot both pass the check);
//   release: Release(lock, owner, token).
// About one holder in five (drawn from the seed) sleeps 1.5 leases before its write, as a GC
// pause would: its lease runs out, another worker gets a higher token, and the sleeper's write
// must then be refused. A store whose locks or reads are not linearizable lets it through.
//
// Keys: one lock per group of workers for the whole run, L = the group (no rotation: a lock
// must stay contended for longer than a lease, or nobody takes over from a paused holder and
// the stale write this workload exists to provoke never happens). The history gives the lock
// key 2L and its resource key 2L+1, so per-key checking separates them; on the wire they are
// "l<2L>" and "w<2L+1>".
//
// The pause happens in Next, before the write's invoke is recorded: a pause inside Execute would
// put the invoke before the other holder's acquire, and the history would then allow the late
// write to be ordered first, hiding exactly the anomaly the pause provokes.
//
// The worker's next step depends on its completions: acquire ok -> write; acquire fail or info
// -> acquire again (no known token); after the write, whatever its outcome -> release; after
// the release, whatever its outcome -> acquire.
//
// Checks: linearizability of acquire/release with the fencing-lock model, the fencing checker on
// the writes (and on duplicate grants), and the mutex checker (checker/mutex_checker.h): did two
// clients ever hold a lock at once? An overlap after the earlier holder's lease (lease_ms) could
// have run out is reported but valid (this workload provokes it on purpose; the fencing checker
// says whether it was safe); an overlap while both leases certainly ran is invalid.
#include <chrono>
#include <thread>
#include <vector>

#include "checker/fencing_checker.h"
#include "checker/mutex_checker.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Op;
using checker::Value;

constexpr int64_t kPauseOneIn = 5;

class LockWorkload : public Workload {
 public:
  explicit LockWorkload(const WorkloadOptions& o)
      : schedule_(o.concurrency, o.group_size, o.ops_per_key),
        lease_ms_(o.lease_ms),
        sleep_ms_(o.sleep_ms) {
    for (int w = 0; w < o.concurrency; ++w) workers_.emplace_back(base::Rng::ForStream(o.seed, w));
    if (!sleep_ms_) {
      sleep_ms_ = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
    }
  }

  std::string name() const override { return "lock"; }

  Op Next(int worker) override {
    Worker& w = workers_.at(worker);
    ++w.n;
    switch (w.phase) {
      case Phase::kAcquire:
        w.lock = schedule_.group(worker);
        w.owner = "w" + std::to_string(worker) + "-" + std::to_string(w.acquires++);
        w.pause = w.rng.Uniform(kPauseOneIn) == 0;
        return MakeOp("acquire", 2 * w.lock, Value());
      case Phase::kWrite:
        if (w.pause) sleep_ms_(lease_ms_ + lease_ms_ / 2);
        return MakeOp("write", 2 * w.lock + 1, Value::Int(w.token));
      case Phase::kRelease:
        return MakeOp("release", 2 * w.lock, Value::Int(w.token));
    }
    return Op{};
  }

  Completion Execute(targets::Client& client, int worker, const Op& op) override {
    Worker& w = workers_.at(worker);
    if (op.f == "acquire") {
      Completion c = client.Acquire(WireKey("l", op.key), w.owner, lease_ms_);
      if (c.type == EventType::kOk && !c.value.is_int()) {
        // The lock was granted with a token we cannot use; the lease will run out.
        c.type = EventType::kInfo;
        c.error = "bad-token";
        c.value = Value();
      }
      if (c.type == EventType::kOk) {
        w.token = c.value.as_int();
        w.phase = Phase::kWrite;
      }
      return c;
    }
    if (op.f == "write") {
      w.phase = Phase::kRelease;
      return GuardedWrite(client, WireKey("w", op.key), op.value);
    }
    if (op.f == "release") {
      w.phase = Phase::kAcquire;
      Completion c = client.Release(WireKey("l", op.key), w.owner, op.value.as_int());
      c.value = op.value;
      return c;
    }
    Completion c;
    c.type = EventType::kFail;
    c.error = "unknown-op";
    return c;
  }

  std::vector<Op> FinalReads() const override { return {}; }

  base::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                 const CheckSettings& settings) const override {
    base::Result<checker::FencingCheckResult> fencing = checker::CheckFencing(history);
    if (!fencing.ok()) return fencing.status();
    base::Result<checker::MutexCheckResult> mutex =
        checker::CheckMutex(history, lease_ms_ * 1000000);
    if (!mutex.ok()) return mutex.status();
    std::vector<CheckerResult> out;
    out.push_back(
        CheckLinearizableOrUnknown(history, "fencing-lock", settings, {"acquire", "release"}));
    out.push_back(CheckerResult{"fencing", fencing->verdict, fencing->summary,
                                checker::FencingCheckResultToValue(*fencing)});
    out.push_back(CheckerResult{"mutex", mutex->verdict, mutex->summary,
                                checker::MutexCheckResultToValue(*mutex)});
    out.push_back(CheckStatsResult(history, {"acquire", "write", "release"}));
    return out;
  }

 private:
  enum class Phase { kAcquire, kWrite, kRelease };

  struct Worker {
    explicit Worker(base::Rng r) : rng(r) {}
    base::Rng rng;
    int64_t n = 0;  // operations generated so far
    Phase phase = Phase::kAcquire;
    int64_t lock = 0;  // the lock id of the current cycle
    std::string owner;
    int64_t acquires = 0;
    int64_t token = 0;   // valid in kWrite and kRelease
    bool pause = false;  // sleep past the lease before this cycle's write
  };

  // The resource turns away a token lower than the one it holds ("stale-token").
  static Completion GuardedWrite(targets::Client& client, const std::string& key,
                                 const Value& token) {
    return CasLoop(client, key, token,
                   [&token](const Value& current, std::string* refusal) -> std::optional<Value> {
                     if (!current.is_null()) {
                       const Value* stored = current.find("token");
                       if (!stored || !stored->is_int()) {
                         *refusal = "bad-resource";
                         return std::nullopt;
                       }
                       if (stored->as_int() > token.as_int()) {
                         *refusal = "stale-token";
                         return std::nullopt;
                       }
                     }
                     return Value::MakeObject({{"token", token}});
                   });
  }

  KeySchedule schedule_;
  int64_t lease_ms_;
  std::function<void(int64_t)> sleep_ms_;
  std::vector<Worker> workers_;  // workers_[w] is touched only by worker w's thread
};

}  // namespace

std::unique_ptr<Workload> MakeLockWorkload(const WorkloadOptions& options) {
  return std::make_unique<LockWorkload>(options);
}

}  // namespace faultline::workloads
