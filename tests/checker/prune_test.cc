// The search's reductions for indeterminate operations (subsumption, droppable writes,
// indeterminate candidates last; see SearchLinearization) change no verdict:
// 1. thousands of small generated histories (cas-register with small values, unique appends on
//    kv, both with many indeterminate operations), as generated and mutated, get the verdict of
//    the independent brute force in tests/checker/brute_force.h;
// 2. hundreds of larger ones (etcd-like: 40 operations, 5 clients, 20-40% indeterminate, some
//    with a corrupted read) get the plain search's verdict and failing operation;
// 3. the reductions do prune: fewer steps on the etcd-like shape with a corrupted read.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "checker/check.h"
#include "checker/model.h"
#include "tests/checker/brute_force.h"
#include "tests/checker/hard_histories.h"

namespace faultline::checker {
namespace {

using testing::GenerateHard;
using testing::HardShape;

CheckResult Check(const History& h, const std::string& model, bool reductions) {
  CheckOptions o;
  o.model = model;
  o.threads = 1;
  o.reductions = reductions;
  o.memory_limit_mb = 512;
  base::Result<CheckResult> r = CheckHistory(h, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CheckResult{};
}

// Changes one ok read's result (to a value drawn like the generator's, or one never written),
// or swaps two adjacent events of different processes.
void Mutate(History* h, const HardShape& shape, base::Rng& rng) {
  std::vector<size_t> reads;
  for (size_t i = 0; i < h->events.size(); ++i) {
    const Event& e = h->events[i];
    if (e.type == EventType::kOk && (e.f == "read" || e.f == "get")) reads.push_back(i);
  }
  if (!reads.empty() && rng.Uniform(2) == 0) {
    Event& e = h->events[reads[rng.Uniform(reads.size())]];
    if (shape.kind == "append") {
      std::string v = e.value.is_string() ? e.value.as_string() : "";
      // Drop a token, or keep a prefix: both are plausible stale or torn reads.
      const size_t cut = v.empty() ? 0 : rng.Uniform(v.size());
      const size_t start = v.rfind('x', cut);
      if (start != std::string::npos) {
        const size_t end = v.find('y', start);
        v.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
      }
      e.value = Value::String(v);
    } else {
      e.value = Value::Int(static_cast<int64_t>(rng.Uniform(shape.values + 1)));
    }
    return;
  }
  if (h->events.size() > 2) {
    const size_t i = rng.Uniform(h->events.size() - 1);
    if (h->events[i].process != h->events[i + 1].process) {
      std::swap(h->events[i], h->events[i + 1]);
      std::swap(h->events[i].index, h->events[i + 1].index);
    }
  }
}

TEST(Prune, SmallHistoriesAgreeWithBruteForce) {
  int compared = 0, invalid = 0, with_info = 0;
  for (const char* kind : {"register", "append"}) {
    std::unique_ptr<Model> model = MakeModel(kind == std::string("append") ? "kv" : "cas-register");
    for (uint64_t seed = 1; seed <= 1500; ++seed) {
      base::Rng rng(seed * 31 + 5);
      HardShape shape;
      shape.kind = kind;
      shape.keyed = false;
      shape.clients = 1 + static_cast<int>(rng.Uniform(4));
      shape.ops_per_key = 2 + static_cast<int>(rng.Uniform(7));
      shape.info = 0.1 * static_cast<double>(rng.Uniform(6));  // 0 to 50%
      shape.values = 2 + static_cast<int>(rng.Uniform(3));
      shape.reads = 0.4;
      shape.seed = seed;
      History h = GenerateHard(shape);
      if (seed % 3 != 0) Mutate(&h, shape, rng);
      base::Result<std::vector<Operation>> paired = PairOperations(h);
      if (!paired.ok()) continue;  // a swap can break pairing; not a comparison
      const Value initial = shape.kind == "append" ? Value::String("") : Value::Null();
      const bool brute = BruteForceLinearizable(*model, initial, h);
      const CheckResult r = Check(h, shape.model(), true);
      ASSERT_EQ(r.verdict, brute ? Verdict::kValid : Verdict::kInvalid)
          << kind << " seed " << seed << ": " << r.cause;
      ++compared;
      invalid += !brute;
      with_info += std::any_of(paired->begin(), paired->end(),
                               [](const Operation& op) { return op.status == OpStatus::kInfo; });
    }
  }
  EXPECT_GT(compared, 2500);
  EXPECT_GT(invalid, 400);
  EXPECT_GT(with_info, 1000);
}

TEST(Prune, EtcdLikeHistoriesAgreeWithThePlainSearch) {
  uint64_t plain_steps = 0, reduced_steps = 0;
  int invalid = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    base::Rng rng(seed * 131 + 1);
    HardShape shape;  // cas-register, one key, values 0-4
    shape.keyed = false;
    shape.ops_per_key = 40;
    shape.info = seed % 2 ? 0.2 : 0.4;
    shape.corrupt_keys = seed % 4 == 0;
    shape.seed = seed;
    History h = GenerateHard(shape);
    if (seed % 4 == 1) Mutate(&h, shape, rng);
    if (!PairOperations(h).ok()) continue;
    const CheckResult plain = Check(h, shape.model(), false);
    const CheckResult reduced = Check(h, shape.model(), true);
    ASSERT_NE(plain.verdict, Verdict::kUnknown) << "seed " << seed;
    ASSERT_EQ(reduced.verdict, plain.verdict) << "seed " << seed << ": " << reduced.cause;
    if (plain.verdict == Verdict::kInvalid) {
      ++invalid;
      ASSERT_TRUE(plain.keys[0].counterexample && reduced.keys[0].counterexample);
      EXPECT_EQ(reduced.keys[0].counterexample->op.index(),
                plain.keys[0].counterexample->op.index())
          << "seed " << seed;
    }
    plain_steps += plain.steps;
    reduced_steps += reduced.steps;
  }
  EXPECT_GT(invalid, 60);
  EXPECT_LT(reduced_steps, plain_steps);
}

// Model::Droppable, directly: only indeterminate writes of values nothing observed.
TEST(Prune, DroppableWritesAreTheUnobservedOnes) {
  auto op = [](std::string f, Value v, OpStatus s) {
    Operation o;
    o.f = std::move(f);
    o.value = std::move(v);
    o.status = s;
    return o;
  };
  std::unique_ptr<Model> reg = MakeModel("cas-register");
  std::vector<Operation> ops = {
      op("write", Value::Int(1), OpStatus::kInfo),  // read below: kept
      op("write", Value::Int(2), OpStatus::kInfo),  // unobserved: dropped
      op("cas", Value::MakeArray({Value::Int(3), Value::Int(4)}), OpStatus::kInfo),  // dropped
      op("write", Value::Int(3), OpStatus::kInfo),  // a cas compares with 3: kept
      op("read", Value::Int(1), OpStatus::kOk),
      op("write", Value::Int(5), OpStatus::kOk),  // determinate: kept
  };
  std::vector<const Operation*> p;
  for (const Operation& o : ops) p.push_back(&o);
  EXPECT_EQ(reg->Droppable(p), (std::vector<char>{0, 1, 1, 0, 0, 0}));
  // A mismatch observation anywhere on the key: nothing is dropped (removing a write could
  // make the compare match).
  ops.push_back(op("cas", Value::MakeArray({Value::Int(7), Value::Int(8)}), OpStatus::kMismatch));
  p.push_back(&ops.back());
  EXPECT_TRUE(reg->Droppable(p).empty());

  std::unique_ptr<Model> kv = MakeModel("kv");
  std::vector<Operation> kops = {
      op("append", Value::String("ab"), OpStatus::kInfo),  // seen inside "xaby": kept
      op("append", Value::String("zz"), OpStatus::kInfo),  // never seen: dropped
      op("append", Value::String(""), OpStatus::kInfo),    // changes nothing: dropped
      op("get", Value::String("xaby"), OpStatus::kOk),
  };
  std::vector<const Operation*> kp;
  for (const Operation& o : kops) kp.push_back(&o);
  EXPECT_EQ(kv->Droppable(kp), (std::vector<char>{0, 1, 1, 0}));

  std::unique_ptr<Model> set = MakeModel("set");
  std::vector<Operation> sops = {
      op("add", Value::Int(1), OpStatus::kInfo),  // read contains 1: kept
      op("add", Value::Int(2), OpStatus::kInfo),  // dropped
      op("read", Value::MakeArray({Value::Int(1)}), OpStatus::kOk),
  };
  std::vector<const Operation*> sp;
  for (const Operation& o : sops) sp.push_back(&o);
  EXPECT_EQ(set->Droppable(sp), (std::vector<char>{0, 1, 0}));
}

}  // namespace
}  // namespace faultline::checker
