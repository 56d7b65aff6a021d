// The invariant checker must find each of Raft's safety violations when fed a deliberately
// broken history of node states, and must stay silent on a correct cluster.
#include "targets/raft/core/invariants.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/raft/raft_test_util.h"

namespace faultline::raft {
namespace {

using testing::MakeEntry;
using testing::TestCluster;

// A node state built by hand; `log` must outlive the observation.
NodeObservation Obs(NodeId id, Role role, uint64_t term, const std::vector<Entry>& log,
                    uint64_t commit = 0) {
  NodeObservation n;
  n.id = id;
  n.role = role;
  n.term = term;
  n.commit_index = commit;
  n.applied_index = commit;
  n.first_index = 1;
  n.entries = log;
  return n;
}

bool Has(const std::vector<Violation>& v, const std::string& property) {
  for (const Violation& x : v) {
    if (x.property == property) return true;
  }
  return false;
}

TEST(InvariantsTest, ElectionSafety_TwoLeadersInOneTerm) {
  InvariantChecker checker;
  std::vector<Entry> log;
  std::vector<NodeObservation> nodes = {Obs(1, Role::kLeader, 2, log),
                                        Obs(2, Role::kFollower, 2, log)};
  EXPECT_TRUE(checker.Check(nodes).empty());
  nodes[0].role = Role::kFollower;
  nodes[1].role = Role::kLeader;  // another leader of term 2, even after the first stepped down
  std::vector<Violation> v = checker.Check(nodes);
  ASSERT_TRUE(Has(v, "Election Safety"));
  EXPECT_NE(v[0].message.find("term 2"), std::string::npos) << v[0].ToString();
}

TEST(InvariantsTest, LeaderAppendOnly_LeaderRewritesItsEntry) {
  InvariantChecker checker;
  std::vector<Entry> log = {MakeEntry(1, 1, "a"), MakeEntry(2, 1, "b")};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kLeader, 1, log)};
  EXPECT_TRUE(checker.Check(nodes).empty());
  std::vector<Entry> rewritten = {MakeEntry(1, 1, "a"), MakeEntry(2, 1, "c")};
  std::vector<Entry> appended = {rewritten[1]};
  nodes[0].entries = rewritten;
  nodes[0].appended = appended;
  std::vector<Violation> v = checker.Check(nodes);
  EXPECT_TRUE(Has(v, "Leader Append-Only"));
}

TEST(InvariantsTest, LeaderAppendOnly_LeaderShrinksItsLog) {
  InvariantChecker checker;
  std::vector<Entry> log = {MakeEntry(1, 1), MakeEntry(2, 1)};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kLeader, 1, log)};
  EXPECT_TRUE(checker.Check(nodes).empty());
  std::vector<Entry> shorter = {MakeEntry(1, 1)};
  nodes[0].entries = shorter;
  EXPECT_TRUE(Has(checker.Check(nodes), "Leader Append-Only"));
}

TEST(InvariantsTest, LogMatching_SameIndexAndTermDifferentContent) {
  InvariantChecker checker;
  std::vector<Entry> a = {MakeEntry(1, 1, "x")};
  std::vector<Entry> b = {MakeEntry(1, 1, "y")};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kFollower, 1, a),
                                        Obs(2, Role::kFollower, 1, b)};
  nodes[0].appended = a;
  nodes[1].appended = b;
  EXPECT_TRUE(Has(checker.Check(nodes), "Log Matching"));
}

TEST(InvariantsTest, LogMatching_SameEntryAfterDifferentPrefixes) {
  InvariantChecker checker;
  std::vector<Entry> a = {MakeEntry(1, 1), MakeEntry(2, 3, "z")};
  std::vector<Entry> b = {MakeEntry(1, 2), MakeEntry(2, 3, "z")};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kFollower, 3, a),
                                        Obs(2, Role::kFollower, 3, b)};
  // Reported only through the full scan here (no step deltas given).
  std::vector<Violation> v = checker.CheckFull(nodes);
  EXPECT_TRUE(Has(v, "Log Matching"));
}

TEST(InvariantsTest, LeaderCompleteness_NewLeaderLacksCommittedEntry) {
  InvariantChecker checker;
  std::vector<Entry> committed_log = {MakeEntry(1, 1), MakeEntry(2, 2, "w")};
  std::vector<Entry> other_log = {MakeEntry(1, 1), MakeEntry(2, 3, "v")};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kLeader, 2, committed_log, 2),
                                        Obs(2, Role::kFollower, 3, other_log)};
  EXPECT_TRUE(checker.Check(nodes).empty());
  nodes[0].role = Role::kFollower;
  nodes[1].role = Role::kLeader;
  nodes[1].term = 4;
  std::vector<Violation> v = checker.Check(nodes);
  ASSERT_TRUE(Has(v, "Leader Completeness"));
}

TEST(InvariantsTest, StateMachineSafety_DifferentEntriesApplied) {
  InvariantChecker checker;
  std::vector<Entry> a = {MakeEntry(1, 1, "put x")};
  std::vector<Entry> b = {MakeEntry(1, 2, "put y")};
  std::vector<NodeObservation> nodes = {Obs(1, Role::kFollower, 2, a, 1),
                                        Obs(2, Role::kFollower, 2, b, 1)};
  nodes[0].applied = a;
  nodes[1].applied = b;
  std::vector<Violation> v = checker.Check(nodes);
  EXPECT_TRUE(Has(v, "State Machine Safety"));
}

TEST(InvariantsTest, StateMachineSafety_SnapshotsDifferAtOneIndex) {
  InvariantChecker checker;
  std::vector<Entry> log;
  std::vector<NodeObservation> nodes = {Obs(1, Role::kFollower, 1, log),
                                        Obs(2, Role::kFollower, 1, log)};
  std::vector<SnapshotRecord> s1 = {{5, 1, 111}};
  std::vector<SnapshotRecord> s2 = {{5, 1, 222}};
  nodes[0].snapshots = s1;
  nodes[1].snapshots = s2;
  EXPECT_TRUE(Has(checker.Check(nodes), "State Machine Safety"));
}

TEST(InvariantsTest, PersistentState_TermGoesBackOrSecondVote) {
  InvariantChecker checker;
  std::vector<Entry> log;
  std::vector<NodeObservation> nodes = {Obs(1, Role::kFollower, 5, log)};
  nodes[0].voted_for = 2;
  EXPECT_TRUE(checker.Check(nodes).empty());
  nodes[0].voted_for = 3;
  EXPECT_TRUE(Has(checker.Check(nodes), "Persistent State"));
  nodes[0].incarnation = 1;  // a restart that lost its term
  nodes[0].term = 4;
  EXPECT_TRUE(Has(checker.Check(nodes), "Persistent State"));
}

TEST(InvariantsTest, CorrectClusterHasNoViolations) {
  TestCluster c(5);
  InvariantChecker checker;
  auto check = [&] {
    std::vector<NodeObservation> nodes;
    for (NodeId id : c.ids()) nodes.push_back(ObserveNode(c.raft(id), 0));
    std::vector<Violation> v = checker.Check(nodes);
    std::vector<Violation> full = checker.CheckFull(nodes);
    v.insert(v.end(), full.begin(), full.end());
    for (const Violation& x : v) ADD_FAILURE() << x.ToString();
  };
  for (int round = 0; round < 100; ++round) {
    c.TickAll();
    if (round % 7 == 0) {
      for (NodeId id : c.ids()) c.raft(id).Propose("x");
    }
    if (round == 30) c.Isolate(1);
    if (round == 60) c.Heal();
    c.Stabilize();
    check();
  }
  EXPECT_GT(checker.committed_seen(), 5u);
}

}  // namespace
}  // namespace faultline::raft
