// The unique-value fast path (checker/unique_values.h) never answers differently from the
// search:
// 1. thousands of generated histories with unique values (cas-register with unique writes and
//    cas targets, kv with unique appends; many indeterminate operations), as generated and
//    mutated (a read given another write's value, a get missing a string, two events swapped),
//    get the search's verdict and, when invalid, its failing operation. The fast path must
//    decide most of them, or this tests nothing;
// 2. counterexamples in words, for the shapes a person meets;
// 3. the 50-client unique-append shape, every key bad, is decided without a search.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "checker/check.h"
#include "tests/checker/hard_histories.h"
#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using testing::GenerateHard;
using testing::HardShape;
using testing::HistoryBuilder;

CheckResult Check(const History& h, const std::string& model, bool fast) {
  CheckOptions o;
  o.model = model;
  o.threads = 1;
  o.unique_fast_path = fast;
  o.memory_limit_mb = 256;
  o.timeout_s = 2;
  base::Result<CheckResult> r = CheckHistory(h, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CheckResult{};
}

// Mutations that keep every written value unique: a read returns another write's value (stale
// or from the future) or one never written; a get loses one appended string or is cut short;
// two adjacent events of different processes swap.
void Mutate(History* h, const HardShape& shape, base::Rng& rng) {
  std::vector<size_t> reads;
  std::vector<Value> written;
  for (size_t i = 0; i < h->events.size(); ++i) {
    const Event& e = h->events[i];
    if (e.type == EventType::kOk && (e.f == "read" || e.f == "get")) reads.push_back(i);
    if (e.type == EventType::kInvoke && e.f == "write") written.push_back(e.value);
    if (e.type == EventType::kInvoke && e.f == "cas") written.push_back(e.value.as_array()[1]);
  }
  const uint64_t what = rng.Uniform(3);
  if (!reads.empty() && what < 2) {
    Event& e = h->events[reads[rng.Uniform(reads.size())]];
    if (shape.kind == "append") {
      std::string v = e.value.is_string() ? e.value.as_string() : "";
      const size_t cut = v.empty() ? 0 : rng.Uniform(v.size());
      const size_t start = v.rfind('x', cut);
      if (start != std::string::npos) {
        const size_t end = v.find('y', start);
        if (what == 0) {
          v.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
        } else {
          v.erase(cut);  // a prefix, maybe inside a string
        }
      }
      e.value = Value::String(v);
    } else if (!written.empty() && what == 0) {
      e.value = written[rng.Uniform(written.size())];
    } else {
      e.value = Value::Int(-1 - static_cast<int64_t>(rng.Uniform(2)));
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

TEST(UniqueValues, AgreesWithTheSearchOnGeneratedHistories) {
  int compared = 0, invalid = 0, fast = 0, fast_invalid = 0, with_info = 0;
  for (const char* kind : {"register", "append"}) {
    for (uint64_t seed = 1; seed <= 1500; ++seed) {
      base::Rng rng(seed * 7919 + 3);
      HardShape shape;
      shape.kind = kind;
      shape.keys = 1 + static_cast<int>(rng.Uniform(2));
      shape.clients = 1 + static_cast<int>(rng.Uniform(5));
      shape.ops_per_key = 2 + static_cast<int>(rng.Uniform(24));
      shape.info = 0.1 * static_cast<double>(rng.Uniform(4));  // 0 to 30%
      shape.values = 0;                                        // unique
      shape.reads = 0.4;
      shape.seed = seed;
      History h = GenerateHard(shape);
      if (seed % 3 != 0) Mutate(&h, shape, rng);
      if (seed % 7 == 0) Mutate(&h, shape, rng);
      if (!PairOperations(h).ok()) continue;  // a swap can break pairing
      const CheckResult search = Check(h, shape.model(), false);
      const CheckResult fastr = Check(h, shape.model(), true);
      if (search.verdict != Verdict::kUnknown && fastr.verdict != Verdict::kUnknown) {
        ASSERT_EQ(fastr.verdict, search.verdict) << kind << " seed " << seed << ": " << fastr.cause;
      }
      ASSERT_EQ(fastr.keys.size(), search.keys.size());
      for (size_t k = 0; k < fastr.keys.size(); ++k) {
        const KeyResult& f = fastr.keys[k];
        const KeyResult& s = search.keys[k];
        if (f.verdict == Verdict::kUnknown || s.verdict == Verdict::kUnknown) continue;
        ASSERT_EQ(f.verdict, s.verdict) << kind << " seed " << seed << " key " << k;
        fast += f.fast_path;
        if (s.verdict != Verdict::kInvalid) continue;
        ++invalid;
        fast_invalid += f.fast_path;
        ASSERT_TRUE(f.counterexample && s.counterexample);
        EXPECT_EQ(f.counterexample->op.index(), s.counterexample->op.index())
            << kind << " seed " << seed << " key " << k << ": " << f.cause;
        EXPECT_FALSE(f.cause.empty());
      }
      ++compared;
      base::Result<std::vector<Operation>> paired = PairOperations(h);
      with_info += std::any_of(paired->begin(), paired->end(),
                               [](const Operation& op) { return op.status == OpStatus::kInfo; });
    }
  }
  // Counts for a person reading the log; the bounds keep the test honest.
  std::printf("compared %d histories: %d invalid keys; fast path decided %d keys (%d invalid)\n",
              compared, invalid, fast, fast_invalid);
  EXPECT_GT(compared, 2800);
  EXPECT_GT(invalid, 500);
  EXPECT_GT(with_info, 1000);
  EXPECT_GT(fast_invalid, invalid / 2);
}

// A set of unique adds and whole-set reads by `clients` processes, each operation taking effect
// at one instant inside its interval; some indeterminate. Mutations drop an element from a read
// or add one nobody added.
History GenerateSet(uint64_t seed, int clients, int ops, double info, bool mutate) {
  base::Rng rng(seed);
  struct Client {
    bool active = false, applied = false, info = false, read = false;
    int64_t process = 0, element = 0;
    Value out;
  };
  std::vector<Client> cs(clients);
  for (int c = 0; c < clients; ++c) cs[c].process = c;
  std::vector<int64_t> set;
  int started = 0, active = 0;
  int64_t next = 1;
  History h{"generated-set", {}};
  auto emit = [&](const Client& c, EventType type, Value v) {
    Event e;
    e.index = static_cast<int64_t>(h.events.size());
    e.line = e.index + 1;
    e.process = c.process;
    e.type = type;
    e.f = c.read ? "read" : "add";
    e.value = std::move(v);
    h.events.push_back(std::move(e));
  };
  while (started < ops || active > 0) {
    Client& c = cs[rng.Uniform(clients)];
    if (!c.active) {
      if (started >= ops) continue;
      ++started;
      ++active;
      c.active = true;
      c.applied = false;
      c.info = rng.Uniform(1000) < info * 1000;
      c.read = rng.Uniform(5) < 2;
      c.element = next++;
      emit(c, EventType::kInvoke, c.read ? Value() : Value::Int(c.element));
    } else if (!c.applied) {
      c.applied = true;
      if (c.info && rng.Uniform(2) == 0) continue;
      if (c.read) {
        Value::Array a;
        for (int64_t e : set) a.push_back(Value::Int(e));
        c.out = Value::MakeArray(std::move(a));
      } else {
        set.push_back(c.element);
      }
    } else {
      c.active = false;
      --active;
      if (c.info) {
        emit(c, EventType::kInfo, c.read ? Value() : Value::Int(c.element));
        c.process += clients;
      } else {
        emit(c, EventType::kOk, c.read ? c.out : Value::Int(c.element));
      }
    }
  }
  if (mutate) {
    std::vector<size_t> reads;
    for (size_t i = 0; i < h.events.size(); ++i) {
      if (h.events[i].type == EventType::kOk && h.events[i].f == "read") reads.push_back(i);
    }
    if (!reads.empty()) {
      Value::Array& a = h.events[reads[rng.Uniform(reads.size())]].value.as_array();
      if (!a.empty() && rng.Uniform(3) != 0) {
        a.erase(a.begin() + static_cast<int64_t>(rng.Uniform(a.size())));
      } else {
        a.push_back(Value::Int(rng.Uniform(3) == 0 ? 9999 : next - 1));
      }
    }
  }
  return h;
}

TEST(UniqueValues, SetAgreesWithTheSearch) {
  int compared = 0, invalid = 0, fast = 0;
  for (uint64_t seed = 1; seed <= 1500; ++seed) {
    base::Rng rng(seed * 101 + 9);
    const int clients = 1 + static_cast<int>(rng.Uniform(4));
    const int ops = 2 + static_cast<int>(rng.Uniform(16));
    const History h =
        GenerateSet(seed, clients, ops, 0.1 * static_cast<double>(rng.Uniform(4)), seed % 2 == 0);
    const CheckResult search = Check(h, "set", false);
    const CheckResult fastr = Check(h, "set", true);
    if (search.verdict == Verdict::kUnknown || fastr.verdict == Verdict::kUnknown) continue;
    ++compared;
    ASSERT_EQ(fastr.verdict, search.verdict) << "seed " << seed << ": " << fastr.cause;
    fast += fastr.keys[0].fast_path;
    if (search.verdict != Verdict::kInvalid) continue;
    ++invalid;
    EXPECT_EQ(fastr.keys[0].counterexample->op.index(), search.keys[0].counterexample->op.index())
        << "seed " << seed << ": " << fastr.cause;
  }
  std::printf("set: compared %d histories, %d invalid; fast path decided %d\n", compared, invalid,
              fast);
  EXPECT_GT(compared, 1400);
  EXPECT_GT(invalid, 300);
  EXPECT_EQ(fast, compared);
}

// Unmutated unique-value histories are what the fast path is for: it decides every kv key, and
// all but a few register keys (where the order it picks for blind writes cannot place a
// mismatch observation, and the search decides).
TEST(UniqueValues, DecidesGeneratedUniqueHistories) {
  for (const char* kind : {"register", "append"}) {
    int keys = 0, fast = 0;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
      HardShape shape;
      shape.kind = kind;
      shape.keys = 3;
      shape.clients = 10;
      shape.ops_per_key = 200;
      shape.info = 0.05;
      shape.values = 0;
      shape.seed = seed;
      const CheckResult r = Check(GenerateHard(shape), shape.model(), true);
      ASSERT_EQ(r.verdict, Verdict::kValid) << kind << " seed " << seed;
      for (const KeyResult& k : r.keys) {
        ++keys;
        fast += k.fast_path;
      }
    }
    std::printf("%s: %d of %d keys decided without search\n", kind, fast, keys);
    if (kind == std::string("append")) {
      EXPECT_EQ(fast, keys);
    } else {
      EXPECT_GE(fast, keys * 99 / 100);
    }
  }
}

TEST(UniqueValues, PorcupineShapeEveryKeyBad) {
  HardShape shape;
  shape.kind = "append";
  shape.keys = 10;
  shape.clients = 50;
  shape.ops_per_key = 200;
  shape.info = 0;
  shape.reads = 0.5;
  shape.corrupt_keys = 10;
  shape.seed = 7;
  const CheckResult r = Check(GenerateHard(shape), "kv", true);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.keys.size(), 10u);
  for (const KeyResult& k : r.keys) {
    EXPECT_EQ(k.verdict, Verdict::kInvalid);
    EXPECT_TRUE(k.fast_path);
    ASSERT_TRUE(k.counterexample);
    EXPECT_NE(k.cause.find("the get at event"), std::string::npos) << k.cause;
  }
}

// A get that missed an append which completed before it began.
TEST(UniqueValues, KvCounterexampleInWords) {
  HistoryBuilder b;
  b.Invoke(0, "append", Value::String("x 0 0 y")).Ok(0, "append", Value::String("x 0 0 y"));
  b.Invoke(1, "append", Value::String("x 1 0 y")).Ok(1, "append", Value::String("x 1 0 y"));
  b.Invoke(2, "get", Value()).Ok(2, "get", Value::String("x 0 0 y"));
  const CheckResult r = Check(b.Build(), "kv", true);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_TRUE(r.keys[0].fast_path);
  const Counterexample& cx = *r.keys[0].counterexample;
  EXPECT_EQ(cx.op.index(), 5);
  EXPECT_EQ(cx.reason,
            "the get at event 5 saw `x 0 0 y` but not `x 1 0 y`, whose append (events 2-3) "
            "completed before that get began");
  ASSERT_EQ(cx.prefix.size(), 2u);  // both appends, in the order the get says
  EXPECT_EQ(cx.prefix[0].index(), 1);
  ASSERT_EQ(cx.states.size(), 1u);
  EXPECT_EQ(cx.states[0], "\"x 0 0 yx 1 0 y\"");
}

// A stale read: 1 was overwritten by 2 before the read of 1 began.
TEST(UniqueValues, RegisterStaleReadInWords) {
  HistoryBuilder b;
  b.Invoke(0, "write", Value::Int(1)).Ok(0, "write", Value::Int(1));
  b.Invoke(0, "read", Value()).Ok(0, "read", Value::Int(1));
  b.Invoke(1, "write", Value::Int(2)).Ok(1, "write", Value::Int(2));
  b.Invoke(2, "read", Value()).Ok(2, "read", Value::Int(1));
  const CheckResult r = Check(b.Build(), "cas-register", true);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_TRUE(r.keys[0].fast_path);
  const Counterexample& cx = *r.keys[0].counterexample;
  EXPECT_EQ(cx.op.index(), 7);
  EXPECT_EQ(
      cx.reason,
      "read 1: the `read -> 1` at event 7 saw `1`, so from the `write 1` at event 1 completing "
      "until that read began, the register must hold `1`; but the `write 2` at event 5 had to "
      "take effect inside that span (a value written once cannot come back)");
}

TEST(UniqueValues, RegisterReadOfAValueNobodyWrote) {
  HistoryBuilder b;
  b.Invoke(0, "write", Value::Int(1)).Ok(0, "write", Value::Int(1));
  b.Invoke(1, "read", Value()).Ok(1, "read", Value::Int(7));
  const CheckResult r = Check(b.Build(), "cas-register", true);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_TRUE(r.keys[0].fast_path);
  EXPECT_EQ(
      r.keys[0].cause,
      "read 7: the `read -> 7` at event 3 read `7`, which no operation wrote (and the register "
      "starts at `null`)");
}

// Preconditions that send a key to the search.
TEST(UniqueValues, FallsBackWhenAValueIsWrittenTwice) {
  HistoryBuilder b;
  b.Invoke(0, "write", Value::Int(1)).Ok(0, "write", Value::Int(1));
  b.Invoke(1, "write", Value::Int(1)).Ok(1, "write", Value::Int(1));
  b.Invoke(2, "read", Value()).Ok(2, "read", Value::Int(1));
  const CheckResult r = Check(b.Build(), "cas-register", true);
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_FALSE(r.keys[0].fast_path);
}

}  // namespace
}  // namespace faultline::checker
