// The deterministic simulation: sweeps of seeds that must pass, determinism, and each deliberate
// bug switch caught within a bounded sweep. Every failure prints its reproduction line
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
  std::map<int64_t, int64_t> worker_process;      // worker (process % clients) -> its process
  std::set<int64_t> retired;
  int nemesis = 0;
  for (const checker::Event& e : r.history.events) {
    if (e.nemesis) {
      ++nemesis;
      EXPECT_EQ(e.type, checker::EventType::kInfo);
      continue;
    }
    EXPECT_FALSE(retired.count(e.process)) << "retired process " << e.process << " reused";
    if (e.type == checker::EventType::kInvoke) {
      EXPECT_FALSE(open.count(e.process)) << "two operations at once on " << e.process;
      open[e.process] = &e;
      // A worker changes process only after an info, and then to old + clients.
      auto [it, first] = worker_process.try_emplace(e.process % o.clients, e.process);
      if (!first && it->second != e.process) {
        EXPECT_TRUE(retired.count(it->second)) << it->second << " replaced without an info";
        EXPECT_EQ(e.process, it->second + o.clients);
        it->second = e.process;
      }
      continue;
    }
    ASSERT_TRUE(open.count(e.process));
    EXPECT_EQ(open[e.process]->f, e.f);
    open.erase(e.process);
    if (e.type == checker::EventType::kInfo) {
      EXPECT_EQ(e.error, "timeout");  // a timeout is never a fail
      retired.insert(e.process);
    }
    if (e.type == checker::EventType::kFail) {
      EXPECT_TRUE(e.error == "not-leader" || e.error == "mismatch" || e.error == "superseded" ||
                  e.error == "busy")
          << e.error;
      if (e.error == "mismatch") {
        EXPECT_EQ(e.f, "cas");
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
