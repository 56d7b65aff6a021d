// counter: workers add small positive amounts to counters and read them. The store has no
// increment, so an add is a client-side CAS loop: Get v (absent = 0), Cas(v, v + n). Keys rotate
// as workload.h describes ("c<id>" on the wire), which keeps each counter's sub-history small
// enough for the linearizability search.
//
// Checks: the counter checker (every ok read within its bounds, see counter_checker.h) and
// linearizability with the counter model per key. Final reads: every counter key any worker
// touched, once per node.
#include <algorithm>
#include <map>
#include <vector>

#include "checker/counter_checker.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Op;
using checker::Value;

constexpr int64_t kAddMax = 5;
constexpr int64_t kReadOneIn = 3;

class CounterWorkload : public Workload {
 public:
  explicit CounterWorkload(const WorkloadOptions& o)
      : schedule_(o.concurrency, o.group_size, o.ops_per_key) {
    for (int w = 0; w < o.concurrency; ++w)
      workers_.push_back(Worker{base::Rng::ForStream(o.seed, w), 0});
  }

  std::string name() const override { return "counter"; }

  Op Next(int worker) override {
    Worker& w = workers_.at(worker);
    const int64_t key = schedule_.KeyId(worker, w.n++);
    if (w.rng.Uniform(kReadOneIn) == 0) return MakeOp("read", key, Value());
    return MakeOp("add", key, Value::Int(1 + w.rng.Uniform(kAddMax)));
  }

  Completion Execute(targets::Client& client, int, const Op& op) override {
    const std::string key = WireKey("c", op.key);
    if (op.f == "read") {
      Completion c = client.Get(key);
      if (c.type == EventType::kOk && c.value.is_null()) c.value = Value::Int(0);
      return c;
    }
    if (op.f == "add" && op.value.is_int()) return Add(client, key, op.value);
    Completion c;
    c.type = EventType::kFail;
    c.error = "unknown-op";
    return c;
  }

  // Called alone after the workers stopped: reads every worker's progress.
  std::vector<Op> FinalReads() const override {
    std::vector<int64_t> ops;
    for (const Worker& w : workers_) ops.push_back(w.n);
    std::vector<Op> reads;
    for (int64_t k : schedule_.KeysReached(ops)) reads.push_back(MakeOp("read", k, Value()));
    return reads;
  }

  base::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                 const CheckSettings& settings) const override {
    base::Result<checker::CounterCheckResult> counter = checker::CheckCounter(history);
    if (!counter.ok()) return counter.status();
    std::vector<CheckerResult> out;
    out.push_back(CheckerResult{"counter", counter->verdict, counter->summary,
                                checker::CounterCheckResultToValue(*counter)});
    out.push_back(CheckLinearizableOrUnknown(history, "counter", settings));
    out.push_back(CheckStatsResult(history, {"add", "read"}));
    return out;
  }

 private:
  // Outcomes as CasLoop (common.h) says.
  static Completion Add(targets::Client& client, const std::string& key, const Value& n) {
    return CasLoop(
        client, key, n, [&n](const Value& current, std::string* refusal) -> std::optional<Value> {
          if (!current.is_int() && !current.is_null()) {
            *refusal = "not-a-counter";
            return std::nullopt;
          }
          int64_t sum;
          if (__builtin_add_overflow(current.is_int() ? current.as_int() : 0, n.as_int(), &sum)) {
            *refusal = "overflow";
            return std::nullopt;
          }
          return Value::Int(sum);
        });
  }

  struct Worker {
    base::Rng rng;
    int64_t n;  // operations generated so far
  };
  KeySchedule schedule_;
  std::vector<Worker> workers_;  // workers_[w] is touched only by worker w's thread
};

}  // namespace

std::unique_ptr<Workload> MakeCounterWorkload(const WorkloadOptions& options) {
  return std::make_unique<CounterWorkload>(options);
}

}  // namespace faultline::workloads
