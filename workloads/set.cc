// set: workers add unique integers to a set held as a JSON array under one key, and now and then
// read it whole. The store has no set type, so an add is a client-side CAS loop: Get the array,
// Cas(old, old + [x]). An absent key reads as null and raftkv's CAS compares against null for an
// absent key (targets/raft/kv/state_machine.cc), so the first add is Cas(null, [x]).
//
// Keys: the rotation of workload.h, like every other workload: a group of workers adds to one
// set for ops_per_key operations, then starts a fresh one ("s<id>" on the wire). Every set is
// read on every node at the end, so an acknowledged add lost anywhere in the run is still found;
// and each set's history stays short enough for the linearizability check. (One set for the
// whole run made that check hopeless: a minute's run put 12,000 operations on one key, whose
// states are sets of thousands of elements.)
//
// Elements: worker * 10^9 + the worker's add count, unique without coordination and a pure
// function of (worker, n).
//
// Checks: the set checker (final reads: the reads after the last add, see set_checker.h) and
// linearizability with the set model (every ok read must equal the whole set).
#include <algorithm>
#include <map>
#include <vector>

#include "checker/set_checker.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Op;
using checker::Value;

constexpr int64_t kElementsPerWorker = 1'000'000'000;
constexpr int64_t kReadOneIn = 8;  // reads are expensive (the whole array) and add no coverage

class SetWorkload : public Workload {
 public:
  explicit SetWorkload(const WorkloadOptions& o)
      : schedule_(o.concurrency, o.group_size, o.ops_per_key) {
    for (int w = 0; w < o.concurrency; ++w)
      workers_.push_back(Worker{base::Rng::ForStream(o.seed, w), 0});
  }

  std::string name() const override { return "set"; }

  Op Next(int worker) override {
    Worker& w = workers_.at(worker);
    const int64_t key = schedule_.KeyId(worker, w.n++);
    if (w.rng.Uniform(kReadOneIn) == 0) return MakeOp("read", key, Value());
    return MakeOp("add", key, Value::Int(worker * kElementsPerWorker + w.adds++));
  }

  Completion Execute(targets::Client& client, int, const Op& op) override {
    const std::string key = WireKey("s", op.key);
    if (op.f == "read") {
      Completion c = client.Get(key);
      if (c.type == EventType::kOk && c.value.is_null()) c.value = Value::MakeArray({});
      return c;
    }
    if (op.f == "add") return Add(client, key, op.value);
    Completion c;
    c.type = EventType::kFail;
    c.error = "unknown-op";
    return c;
  }

  std::vector<Op> FinalReads() const override {
    std::vector<int64_t> ops;
    for (const Worker& w : workers_) ops.push_back(w.n);
    std::vector<Op> reads;
    for (int64_t k : schedule_.KeysReached(ops)) reads.push_back(MakeOp("read", k, Value()));
    return reads;
  }

  base::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                 const CheckSettings& settings) const override {
    base::Result<checker::SetCheckResult> set = checker::CheckSet(history);
    if (!set.ok()) return set.status();
    std::vector<CheckerResult> out;
    out.push_back(
        CheckerResult{"set", set->verdict, set->summary, checker::SetCheckResultToValue(*set)});
    out.push_back(CheckLinearizableOrUnknown(history, "set", settings));
    out.push_back(CheckStatsResult(history, {"add", "read"}));
    return out;
  }

 private:
  // Outcomes as CasLoop (common.h) says.
  static Completion Add(targets::Client& client, const std::string& key, const Value& x) {
    return CasLoop(
        client, key, x, [&x](const Value& current, std::string* refusal) -> std::optional<Value> {
          if (!current.is_array() && !current.is_null()) {
            *refusal = "not-a-set";
            return std::nullopt;
          }
          Value::Array elements = current.is_array() ? current.as_array() : Value::Array{};
          elements.push_back(x);
          return Value::MakeArray(std::move(elements));
        });
  }

  struct Worker {
    base::Rng rng;
    int64_t adds;   // elements generated so far
    int64_t n = 0;  // operations generated so far (the key rotation)
  };
  KeySchedule schedule_;
  std::vector<Worker> workers_;  // workers_[w] is touched only by worker w's thread
};

}  // namespace

std::unique_ptr<Workload> MakeSetWorkload(const WorkloadOptions& options) {
  return std::make_unique<SetWorkload>(options);
}

}  // namespace faultline::workloads
