#include "checker/fencing_checker.h"

#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

using testing::HistoryBuilder;
using testing::I;
using testing::S;

FencingCheckResult Check(const History& h) {
  Result<FencingCheckResult> r = CheckFencing(h);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : FencingCheckResult{};
}

TEST(FencingChecker, emptyHistoryIsValid) {
  FencingCheckResult r = Check(HistoryBuilder().Build());
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_EQ(r.writes, 0);
}

TEST(FencingChecker, risingTokensAreValid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1)).Op(0, "write", I(1), I(1));
  b.Op(1, "acquire", Value(), I(2)).Op(1, "write", I(2), I(2));
  b.Op(0, "write", I(2), I(2));  // the same token twice is not stale
  FencingCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.writes_accepted, 3);
  EXPECT_EQ(r.acquires_ok, 2);
}

TEST(FencingChecker, staleWriteAcceptedAfterHigherTokenIsInvalid) {
  HistoryBuilder b;
  b.Op(1, "write", I(2), I(2)).Op(2, "write", I(3), I(3));
  b.Op(0, "write", I(1), I(1));  // the paused holder wakes up and is let in
  FencingCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.stale_writes.size(), 1u);
  EXPECT_EQ(r.stale_writes[0].write.token, 1);
  EXPECT_EQ(r.stale_writes[0].earlier.token, 3);
  EXPECT_EQ(r.stale_writes[0].earlier.complete_index, 3);
}

TEST(FencingChecker, concurrentWritesMayLandInEitherOrder) {
  HistoryBuilder b;
  b.Invoke(1, "write", I(2)).Invoke(0, "write", I(1)).Ok(1, "write", I(2)).Ok(0, "write", I(1));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
}

TEST(FencingChecker, rejectedAndIndeterminateWritesProveNothing) {
  HistoryBuilder b;
  b.Invoke(1, "write", I(5)).Info(1, "write", I(5));
  b.Op(1, "write", I(3), I(3));
  b.Invoke(0, "write", I(1)).Fail(0, "write", I(1), "stale-token");
  FencingCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.writes, 3);
  EXPECT_EQ(r.writes_rejected, 1);
}

TEST(FencingChecker, resourcesAreSeparateByKey) {
  HistoryBuilder b;
  b.Op(0, "write", I(5), I(5), I(1)).Op(1, "write", I(1), I(1), I(3));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
}

TEST(FencingChecker, duplicateGrantIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(4), I(0)).Op(1, "acquire", Value(), I(4), I(0));
  b.Op(2, "acquire", Value(), I(4), I(2));  // another lock: its own token space
  b.Invoke(3, "acquire", Value(), I(0)).Info(3, "acquire", Value(), I(0));
  FencingCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.duplicate_tokens.size(), 1u);
  EXPECT_EQ(r.duplicate_tokens[0].token, 4);
  EXPECT_EQ(r.duplicate_tokens[0].first.complete_index, 1);
  EXPECT_EQ(r.duplicate_tokens[0].second.complete_index, 3);
}

TEST(FencingChecker, nonIntegerTokenIsAnError) {
  HistoryBuilder b;
  b.Op(0, "write", S("t"), S("t"));
  EXPECT_FALSE(CheckFencing(b.Build()).ok());
}

TEST(FencingChecker, rendersJson) {
  HistoryBuilder b;
  b.Op(1, "write", I(2), I(2)).Op(0, "write", I(1), I(1));
  Value v = FencingCheckResultToValue(Check(b.Build()));
  EXPECT_EQ(*v.find("valid"), Value::Bool(false));
  EXPECT_EQ(*v.find("stale_write_count"), I(1));
  const Value& s = v.find("stale_writes")->as_array()[0];
  EXPECT_EQ(*s.find("write")->find("token"), I(1));
  EXPECT_EQ(*s.find("earlier")->find("token"), I(2));
}

}  // namespace
}  // namespace faultline::checker
