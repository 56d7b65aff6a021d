#include "checker/mutex_checker.h"

#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"

namespace faultline::checker {
namespace {

using base::Result;
using testing::HistoryBuilder;
using testing::I;

constexpr int64_t kMs = 1000000;

MutexCheckResult Check(const History& h, int64_t lease_ns = 0) {
  Result<MutexCheckResult> r = CheckMutex(h, lease_ns);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : MutexCheckResult{};
}

// The builder stamps event i at i µs; these tests place events on a millisecond scale instead.
History AtMs(History h, const std::vector<int64_t>& ms) {
  for (size_t i = 0; i < h.events.size() && i < ms.size(); ++i) h.events[i].time = ms[i] * kMs;
  return h;
}

TEST(MutexChecker, emptyHistoryIsValid) {
  MutexCheckResult r = Check(HistoryBuilder().Build());
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_EQ(r.holds, 0);
}

TEST(MutexChecker, holdsOneAfterAnotherAreValid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1)).Op(0, "release", I(1), I(1));
  b.Op(1, "acquire", Value(), I(2)).Op(1, "release", I(2), I(2));
  MutexCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.holds, 2);
  EXPECT_TRUE(r.overlaps.empty());
}

TEST(MutexChecker, secondGrantBeforeTheFirstReleaseIsAnOverlap) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Op(1, "acquire", Value(), I(2));  // granted while process 0 still holds token 1
  b.Op(0, "release", I(1), I(1)).Op(1, "release", I(2), I(2));
  MutexCheckResult r = Check(b.Build());  // no lease: every overlap is a broken lock
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.overlaps.size(), 1u);
  EXPECT_EQ(r.overlaps[0].first.process, 0);
  EXPECT_EQ(r.overlaps[0].second.process, 1);
  EXPECT_EQ(r.overlaps[0].first.release_invoke_index, 4);
  EXPECT_NE(r.summary.find("process 1 got token 2"), std::string::npos) << r.summary;
}

// A release invoked while the other acquire is still in flight: the grant may have come after
// the release, so nothing is proven.
TEST(MutexChecker, acquireConcurrentWithTheReleaseIsNoOverlap) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Invoke(1, "acquire").Invoke(0, "release", I(1)).Ok(1, "acquire", I(2)).Ok(0, "release", I(1));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
}

TEST(MutexChecker, indeterminateAcquiresAreNotHolds) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Invoke(1, "acquire").Info(1, "acquire");
  b.Op(0, "release", I(1), I(1));
  MutexCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_EQ(r.holds, 1);
}

// After an indeterminate write the holder goes on as a new process: the token ties its release
// to its acquire.
TEST(MutexChecker, holdsEndAtTheReleaseOfTheirTokenWhateverTheProcess) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Invoke(0, "write", I(1)).Info(0, "write", I(1));
  b.Op(10, "release", I(1), I(1));  // process 0 retired; the same worker releases as 10
  b.Op(1, "acquire", Value(), I(2)).Op(1, "release", I(2), I(2));
  EXPECT_EQ(Check(b.Build()).verdict, Verdict::kValid);
}

TEST(MutexChecker, aHoldNeverReleasedLastsToTheEnd) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Op(1, "acquire", Value(), I(2));
  MutexCheckResult r = Check(b.Build());
  ASSERT_EQ(r.overlaps.size(), 1u);
  EXPECT_EQ(r.overlaps[0].first.release_invoke_index, -1);
}

TEST(MutexChecker, separateKeysAreSeparateLocks) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1), I(0));
  b.Op(1, "acquire", Value(), I(1), I(2));
  b.Op(0, "release", I(1), I(1), I(0)).Op(1, "release", I(1), I(2));
  MutexCheckResult r = Check(b.Build());
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.locks, 2);
}

// The lock workload's paused holder: its lease (1000 ms) runs out while it sleeps, another
// client gets the lock at 1800 ms. Reported, but valid: that is what a lease lock does.
TEST(MutexChecker, overlapAfterTheLeaseRanOutIsReportedButValid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));  // invoke 0 ms, ok 10 ms
  b.Op(1, "acquire", Value(), I(2));  // invoke 1790 ms, ok 1800 ms
  b.Op(0, "release", I(1), I(1));     // invoke 1900 ms
  MutexCheckResult r = Check(AtMs(b.Build(), {0, 10, 1790, 1800, 1900, 1910}), 1000 * kMs);
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(r.overlaps_after_lease, 1);
  EXPECT_EQ(r.overlaps_within_lease, 0);
  EXPECT_EQ(r.holds_overlapping, 2);
  ASSERT_EQ(r.overlaps.size(), 1u);
  EXPECT_FALSE(r.overlaps[0].within_lease);
  EXPECT_EQ(r.overlaps[0].start_time, 1800 * kMs);
  EXPECT_EQ(r.overlaps[0].end_time, 1900 * kMs);
  EXPECT_NE(r.summary.find("safe only with fencing tokens"), std::string::npos) << r.summary;
}

// The second grant came 300 ms after the first acquire was invoked, well inside a 1000 ms lease:
// two live leases at once.
TEST(MutexChecker, overlapWhileBothLeasesRanIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  b.Op(1, "acquire", Value(), I(2));
  b.Op(0, "release", I(1), I(1));
  MutexCheckResult r = Check(AtMs(b.Build(), {0, 10, 290, 300, 400, 410}), 1000 * kMs);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.overlaps_within_lease, 1);
  EXPECT_NE(r.summary.find("while both leases certainly ran"), std::string::npos) << r.summary;
}

// A paused holder overlaps every short hold granted while it sleeps: one overlap per pair, and
// the count of holds involved says how many grants took part.
TEST(MutexChecker, oneLongHoldOverlapsEveryHoldDuringIt) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1));
  for (int t = 2; t <= 4; ++t) b.Op(t, "acquire", Value(), I(t)).Op(t, "release", I(t), I(t));
  b.Op(0, "release", I(1), I(1));
  MutexCheckResult r = Check(b.Build());
  EXPECT_EQ(r.overlaps.size(), 3u);
  EXPECT_EQ(r.holds_overlapping, 4);
  for (const MutexOverlap& o : r.overlaps) EXPECT_EQ(o.first.token, 1);
}

TEST(MutexChecker, withoutTimesEveryOverlapCounts) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1)).Op(1, "acquire", Value(), I(2));
  History h = b.Build();
  for (Event& e : h.events) e.time = -1;
  EXPECT_EQ(Check(h, 1000 * kMs).verdict, Verdict::kInvalid);
}

TEST(MutexChecker, nonIntegerTokenIsAnError) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), testing::S("x"));
  EXPECT_FALSE(CheckMutex(b.Build(), 0).ok());
}

TEST(MutexChecker, toValueCarriesTheEvidence) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1)).Op(1, "acquire", Value(), I(2));
  Value v = MutexCheckResultToValue(Check(b.Build()));
  EXPECT_EQ(v.find("valid")->ToJson(), "false");
  ASSERT_EQ(v.find("overlaps")->as_array().size(), 1u);
  EXPECT_EQ(v.find("overlaps")->as_array()[0].find("second")->find("token")->as_int(), 2);
}

}  // namespace
}  // namespace faultline::checker
