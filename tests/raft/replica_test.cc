// Unit tests of raft::replica::Replica, the node logic raftkv ships: each test is named after the
// rule it holds. Replicas run over the real DiskStorage on a FaultInjectionEnv each, a manual
// clock and a message queue the test delivers by hand, so every test is deterministic.
#include "targets/raft/replica/replica.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "targets/raft/storage/fault_injection_env.h"

namespace faultline::raft::replica {
namespace {

class ManualClock final : public Clock {
 public:
  uint64_t NowMs() override { return now_ms; }
  uint64_t now_ms = 1000;
};

uint64_t LastIndex(const StorageView& v) {
  return v.entries.empty() ? v.snapshot.index : v.entries.back().index;
}

// A small cluster of replicas whose messages wait in `wire` until Pump() delivers them.
class Cluster {
 public:
  explicit Cluster(int n, std::function<void(Options&)> tweak = nullptr) : tweak_(tweak) {
    for (int i = 0; i < n; ++i) envs_.push_back(std::make_unique<storage::FaultInjectionEnv>());
    replicas_.resize(n);
    for (int i = 0; i < n; ++i) Open(i);
  }

  void Open(int i) {
    Options o;
    o.id = static_cast<NodeId>(i + 1);
    for (size_t k = 0; k < envs_.size(); ++k) o.voters.push_back(static_cast<NodeId>(k + 1));
    o.data_dir = "/data";
    o.election_tick = 10;
    o.heartbeat_tick = 1;
    o.seed = 7 + static_cast<uint64_t>(i);
    if (tweak_) tweak_(o);
    ASSERT_TRUE(envs_[i]->CreateDir("/data").ok());
    auto opened = Replica::Open(o, envs_[i].get(), &clock, [this, i](Message m) {
      if (on_send) on_send(i, m);
      wire.push_back(std::move(m));
    });
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    replicas_[i] = std::move(opened).value();
  }

  // Power loss on node i: unsynced bytes are gone; the replica object is dropped.
  void Crash(int i) {
    replicas_[i].reset();
    envs_[i]->Crash();
  }

  // The same, but the WAL keeps the first `torn_bytes` of its unsynced bytes: a torn write.
  void CrashTorn(int i, uint64_t torn_bytes) {
    replicas_[i].reset();
    envs_[i]->CrashKeepingTornPrefix("/data/wal.log", torn_bytes);
  }

  Replica& r(int i) { return *replicas_[i]; }
  bool up(int i) const { return replicas_[i] != nullptr; }
  storage::FaultInjectionEnv& env(int i) { return *envs_[i]; }

  void Cut(int a, int b) {
    cut_.insert({a + 1, b + 1});
    cut_.insert({b + 1, a + 1});
  }
  void Isolate(int a) {
    for (int b = 0; b < size(); ++b) {
      if (b != a) Cut(a, b);
    }
  }
  void Heal() { cut_.clear(); }
  int size() const { return static_cast<int>(replicas_.size()); }

  // Delivers queued messages (and what they cause) until the wire is empty.
  void Pump(int max_messages = 100000) {
    for (int k = 0; k < max_messages && !wire.empty(); ++k) {
      Message m = std::move(wire.front());
      wire.pop_front();
      const int to = static_cast<int>(m.to) - 1;
      if (cut_.count({m.from, m.to}) || !up(to)) continue;
      r(to).Step(m);
      r(to).HandleReady();
    }
  }

  void Tick(int i) {
    r(i).Tick();
    r(i).HandleReady();
    Pump();
  }
  void TickAll(int times) {
    for (int t = 0; t < times; ++t) {
      for (int i = 0; i < size(); ++i) {
        if (up(i)) Tick(i);
      }
    }
  }

  // Makes node i leader: the other nodes first let their leader lease lapse (CheckQuorum: a
  // node that heard from a leader within election_tick ticks ignores votes), then i campaigns.
  void Elect(int i) {
    for (int k = 0; k < 5 && r(i).raft().role() != Role::kLeader; ++k) {
      for (int j = 0; j < size(); ++j) {
        if (j == i || !up(j)) continue;
        for (int t = 0; t < r(j).raft().config().election_tick; ++t) {
          r(j).Tick();
          r(j).HandleReady();
        }
      }
      Pump();
      r(i).Campaign();
      r(i).HandleReady();
      Pump();
    }
    ASSERT_EQ(r(i).raft().role(), Role::kLeader) << "node " << i + 1 << " did not win";
    Pump();
  }

  // Submits and hands back the reply slot (filled when the replica answers).
  std::shared_ptr<std::optional<ClientReply>> Submit(int i, ClientRequest req) {
    auto slot = std::make_shared<std::optional<ClientReply>>();
    r(i).Submit(std::move(req), [slot](ClientReply reply) { *slot = std::move(reply); });
    r(i).HandleReady();
    return slot;
  }

  ManualClock clock;
  std::deque<Message> wire;
  std::function<void(int node, const Message& m)> on_send;

 private:
  std::function<void(Options&)> tweak_;
  std::vector<std::unique_ptr<storage::FaultInjectionEnv>> envs_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

ClientRequest Put(const std::string& key, const std::string& value) {
  ClientRequest req;
  req.kind = ClientRequest::Kind::kCommand;
  req.command.op = kv::Op::kPut;
  req.command.key = key;
  req.command.value = value;
  return req;
}

ClientRequest Read(const std::string& key) {
  ClientRequest req;
  req.kind = ClientRequest::Kind::kRead;
  req.key = key;
  return req;
}

ClientRequest Acquire(const std::string& name, const std::string& owner, uint64_t ttl_ms) {
  ClientRequest req;
  req.kind = ClientRequest::Kind::kCommand;
  req.command.op = kv::Op::kAcquire;
  req.command.key = name;
  req.command.owner = owner;
  req.command.ttl_ms = ttl_ms;
  return req;
}

ClientRequest Release(const std::string& name, const std::string& owner, uint64_t token) {
  ClientRequest req;
  req.kind = ClientRequest::Kind::kCommand;
  req.command.op = kv::Op::kRelease;
  req.command.key = name;
  req.command.owner = owner;
  req.command.token = token;
  return req;
}

// Other nodes never campaign on their own in tests that pick the leader.
void SlowElections(Options& o) {
  if (o.id != 1) o.election_tick = 1000;
}

TEST(Replica, Submit_NonLeaderRefusesBeforeProposing) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  auto reply = c.Submit(1, Put("k", "1"));
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->code, ReplyCode::kNotLeader);
  EXPECT_EQ((*reply)->leader, 1u);
  EXPECT_EQ(c.r(1).pending_writes(), 0u);
  EXPECT_EQ(LastIndex(c.r(1).storage().current()), LastIndex(c.r(0).storage().current()));
}

TEST(Replica, HandleReady_LeaderSendsBeforeItsOwnFsync) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  int appends_checked = 0;
  c.on_send = [&](int node, const Message& m) {
    if (node != 0 || m.type != MessageType::kAppendEntries || m.entries.empty()) return;
    // The leader's own copy of these entries is not on its disk yet: the send went first.
    EXPECT_LT(LastIndex(c.r(0).storage().current()), m.entries.back().index);
    ++appends_checked;
  };
  auto reply = c.Submit(0, Put("k", "1"));
  EXPECT_EQ(appends_checked, 2);
  EXPECT_GE(c.r(0).stats().sent_first, 1u);
  EXPECT_FALSE(reply->has_value());  // not committed before the followers answered
  c.on_send = nullptr;
  c.Pump();
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->code, ReplyCode::kOk);
}

TEST(Replica, HandleReady_FollowerAcknowledgesOnlyWhatIsOnItsDisk) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  int acks = 0;
  uint64_t acked[3] = {0, 0, 0};
  c.on_send = [&](int node, const Message& m) {
    if (node == 0 || m.type != MessageType::kAppendEntriesResponse || m.reject) return;
    EXPECT_GE(LastIndex(c.r(node).storage().current()), m.index);
    acked[node] = std::max(acked[node], m.index);
    ++acks;
  };
  auto reply = c.Submit(0, Put("k", "1"));
  c.Pump();
  EXPECT_GE(acks, 2);
  EXPECT_EQ(c.r(1).stats().sent_first, 0u);
  ASSERT_TRUE(reply->has_value());
  // What was acknowledged survives a power loss right after the acknowledgement.
  for (int node : {1, 2}) {
    c.Crash(node);
    c.Open(node);
    EXPECT_GE(LastIndex(c.r(node).storage().current()), acked[node]) << "node " << node + 1;
  }
}

TEST(Replica, HandleReady_CandidatePersistsItsVoteBeforeAskingForVotes) {
  Cluster c(3, SlowElections);
  int asks = 0;
  c.on_send = [&](int node, const Message& m) {
    if (m.type != MessageType::kRequestVote) return;
    EXPECT_EQ(c.r(node).storage().current().hard_state.term, m.term);
    EXPECT_EQ(c.r(node).storage().current().hard_state.voted_for, m.from);
    ++asks;
  };
  c.Elect(0);
  EXPECT_GE(asks, 2);
  EXPECT_EQ(c.r(0).stats().leader_hard_state_changes, 0u);
}

TEST(Replica, ApplyEntry_WriteIsAnsweredWhenApplied) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  auto put = c.Submit(0, Put("k", "\"v\""));
  c.Pump();
  ASSERT_TRUE(put->has_value());
  EXPECT_EQ((*put)->code, ReplyCode::kOk);
  auto read = c.Submit(0, Read("k"));
  c.Pump();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->code, ReplyCode::kOk);
  EXPECT_EQ((*read)->value, std::optional<std::string>("\"v\""));
}

// Leader 1 (term t) proposes A, B, C while cut off; leader 2 (term t+1) replaces A's index with
// its own entry; node 1 then leads again and proposes D at C's index before anything there is
// applied: C was displaced from the table, and its fate is unknown (a copy could survive).
TEST(Replica, ApplyEntry_DisplacedProposalIsUnknown) {
  Cluster c(3, [](Options& o) { o.election_tick = o.id == 3 ? 1000 : 10; });
  c.Elect(0);
  c.Isolate(0);
  auto a = c.Submit(0, Put("k", "1"));
  auto b = c.Submit(0, Put("k", "2"));
  auto w3 = c.Submit(0, Put("k", "3"));
  c.wire.clear();
  const uint64_t c_index = LastIndex(c.r(0).storage().current());
  // Node 2 wins term t+1 with node 3 and appends its no-op at A's index, not yet committed.
  c.Cut(1, 2);  // keep node 3 from hearing node 2's later messages
  c.Heal();
  c.Isolate(0);
  c.Elect(1);
  c.wire.clear();
  // Node 1 hears only the new leader's first append (it truncates A, B, C and takes the no-op).
  c.Heal();
  c.Isolate(2);
  c.r(1).Tick();
  c.r(1).HandleReady();
  c.Pump();
  ASSERT_LT(LastIndex(c.r(0).storage().current()), c_index);
  EXPECT_FALSE(w3->has_value());
  // Node 2 is cut off; node 1 wins the next term with node 3 and proposes at C's old index.
  c.Heal();
  c.Isolate(1);
  c.Elect(0);
  c.Isolate(0);
  auto d = c.Submit(0, Put("k", "4"));
  ASSERT_TRUE(w3->has_value()) << "C is still waiting after D took its index";
  EXPECT_EQ((*w3)->code, ReplyCode::kUnknown);
  (void)a, (void)b, (void)d;
}

// A proposal whose index is taken by another leader's committed entry can never apply.
TEST(Replica, ApplyEntry_AnotherEntryCommittedAtOurIndexIsSuperseded) {
  Cluster c(3, [](Options& o) { o.election_tick = o.id == 3 ? 1000 : 10; });
  c.Elect(0);
  c.Isolate(0);
  auto lost = c.Submit(0, Put("k", "lost"));
  c.wire.clear();
  c.Heal();
  c.Isolate(0);
  c.Elect(1);
  auto won = c.Submit(1, Put("k", "won"));
  c.Pump();
  ASSERT_TRUE(won->has_value());
  EXPECT_EQ((*won)->code, ReplyCode::kOk);
  c.Heal();
  c.TickAll(3);
  ASSERT_TRUE(lost->has_value());
  EXPECT_EQ((*lost)->code, ReplyCode::kSuperseded);
}

TEST(Replica, StepDown_PendingReadsFailNotLeader) {
  Cluster c(3, [](Options& o) { o.election_tick = o.id == 3 ? 1000 : 10; });
  c.Elect(0);
  c.Isolate(0);
  auto read = c.Submit(0, Read("k"));
  EXPECT_EQ(c.r(0).pending_reads(), 1u);
  c.wire.clear();
  c.Heal();
  c.Isolate(0);
  c.Elect(1);
  c.Heal();
  c.Tick(1);  // node 2's heartbeat: node 1 hears the higher term and steps down
  EXPECT_NE(c.r(0).raft().role(), Role::kLeader);
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->code, ReplyCode::kNotLeader);  // definite: a read has no effect to lose
}

TEST(Replica, ExpireWrites_PendingWriteBecomesUnknownAfterTheLimit) {
  Cluster c(3, [](Options& o) {
    SlowElections(o);
    o.pending_write_limit_ms = 5000;
  });
  c.Elect(0);
  c.Isolate(0);
  auto w = c.Submit(0, Put("k", "1"));
  c.clock.now_ms += 4999;
  c.r(0).Tick();
  EXPECT_FALSE(w->has_value());
  c.clock.now_ms += 1;
  c.r(0).Tick();
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*w)->code, ReplyCode::kUnknown);
  EXPECT_EQ(c.r(0).pending_writes(), 0u);
}

TEST(Replica, Lock_TokensRiseAndLeaseExpiresOnTheLeadersClock) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  auto first = c.Submit(0, Acquire("L", "a", 1000));
  c.Pump();
  ASSERT_TRUE(first->has_value());
  ASSERT_EQ((*first)->code, ReplyCode::kOk);
  auto held = c.Submit(0, Acquire("L", "b", 1000));
  c.Pump();
  ASSERT_TRUE(held->has_value());
  EXPECT_EQ((*held)->code, ReplyCode::kHeld);
  c.clock.now_ms += 1001;  // a's lease is over as the leader's clock sees it
  auto second = c.Submit(0, Acquire("L", "b", 1000));
  c.Pump();
  ASSERT_TRUE(second->has_value());
  ASSERT_EQ((*second)->code, ReplyCode::kOk);
  EXPECT_GT((*second)->token, (*first)->token);
  auto stale = c.Submit(0, Release("L", "a", (*first)->token));
  c.Pump();
  ASSERT_TRUE(stale->has_value());
  EXPECT_EQ((*stale)->code, ReplyCode::kNotHeld);
  auto release = c.Submit(0, Release("L", "b", (*second)->token));
  c.Pump();
  ASSERT_TRUE(release->has_value());
  EXPECT_EQ((*release)->code, ReplyCode::kOk);
}

TEST(Replica, Snapshot_TakenPastTheThresholdAndRestoredOnRestart) {
  Cluster c(3, [](Options& o) {
    SlowElections(o);
    o.snapshot_threshold = 5;
    o.snapshot_retain = 2;
  });
  c.Elect(0);
  for (int i = 0; i < 12; ++i) {
    auto w = c.Submit(0, Put("k" + std::to_string(i), std::to_string(i)));
    c.Pump();
    ASSERT_TRUE(w->has_value());
  }
  EXPECT_GE(c.r(0).stats().snapshots_taken, 1u);
  EXPECT_GT(c.r(0).storage().current().snapshot.index, 0u);
  c.Crash(2);
  c.Open(2);
  EXPECT_EQ(c.r(2).state_machine().Get("k3"), std::optional<std::string>("3"));
}

TEST(Replica, Snapshot_InstalledSnapshotAnswersCoveredWritesUnknown) {
  Cluster c(3, [](Options& o) {
    o.election_tick = o.id == 3 ? 1000 : 10;
    o.snapshot_threshold = 3;
    o.snapshot_retain = 0;
  });
  c.Elect(0);
  c.Isolate(0);
  auto lost = c.Submit(0, Put("k", "lost"));
  c.wire.clear();
  c.Heal();
  c.Isolate(0);
  c.Elect(1);
  for (int i = 0; i < 8; ++i) {
    auto w = c.Submit(1, Put("x" + std::to_string(i), "1"));
    c.Pump();
  }
  ASSERT_GE(c.r(1).stats().snapshots_taken, 1u);
  c.Heal();
  c.TickAll(3);
  EXPECT_GE(c.r(0).stats().snapshots_installed, 1u);
  ASSERT_TRUE(lost->has_value());
  EXPECT_EQ((*lost)->code, ReplyCode::kUnknown);
}

TEST(Replica, UnsafeStaleReads_AnyNodeAnswersFromItsOwnState) {
  Cluster c(3, [](Options& o) {
    SlowElections(o);
    o.unsafe_stale_reads = true;
  });
  c.Elect(0);
  c.Isolate(2);
  auto w = c.Submit(0, Put("k", "1"));
  c.Pump();
  ASSERT_TRUE(w->has_value());
  auto read = c.Submit(2, Read("k"));
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->code, ReplyCode::kOk);
  EXPECT_EQ((*read)->value, std::nullopt);  // the old value: the bug the switch plants
}

TEST(Replica, Shutdown_PendingWritesUnknownReadsStopped) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  c.Isolate(0);
  auto w = c.Submit(0, Put("k", "1"));
  auto read = c.Submit(0, Read("k"));
  c.r(0).Shutdown();
  ASSERT_TRUE(w->has_value());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*w)->code, ReplyCode::kUnknown);
  EXPECT_EQ((*read)->code, ReplyCode::kStopped);
  auto after = c.Submit(0, Put("k", "2"));
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ((*after)->code, ReplyCode::kStopped);
}

TEST(Replica, Fatal_StorageFailureStopsTheReplicaBeforeItSends) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  c.Pump();
  c.env(1).FailAfter(0);
  c.wire.clear();
  auto w = c.Submit(0, Put("k", "1"));
  size_t sent_by_follower = 0;
  c.on_send = [&](int node, const Message&) { sent_by_follower += node == 1; };
  c.Pump();
  EXPECT_FALSE(c.r(1).fatal_error().empty());
  EXPECT_EQ(sent_by_follower, 0u);
  c.r(1).Tick();  // ignored from now on
  c.r(1).HandleReady();
  EXPECT_EQ(sent_by_follower, 0u);
}

// A follower dies between writing a record of new entries and syncing it, and the write is torn
// part way: recovery drops the torn record (its checksum fails), keeps everything before it, and
// the leader brings the node back up to date.
TEST(Replica, Recovery_TornWalTailLosesOnlyTheUnsyncedSuffix) {
  Cluster c(3, SlowElections);
  c.Elect(0);
  for (int i = 0; i < 3; ++i) {
    auto w = c.Submit(0, Put("k", std::to_string(i)));
    c.Pump();
  }
  const uint64_t durable = LastIndex(c.r(1).storage().current());
  c.env(1).FailAfter(1);  // the next append reaches the file; its fsync fails
  auto w = c.Submit(0, Put("k", "3"));
  c.Pump();
  ASSERT_FALSE(c.r(1).fatal_error().empty());
  const uint64_t unsynced = c.env(1).UnsyncedBytes("/data/wal.log");
  ASSERT_GT(unsynced, 2u);
  c.env(1).FailAfter(-1);
  c.CrashTorn(1, unsynced / 2);
  c.Open(1);
  EXPECT_EQ(LastIndex(c.r(1).storage().current()), durable);
  c.TickAll(3);
  EXPECT_EQ(LastIndex(c.r(1).storage().current()), LastIndex(c.r(0).storage().current()));
  EXPECT_EQ(c.r(1).state_machine().Get("k"), std::optional<std::string>("3"));
}

}  // namespace
}  // namespace faultline::raft::replica
