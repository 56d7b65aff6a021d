#include "checker/set_checker.h"

#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

using testing::A;
using testing::HistoryBuilder;
using testing::I;

std::vector<int64_t> Ints(const std::vector<Value>& values) {
  std::vector<int64_t> out;
  for (const Value& v : values) out.push_back(v.as_int());
  return out;
}

SetCheckResult Check(const History& h, const SetCheckOptions& options = {}) {
  Result<SetCheckResult> r = CheckSet(h, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : SetCheckResult{};
}

TEST(SetChecker, emptyHistoryIsUnknown) {
  SetCheckResult r = Check(HistoryBuilder().Build());
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.attempted, 0);
}

TEST(SetChecker, allAcknowledgedPresentIsValid) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1)).Op(1, "add", I(2), I(2));
  b.Op(0, "read", Value(), A({I(2), I(1)})).Op(1, "read", Value(), A({I(1), I(2)}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.acknowledged, 2);
  EXPECT_EQ(r.final_reads_ok, 2);
}

TEST(SetChecker, missingFromOneNodesFinalReadIsLost) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1)).Op(1, "add", I(2), I(2));
  b.Op(0, "read", Value(), A({I(1), I(2)})).Op(1, "read", Value(), A({I(1)}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].element, I(2));
  EXPECT_EQ(r.lost[0].present_in, 1);
  EXPECT_EQ(r.lost[0].missing_from, std::vector<int64_t>{6});
  EXPECT_NE(r.summary.find("lost 1 of 2"), std::string::npos) << r.summary;
}

TEST(SetChecker, readConcurrentWithTheAckDoesNotJudgeIt) {
  // The final read begins before the add is acknowledged: it may linearize first.
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1));
  b.Invoke(1, "add", I(2)).Invoke(2, "read").Ok(1, "add", I(2)).Ok(2, "read", A({I(1)}));
  b.Op(3, "read", Value(), A({I(1), I(2)}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
}

TEST(SetChecker, ackAfterEveryFinalReadBeganIsUnchecked) {
  HistoryBuilder b;
  b.Invoke(1, "add", I(2)).Invoke(2, "read").Ok(1, "add", I(2)).Ok(2, "read", A({}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(Ints(r.unchecked), std::vector<int64_t>{2});
}

TEST(SetChecker, unexpectedElementInAnyRead) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), A({I(9)}));  // not final: an add follows
  b.Op(0, "add", I(1), I(1)).Op(0, "read", Value(), A({I(1)}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(Ints(r.unexpected), std::vector<int64_t>{9});
  EXPECT_TRUE(r.lost.empty());
}

TEST(SetChecker, indeterminateAddsAreRecoveredOrForgiven) {
  HistoryBuilder b;
  b.Invoke(0, "add", I(1)).Info(0, "add", I(1));
  b.Invoke(1, "add", I(2)).Info(1, "add", I(2));
  b.Invoke(2, "add", I(3));  // never completes
  b.Invoke(3, "add", I(4)).Fail(3, "add", I(4), "retries-exhausted");
  b.Op(4, "read", Value(), A({I(1), I(3)}));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.indeterminate, 3);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(Ints(r.recovered), (std::vector<int64_t>{1, 3}));
}

TEST(SetChecker, failedReadsLeaveItUnknown) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1));
  b.Invoke(1, "read").Info(1, "read");
  b.Invoke(2, "read").Fail(2, "read", Value(), "not-leader");
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.final_reads, 2);
  EXPECT_EQ(r.final_reads_ok, 0);
}

TEST(SetChecker, keysAreSeparateSets) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1), I(0)).Op(1, "add", I(2), I(2), I(1));
  // Key 1's read holds key 0's element: unexpected there, and 2 is lost.
  b.Op(0, "read", Value(), A({I(1)}), I(0)).Op(1, "read", Value(), A({I(1)}), I(1));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.keys, 2);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].key, I(1));
  EXPECT_EQ(Ints(r.unexpected), std::vector<int64_t>{1});
}

TEST(SetChecker, explicitFinalReads) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1));
  b.Op(1, "read", Value(), A({}));      // invoke index 2: a stale read, but not named final
  b.Op(1, "read", Value(), A({I(1)}));  // invoke index 4
  SetCheckOptions o;
  o.final_reads = std::set<int64_t>{4};
  EXPECT_EQ(Check(b.Build(), o).verdict, Verdict::kValid);
  o.final_reads = std::set<int64_t>{2, 4};
  EXPECT_EQ(Check(b.Build(), o).verdict, Verdict::kInvalid);
}

TEST(SetChecker, absentKeyReadsAsEmptyAndNonArrayIsMalformed) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), Value());
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
  b.Op(1, "read", Value(), I(7));
  SetCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.malformed, std::vector<int64_t>{3});
}

TEST(SetChecker, nemesisEventsAreIgnoredAndUnpairedHistoryIsAnError) {
  HistoryBuilder b;
  b.Nemesis("start-partition").Op(0, "add", I(1), I(1)).Op(0, "read", Value(), A({I(1)}));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
  HistoryBuilder bad;
  bad.Ok(0, "add", I(1));
  EXPECT_FALSE(CheckSet(bad.Build()).ok());
}

TEST(SetChecker, rendersJson) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1)).Op(0, "add", I(2), I(2)).Op(1, "read", Value(), A({I(1)}));
  Value v = SetCheckResultToValue(Check(b.Build()));
  EXPECT_EQ(*v.find("valid"), Value::Bool(false));
  EXPECT_EQ(*v.find("lost_count"), I(1));
  EXPECT_EQ(v.find("lost")->as_array()[0].find("element")->as_int(), 2);
  EXPECT_EQ(*v.find("acknowledged"), I(2));
  Value capped = SetCheckResultToValue(Check(b.Build()), 0);
  EXPECT_TRUE(capped.find("lost")->as_array().empty());
  EXPECT_EQ(*capped.find("lost_count"), I(1));
}

}  // namespace
}  // namespace faultline::checker
