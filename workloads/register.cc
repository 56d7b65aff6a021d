// register: reads, writes and compare-and-sets on independent keys, judged by linearizability
// against the cas-register model (Knossos's classic workload). Every value written is unique in
// the run (1 + n * concurrency + worker for a worker's n-th operation), and a cas moves from the
// last value the worker saw on its key (null on a fresh key) to a fresh one, so every history
// is decided by the checker's unique-value fast path rather than a search (checker/
// unique_values.h). Unique values also make every stale read visible: a read of a value that
// was overwritten before it began can never be mistaken for a later write of the same value.
// At the end every key any worker touched is read on every node (FinalReads), so an
// acknowledged write the store later lost is a linearizability violation even on a key the
// workers had left.
//
// Over the wire, history key 7 is "r7".
#include <vector>

#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::Op;
using checker::Value;

class RegisterWorkload : public Workload {
 public:
  explicit RegisterWorkload(const WorkloadOptions& o)
      : schedule_(o.concurrency, o.group_size, o.ops_per_key), concurrency_(o.concurrency) {
    for (int w = 0; w < o.concurrency; ++w)
      workers_.push_back(Worker{base::Rng::ForStream(o.seed, w), 0, -1, Value()});
  }

  std::string name() const override { return "register"; }

  Op Next(int worker) override {
    Worker& w = workers_.at(worker);
    const int64_t n = w.n++;
    const int64_t key = schedule_.KeyId(worker, n);
    if (key != w.seen_key) {  // a fresh key: nobody has written it yet
      w.seen_key = key;
      w.seen = Value();
    }
    const Value fresh = Value::Int(1 + n * concurrency_ + worker);
    switch (w.rng.Uniform(3)) {
      case 0:
        return MakeOp("read", key, Value());
      case 1:
        return MakeOp("write", key, fresh);
      default:
        return MakeOp("cas", key, Value::MakeArray({w.seen, fresh}));
    }
  }

  Completion Execute(targets::Client& client, int worker, const Op& op) override {
    const std::string key = WireKey("r", op.key);
    Completion c;
    if (op.f == "read") {
      c = client.Get(key);
    } else if (op.f == "write") {
      c = client.Put(key, op.value);
    } else if (op.f == "cas" && op.value.is_array() && op.value.as_array().size() == 2) {
      c = client.Cas(key, op.value.as_array()[0], op.value.as_array()[1]);
    } else {
      c.type = checker::EventType::kFail;
      c.error = "unknown-op";
      return c;
    }
    // What this worker saw last on its key, for its next cas.
    if (c.type == checker::EventType::kOk && worker >= 0 &&
        worker < static_cast<int>(workers_.size())) {
      Worker& w = workers_[worker];
      if (op.key.is_int() && op.key.as_int() == w.seen_key) {
        w.seen = op.f == "read" ? c.value : op.f == "write" ? op.value : op.value.as_array()[1];
      }
    }
    if (op.f != "read") c.value = op.value;  // the completion repeats the argument
    return c;
  }

  // Every key any worker reached, once per node, after healing: the workers move on to fresh keys
  // while a node is down, so without these a write acknowledged and then lost (a leader that
  // acknowledged before it saved or replicated) is never read again and the history stays
  // linearizable. Called alone after the workers stopped.
  std::vector<Op> FinalReads() const override {
    std::vector<int64_t> ops;
    for (const Worker& w : workers_) ops.push_back(w.n);
    std::vector<Op> reads;
    for (int64_t k : schedule_.KeysReached(ops)) reads.push_back(MakeOp("read", k, Value()));
    return reads;
  }

  base::Result<std::vector<CheckerResult>> Check(const checker::History& history,
                                                 const CheckSettings& settings) const override {
    base::Result<CheckerResult> lin = CheckLinearizable(history, "cas-register", settings);
    if (!lin.ok()) return lin.status();
    std::vector<CheckerResult> out;
    out.push_back(std::move(*lin));
    out.push_back(CheckStatsResult(history, {"read", "write", "cas"}));
    return out;
  }

 private:
  struct Worker {
    base::Rng rng;
    int64_t n;         // operations generated so far
    int64_t seen_key;  // the key of the last operation generated
    Value seen;        // the last value this worker saw on it (read, wrote or cas'ed to)
  };
  KeySchedule schedule_;
  int64_t concurrency_;
  std::vector<Worker> workers_;  // workers_[w] is touched only by worker w's thread
};

}  // namespace

std::unique_ptr<Workload> MakeRegisterWorkload(const WorkloadOptions& options) {
  return std::make_unique<RegisterWorkload>(options);
}

}  // namespace faultline::workloads
