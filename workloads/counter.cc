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
    for (int w = 0; w < o.concurrency; ++w) workers_.push_back(Worker{Rng(o.seed, w), 0});
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

  checker::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                    const CheckSettings& settings) const override {
    checker::Result<checker::CounterCheckResult> counter = checker::CheckCounter(history);
    if (!counter.ok()) return counter.status();
    std::vector<CheckerResult> out;
    out.push_back(CheckerResult{"counter", counter->verdict, counter->summary,
                                checker::CounterCheckResultToValue(*counter)});
    out.push_back(CheckLinearizableOrUnknown(history, "counter", settings));
    return out;
  }

 private:
  // ok once a Cas succeeded; info as soon as one Cas is indeterminate; fail when every attempt
  // definitely failed.
  static Completion Add(targets::Client& client, const std::string& key, const Value& n) {
    Completion last;
    last.error = "no-attempt";
    for (int attempt = 0; attempt < kCasAttemptsMax; ++attempt) {
      Completion got = client.Get(key);
      if (got.type != EventType::kOk) {
        last = got;
        continue;
      }
      int64_t current = 0;
      if (got.value.is_int()) {
        current = got.value.as_int();
      } else if (!got.value.is_null()) {
        return Done(EventType::kFail, "not-a-counter", got.node, n);
      }
      int64_t sum;
      if (__builtin_add_overflow(current, n.as_int(), &sum)) {
        return Done(EventType::kFail, "overflow", got.node, n);
      }
      Completion cas = client.Cas(key, got.value, Value::Int(sum));
      if (cas.type == EventType::kOk) return Done(EventType::kOk, "", cas.node, n);
      if (cas.type == EventType::kInfo) return Done(EventType::kInfo, cas.error, cas.node, n);
      last = cas;
    }
    return Done(EventType::kFail, "retries-exhausted: " + last.error, last.node, n);
  }

  static Completion Done(EventType type, std::string error, std::string node, const Value& n) {
    Completion c;
    c.type = type;
    c.value = n;
    c.error = std::move(error);
    c.node = std::move(node);
    return c;
  }

  struct Worker {
    Rng rng;
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
