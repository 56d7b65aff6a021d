#include "targets/raft/core/log.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/raft/raft_test_util.h"

namespace faultline::raft {
namespace {

using testing::MakeEntry;

StorageView View(std::vector<Entry> entries, uint64_t snap_index = 0, uint64_t snap_term = 0) {
  StorageView v;
  v.hard_state.term = 10;
  v.entries = std::move(entries);
  v.snapshot.index = snap_index;
  v.snapshot.term = snap_term;
  if (snap_index > 0) v.snapshot.data = std::make_shared<const std::string>("s");
  return v;
}

TEST(RaftLogTest, EmptyLogMatchesIndexZero) {
  RaftLog log(View({}));
  EXPECT_EQ(log.first_index(), 1u);
  EXPECT_EQ(log.last_index(), 0u);
  EXPECT_EQ(log.TermAt(0), 0u);
  EXPECT_FALSE(log.TermAt(1).has_value());
  EXPECT_FALSE(log.CheckInvariants().has_value());
}

TEST(RaftLogTest, TermAtKnowsSnapshotButNotCompactedEntries) {
  RaftLog log(View({MakeEntry(6, 2), MakeEntry(7, 3)}, 5, 2));
  EXPECT_EQ(log.TermAt(5), 2u);
  EXPECT_EQ(log.TermAt(7), 3u);
  EXPECT_FALSE(log.TermAt(4).has_value());
  EXPECT_FALSE(log.TermAt(8).has_value());
  EXPECT_EQ(log.last_term(), 3u);
}

TEST(RaftLogTest, IsUpToDateComparesLastTermThenLength) {
  RaftLog log(View({MakeEntry(1, 1), MakeEntry(2, 3)}));
  EXPECT_TRUE(log.IsUpToDate(1, 4));
  EXPECT_TRUE(log.IsUpToDate(2, 3));
  EXPECT_FALSE(log.IsUpToDate(1, 3));
  EXPECT_FALSE(log.IsUpToDate(9, 2));
}

TEST(RaftLogTest, FindConflictByTermSkipsWholeTerms) {
  RaftLog log(
      View({MakeEntry(1, 1), MakeEntry(2, 1), MakeEntry(3, 4), MakeEntry(4, 4), MakeEntry(5, 5)}));
  EXPECT_EQ(log.FindConflictByTerm(5, 3), std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(log.FindConflictByTerm(5, 4), std::make_pair(uint64_t{4}, uint64_t{4}));
  EXPECT_EQ(log.FindConflictByTerm(9, 9), std::make_pair(uint64_t{5}, uint64_t{5}));
  EXPECT_EQ(log.FindConflictByTerm(5, 0), std::make_pair(uint64_t{0}, uint64_t{0}));
}

TEST(RaftLogTest, FindConflictByTermStopsAtCompactedPrefix) {
  RaftLog log(View({MakeEntry(4, 3), MakeEntry(5, 3)}, 3, 3));
  EXPECT_EQ(log.FindConflictByTerm(5, 2), std::make_pair(uint64_t{2}, uint64_t{0}));
}

TEST(RaftLogTest, TruncateAndAppendMarksRewrittenEntriesUnstable) {
  RaftLog log(View({MakeEntry(1, 1), MakeEntry(2, 1), MakeEntry(3, 1)}));
  EXPECT_TRUE(log.UnstableEntries().empty());
  log.TruncateAndAppend({MakeEntry(2, 2), MakeEntry(3, 2), MakeEntry(4, 2)});
  EXPECT_EQ(log.last_index(), 4u);
  EXPECT_EQ(log.stable_index(), 1u);
  std::vector<Entry> unstable = log.UnstableEntries();
  ASSERT_EQ(unstable.size(), 3u);
  EXPECT_EQ(unstable.front().index, 2u);
  EXPECT_FALSE(log.CheckInvariants().has_value());
}

TEST(RaftLogTest, SliceRespectsCountAndBytesButMakesProgress) {
  RaftLog log(View({MakeEntry(1, 1, "aaaa"), MakeEntry(2, 1, "bbbb"), MakeEntry(3, 1, "cccc")}));
  EXPECT_EQ(log.Slice(1, 3, 2, 100).size(), 2u);
  EXPECT_EQ(log.Slice(1, 3, 10, 8).size(), 2u);
  EXPECT_EQ(log.Slice(1, 3, 10, 1).size(), 1u) << "one oversized entry still goes";
}

TEST(RaftLogTest, CompactKeepsRetainedEntries) {
  std::vector<Entry> es;
  for (uint64_t i = 1; i <= 10; ++i) es.push_back(MakeEntry(i, 1));
  RaftLog log(View(es));
  Snapshot s;
  s.index = 8;
  s.term = 1;
  s.data = std::make_shared<const std::string>("s");
  log.Compact(s, 5);
  EXPECT_EQ(log.first_index(), 6u);
  EXPECT_EQ(log.snapshot().index, 8u);
  EXPECT_EQ(log.TermAt(6), 1u);
  EXPECT_FALSE(log.TermAt(5).has_value());
  EXPECT_FALSE(log.CheckInvariants().has_value());
}

TEST(RaftLogTest, RestoreReplacesEverything) {
  RaftLog log(View({MakeEntry(1, 1), MakeEntry(2, 1)}));
  Snapshot s;
  s.index = 20;
  s.term = 4;
  s.data = std::make_shared<const std::string>("s");
  log.Restore(s);
  EXPECT_EQ(log.first_index(), 21u);
  EXPECT_EQ(log.last_index(), 20u);
  EXPECT_EQ(log.last_term(), 4u);
  EXPECT_TRUE(log.UnstableEntries().empty());
  EXPECT_FALSE(log.CheckInvariants().has_value());
}

}  // namespace
}  // namespace faultline::raft
