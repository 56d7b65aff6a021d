// The search and its counterexamples on small hand-written histories.
#include "checker/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "checker/model.h"
#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

using ::testing::HasSubstr;
using testing::HistoryBuilder;
using testing::I;
using testing::Pair;

CheckResult Check(const History& h, const std::string& model = "cas-register",
                  std::optional<Value> initial = Value::Int(0)) {
  CheckOptions o;
  o.model = model;
  o.initial = std::move(initial);
  o.threads = 2;
  Result<CheckResult> r = CheckHistory(h, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CheckResult{};
}

TEST(Check, SequentialRegisterIsValid) {
  History h = HistoryBuilder()
                  .Op(0, "write", I(1), I(1))
                  .Op(1, "read", Value(), I(1))
                  .Op(0, "cas", Pair(1, 2), Pair(1, 2))
                  .Op(1, "read", Value(), I(2))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kValid);
}

TEST(Check, StaleReadIsInvalidWithCounterexample) {
  History h = HistoryBuilder()
                  .Op(0, "write", I(1), I(1))    // events 0, 1
                  .Op(1, "read", Value(), I(0))  // events 2, 3: stale
                  .Build();
  CheckResult r = Check(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.keys.size(), 1u);
  const Counterexample& cx = *r.keys[0].counterexample;
  EXPECT_EQ(cx.op.index(), 3);
  EXPECT_EQ(cx.op.f, "read");
  // Decided by the unique-value fast path (checker/unique_values.h), which says why in its words.
  EXPECT_EQ(
      cx.reason,
      "read 0: the `read -> 0` at event 3 saw `0`, so from the start until that read began, the "
      "register must hold `0`; but the `write 1` at event 1 had to take effect inside that span "
      "(a value written once cannot come back)");
  EXPECT_TRUE(r.keys[0].fast_path);
  EXPECT_THAT(cx.states, ::testing::ElementsAre("1"));
  ASSERT_EQ(cx.prefix.size(), 1u);
  EXPECT_EQ(cx.prefix[0].index(), 1);
  EXPECT_TRUE(cx.concurrent.empty());
}

TEST(Check, ConcurrentReadMaySeeEitherValue) {
  for (int seen : {0, 1}) {
    History h = HistoryBuilder()
                    .Invoke(0, "write", I(1))
                    .Invoke(1, "read")
                    .Ok(1, "read", I(seen))
                    .Ok(0, "write", I(1))
                    .Build();
    EXPECT_EQ(Check(h).verdict, Verdict::kValid) << seen;
  }
}

TEST(Check, CounterexampleListsConcurrentOpsAndStates) {
  // Knossos' bad-analysis shape: after write 0, a crashed write 1 is pending; two concurrent
  // reads see 3 and 2, which nobody wrote.
  History h = HistoryBuilder()
                  .Op(0, "write", I(0), I(0))
                  .Invoke(1, "write", I(1))  // never completes
                  .Invoke(2, "read")
                  .Ok(2, "read", I(2))  // event 4
                  .Build();
  CheckResult r = Check(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  const Counterexample& cx = *r.keys[0].counterexample;
  EXPECT_EQ(cx.op.index(), 4);
  EXPECT_THAT(cx.states, ::testing::UnorderedElementsAre("0", "1"));
  EXPECT_THAT(cx.reason, HasSubstr("read 2, but the register holds"));
  ASSERT_EQ(cx.concurrent.size(), 1u);
  EXPECT_EQ(cx.concurrent[0].f, "write");
  EXPECT_EQ(cx.concurrent[0].complete_index, -1);
}

TEST(Check, IndeterminateWriteMayTakeEffectLaterOrNever) {
  for (int seen : {0, 1}) {
    History h = HistoryBuilder()
                    .Invoke(0, "write", I(1))
                    .Info(0, "write", I(1))
                    .Op(1, "read", Value(), I(seen))
                    .Op(1, "read", Value(), I(seen))
                    .Build();
    EXPECT_EQ(Check(h).verdict, Verdict::kValid) << seen;
  }
  // ...but not back and forth.
  History h = HistoryBuilder()
                  .Invoke(0, "write", I(1))
                  .Info(0, "write", I(1))
                  .Op(1, "read", Value(), I(1))
                  .Op(1, "read", Value(), I(0))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kInvalid);
}

TEST(Check, IndeterminateWriteCannotTakeEffectBeforeItsInvoke) {
  History h = HistoryBuilder()
                  .Op(1, "read", Value(), I(1))
                  .Invoke(0, "write", I(1))
                  .Info(0, "write", I(1))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kInvalid);
}

TEST(Check, NeverCompletedInvokeIsIndeterminate) {
  History h = HistoryBuilder().Invoke(0, "write", I(7)).Op(1, "read", Value(), I(7)).Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kValid);
}

TEST(Check, PlainFailHasNoEffect) {
  History h = HistoryBuilder()
                  .Invoke(0, "write", I(5))
                  .Fail(0, "write", I(5), "timeout-before-send")
                  .Op(1, "read", Value(), I(0))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kValid);
  // Reading the failed write's value is a bug.
  History bad = HistoryBuilder()
                    .Invoke(0, "write", I(5))
                    .Fail(0, "write", I(5))
                    .Op(1, "read", Value(), I(5))
                    .Build();
  EXPECT_EQ(Check(bad).verdict, Verdict::kInvalid);
}

TEST(Check, FailedCasMismatchIsAnObservation) {
  // The register holds 1 and nothing runs concurrently: a cas from 1 cannot have mismatched.
  History bad = HistoryBuilder()
                    .Op(0, "write", I(1), I(1))
                    .Invoke(1, "cas", Pair(1, 2))
                    .Fail(1, "cas", Pair(1, 2), "mismatch")
                    .Build();
  CheckResult r = Check(bad);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_THAT(r.keys[0].counterexample->reason, HasSubstr("compare would have matched"));
  // With a concurrent write of 3 it can.
  History good = HistoryBuilder()
                     .Op(0, "write", I(1), I(1))
                     .Invoke(2, "write", I(3))
                     .Invoke(1, "cas", Pair(1, 2))
                     .Fail(1, "cas", Pair(1, 2), "mismatch")
                     .Ok(2, "write", I(3))
                     .Build();
  EXPECT_EQ(Check(good).verdict, Verdict::kValid);
  // A fail without "mismatch" has no effect and observes nothing (Knossos semantics).
  History plain = HistoryBuilder()
                      .Op(0, "write", I(1), I(1))
                      .Invoke(1, "cas", Pair(1, 2))
                      .Fail(1, "cas", Pair(1, 2), "unavailable")
                      .Build();
  EXPECT_EQ(Check(plain).verdict, Verdict::kValid);
}

TEST(Check, IndeterminateCasTakesEffectOnlyIfItMatches) {
  History h = HistoryBuilder()
                  .Op(0, "write", I(1), I(1))
                  .Invoke(1, "cas", Pair(1, 2))
                  .Info(1, "cas", Pair(1, 2))
                  .Op(0, "read", Value(), I(2))
                  .Op(0, "write", I(5), I(5))
                  .Op(0, "read", Value(), I(5))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kValid);
}

TEST(Check, NemesisEventsAreIgnored) {
  History h = HistoryBuilder()
                  .Nemesis("start-partition")
                  .Op(0, "write", I(1), I(1))
                  .Nemesis("stop-partition")
                  .Op(1, "read", Value(), I(1))
                  .Build();
  EXPECT_EQ(Check(h).verdict, Verdict::kValid);
}

TEST(Check, EveryFailingKeyIsReported) {
  HistoryBuilder b;
  for (int k = 0; k < 6; ++k) {
    Value key = Value::String("k" + std::to_string(k));
    b.Op(k, "write", I(k), I(k), key);
    // Keys 1 and 4 read a value that was never written.
    b.Op(k + 10, "read", Value(), I(k == 1 || k == 4 ? 99 : k), key);
  }
  CheckResult r = Check(b.Build());
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.keys.size(), 6u);
  std::vector<std::string> bad;
  for (const KeyResult& k : r.keys) {
    if (k.verdict == Verdict::kInvalid) bad.push_back(k.key.as_string());
  }
  EXPECT_THAT(bad, ::testing::ElementsAre("k1", "k4"));
  EXPECT_EQ(r.cause, "2 of 6 keys not linearizable");
}

TEST(Check, TimeoutAnswersUnknownPromptly) {
  // Many concurrent indeterminate writes and a read nobody wrote: the search must try every
  // subset before giving up, far more than a 0.2 s budget allows.
  HistoryBuilder b;
  for (int p = 0; p < 40; ++p) b.Invoke(p, "write", I(p + 1));
  for (int p = 0; p < 40; ++p) b.Info(p, "write", I(p + 1));
  for (int i = 0; i < 40; ++i) b.Op(100, "read", Value(), I(i % 2 == 0 ? 1 + i / 2 : 41));
  CheckOptions o;
  o.model = "cas-register";
  // The search's limit: every value is written once, so the fast path would decide it at once.
  o.unique_fast_path = false;
  o.timeout_s = 0.2;
  Result<CheckResult> r = CheckHistory(b.Build(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
  EXPECT_EQ(r->cause, "timeout");
  // Never exceeded by more than a small margin (generous: shared machines are noisy).
  EXPECT_LT(r->ms, 5000);
}

TEST(Check, TimeoutIsPromptEvenWithMillionsOfLargeStates) {
  // Concurrent indeterminate enqueues make every order of every subset a reachable fifo state;
  // a dequeue of a value nobody enqueued forces the search to visit them all. Freeing what the
  // memo built must not blow the time limit either.
  HistoryBuilder b;
  for (int p = 0; p < 24; ++p) b.Invoke(p, "enqueue", I(p));
  for (int p = 0; p < 24; ++p) b.Info(p, "enqueue", I(p));
  b.Op(100, "dequeue", Value(), I(999));
  CheckOptions o;
  o.model = "fifo-queue";
  o.timeout_s = 1;
  Result<CheckResult> r = CheckHistory(b.Build(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
  EXPECT_LT(r->ms, 2500);
}

TEST(Check, MemoryLimitAnswersUnknown) {
  HistoryBuilder b;
  for (int p = 0; p < 40; ++p) b.Invoke(p, "write", I(p + 1));
  for (int p = 0; p < 40; ++p) b.Info(p, "write", I(p + 1));
  for (int i = 0; i < 40; ++i) b.Op(100, "read", Value(), I(i % 2 == 0 ? 1 + i / 2 : 41));
  CheckOptions o;
  o.model = "cas-register";
  // The search's limit: every value is written once, so the fast path would decide it at once.
  o.unique_fast_path = false;
  o.memory_limit_mb = 1;
  o.timeout_s = 60;
  Result<CheckResult> r = CheckHistory(b.Build(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
  EXPECT_EQ(r->cause.rfind("memory-limit: the search needed more than 1 MB", 0), 0u) << r->cause;
  EXPECT_LE(r->peak_memory_bytes, 1u << 20);
}

TEST(Check, BadInputIsAnError) {
  CheckOptions o;
  o.model = "no-such-model";
  Result<CheckResult> r = CheckHistory(History{}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("unknown model 'no-such-model'"));

  o.model = "counter";
  o.initial = Value::String("x");
  r = CheckHistory(History{}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--initial integer"));

  History h = HistoryBuilder().Op(0, "dequeue", Value(), I(1)).Build();
  o = CheckOptions{};
  o.model = "register";
  r = CheckHistory(h, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("test:1: model register cannot judge"));

  History unpaired = HistoryBuilder().Ok(3, "read", I(1)).Build();
  r = CheckHistory(unpaired, CheckOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no outstanding invoke"));

  History twice = HistoryBuilder().Invoke(3, "read").Invoke(3, "read").Build();
  r = CheckHistory(twice, CheckOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("has not completed"));
}

// Regressions from review.

TEST(Check, UnconstrainedReadNeverSharesAClassWithReadOfNull) {
  using testing::A;
  using testing::S;
  auto txn = [](Value read) {
    return A({A({S("write"), S("y"), I(1)}), A({S("read"), S("x"), std::move(read)})});
  };
  // x is 5 when the last txn reads it: a read of Any is fine, a read of null is not.
  History h =
      HistoryBuilder()
          .Op(0, "txn", txn(Value()), txn(Value::Any()))
          .Op(0, "txn", A({A({S("write"), S("x"), I(5)})}), A({A({S("write"), S("x"), I(5)})}))
          .Op(0, "txn", txn(Value()), txn(Value()))
          .Build();
  CheckResult r = Check(h, "multi-register", std::nullopt);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_THAT(r.keys[0].counterexample->reason, HasSubstr("x holds 5"));
}

TEST(Check, CounterOverflowIsRejectedNotWrapped) {
  History h = HistoryBuilder()
                  .Op(0, "add", I(INT64_MAX), I(INT64_MAX))
                  .Op(0, "add", I(1), I(1))
                  .Op(0, "read", Value(), I(INT64_MIN))
                  .Build();
  EXPECT_EQ(Check(h, "counter", std::nullopt).verdict, Verdict::kInvalid);
}

TEST(Check, HugeTimeoutMeansNoLimit) {
  History h = HistoryBuilder().Op(0, "write", I(1), I(1)).Build();
  CheckOptions o;
  o.timeout_s = 1e10;
  o.memory_limit_mb = uint64_t{1} << 50;
  Result<CheckResult> r = CheckHistory(h, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kValid);
}

TEST(Check, InitialStateLargerThanTheMemoryLimitIsUnknown) {
  History h =
      HistoryBuilder().Op(0, "get", Value(), Value::String(std::string(2 << 20, 'a'))).Build();
  CheckOptions o;
  o.model = "kv";
  o.initial = Value::String(std::string(2 << 20, 'a'));
  o.memory_limit_mb = 1;
  Result<CheckResult> r = CheckHistory(h, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknown);
  EXPECT_EQ(r->cause.rfind("memory-limit: the search needed more than 1 MB", 0), 0u) << r->cause;
}

// --- models -------------------------------------------------------------------------------

TEST(Models, Mutex) {
  History ok = HistoryBuilder()
                   .Op(0, "acquire", Value(), Value())
                   .Op(0, "release", Value(), Value())
                   .Op(1, "acquire", Value(), Value())
                   .Build();
  EXPECT_EQ(Check(ok, "mutex", std::nullopt).verdict, Verdict::kValid);
  History bad = HistoryBuilder()
                    .Op(0, "acquire", Value(), Value())
                    .Op(1, "acquire", Value(), Value())
                    .Build();
  CheckResult r = Check(bad, "mutex", std::nullopt);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_THAT(r.keys[0].counterexample->reason, HasSubstr("the lock is held"));
}

TEST(Models, FencingLockTokensMustRise) {
  History ok = HistoryBuilder()
                   .Op(0, "acquire", Value(), I(1))
                   .Op(0, "release", I(1), I(1))
                   .Op(1, "acquire", Value(), I(2))
                   .Op(2, "acquire", Value(), I(5))  // lease of 2 expired: no release seen
                   .Build();
  EXPECT_EQ(Check(ok, "fencing-lock", std::nullopt).verdict, Verdict::kValid);
  History bad = HistoryBuilder()
                    .Op(0, "acquire", Value(), I(3))
                    .Op(0, "release", I(3), I(3))
                    .Op(1, "acquire", Value(), I(2))
                    .Build();
  CheckResult r = Check(bad, "fencing-lock", std::nullopt);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_THAT(r.keys[0].counterexample->reason, HasSubstr("token 3 was already granted"));
}

TEST(Models, SetReadsMustEqualTheWholeSet) {
  History ok = HistoryBuilder()
                   .Op(0, "add", I(1), I(1))
                   .Invoke(1, "add", I(2))
                   .Op(0, "read", Value(), testing::A({I(1)}))
                   .Ok(1, "add", I(2))
                   .Op(0, "read", Value(), testing::A({I(2), I(1)}))
                   .Build();
  EXPECT_EQ(Check(ok, "set", std::nullopt).verdict, Verdict::kValid);
  History lost = HistoryBuilder()
                     .Op(0, "add", I(1), I(1))
                     .Op(0, "add", I(2), I(2))
                     .Op(0, "read", Value(), testing::A({I(2)}))
                     .Build();
  EXPECT_EQ(Check(lost, "set", std::nullopt).verdict, Verdict::kInvalid);
}

TEST(Models, Queues) {
  History fifo_ok = HistoryBuilder()
                        .Op(0, "enqueue", I(1), I(1))
                        .Op(0, "enqueue", I(2), I(2))
                        .Op(1, "dequeue", Value(), I(1))
                        .Op(1, "dequeue", Value(), I(2))
                        .Op(1, "dequeue", Value(), Value())
                        .Build();
  EXPECT_EQ(Check(fifo_ok, "fifo-queue", std::nullopt).verdict, Verdict::kValid);
  History reordered = HistoryBuilder()
                          .Op(0, "enqueue", I(1), I(1))
                          .Op(0, "enqueue", I(2), I(2))
                          .Op(1, "dequeue", Value(), I(2))
                          .Build();
  EXPECT_EQ(Check(reordered, "fifo-queue", std::nullopt).verdict, Verdict::kInvalid);
  EXPECT_EQ(Check(reordered, "unordered-queue", std::nullopt).verdict, Verdict::kValid);
  History duplicated = HistoryBuilder()
                           .Op(0, "enqueue", I(1), I(1))
                           .Op(1, "dequeue", Value(), I(1))
                           .Op(2, "dequeue", Value(), I(1))
                           .Build();
  EXPECT_EQ(Check(duplicated, "unordered-queue", std::nullopt).verdict, Verdict::kInvalid);
}

TEST(Models, Counter) {
  History ok = HistoryBuilder()
                   .Op(0, "add", I(2), I(2))
                   .Invoke(1, "add", I(3))
                   .Info(1, "add", I(3))
                   .Op(0, "read", Value(), I(5))
                   .Build();
  EXPECT_EQ(Check(ok, "counter", std::nullopt).verdict, Verdict::kValid);
  History bad = HistoryBuilder().Op(0, "add", I(2), I(2)).Op(0, "read", Value(), I(1)).Build();
  EXPECT_EQ(Check(bad, "counter", std::nullopt).verdict, Verdict::kInvalid);
}

// The counter's "why" names the counter once, as the register's does ("holds 4 or 3").
TEST(Models, CounterReasonListsTheValuesOnce) {
  std::unique_ptr<Model> m = MakeModel("counter");
  Operation read;
  read.f = "read";
  read.status = OpStatus::kOk;
  read.value = I(54);
  EXPECT_EQ(m->Reject(read, {I(89), I(85), I(87), I(83)}),
            "read 54, but the counter is 89, 85, 87 or 83");
  EXPECT_EQ(m->Reject(read, {I(89)}), "read 54, but the counter is 89");
  History bad = HistoryBuilder().Op(0, "add", I(2), I(2)).Op(0, "read", Value(), I(1)).Build();
  EXPECT_EQ(Check(bad, "counter", std::nullopt).keys[0].counterexample->reason,
            "read 1, but the counter is 2");
}

// An add places its element by binary search in the canonical state (sorted by JSON text, no
// duplicates) rather than sorting the whole set again (issue 13): the state it makes is the one
// canonicalizing from scratch would, for elements of every kind and for repeated adds.
TEST(Models, SetAddKeepsTheStateCanonical) {
  std::unique_ptr<Model> m = MakeModel("set");
  const Value::Array elements = {I(10),
                                 I(2),
                                 Value::String("a"),
                                 Value::MakeArray({I(1)}),
                                 I(2),
                                 I(-3),
                                 Value::Null(),
                                 Value::String("a"),
                                 I(100),
                                 Value::Double(2.5)};
  Value state = *m->Initial(std::nullopt);
  Value::Array added;
  for (const Value& e : elements) {
    Operation add;
    add.f = "add";
    add.status = OpStatus::kOk;
    add.value = e;
    Value next;
    ASSERT_TRUE(m->Step(state, add, &next, nullptr));
    added.push_back(e);
    EXPECT_EQ(next, *m->Initial(Value::MakeArray(added))) << next.ToJson();
    state = std::move(next);
  }
  EXPECT_EQ(state.ToJson(), R"(["a",-3,10,100,2,2.5,[1],null])");
}

// A set read that matches no state is told as a diff against each state, capped, never the
// whole set once per state.
TEST(Models, SetReasonIsADiffAgainstEachState) {
  std::unique_ptr<Model> m = MakeModel("set");
  auto set = [](int64_t from, int64_t to, std::vector<int64_t> skip = {}) {
    Value::Array a;
    for (int64_t i = from; i <= to; ++i) {
      if (std::find(skip.begin(), skip.end(), i) == skip.end()) a.push_back(I(i));
    }
    return a;
  };
  // States are canonical sets, as the search hands them over (sorted by JSON text).
  auto state = [&](Value::Array a) {
    std::sort(a.begin(), a.end(),
              [](const Value& x, const Value& y) { return x.ToJson() < y.ToJson(); });
    return Value::MakeArray(std::move(a));
  };
  Operation read;
  read.f = "read";
  read.status = OpStatus::kOk;
  Value::Array with_extra = set(1, 40, {17});
  with_extra.push_back(I(99));
  read.value = Value::MakeArray(with_extra);  // 40 elements: lacks 17, has 99
  const std::string why = m->Reject(read, {state(set(1, 40)), state(set(1, 52))});
  EXPECT_EQ(why,
            "read 40 elements, but the set holds 40 elements (the read lacks 17; extra 99) or 52 "
            "elements (the read lacks 17, 41, 42, 43, 44 ... and 8 more; extra 99)");
  // Small sets are printed whole; more than four states are counted.
  Operation small = read;
  small.value = testing::A({I(1), I(2)});
  std::vector<Value> states;
  for (int64_t n = 3; n <= 8; ++n) states.push_back(state(set(1, n)));
  EXPECT_EQ(
      m->Reject(small, states),
      "read [1,2], but the set holds [1,2,3] (the read lacks 3), [1,2,3,4] (the read lacks 3, "
      "4), [1,2,3,4,5] (the read lacks 3, 4, 5), 6 elements (the read lacks 3, 4, 5, 6) or 2 "
      "more states");
  Operation extra_only = read;
  extra_only.value = testing::A({I(1), I(7)});
  EXPECT_EQ(m->Reject(extra_only, {state(set(1, 1))}),
            "read [1,7], but the set holds [1] (the read has extra 7)");
  // Through the search: the lost element is named.
  History lost = HistoryBuilder()
                     .Op(0, "add", I(1), I(1))
                     .Op(0, "add", I(2), I(2))
                     .Op(0, "read", Value(), testing::A({I(2)}))
                     .Build();
  CheckOptions search;
  search.model = "set";
  search.unique_fast_path = false;
  EXPECT_EQ(CheckHistory(lost, search)->keys[0].counterexample->reason,
            "read [2], but the set holds [1,2] (the read lacks 1)");
  // Every element is added once, so by default the unique-value fast path decides it, in its
  // own words, and names the lost element too.
  EXPECT_EQ(Check(lost, "set", std::nullopt).keys[0].counterexample->reason,
            "the `read -> [2]` at event 5 saw `[2]` but not `1`, whose add (events 0-1) completed "
            "before that read began");
}

TEST(Models, KvAppendsConcatenate) {
  using testing::S;
  Value k = S("x");
  History ok = HistoryBuilder()
                   .Op(0, "get", Value(), S(""), k)
                   .Op(0, "put", S("a"), S("a"), k)
                   .Op(1, "append", S("b"), S("b"), k)
                   .Op(1, "get", Value(), S("ab"), k)
                   .Build();
  EXPECT_EQ(Check(ok, "kv", std::nullopt).verdict, Verdict::kValid);
  History bad = HistoryBuilder()
                    .Op(0, "append", S("a"), S("a"), k)
                    .Op(1, "append", S("b"), S("b"), k)
                    .Op(1, "get", Value(), S("ba"), k)
                    .Build();
  EXPECT_EQ(Check(bad, "kv", std::nullopt).verdict, Verdict::kInvalid);
}

TEST(Models, MultiRegisterTransactions) {
  using testing::A;
  using testing::S;
  auto txn = [](std::vector<std::tuple<const char*, const char*, Value>> micro) {
    Value::Array a;
    for (auto& [f, k, v] : micro) a.push_back(A({S(f), S(k), v}));
    return A(std::move(a));
  };
  History ok = HistoryBuilder()
                   .Op(0, "txn", txn({{"write", "x", I(1)}, {"write", "y", I(2)}}),
                       txn({{"write", "x", I(1)}, {"write", "y", I(2)}}))
                   .Op(1, "txn", txn({{"read", "x", Value()}, {"read", "y", Value()}}),
                       txn({{"read", "x", I(1)}, {"read", "y", I(2)}}))
                   .Build();
  EXPECT_EQ(Check(ok, "multi-register", std::nullopt).verdict, Verdict::kValid);
  // A torn read: x from after the transaction, y from before it.
  History torn = HistoryBuilder()
                     .Op(0, "txn", txn({{"write", "x", I(1)}, {"write", "y", I(2)}}),
                         txn({{"write", "x", I(1)}, {"write", "y", I(2)}}))
                     .Op(1, "txn", txn({{"read", "x", Value()}, {"read", "y", Value()}}),
                         txn({{"read", "x", I(1)}, {"read", "y", Value()}}))
                     .Build();
  EXPECT_EQ(Check(torn, "multi-register", std::nullopt).verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::checker

namespace faultline::checker {
namespace {

using testing::HistoryBuilder;
using testing::I;
using testing::S;

// Issue 13, point 6: a history with no client operation is not a pass.
TEST(CheckInputDefects, NoClientOperationsIsUnknown) {
  CheckOptions o;
  for (const History& h : {History{"empty", {}}, HistoryBuilder().Nemesis("start-kill").Build()}) {
    Result<CheckResult> r = CheckHistory(h, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->verdict, Verdict::kUnknown) << h.source;
    EXPECT_EQ(r->cause, "no client operations");
  }
}

// Issue 13, point 6: a completion whose key differs from its invoke's is an error.
TEST(CheckInputDefects, CompletionOnAnotherKeyIsAnError) {
  History h =
      HistoryBuilder().Invoke(0, "write", I(1), S("a")).Ok(0, "write", I(1), S("b")).Build();
  Result<CheckResult> r = CheckHistory(h, CheckOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("key differs"));
}

// Issue 13, point 6: indices must increase (they name events in reports).
TEST(CheckInputDefects, DuplicateOrDecreasingIndexIsAnError) {
  for (int64_t second : {0, -3}) {
    History h = HistoryBuilder().Invoke(0, "write", I(1)).Ok(0, "write", I(1)).Build();
    h.events[1].index = second;
    Result<CheckResult> r = CheckHistory(h, CheckOptions{});
    ASSERT_FALSE(r.ok()) << second;
    EXPECT_THAT(r.status().message(), HasSubstr("indices must increase"));
  }
}

}  // namespace
}  // namespace faultline::checker
