#include "checker/counter_checker.h"

#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

using testing::HistoryBuilder;
using testing::I;
using testing::S;

CounterCheckResult Check(const History& h) {
  Result<CounterCheckResult> r = CheckCounter(h);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CounterCheckResult{};
}

TEST(CounterChecker, emptyHistoryIsUnknown) {
  EXPECT_EQ(Check(HistoryBuilder().Build()).verdict, Verdict::kUnknown);
}

TEST(CounterChecker, sequentialReadsMatchExactly) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), I(0)).Op(0, "add", I(2), I(2)).Op(1, "add", I(3), I(3));
  b.Op(1, "read", Value(), I(5));
  CounterCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.reads_ok, 2);
  EXPECT_EQ(r.adds_ok, 2);
}

TEST(CounterChecker, readBelowAcknowledgedSumIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "add", I(2), I(2)).Op(1, "add", I(3), I(3)).Op(1, "read", Value(), I(2));
  CounterCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].lower, 5);
  EXPECT_EQ(r.violations[0].upper, 5);
  EXPECT_EQ(r.violations[0].complete_index, 5);
}

TEST(CounterChecker, concurrentAndIndeterminateAddsWidenTheUpperBound) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1));
  b.Invoke(1, "add", I(10)).Info(1, "add", I(10));  // may land any time
  b.Invoke(2, "add", I(100));                       // never completes
  b.Invoke(3, "read");
  b.Invoke(4, "add", I(1000));  // invoked before the read completes
  b.Ok(3, "read", I(1111));
  b.Ok(4, "add", I(1000));
  CounterCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.adds_indeterminate, 2);

  HistoryBuilder over;
  over.Op(0, "add", I(1), I(1)).Invoke(1, "add", I(10)).Info(1, "add", I(10));
  over.Op(2, "read", Value(), I(12));
  r = Check(over.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].lower, 1);
  EXPECT_EQ(r.violations[0].upper, 11);
}

TEST(CounterChecker, addInvokedAfterReadCompletedCannotCount) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), I(4)).Op(1, "add", I(4), I(4));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kInvalid);
}

TEST(CounterChecker, failedAddsNeverCount) {
  HistoryBuilder b;
  b.Invoke(0, "add", I(4)).Fail(0, "add", I(4), "retries-exhausted");
  b.Op(1, "read", Value(), I(4));
  CounterCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.adds_failed, 1);
}

TEST(CounterChecker, absentReadsAsZeroAndKeysAreSeparate) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), Value(), I(1));
  b.Op(0, "add", I(3), I(3), I(2)).Op(1, "read", Value(), I(3), I(2));
  b.Op(1, "read", Value(), I(0), I(1));
  CounterCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.keys, 2);
}

TEST(CounterChecker, negativeAddsKeepBoundsSound) {
  HistoryBuilder b;
  b.Op(0, "add", I(5), I(5)).Invoke(1, "add", I(-3)).Info(1, "add", I(-3));
  b.Op(2, "read", Value(), I(2)).Op(2, "read", Value(), I(5));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
  b.Op(2, "read", Value(), I(1));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kInvalid);
}

TEST(CounterChecker, nonIntegerReadIsAViolationAndNonIntegerAddAnError) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), S("x"));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kInvalid);
  HistoryBuilder bad;
  bad.Op(0, "add", S("x"), S("x"));
  EXPECT_FALSE(CheckCounter(bad.Build()).ok());
}

TEST(CounterChecker, rendersJson) {
  HistoryBuilder b;
  b.Op(0, "add", I(2), I(2)).Op(1, "read", Value(), I(7));
  Value v = CounterCheckResultToValue(Check(b.Build()));
  EXPECT_EQ(*v.find("valid"), Value::Bool(false));
  EXPECT_EQ(*v.find("violation_count"), I(1));
  const Value& viol = v.find("violations")->as_array()[0];
  EXPECT_EQ(*viol.find("lower"), I(2));
  EXPECT_EQ(*viol.find("upper"), I(2));
  EXPECT_EQ(*viol.find("value"), I(7));
}

}  // namespace
}  // namespace faultline::checker
