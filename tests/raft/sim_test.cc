// The deterministic simulation of real replicas: sweeps of seeds that must pass, determinism,
// each deliberate bug switch and each mutation of the send-before-fsync rule caught (or shown
// unreachable) within a bounded sweep, torn WAL tails recovered, lock clients judged. Every
// failure prints its reproduction line
// (--seed N) and the violated property or the checker's counterexample.
#include "targets/raft/sim/sim.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace faultline::raft::sim {
namespace {

// Runs seeds [first, first + count) and reports every non-passing one.
void ExpectSeedsPass(int nodes, uint64_t first, uint64_t count) {
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.nodes = nodes;
    o.check_timeout_s = 20;
    const SimResult r = RunSim(o);
    if (r.outcome != SimOutcome::kPass) ADD_FAILURE() << DescribeResult(r);
  }
}

TEST(SimTest, SeedsPass3Nodes) { ExpectSeedsPass(3, 1, 200); }

TEST(SimTest, SeedsPass5Nodes) { ExpectSeedsPass(5, 1, 200); }

TEST(SimTest, SameSeedSameRun) {
  for (bool stale : {false, true}) {
    SimOptions o;
    o.seed = 77;
    o.nodes = 5;
    o.unsafe_stale_reads = stale;
    o.check_history = false;
    const SimResult a = RunSim(o);
    const SimResult b = RunSim(o);
    EXPECT_EQ(HistoryToJsonl(a.history), HistoryToJsonl(b.history));
    EXPECT_EQ(a.stats.steps, b.stats.steps);
    EXPECT_EQ(a.stats.messages_sent, b.stats.messages_sent);
    EXPECT_EQ(a.stats.max_commit_index, b.stats.max_commit_index);
    EXPECT_EQ(a.faults.Describe(), b.faults.Describe());
    EXPECT_GT(a.history.events.size(), 2000u);
  }
  SimOptions o;
  o.seed = 78;
  o.check_history = false;
  SimOptions p = o;
  p.seed = 79;
  EXPECT_NE(HistoryToJsonl(RunSim(o).history), HistoryToJsonl(RunSim(p).history));
}

TEST(SimTest, FaultSettingsComeFromTheSeedAndArePrintable) {
  SimOptions o;
  o.seed = 5;
  EXPECT_EQ(DrawFaultSettings(o).Describe(), DrawFaultSettings(o).Describe());
  std::set<std::string> distinct;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    o.seed = seed;
    distinct.insert(DrawFaultSettings(o).Describe());
  }
  EXPECT_GT(distinct.size(), 15u);
  const std::string d = DrawFaultSettings(o).Describe();
  for (const char* key :
       {"drop_ppm=", "duplicate_ppm=", "reorder_ppm=", "delay_us=", "partitions=", "crashes=",
        "max_entries_per_msg=", "snapshot_every=", "client_timeout_ms="}) {
    EXPECT_NE(d.find(key), std::string::npos) << key << " missing in " << d;
  }
}

// Jepsen's conventions (DESIGN.md sections 2 and 6) hold in a recorded history.
TEST(SimTest, HistoryFollowsConventions) {
  SimOptions o;
  o.seed = 11;
  o.nodes = 5;
  const SimResult r = RunSim(o);
  ASSERT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
  std::map<int64_t, const checker::Event*> open;  // process -> its outstanding invoke
  std::map<int64_t, int64_t> worker_process;      // worker (process % all clients) -> its process
  const int64_t clients = o.clients + o.lock_clients;
  std::set<int64_t> retired;
  int nemesis = 0;
  for (const checker::Event& e : r.history.events) {
    if (e.nemesis) {
      ++nemesis;
      EXPECT_EQ(e.type, checker::EventType::kInfo);
      // DESIGN.md section 8's dialect, as the harness's nemesis writes it.
      EXPECT_TRUE(e.f == "start-partition" || e.f == "stop-partition" || e.f == "start-kill" ||
                  e.f == "stop-kill")
          << e.f;
      if (e.f == "start-partition") EXPECT_TRUE(e.value.is_object()) << e.value.ToJson();
      if (e.f == "stop-partition") EXPECT_TRUE(e.value.is_null());
      if (e.f == "start-kill" || e.f == "stop-kill") EXPECT_TRUE(e.value.is_array());
      continue;
    }
    EXPECT_FALSE(retired.count(e.process)) << "retired process " << e.process << " reused";
    if (e.type == checker::EventType::kInvoke) {
      EXPECT_FALSE(open.count(e.process)) << "two operations at once on " << e.process;
      open[e.process] = &e;
      // A worker changes process only after an info, and then to old + clients.
      auto [it, first] = worker_process.try_emplace(e.process % clients, e.process);
      if (!first && it->second != e.process) {
        EXPECT_TRUE(retired.count(it->second)) << it->second << " replaced without an info";
        EXPECT_EQ(e.process, it->second + clients);
        it->second = e.process;
      }
      continue;
    }
    ASSERT_TRUE(open.count(e.process));
    EXPECT_EQ(open[e.process]->f, e.f);
    open.erase(e.process);
    if (e.type == checker::EventType::kInfo) {
      // A timeout is never a fail; "unknown" is the replica's own indeterminate answer.
      EXPECT_TRUE(e.error == "timeout" || e.error == "unknown") << e.error;
      retired.insert(e.process);
    }
    if (e.type == checker::EventType::kFail) {
      EXPECT_TRUE(e.error == "not-leader" || e.error == "mismatch" || e.error == "superseded" ||
                  e.error == "busy" || e.error == "held" || e.error == "not-held" ||
                  e.error == "stale-token" || e.error.rfind("retries-exhausted", 0) == 0)
          << e.error;
      if (e.error == "mismatch") {
        EXPECT_EQ(e.f, "cas");
      }
      if (e.error == "stale-token") {
        EXPECT_EQ(e.f, "write");
      }
    }
    if (e.type == checker::EventType::kOk && e.f == "read") {
      EXPECT_TRUE(e.value.is_null() || e.value.is_int());
    }
  }
  EXPECT_TRUE(open.empty()) << "every operation completes by the end";
  EXPECT_GT(nemesis, 2);
  EXPECT_FALSE(retired.empty()) << "this seed is expected to have timeouts";
}

// Sweeps seeds until one fails; returns it (0 if none did) and checks the report.
uint64_t FirstFailingSeed(SimOptions o, uint64_t first, uint64_t count,
                          const std::string& expect_in_report) {
  o.check_timeout_s = 10;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    o.seed = seed;
    const SimResult r = RunSim(o);
    if (r.outcome != SimOutcome::kFail) continue;
    const std::string report = DescribeResult(r);
    EXPECT_NE(report.find("--seed " + std::to_string(seed)), std::string::npos) << report;
    EXPECT_NE(report.find(expect_in_report), std::string::npos) << report;
    std::printf("caught at --seed %llu: %s\n", static_cast<unsigned long long>(seed),
                r.detail.substr(0, r.detail.find('\n')).c_str());
    return seed;
  }
  return 0;
}

TEST(SimTest, UnsafeStaleReadsIsCaught) {
  SimOptions o;
  o.unsafe_stale_reads = true;
  EXPECT_NE(FirstFailingSeed(o, 1, 20, "--raft-opt unsafe-stale-reads"), 0u);
}

TEST(SimTest, UnsafeNoFsyncIsCaught) {
  SimOptions o;
  o.unsafe_no_fsync = true;
  EXPECT_NE(FirstFailingSeed(o, 1, 50, "--raft-opt unsafe-no-fsync"), 0u);
  o.nodes = 5;
  EXPECT_NE(FirstFailingSeed(o, 1, 50, "--raft-opt unsafe-no-fsync"), 0u);
}

// What a black-box test sees: without the invariant checks, the lost acknowledged writes show
// up in the history itself (a read returns a value that later acknowledged writes replaced).
TEST(SimTest, UnsafeNoFsyncLosesAcknowledgedWrites) {
  SimOptions o;
  o.unsafe_no_fsync = true;
  o.check_invariants = false;
  o.lock_clients = 0;  // the registers' history alone (the lock's is LockClients_NoFsyncIsCaught)
  EXPECT_NE(FirstFailingSeed(o, 1, 30, "not linearizable"), 0u);
}

// Regression: under --unsafe-no-fsync a healed cluster must still converge and answer final
// reads (the lost writes are for the history checker to find). Nodes that lost acknowledged
// entries, or kept committed entries a new leader lost, used to stall replication forever:
// seeds 15, 25, 27, 39, ... of 3 nodes failed with "liveness". The invariant checks are off (they
// flag the lost writes themselves at once) and so is the history check (not what this tests).
TEST(SimTest, UnsafeNoFsyncClusterStaysLiveAfterCrashes) {
  for (int nodes : {3, 5}) {
    for (uint64_t seed = 1; seed <= 150; ++seed) {
      SimOptions o;
      o.seed = seed;
      o.nodes = nodes;
      o.unsafe_no_fsync = true;
      o.check_invariants = false;
      o.check_history = false;
      const SimResult r = RunSim(o);
      EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
    }
  }
}

// Random faults rarely produce Figure 8 (see the scenario's comment in sim.cc); the scripted
// scenario forces it. With the bug, the leader elected in its last step lacks a committed entry.
TEST(SimTest, UnsafeCommitOldTermsIsCaughtByFigure8Scenario) {
  SimOptions o;
  o.nodes = 5;
  o.scenario = "figure8";
  o.unsafe_commit_old_terms = true;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    o.seed = seed;
    const SimResult r = RunSim(o);
    EXPECT_EQ(r.outcome, SimOutcome::kFail) << DescribeResult(r);
    EXPECT_NE(r.detail.find("Leader Completeness"), std::string::npos) << DescribeResult(r);
  }
}

TEST(SimTest, Figure8ScenarioPassesWithoutTheBug) {
  SimOptions o;
  o.nodes = 5;
  o.scenario = "figure8";
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    o.seed = seed;
    const SimResult r = RunSim(o);
    EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
    // The script got through to its last step, and the node with the conflicting entry lost.
    EXPECT_NE(r.scenario_outcome.find("e could not"), std::string::npos) << DescribeResult(r);
  }
}

// Crashes drop what a node's disk had not synced and now and then keep a torn prefix of the
// WAL's unsynced tail; some strike inside a write (after a Ready's messages left, before its
// fsync returned). DiskStorage must recover from every one of them and the runs must pass.
TEST(SimTest, CrashWithTornWalTailRecovers) {
  uint64_t torn = 0, mid_write = 0, torn_seeds = 0;
  for (int nodes : {3, 5}) {
    for (uint64_t seed = 1; seed <= 60; ++seed) {
      SimOptions o;
      o.seed = seed;
      o.nodes = nodes;
      o.check_timeout_s = 20;
      const SimResult r = RunSim(o);
      EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
      torn += r.stats.torn_crashes;
      mid_write += r.stats.crashes_mid_write;
      if (r.stats.torn_crashes > 0) ++torn_seeds;
    }
  }
  std::printf("torn WAL tails: %llu in %llu seeds; crashes mid-write: %llu\n",
              static_cast<unsigned long long>(torn), static_cast<unsigned long long>(torn_seeds),
              static_cast<unsigned long long>(mid_write));
  EXPECT_GT(torn, 0u);
  EXPECT_GT(mid_write, 0u);
}

// A seed known to tear a WAL tail: its run passes (regression anchor for the sweep above).
TEST(SimTest, TornWalTailSeedPasses) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SimOptions o;
    o.seed = seed;
    const SimResult r = RunSim(o);
    if (r.stats.torn_crashes == 0) continue;
    EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
    std::printf("--seed %llu tore %llu WAL tails and passed\n",
                static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(r.stats.torn_crashes));
    return;
  }
  ADD_FAILURE() << "no seed in 1..200 tore a WAL tail";
}

// Lock clients: acquire with a lease, guarded write of the token, release. A correct cluster
// passes the fencing check and the fencing-lock model, and the paused holders' stale writes
// are refused by the resource.
TEST(SimTest, LockClientsPassTheFencingCheck) {
  uint64_t acquired = 0, writes_ok = 0, stale_refused = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SimOptions o;
    o.seed = seed;
    const SimResult r = RunSim(o);
    ASSERT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
    ASSERT_TRUE(r.fencing.has_value());
    EXPECT_EQ(r.fencing->verdict, checker::Verdict::kValid) << r.fencing->summary;
    ASSERT_TRUE(r.lock_check.has_value());
    EXPECT_EQ(r.lock_check->verdict, checker::Verdict::kValid) << r.lock_check->cause;
    acquired += r.stats.lock_acquired;
    writes_ok += r.stats.lock_writes_ok;
    stale_refused += r.stats.lock_writes_stale;
  }
  EXPECT_GT(acquired, 100u);
  EXPECT_GT(writes_ok, 50u);
  EXPECT_GT(stale_refused, 0u) << "the GC pauses should provoke stale writes";
}

// A lock bug the fencing check catches: with --unsafe-no-fsync a crashed leader forgets grants
// it acknowledged, and the lock hands the same token out twice.
TEST(SimTest, LockClients_NoFsyncIsCaught) {
  SimOptions o;
  o.unsafe_no_fsync = true;
  o.check_invariants = false;
  o.clients = 1;
  o.lock_clients = 4;
  EXPECT_NE(FirstFailingSeed(o, 1, 50, "fencing"), 0u);
}

// The send-first mutation of issue 11: a leader sends a Ready's messages before persisting it
// even when the Ready changes the term or vote. No seed can reach it, for a precise reason: a
// leader's Ready never changes its term or vote. A node's term and vote change only when it
// campaigns (as a candidate: the Ready that carries the new term and self-vote is handled --
// persisted, then sent -- before any vote can come back, since the vote requests leave in that
// very Ready) or when it steps down on a higher term (then it is a follower before the Ready is
// taken, and the replica's `leader` test reads the role at that moment). The one exception is a
// single-node cluster, whose candidate becomes leader inside the campaign itself: that Ready
// does change term and vote with a leader role, but it has no messages to send first. The
// simulation calls HandleReady after every input, as the server's loop does after every batch,
// and no batch can contain both a campaign and the votes that answer it.
// So the mutation is unreachable: the test asserts the counter behind that claim stays 0 while
// the send-first path itself is exercised thousands of times.
TEST(SimTest, SendFirstIgnoringHardStateIsUnreachable) {
  for (int nodes : {3, 5}) {
    uint64_t leader_hard_state_changes = 0, sent_first = 0;
    for (uint64_t seed = 1; seed <= 100; ++seed) {
      SimOptions o;
      o.seed = seed;
      o.nodes = nodes;
      o.mutation_send_first_ignores_hard_state = true;
      o.check_timeout_s = 20;
      const SimResult r = RunSim(o);
      EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
      leader_hard_state_changes += r.stats.leader_hard_state_changes;
      sent_first += r.stats.sent_first;
    }
    EXPECT_EQ(leader_hard_state_changes, 0u) << nodes << " nodes";
    EXPECT_GT(sent_first, 10000u) << nodes << " nodes";
    std::printf("%d nodes, 100 seeds: leader_hard_state_changes=%llu sent_first=%llu\n", nodes,
                static_cast<unsigned long long>(leader_hard_state_changes),
                static_cast<unsigned long long>(sent_first));
  }
  // The counter is not trivially zero: in a single-node cluster the campaign's own Ready is a
  // leader's and changes term and vote (with no message to send first, so still harmless).
  uint64_t single_node_changes = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.nodes = 1;
    o.mutation_send_first_ignores_hard_state = true;
    o.check_history = false;  // a one-node history with crashes is slow to check; not the point
    const SimResult r = RunSim(o);
    EXPECT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
    single_node_changes += r.stats.leader_hard_state_changes;
  }
  EXPECT_GT(single_node_changes, 0u);
}

// A reachable mutation of the same rule proves the simulation covers send-first: followers and
// candidates send before persisting too (a follower acknowledges entries and grants votes before
// they are durable). Crashes in the middle of a write lose what was acknowledged; seeded runs
// must catch it (a Raft invariant, a node stopping itself, or a non-linearizable history).
// Only crashes mid-write reach it: with FaultSettings::crash_mid_write_ppm forced to 0 (crashes
// between steps only, as the old simulation had), none of these 200 seeds fails -- the fsync
// always completed right after the early send.
TEST(SimTest, SendFirstAnyRoleIsCaught) {
  for (int nodes : {3, 5}) {
    std::map<std::string, std::vector<uint64_t>> failing;  // failure kind -> seeds
    for (uint64_t seed = 1; seed <= 100; ++seed) {
      SimOptions o;
      o.seed = seed;
      o.nodes = nodes;
      o.mutation_send_first_any_role = true;
      o.check_timeout_s = 10;
      const SimResult r = RunSim(o);
      if (r.outcome != SimOutcome::kFail) continue;
      EXPECT_NE(DescribeResult(r).find("mutation_send_first_any_role"), std::string::npos);
      failing[r.failure].push_back(seed);
    }
    std::string summary;
    for (const auto& [kind, seeds] : failing) {
      summary += " " + kind + ":";
      for (uint64_t seed : seeds) summary += " " + std::to_string(seed);
    }
    std::printf("%d nodes, seeds 1..100, failing by kind:%s\n", nodes, summary.c_str());
    EXPECT_FALSE(failing.empty()) << nodes << " nodes: the mutation was not caught";
  }
}

// The failures the any-role mutation produces, pinned (seeds found by SendFirstAnyRoleIsCaught).
TEST(SimTest, SendFirstAnyRole_PinnedSeedsFail) {
  for (uint64_t seed : {25, 32, 51, 67, 81}) {
    SimOptions o;
    o.seed = seed;
    o.mutation_send_first_any_role = true;
    const SimResult r = RunSim(o);
    EXPECT_EQ(r.failure, "invariant") << DescribeResult(r);
    std::printf("--seed %llu: %s\n", static_cast<unsigned long long>(seed),
                r.detail.substr(0, r.detail.find('\n')).c_str());
    // Without the mutation the same seed passes.
    o.mutation_send_first_any_role = false;
    EXPECT_EQ(RunSim(o).outcome, SimOutcome::kPass) << seed;
  }
}

TEST(SimTest, HealthyClusterAnswersAlmostEverything) {
  SimOptions o;
  o.seed = 3;
  o.faults = false;
  const SimResult r = RunSim(o);
  ASSERT_EQ(r.outcome, SimOutcome::kPass) << DescribeResult(r);
  EXPECT_EQ(r.stats.ops_info, 0u) << DescribeResult(r);
  EXPECT_EQ(r.stats.leaders_elected, 1u);
  EXPECT_GT(r.stats.ops_ok, 500u);
}

}  // namespace
}  // namespace faultline::raft::sim
