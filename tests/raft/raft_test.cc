// The Raft core driven message by message. Test names cite the rule they check (Raft paper
// sections; thesis sections for pre-vote, CheckQuorum and ReadIndex).
#include "targets/raft/core/raft.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/raft/raft_test_util.h"

namespace faultline::raft {
namespace {

using testing::Filter;
using testing::MakeEntry;
using testing::TestCluster;

StorageView LogView(uint64_t term, std::vector<Entry> entries) {
  StorageView v;
  v.hard_state.term = term;
  v.entries = std::move(entries);
  return v;
}

std::vector<Entry> Entries(uint64_t from, uint64_t to, uint64_t term) {
  std::vector<Entry> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(MakeEntry(i, term, "e" + std::to_string(i)));
  return out;
}

std::vector<Entry> Concat(std::vector<Entry> a, const std::vector<Entry>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Delivers all messages and ticks everyone, `rounds` times.
void RunRounds(TestCluster& c, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    c.TickAll();
    c.Stabilize();
  }
}

// --- Leader election (§5.2, thesis §9.6) ----------------------------------------------------

TEST(RaftTest, Election_CandidateWithMajorityBecomesLeader) {
  TestCluster c(3);
  c.Elect(1);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), 1u);
  for (NodeId id : {2, 3}) {
    EXPECT_EQ(c.raft(id).role(), Role::kFollower);
    EXPECT_EQ(c.raft(id).leader(), 1u);
    EXPECT_EQ(c.raft(id).term(), 1u);
  }
  // The leader's no-op (§8) is committed and applied everywhere.
  for (NodeId id : {1, 2, 3}) {
    ASSERT_EQ(c.node(id).applied.size(), 1u);
    EXPECT_EQ(c.node(id).applied[0].type, EntryType::kNoop);
  }
}

TEST(RaftTest, Election_TimeoutStartsElection) {
  TestCluster c(3);
  const int timeout = c.raft(1).randomized_election_timeout();
  EXPECT_GE(timeout, 10);
  EXPECT_LT(timeout, 20);
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kPreCandidate);
  EXPECT_EQ(c.raft(1).term(), 0u) << "pre-vote must not bump the term";
  c.Stabilize();
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), 1u);
}

TEST(RaftTest, Election_RandomizedTimeoutIsSeeded) {
  StorageView empty;
  Config a;
  a.id = 1;
  a.voters = {1, 2, 3};
  a.seed = 7;
  Raft r1(a, empty);
  Raft r2(a, empty);
  EXPECT_EQ(r1.randomized_election_timeout(), r2.randomized_election_timeout());
  // Different seeds spread over [election_tick, 2 * election_tick).
  std::vector<int> seen(20, 0);
  for (uint64_t seed = 0; seed < 200; ++seed) {
    a.seed = seed;
    Raft r(a, empty);
    ASSERT_GE(r.randomized_election_timeout(), 10);
    ASSERT_LT(r.randomized_election_timeout(), 20);
    seen[r.randomized_election_timeout()]++;
  }
  int distinct = 0;
  for (int n : seen) distinct += n > 0;
  EXPECT_GE(distinct, 8);
}

TEST(RaftTest, Election_PreVoteDoesNotDisruptStableLeader) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  RunRounds(c, 100);  // node 3 times out again and again, but only pre-votes
  EXPECT_EQ(c.raft(3).term(), 1u) << "an isolated pre-candidate keeps its term";
  c.Heal();
  RunRounds(c, 30);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), 1u);
  EXPECT_EQ(c.raft(3).leader(), 1u);
}

TEST(RaftTest, Election_WithoutPreVoteRejoiningNodeDisruptsLeader) {
  // Why pre-vote exists: without it (and without CheckQuorum's lease), an isolated node keeps
  // bumping its term and deposes a healthy leader when it comes back.
  TestCluster c(3, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
  });
  c.Elect(1);
  c.Isolate(3);
  RunRounds(c, 100);
  EXPECT_GT(c.raft(3).term(), 1u);
  c.Heal();
  RunRounds(c, 30);
  EXPECT_GT(c.raft(1).term(), 1u);
}

TEST(RaftTest, Election_OneVotePerTerm) {
  TestCluster c(3);
  Message vote;
  vote.type = MessageType::kRequestVote;
  vote.from = 2;
  vote.to = 1;
  vote.term = 5;
  c.raft(1).Step(vote);
  vote.from = 3;
  c.raft(1).Step(vote);
  std::vector<Message> out = Filter(c.TakeMessages(), MessageType::kRequestVoteResponse);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].reject);
  EXPECT_TRUE(out[1].reject) << "second vote in term 5";
  EXPECT_EQ(c.raft(1).voted_for(), 2u);
}

TEST(RaftTest, Election_RejectsCandidateWithStaleLog) {
  TestCluster c(3);
  c.node(1).storage = LogView(1, Entries(1, 2, 1));
  c.Start(1);
  Message vote;
  vote.type = MessageType::kRequestVote;
  vote.from = 2;
  vote.to = 1;
  vote.term = 2;
  vote.index = 1;  // shorter log, same last term: not up-to-date (§5.4.1)
  vote.log_term = 1;
  c.raft(1).Step(vote);
  vote.from = 3;
  vote.index = 2;
  c.raft(1).Step(vote);
  std::vector<Message> out = Filter(c.TakeMessages(), MessageType::kRequestVoteResponse);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].reject);
  EXPECT_FALSE(out[1].reject);
}

TEST(RaftTest, Election_VoteIsPersistedBeforeItIsSent) {
  TestCluster c(3);
  Message vote;
  vote.type = MessageType::kRequestVote;
  vote.from = 2;
  vote.to = 1;
  vote.term = 3;
  c.raft(1).Step(vote);
  ASSERT_TRUE(c.raft(1).HasReady());
  Ready rd = c.raft(1).GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term, 3u);
  EXPECT_EQ(rd.hard_state->voted_for, 2u);
  EXPECT_TRUE(rd.must_sync);
  ASSERT_EQ(rd.messages.size(), 1u);  // in the same Ready: sent only after the sync
  EXPECT_FALSE(rd.messages[0].reject);
  c.raft(1).Advance();
}

TEST(RaftTest, Election_CandidateRecognizesLeaderOfItsTerm) {
  TestCluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
  c.raft(2).Campaign();  // candidate in term 1
  c.TakeMessages();      // its votes are lost
  Message append;
  append.type = MessageType::kAppendEntries;
  append.from = 1;
  append.to = 2;
  append.term = 1;
  c.raft(2).Step(append);
  EXPECT_EQ(c.raft(2).role(), Role::kFollower);
  EXPECT_EQ(c.raft(2).leader(), 1u);
}

// --- Log replication (§5.3) -----------------------------------------------------------------

TEST(RaftTest, AppendEntries_RejectsGapAndBacktracksFast) {
  TestCluster c(3);
  c.node(1).storage = LogView(1, Entries(1, 50, 1));
  c.Start(1);
  c.raft(1).Campaign();
  int rejects = 0;
  c.Stabilize([&](const Message& m) {
    if (m.type == MessageType::kAppendEntriesResponse && m.from == 2 && m.reject) {
      ++rejects;
      // The follower's log ends at 0: its hint says so, instead of one index per round trip.
      EXPECT_EQ(m.reject_hint, 0u);
    }
    return false;
  });
  EXPECT_EQ(rejects, 1);
  EXPECT_EQ(c.raft(2).log().last_index(), 51u);
  EXPECT_EQ(c.raft(2).commit_index(), 51u);
}

TEST(RaftTest, AppendEntries_FastBacktrackingSkipsConflictingTerm) {
  TestCluster c(3);
  // Node 2 holds 30 entries of a deposed term-2 leader; the new leader's log has term 3 there.
  c.node(1).storage = LogView(3, Concat(Entries(1, 10, 1), Entries(11, 20, 3)));
  c.node(2).storage = LogView(2, Concat(Entries(1, 10, 1), Entries(11, 40, 2)));
  c.node(3).storage = LogView(3, Concat(Entries(1, 10, 1), Entries(11, 20, 3)));
  for (NodeId id : {1, 2, 3}) c.Start(id);
  c.raft(1).Campaign();
  int rejects = 0;
  c.Stabilize([&](const Message& m) {
    rejects += m.type == MessageType::kAppendEntriesResponse && m.from == 2 && m.reject;
    return false;
  });
  EXPECT_LE(rejects, 2) << "one round trip per conflicting term, not per entry";
  // §5.3: the conflicting suffix is gone, the leader's entries replace it.
  ASSERT_EQ(c.raft(2).log().last_index(), 21u);
  for (uint64_t i = 1; i <= 21; ++i) {
    EXPECT_EQ(c.raft(2).log().TermAt(i), c.raft(1).log().TermAt(i)) << "index " << i;
  }
  EXPECT_EQ(c.node(2).storage.entries.back().index, 21u) << "the truncation reached the disk";
}

TEST(RaftTest, AppendEntries_DelayedShorterMessageDoesNotTruncate) {
  TestCluster c(3);
  Message m;
  m.type = MessageType::kAppendEntries;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.entries = Entries(1, 3, 1);
  c.raft(2).Step(m);
  c.DrainAll();
  Message late = m;
  late.entries = Entries(1, 1, 1);
  c.raft(2).Step(late);
  c.DrainAll();
  EXPECT_EQ(c.raft(2).log().last_index(), 3u);
}

TEST(RaftTest, AppendEntries_FollowerCommitsOnlyWhatTheMessageMatched) {
  TestCluster c(3);
  // Node 2 has stale entries 2..5 of term 1 beyond what the leader's message covers.
  c.node(2).storage = LogView(1, Entries(1, 5, 1));
  c.Start(2);
  Message m;
  m.type = MessageType::kAppendEntries;
  m.from = 1;
  m.to = 2;
  m.term = 2;
  m.index = 0;
  m.entries = Entries(1, 1, 1);
  m.commit = 5;  // the leader's commit may be ahead of what this message proves
  c.raft(2).Step(m);
  EXPECT_EQ(c.raft(2).commit_index(), 1u) << "Figure 2: min(leaderCommit, last new entry)";
}

TEST(RaftTest, AppendEntries_BatchesProposalsAndPipelines) {
  TestCluster c(3, [](Config& cfg) {
    cfg.max_entries_per_msg = 4;
    cfg.max_inflight_msgs = 2;
  });
  c.Elect(1);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.raft(1).Propose("x").error, RequestError::kOk);
  std::vector<Message> out = Filter(c.TakeMessages(), MessageType::kAppendEntries);
  // Two messages in flight per follower (the window), four entries each (the batch limit).
  ASSERT_EQ(out.size(), 4u);
  for (const Message& m : out) EXPECT_EQ(m.entries.size(), 4u);
  for (const Message& m : out) c.Deliver(m);
  c.Stabilize();
  EXPECT_EQ(c.raft(1).commit_index(), 21u);
  EXPECT_EQ(c.raft(3).commit_index(), 21u);
}

TEST(RaftTest, AppendEntries_LostMessagesAreRecoveredByHeartbeats) {
  TestCluster c(3);
  c.Elect(1);
  for (int i = 0; i < 5; ++i) c.raft(1).Propose("x");
  c.Stabilize([](const Message& m) { return m.type == MessageType::kAppendEntries && m.to == 3; });
  EXPECT_LT(c.raft(3).log().last_index(), 6u);
  RunRounds(c, 3);  // heartbeat responses show node 3 behind; the leader resends
  EXPECT_EQ(c.raft(3).log().last_index(), 6u);
  EXPECT_EQ(c.raft(3).commit_index(), 6u);
}

// --- Commitment (§5.4.2, Figure 8) --------------------------------------------------------

// The paper's Figure 8, (c): S1, leader of term 4, has replicated its term-2 entry at index 2 to
// a majority (S1, S2, S3) but not yet its own no-op at index 3.
struct Figure8 {
  explicit Figure8(bool unsafe)
      : c(5, [unsafe](Config& cfg) {
          cfg.max_entries_per_msg = 1;
          cfg.check_quorum = false;  // no leader lease: S5 may win as soon as S1 is gone
          cfg.unsafe_commit_old_terms = unsafe;
        }) {
    c.node(1).storage = LogView(3, {MakeEntry(1, 1), MakeEntry(2, 2, "old")});
    c.node(2).storage = LogView(3, {MakeEntry(1, 1), MakeEntry(2, 2, "old")});
    c.node(3).storage = LogView(3, {MakeEntry(1, 1)});
    c.node(4).storage = LogView(3, {MakeEntry(1, 1)});
    c.node(5).storage = LogView(3, {MakeEntry(1, 1), MakeEntry(2, 3, "s5")});
    for (NodeId id = 1; id <= 5; ++id) {
      c.node(id).storage.hard_state.commit = 1;
      c.Start(id);
    }
    c.Isolate(5);
    c.raft(1).Campaign();
    // Everything flows except S1's no-op (index 3): it never lands on S2, S3 or S4.
    c.Stabilize([this](const Message& m) {
      return m.type == MessageType::kAppendEntries && !m.entries.empty() &&
             m.entries.back().index >= 3 && c.raft(m.to).log().TermAt(m.index) == m.log_term;
    });
  }
  TestCluster c;
};

TEST(RaftTest, Commit_OnlyCurrentTermByCounting) {
  Figure8 f(/*unsafe=*/false);
  ASSERT_EQ(f.c.raft(1).role(), Role::kLeader);
  ASSERT_EQ(f.c.raft(1).term(), 4u);
  ASSERT_EQ(f.c.raft(3).log().TermAt(2), 2u) << "the old entry is on a majority";
  EXPECT_EQ(f.c.raft(1).commit_index(), 1u) << "§5.4.2: never commit an old-term entry by count";
  RunRounds(f.c, 3);  // now the no-op reaches the majority: both commit together
  EXPECT_EQ(f.c.raft(1).commit_index(), 3u);
}

TEST(RaftTest, Commit_UnsafeCommitOldTermsLosesACommittedEntry) {
  Figure8 f(/*unsafe=*/true);
  ASSERT_EQ(f.c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(f.c.raft(1).commit_index(), 2u) << "the bug: committed by counting replicas";
  // Figure 8 (d): S1 crashes; S5's last term (3) beats S2..S4's (2), so S5 wins and overwrites.
  f.c.Heal();
  f.c.Isolate(1);
  for (int attempt = 0; attempt < 3 && f.c.raft(5).role() != Role::kLeader; ++attempt) {
    f.c.Elect(5);  // the first pre-vote may only teach S5 the current term
  }
  ASSERT_EQ(f.c.raft(5).role(), Role::kLeader);
  EXPECT_EQ(f.c.raft(3).log().TermAt(2), 3u) << "the entry S1 committed at index 2 is gone";
}

TEST(RaftTest, Commit_SingleNodeCommitsOnlyAfterPersisting) {
  TestCluster c(1);
  c.Elect(1);
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  const ProposeResult p = c.raft(1).Propose("x");
  ASSERT_EQ(p.error, RequestError::kOk);
  Ready rd = c.raft(1).GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_TRUE(rd.committed_entries.empty()) << "not committed before it is on disk";
  c.raft(1).Advance();
  EXPECT_EQ(c.raft(1).commit_index(), p.index);
  Ready next = c.raft(1).GetReady();
  ASSERT_EQ(next.committed_entries.size(), 1u);
  EXPECT_EQ(next.committed_entries[0].data, "x");
  c.raft(1).Advance();
}

// --- ReadIndex (thesis §6.4) ----------------------------------------------------------------

TEST(RaftTest, ReadIndex_WaitsForHeartbeatQuorum) {
  TestCluster c(3);
  c.Elect(1);
  ASSERT_EQ(c.raft(1).ReadIndex(7), RequestError::kOk);
  std::vector<Message> hb = Filter(c.TakeMessages(), MessageType::kHeartbeat);
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_TRUE(c.node(1).read_states.empty()) << "leadership not yet confirmed";
  c.Deliver(hb[0]);  // one follower answers: with the leader, a quorum of 3
  std::vector<Message> acks = Filter(c.TakeMessages(), MessageType::kHeartbeatResponse);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(c.node(1).read_states.empty());
  c.Deliver(acks[0]);
  ASSERT_EQ(c.node(1).read_states.size(), 1u);
  EXPECT_EQ(c.node(1).read_states[0].context, 7u);
  EXPECT_EQ(c.node(1).read_states[0].index, c.raft(1).commit_index());
}

TEST(RaftTest, ReadIndex_EarlierHeartbeatDoesNotConfirmLaterRead) {
  TestCluster c(3);
  c.Elect(1);
  c.Tick(1);  // a regular heartbeat goes out before the read arrives
  std::vector<Message> old_round = Filter(c.TakeMessages(), MessageType::kHeartbeat);
  ASSERT_FALSE(old_round.empty());
  ASSERT_EQ(c.raft(1).ReadIndex(1), RequestError::kOk);
  c.TakeMessages();  // the read's own round is lost
  for (const Message& m : old_round) c.Deliver(m);
  c.Stabilize();
  EXPECT_TRUE(c.node(1).read_states.empty())
      << "acks of a round sent before the read prove nothing about leadership after it";
  RunRounds(c, 1);  // the next heartbeats carry the read's round
  EXPECT_EQ(c.node(1).read_states.size(), 1u);
}

TEST(RaftTest, ReadIndex_WaitsForLeadersFirstCommit) {
  TestCluster c(3);
  c.raft(1).Campaign();
  c.Stabilize([](const Message& m) { return m.type == MessageType::kAppendEntries; });
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  ASSERT_EQ(c.raft(1).commit_index(), 0u);
  ASSERT_EQ(c.raft(1).ReadIndex(3), RequestError::kOk);
  c.Stabilize([](const Message& m) { return m.type == MessageType::kAppendEntries; });
  EXPECT_TRUE(c.node(1).read_states.empty()) << "no read before the no-op commits";
  RunRounds(c, 2);
  ASSERT_EQ(c.node(1).read_states.size(), 1u);
  EXPECT_EQ(c.node(1).read_states[0].index, 1u);
}

TEST(RaftTest, ReadIndex_RefusedByFollower) {
  TestCluster c(3);
  c.Elect(1);
  EXPECT_EQ(c.raft(2).ReadIndex(1), RequestError::kNotLeader);
}

TEST(RaftTest, ReadIndex_ForgottenWhenLeaderStepsDown) {
  TestCluster c(3);
  c.Elect(1);
  ASSERT_EQ(c.raft(1).ReadIndex(1), RequestError::kOk);
  c.TakeMessages();
  Message higher;
  higher.type = MessageType::kAppendEntriesResponse;
  higher.from = 2;
  higher.to = 1;
  higher.term = 9;
  c.raft(1).Step(higher);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  RunRounds(c, 30);
  EXPECT_TRUE(c.node(1).read_states.empty());
}

// --- Log compaction and InstallSnapshot (§7) ------------------------------------------------

void ProposeAndCommit(TestCluster& c, NodeId leader, int n) {
  for (int i = 0; i < n; ++i) ASSERT_EQ(c.raft(leader).Propose("p").error, RequestError::kOk);
  c.Stabilize();
}

TEST(RaftTest, Snapshot_InstallSnapshotForLaggingFollower) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ProposeAndCommit(c, 1, 10);
  const uint64_t applied = c.raft(1).applied_index();
  ASSERT_EQ(applied, 11u);
  c.raft(1).Compact(applied, std::make_shared<const std::string>("state@11"));
  EXPECT_EQ(c.raft(1).log().first_index(), 12u);
  c.Heal();
  RunRounds(c, 3);
  ASSERT_EQ(c.node(3).snapshots_restored.size(), 1u);
  EXPECT_EQ(c.node(3).snapshots_restored[0].index, 11u);
  EXPECT_EQ(*c.node(3).snapshots_restored[0].data, "state@11");
  EXPECT_EQ(c.raft(3).applied_index(), 11u);
  ProposeAndCommit(c, 1, 2);
  EXPECT_EQ(c.raft(3).commit_index(), 13u);
  EXPECT_EQ(c.node(3).applied.back().index, 13u) << "entries after the snapshot follow";
}

TEST(RaftTest, Snapshot_RetainedEntriesCatchUpWithoutSnapshot) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ProposeAndCommit(c, 1, 10);
  c.raft(1).Compact(11, std::make_shared<const std::string>("s"), /*retain_entries=*/20);
  EXPECT_EQ(c.raft(1).log().first_index(), 1u);
  c.Heal();
  RunRounds(c, 3);
  EXPECT_TRUE(c.node(3).snapshots_restored.empty());
  EXPECT_EQ(c.raft(3).commit_index(), 11u);
}

TEST(RaftTest, Snapshot_FollowerWithSnapshotsLastEntryKeepsItsLog) {
  TestCluster c(3);
  c.node(2).storage = LogView(1, Entries(1, 10, 1));
  c.Start(2);
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.snapshot.index = 5;
  m.snapshot.term = 1;
  m.snapshot.data = std::make_shared<const std::string>("s");
  c.raft(2).Step(m);
  c.DrainAll();
  EXPECT_TRUE(c.node(2).snapshots_restored.empty()) << "§7: retain the entries following it";
  EXPECT_EQ(c.raft(2).log().last_index(), 10u);
  EXPECT_EQ(c.raft(2).commit_index(), 5u);
}

TEST(RaftTest, Snapshot_LostSnapshotIsResent) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ProposeAndCommit(c, 1, 5);
  c.raft(1).Compact(6, std::make_shared<const std::string>("s"));
  c.Heal();
  int sent = 0;
  for (int i = 0; i < 40 && c.node(3).snapshots_restored.empty(); ++i) {
    c.TickAll();
    c.Stabilize([&](const Message& m) {
      if (m.type != MessageType::kInstallSnapshot) return false;
      return ++sent == 1;  // the first one is lost
    });
  }
  EXPECT_GE(sent, 2);
  EXPECT_EQ(c.node(3).snapshots_restored.size(), 1u);
}

// --- CheckQuorum and leader lease (thesis §6.2, §4.2.3) -------------------------------------

TEST(RaftTest, CheckQuorum_LeaderStepsDown) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(1);
  c.Tick(1, 9);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  c.Tick(1, 11);  // a full election timeout without hearing from a quorum
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).ReadIndex(1), RequestError::kNotLeader);
}

TEST(RaftTest, CheckQuorum_FollowerInLeaseIgnoresVoteRequests) {
  TestCluster c(3);
  c.Elect(1);
  Message vote;
  vote.type = MessageType::kRequestVote;
  vote.from = 3;
  vote.to = 2;
  vote.term = 5;
  vote.index = 100;
  vote.log_term = 100;
  c.raft(2).Step(vote);
  EXPECT_EQ(c.raft(2).term(), 1u);
  EXPECT_TRUE(Filter(c.TakeMessages(), MessageType::kRequestVoteResponse).empty());
  c.Tick(2, 10);  // no word from the leader for an election timeout: the lease is over
  c.TakeMessages();
  c.raft(2).Step(vote);
  EXPECT_EQ(c.raft(2).term(), 5u);
}

// --- Terms and stale nodes --------------------------------------------------------------------

TEST(RaftTest, Step_StaleLeaderLearnsNewTermAndStepsDown) {
  // Without CheckQuorum the cut-off leader keeps believing it leads. With pre-vote its term-1
  // heartbeats must still be answered with the new term, or it would never find out.
  TestCluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.Elect(1);
  c.Isolate(1);
  RunRounds(c, 40);  // 2 and 3 elect a new leader in term 2
  ASSERT_TRUE(c.raft(2).term() == 2 || c.raft(3).term() == 2);
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  c.Heal();
  RunRounds(c, 2);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), 2u);
}

TEST(RaftTest, Propose_RefusedByFollowerAndBounded) {
  TestCluster c(3, [](Config& cfg) { cfg.max_uncommitted_entries = 3; });
  c.Elect(1);
  EXPECT_EQ(c.raft(2).Propose("x").error, RequestError::kNotLeader);
  c.Isolate(1);
  EXPECT_EQ(c.raft(1).Propose("a").error, RequestError::kOk);
  EXPECT_EQ(c.raft(1).Propose("b").error, RequestError::kOk);
  EXPECT_EQ(c.raft(1).Propose("c").error, RequestError::kOk);
  EXPECT_EQ(c.raft(1).Propose("d").error, RequestError::kBusy);
}

TEST(RaftTest, Step_SecondLeaderInTermStopsNode) {
  TestCluster c(3);
  c.Elect(1);
  Message m;
  m.type = MessageType::kAppendEntries;
  m.from = 2;
  m.to = 1;
  m.term = 1;
  c.raft(1).Step(m);
  EXPECT_FALSE(c.raft(1).fatal_error().empty());
  EXPECT_EQ(c.raft(1).Propose("x").error, RequestError::kStopped);
}

// --- Storage that loses acknowledged writes (Config::tolerate_lost_writes, --unsafe-no-fsync) ---
// Regression tests for a healed raftkv cluster under --unsafe-no-fsync that never committed
// again: followers that lost acknowledged entries, or that kept committed entries the new
// leader lost, were ignored by the leader (or ignored it) forever.

void LoseTail(TestCluster& c, NodeId id, uint64_t keep_last_index) {
  StorageView& v = c.node(id).storage;
  while (!v.entries.empty() && v.entries.back().index > keep_last_index) v.entries.pop_back();
  v.hard_state.commit = std::min(v.hard_state.commit, keep_last_index);
  c.Start(id);  // crash and restart from what reached the disk
}

void TolerateLostWrites(Config& config) { config.tolerate_lost_writes = true; }

TEST(RaftTest, LostWrites_LeaderReprobesFollowerThatLostAcknowledgedEntries) {
  TestCluster c(3, TolerateLostWrites);
  c.Elect(1);
  ProposeAndCommit(c, 1, 5);
  RunRounds(c, 1);
  ASSERT_EQ(c.raft(1).progress(2)->match_index, 6u);
  LoseTail(c, 2, 3);  // node 2 acknowledged up to 6 but its disk kept only 1..3
  c.Isolate(3);       // the leader now needs node 2 to commit
  ASSERT_EQ(c.raft(1).Propose("after").error, RequestError::kOk);
  RunRounds(c, 5);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).commit_index(), 7u);
  EXPECT_EQ(c.raft(2).log().last_index(), 7u);
  EXPECT_EQ(c.raft(2).commit_index(), 7u);
}

TEST(RaftTest, LostWrites_FollowerHeldByHeartbeatsAloneLearnsItLostEntries) {
  TestCluster c(3, TolerateLostWrites);
  c.Elect(1);
  ProposeAndCommit(c, 1, 5);
  RunRounds(c, 1);
  LoseTail(c, 2, 3);  // no new proposal: only heartbeats reach node 2
  RunRounds(c, 5);
  EXPECT_EQ(c.raft(2).log().last_index(), 6u);
  EXPECT_EQ(c.raft(2).commit_index(), 6u);
}

TEST(RaftTest, LostWrites_FollowerWithCommittedEntriesTheLeaderLostStartsOver) {
  TestCluster c(3, TolerateLostWrites);
  c.Elect(1);
  ProposeAndCommit(c, 1, 5);
  RunRounds(c, 1);
  ASSERT_EQ(c.raft(2).commit_index(), 6u);
  // Nodes 1 and 3 lose entries 5 and 6, which node 2 committed and applied.
  LoseTail(c, 1, 4);
  LoseTail(c, 3, 4);
  c.Isolate(2);
  c.Elect(3);
  ASSERT_EQ(c.raft(3).role(), Role::kLeader);  // term 2, its no-op at index 5
  c.Heal();
  c.Isolate(1);  // the leader now needs node 2 to commit
  ASSERT_EQ(c.raft(3).Propose("after").error, RequestError::kOk);
  RunRounds(c, 10);
  EXPECT_EQ(c.node(2).resets, 1);
  EXPECT_EQ(c.raft(3).commit_index(), 6u);
  EXPECT_EQ(c.raft(2).commit_index(), 6u);
  EXPECT_EQ(c.raft(2).log().TermAt(5), 2u);
  // The state machine started over and applied the leader's log, not the lost entries.
  ASSERT_EQ(c.node(2).applied.size(), 6u);
  EXPECT_EQ(c.node(2).applied.back().data, "after");
}

TEST(RaftTest, LostWrites_FollowerWithCommittedEntriesBeyondTheLeadersLogStartsOver) {
  TestCluster c(3, TolerateLostWrites);
  c.Elect(1);
  ProposeAndCommit(c, 1, 5);
  RunRounds(c, 1);
  LoseTail(c, 1, 4);
  LoseTail(c, 3, 4);
  c.Isolate(2);
  c.Elect(3);  // its no-op at 5; node 2's committed 5@1 and 6@1 lie beyond its log
  c.Heal();
  RunRounds(c, 10);  // heartbeats only
  EXPECT_EQ(c.node(2).resets, 1);
  EXPECT_EQ(c.raft(2).log().last_index(), 5u);
  EXPECT_EQ(c.raft(2).log().TermAt(5), 2u);
  EXPECT_EQ(c.raft(2).commit_index(), 5u);
}

TEST(RaftTest, LostWrites_SecondLeaderInTermMakesLeaderStepDown) {
  TestCluster c(3, TolerateLostWrites);
  c.Elect(1);
  Message m;
  m.type = MessageType::kAppendEntries;
  m.from = 2;
  m.to = 1;
  m.term = 1;
  c.raft(1).Step(m);
  EXPECT_TRUE(c.raft(1).fatal_error().empty());
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).leader(), 2u);
}

// --- Restart from persisted state (Figure 2: persistent state) --------------------------------

TEST(RaftTest, Restart_FromPersistedState) {
  TestCluster c(3);
  c.Elect(1);
  ProposeAndCommit(c, 1, 5);
  RunRounds(c, 1);  // followers learn the final commit index
  const HardState before = c.raft(2).hard_state();
  c.Start(2);  // crash and restart from its storage
  EXPECT_EQ(c.raft(2).term(), before.term);
  EXPECT_EQ(c.raft(2).voted_for(), before.voted_for);
  EXPECT_EQ(c.raft(2).commit_index(), 6u);
  EXPECT_EQ(c.raft(2).log().last_index(), 6u);
  c.Drain(2);
  EXPECT_EQ(c.node(2).applied.size(), 6u) << "committed entries are applied again after restart";
  RunRounds(c, 5);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
}

TEST(RaftTest, Restart_VoteSurvives) {
  TestCluster c(3);
  Message vote;
  vote.type = MessageType::kRequestVote;
  vote.from = 3;
  vote.to = 2;
  vote.term = 4;
  c.raft(2).Step(vote);
  c.DrainAll();
  c.TakeMessages();
  c.Start(2);
  vote.from = 1;
  c.raft(2).Step(vote);
  std::vector<Message> out = Filter(c.TakeMessages(), MessageType::kRequestVoteResponse);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reject) << "it voted for node 3 in term 4 before the restart";
}

TEST(RaftTest, Restart_FromSnapshotAppliesOnlyLaterEntries) {
  TestCluster c(1);
  c.Elect(1);
  ProposeAndCommit(c, 1, 4);
  c.raft(1).Compact(3, std::make_shared<const std::string>("s3"));
  c.node(1).storage.snapshot = c.raft(1).log().snapshot();
  auto& es = c.node(1).storage.entries;
  es.erase(es.begin(), es.begin() + 3);
  c.Start(1);
  EXPECT_EQ(c.raft(1).applied_index(), 3u);
  c.Drain(1);
  ASSERT_EQ(c.node(1).applied.size(), 2u);
  EXPECT_EQ(c.node(1).applied[0].index, 4u);
}

TEST(RaftTest, Validate_RejectsBrokenStorage) {
  Config cfg;
  cfg.id = 1;
  cfg.voters = {1, 2, 3};
  StorageView v = LogView(1, {MakeEntry(1, 1), MakeEntry(3, 1)});
  EXPECT_NE(Raft::Validate(cfg, v), "");
  v = LogView(1, Entries(1, 3, 1));
  v.hard_state.commit = 4;
  EXPECT_NE(Raft::Validate(cfg, v), "");
  v.hard_state.commit = 3;
  EXPECT_EQ(Raft::Validate(cfg, v), "");
  cfg.voters = {2, 3};
  EXPECT_NE(Raft::Validate(cfg, v), "");
}

// --- Determinism ------------------------------------------------------------------------------

std::string Trace(uint64_t seed) {
  TestCluster c(5, [seed](Config& cfg) { cfg.seed = seed; });
  std::string out;
  for (int round = 0; round < 60; ++round) {
    c.TickAll();
    for (const Message& m : c.TakeMessages()) {
      out += DescribeMessage(m) + "\n";
      c.Deliver(m);
    }
  }
  return out;
}

TEST(RaftTest, Determinism_SameSeedSameMessages) {
  EXPECT_EQ(Trace(3), Trace(3));
  EXPECT_NE(Trace(3), Trace(4));
}

}  // namespace
}  // namespace faultline::raft
