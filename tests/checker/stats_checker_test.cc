#include "checker/stats_checker.h"

#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using testing::HistoryBuilder;
using testing::I;

TEST(StatsChecker, everyKindSucceededIsValid) {
  HistoryBuilder b;
  b.Op(0, "write", I(1), I(1)).Op(1, "read", Value(), I(1));
  b.Invoke(0, "cas", testing::Pair(1, 2)).Fail(0, "cas", testing::Pair(1, 2), "mismatch");
  b.Op(0, "cas", testing::Pair(1, 2), testing::Pair(1, 2));
  const StatsCheckResult r = CheckStats(b.Build(), {"read", "write", "cas"});
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.by_f.at("cas").invoked, 2);
  EXPECT_EQ(r.by_f.at("cas").ok, 1);
  EXPECT_EQ(r.by_f.at("cas").fail, 1);
  EXPECT_EQ(r.by_f.at("cas").not_ok.at("fail mismatch"), 1);
}

TEST(StatsChecker, nothingSucceededIsUnknownWithTheErrors) {
  HistoryBuilder b;
  for (int p = 0; p < 5; ++p) {
    b.Invoke(p, "acquire");
    b.Info(p, "acquire");
  }
  History h = b.Build();
  for (Event& e : h.events) {
    if (e.type == EventType::kInfo) e.error = "http-404";
  }
  h.events.insert(h.events.begin(), Event{});  // a nemesis event does not count
  h.events.front().nemesis = true;
  h.events.front().f = "start-kill";
  const StatsCheckResult r = CheckStats(h, {"acquire", "write", "release"});
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.summary, "no acquire ever succeeded: 5 info http-404; write, release never invoked");
  EXPECT_EQ(r.by_f.count("start-kill"), 0u);
}

TEST(StatsChecker, oneKindThatNeverSucceededIsUnknown) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), Value());
  b.Invoke(1, "write", I(1)).Fail(1, "write", I(1), "not-leader");
  b.Invoke(2, "write", I(2)).Fail(2, "write", I(2), "not-leader");
  b.Invoke(3, "write", I(3));  // never completed
  const StatsCheckResult r = CheckStats(b.Build(), {"read", "write"});
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.summary, "no write ever succeeded: 2 fail not-leader, 1 info unfinished");
  EXPECT_EQ(r.by_f.at("write").info, 1);
}

TEST(StatsChecker, aKindNeverInvokedIsNamed) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), Value());
  const StatsCheckResult r = CheckStats(b.Build(), {"read", "cas"});
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.summary, "cas never invoked");
}

TEST(StatsChecker, emptyHistoryIsUnknown) {
  const StatsCheckResult r = CheckStats(History{}, {});
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.summary, "no client operation was invoked");
}

TEST(StatsChecker, valueCarriesTheCounts) {
  HistoryBuilder b;
  b.Op(0, "read", Value(), Value());
  const Value v = StatsCheckResultToValue(CheckStats(b.Build(), {"read"}));
  EXPECT_EQ(*v.find("valid"), Value::Bool(true));
  EXPECT_EQ(*v.find("by_f")->find("read")->find("ok"), I(1));
}

TEST(StatsChecker, notOkLineListsTheLargestFirst) {
  EXPECT_EQ(NotOkLine({{"fail a", 1}, {"info b", 7}, {"fail c", 3}, {"fail d", 2}}, 2),
            "7 info b, 3 fail c and 2 more");
}

TEST(StatsChecker, severalKindsThatAllFailedAreOneLine) {
  HistoryBuilder b;
  b.Invoke(0, "read").Fail(0, "read", Value(), "no-quorum");
  b.Invoke(1, "write", I(1)).Fail(1, "write", I(1), "no-quorum");
  b.Invoke(2, "write", I(2)).Info(2, "write", I(2));
  const StatsCheckResult r = CheckStats(b.Build(), {"read", "write"});
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.summary, "no operation ever succeeded: 2 fail no-quorum, 1 info");
}

}  // namespace
}  // namespace faultline::checker
