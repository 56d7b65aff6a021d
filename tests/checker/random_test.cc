// Randomized tests of the search.
// 1. Histories made by running a real sequential implementation of each model under simulated
//    concurrency (every operation takes effect at one instant between its invoke and its
//    completion) are linearizable.
// 2. Small histories (<= 8 operations), as generated and mutated, get the same verdict from the
//    search as from a brute-force search that tries every order.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>

#include "checker/check.h"
#include "checker/model.h"
#include "tests/checker/brute_force.h"

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

using Rng = std::mt19937_64;

int Rand(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
Value I(int64_t i) { return Value::Int(i); }
Value S(std::string s) { return Value::String(std::move(s)); }
Value A(Value::Array a) { return Value::MakeArray(std::move(a)); }

// A sequential reference implementation: generates operations and executes them.
struct Reference {
  std::string model;
  Value initial;
  std::function<std::pair<std::string, Value>(Rng&)> generate;
  // Executes op on state. Returns the completion: ok (with output), or fail with an error when
  // the op could not take effect ("mismatch" for a cas whose compare did not match).
  std::function<EventType(Value& state, const std::string& f, const Value& in, Value* out,
                          std::string* error, Rng& rng)>
      execute;
  // A random value a mutation can put into a completion.
  std::function<Value(Rng&)> mutate_value;
};

Value SortedCopy(Value::Array a, Rng& rng) {
  std::shuffle(a.begin(), a.end(), rng);  // any order: readers must not depend on it
  return A(std::move(a));
}

std::vector<Reference> References() {
  std::vector<Reference> refs;
  auto reg = [](bool cas) {
    Reference r;
    r.model = cas ? "cas-register" : "register";
    r.initial = I(0);
    r.generate = [cas](Rng& rng) -> std::pair<std::string, Value> {
      int k = Rand(rng, 0, cas ? 2 : 1);
      if (k == 0) return {"read", Value()};
      if (k == 1) return {"write", I(Rand(rng, 0, 3))};
      return {"cas", A({I(Rand(rng, 0, 3)), I(Rand(rng, 0, 3))})};
    };
    r.execute = [](Value& st, const std::string& f, const Value& in, Value* out, std::string* error,
                   Rng&) {
      if (f == "read") {
        *out = st;
      } else if (f == "write") {
        st = in;
        *out = in;
      } else {
        if (st != in.as_array()[0]) {
          *error = "mismatch";
          return EventType::kFail;
        }
        st = in.as_array()[1];
        *out = in;
      }
      return EventType::kOk;
    };
    r.mutate_value = [](Rng& rng) { return I(Rand(rng, 0, 4)); };
    return r;
  };
  refs.push_back(reg(false));
  refs.push_back(reg(true));

  Reference counter;
  counter.model = "counter";
  counter.initial = I(0);
  counter.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    if (Rand(rng, 0, 1) == 0) return {"read", Value()};
    return {"add", I(Rand(rng, 1, 3))};
  };
  counter.execute = [](Value& st, const std::string& f, const Value& in, Value* out, std::string*,
                       Rng&) {
    if (f == "add") st = I(st.as_int() + in.as_int());
    *out = f == "add" ? in : st;
    return EventType::kOk;
  };
  counter.mutate_value = [](Rng& rng) { return I(Rand(rng, 0, 9)); };
  refs.push_back(counter);

  Reference set;
  set.model = "set";
  set.initial = A({});
  set.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    if (Rand(rng, 0, 1) == 0) return {"read", Value()};
    return {"add", I(Rand(rng, 0, 5))};
  };
  set.execute = [](Value& st, const std::string& f, const Value& in, Value* out, std::string*,
                   Rng& rng) {
    if (f == "add") {
      if (std::find(st.as_array().begin(), st.as_array().end(), in) == st.as_array().end()) {
        st.as_array().push_back(in);
      }
      *out = in;
    } else {
      *out = SortedCopy(st.as_array(), rng);
    }
    return EventType::kOk;
  };
  set.mutate_value = [](Rng& rng) {
    Value::Array a;
    for (int i = Rand(rng, 0, 3); i > 0; --i) a.push_back(I(Rand(rng, 0, 5)));
    return A(std::move(a));
  };
  refs.push_back(set);

  for (bool fifo : {false, true}) {
    Reference q;
    q.model = fifo ? "fifo-queue" : "unordered-queue";
    q.initial = A({});
    q.generate = [](Rng& rng) -> std::pair<std::string, Value> {
      if (Rand(rng, 0, 1) == 0) return {"dequeue", Value()};
      return {"enqueue", I(Rand(rng, 0, 5))};
    };
    q.execute = [fifo](Value& st, const std::string& f, const Value& in, Value* out, std::string*,
                       Rng& rng) {
      Value::Array& items = st.as_array();
      if (f == "enqueue") {
        items.push_back(in);
        *out = in;
      } else if (items.empty()) {
        *out = Value();
      } else {
        size_t i = fifo ? 0 : static_cast<size_t>(Rand(rng, 0, static_cast<int>(items.size()) - 1));
        *out = items[i];
        items.erase(items.begin() + static_cast<long>(i));
      }
      return EventType::kOk;
    };
    q.mutate_value = [](Rng& rng) { return I(Rand(rng, 0, 6)); };
    refs.push_back(q);
  }

  Reference mutex;
  mutex.model = "mutex";
  mutex.initial = Value::Bool(false);
  mutex.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    return {Rand(rng, 0, 1) ? "acquire" : "release", Value()};
  };
  mutex.execute = [](Value& st, const std::string& f, const Value&, Value* out, std::string* error,
                     Rng&) {
    bool acquire = f == "acquire";
    if (st.as_bool() == acquire) {
      *error = acquire ? "held" : "not-held";
      return EventType::kFail;
    }
    st = Value::Bool(acquire);
    *out = Value();
    return EventType::kOk;
  };
  mutex.mutate_value = [](Rng&) { return Value(); };
  refs.push_back(mutex);

  Reference fencing;
  fencing.model = "fencing-lock";
  fencing.initial = Value::MakeObject({{"held", Value::Bool(false)}, {"token", Value()}});
  fencing.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    return {Rand(rng, 0, 1) ? "acquire" : "release", Value()};
  };
  fencing.execute = [](Value& st, const std::string& f, const Value&, Value* out,
                       std::string* error, Rng& rng) {
    bool held = st.find("held")->as_bool();
    Value token = *st.find("token");
    if (f == "acquire") {
      if (held) {
        *error = "held";
        return EventType::kFail;
      }
      Value t = I((token.is_null() ? 0 : token.as_int()) + Rand(rng, 1, 2));
      st = Value::MakeObject({{"held", Value::Bool(true)}, {"token", t}});
      *out = t;
      return EventType::kOk;
    }
    if (!held) {
      *error = "not-held";
      return EventType::kFail;
    }
    st = Value::MakeObject({{"held", Value::Bool(false)}, {"token", token}});
    *out = Value();
    return EventType::kOk;
  };
  fencing.mutate_value = [](Rng& rng) { return I(Rand(rng, 1, 4)); };
  refs.push_back(fencing);

  Reference kv;
  kv.model = "kv";
  kv.initial = S("");
  kv.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    int k = Rand(rng, 0, 2);
    if (k == 0) return {"get", Value()};
    return {k == 1 ? "put" : "append", S(std::string(1, static_cast<char>('a' + Rand(rng, 0, 2))))};
  };
  kv.execute = [](Value& st, const std::string& f, const Value& in, Value* out, std::string*,
                  Rng&) {
    if (f == "put") st = in;
    if (f == "append") st = S(st.as_string() + in.as_string());
    *out = f == "get" ? st : in;
    return EventType::kOk;
  };
  kv.mutate_value = [](Rng& rng) { return S(std::string(Rand(rng, 0, 2), 'a')); };
  refs.push_back(kv);

  Reference multi;
  multi.model = "multi-register";
  multi.initial = Value::MakeObject({});
  multi.generate = [](Rng& rng) -> std::pair<std::string, Value> {
    Value::Array micro;
    for (int i = Rand(rng, 1, 2); i > 0; --i) {
      std::string k = Rand(rng, 0, 1) ? "x" : "y";
      if (Rand(rng, 0, 1)) {
        micro.push_back(A({S("read"), S(k), Value()}));
      } else {
        micro.push_back(A({S("write"), S(k), I(Rand(rng, 0, 2))}));
      }
    }
    return {"txn", A(std::move(micro))};
  };
  multi.execute = [](Value& st, const std::string&, const Value& in, Value* out, std::string*,
                     Rng&) {
    std::map<std::string, Value> regs(st.as_object().begin(), st.as_object().end());
    Value::Array result;
    for (const Value& m : in.as_array()) {
      const std::string& k = m.as_array()[1].as_string();
      if (m.as_array()[0].as_string() == "write") {
        regs[k] = m.as_array()[2];
        result.push_back(m);
      } else {
        result.push_back(A({S("read"), S(k), regs.count(k) ? regs[k] : Value()}));
      }
    }
    st = Value::MakeObject(Value::Object(regs.begin(), regs.end()));
    *out = A(std::move(result));
    return EventType::kOk;
  };
  multi.mutate_value = [](Rng& rng) {
    return A({A({S("read"), S(Rand(rng, 0, 1) ? "x" : "y"), I(Rand(rng, 0, 2))})});
  };
  refs.push_back(multi);
  return refs;
}

// Runs `ops` operations of `ref` on `processes` simulated processes. Each operation takes
// effect (or not) at one random instant between its invoke and its completion.
History Generate(const Reference& ref, int ops, int processes, Rng& rng, bool keys) {
  struct Pending {
    bool active = false;
    bool executed = false;
    int64_t process = 0;
    std::string f;
    Value in, out;
    EventType outcome = EventType::kOk;
    std::string error;
    bool indeterminate = false;
    Value key;
  };
  History h{"generated", {}};
  std::map<std::string, Value> state;  // per key
  std::vector<Pending> slots(processes);
  std::vector<int64_t> next_process(processes);
  for (int p = 0; p < processes; ++p) next_process[p] = p;
  int started = 0;
  auto emit = [&](const Pending& pd, EventType type, const Value& value, std::string error) {
    Event e;
    e.index = static_cast<int64_t>(h.events.size());
    e.line = e.index + 1;
    e.process = pd.process;
    e.type = type;
    e.f = pd.f;
    e.value = value;
    e.error = std::move(error);
    if (keys) {
      e.has_key = true;
      e.key = pd.key;
    }
    h.events.push_back(std::move(e));
  };
  while (true) {
    bool any_active = false;
    for (auto& s : slots) any_active |= s.active;
    if (!any_active && started >= ops) break;
    int p = Rand(rng, 0, processes - 1);
    Pending& s = slots[p];
    if (!s.active) {
      if (started >= ops) continue;
      ++started;
      s = Pending{};
      s.active = true;
      s.process = next_process[p];
      auto [f, in] = ref.generate(rng);
      s.f = f;
      s.in = in;
      s.key = S(keys ? "k" + std::to_string(Rand(rng, 0, 2)) : "");
      s.indeterminate = Rand(rng, 0, 9) == 0;
      emit(s, EventType::kInvoke, s.in, "");
    } else if (!s.executed) {
      s.executed = true;
      // An indeterminate operation may or may not take effect.
      if (!s.indeterminate || Rand(rng, 0, 1) == 0) {
        Value& st = state.try_emplace(s.key.as_string(), ref.initial).first->second;
        s.outcome = ref.execute(st, s.f, s.in, &s.out, &s.error, rng);
      } else {
        s.outcome = EventType::kFail;
      }
    } else {
      if (s.indeterminate) {
        if (Rand(rng, 0, 1)) emit(s, EventType::kInfo, s.in, "");  // else: never completes
        next_process[p] += processes;  // the process is retired either way
      } else if (s.outcome == EventType::kOk) {
        emit(s, EventType::kOk, s.out, "");
      } else {
        emit(s, EventType::kFail, s.in, s.error);
      }
      s.active = false;
    }
  }
  return h;
}

CheckResult RunCheck(const Reference& ref, const History& h) {
  CheckOptions o;
  o.model = ref.model;
  o.initial = ref.initial;
  o.threads = 1;
  Result<CheckResult> r = CheckHistory(h, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CheckResult{};
}

TEST(Random, GeneratedHistoriesAreLinearizable) {
  for (const Reference& ref : References()) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      Rng rng(seed);
      bool keys = seed % 2 == 0;
      // Queues with indeterminate dequeues are exponential for any checker (which element did
      // each take?), so they get shorter histories.
      const bool queue = ref.model.find("queue") != std::string::npos;
      History h = Generate(ref, queue ? 40 : 150, Rand(rng, 2, 6), rng, keys);
      CheckResult r = RunCheck(ref, h);
      ASSERT_EQ(r.verdict, Verdict::kValid) << ref.model << " seed " << seed << ": " << r.cause;
    }
  }
}

TEST(Random, SmallHistoriesAgreeWithBruteForce) {
  int invalid_seen = 0;
  for (const Reference& ref : References()) {
    std::unique_ptr<Model> model = MakeModel(ref.model);
    for (uint64_t seed = 1; seed <= 300; ++seed) {
      Rng rng(seed * 7919 + 17);
      History h = Generate(ref, Rand(rng, 2, 8), Rand(rng, 1, 4), rng, false);
      if (seed % 3 != 0) {
        // Mutate: change one completion's value, or swap two adjacent events.
        std::vector<size_t> completions;
        for (size_t i = 0; i < h.events.size(); ++i) {
          if (h.events[i].type == EventType::kOk) completions.push_back(i);
        }
        if (!completions.empty() && seed % 3 == 1) {
          size_t i = completions[Rand(rng, 0, static_cast<int>(completions.size()) - 1)];
          h.events[i].value = ref.mutate_value(rng);
        } else if (h.events.size() > 2) {
          size_t i = Rand(rng, 0, static_cast<int>(h.events.size()) - 2);
          if (h.events[i].process != h.events[i + 1].process) {
            std::swap(h.events[i], h.events[i + 1]);
          }
        }
      }
      // A mutated value can be outside what the model accepts; those are not comparisons.
      CheckOptions o;
      o.model = ref.model;
      o.initial = ref.initial;
      o.threads = 1;
      Result<CheckResult> r = CheckHistory(h, o);
      if (!r.ok()) continue;
      bool brute = BruteForceLinearizable(*model, ref.initial, h);
      invalid_seen += !brute;
      ASSERT_EQ(r->verdict, brute ? Verdict::kValid : Verdict::kInvalid)
          << ref.model << " seed " << seed;
    }
  }
  EXPECT_GT(invalid_seen, 100);  // the mutations do produce invalid histories
}

}  // namespace
}  // namespace faultline::checker
