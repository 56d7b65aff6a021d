// The settings of a run (drawn from its seed), its reproduction line, and the entry point.
#include <initializer_list>
#include <string>

#include "base/check.h"
#include "base/rand.h"
#include "targets/raft/core/unsafe_switches.h"
#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

const char* SimOutcomeName(SimOutcome outcome) {
  switch (outcome) {
    case SimOutcome::kPass:
      return "pass";
    case SimOutcome::kFail:
      return "fail";
    case SimOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

FaultSettings DrawFaultSettings(const SimOptions& options) {
  // A generator of its own: the settings do not depend on how the run consumes randomness.
  base::Rng rng(base::MixSeed(options.seed, 0xfa017));
  FaultSettings f;
  auto pick = [&rng](std::initializer_list<uint64_t> choices) {
    return *(choices.begin() + rng.Uniform(choices.size()));
  };
  f.drop_ppm = pick({0, 10000, 50000, 100000});
  f.duplicate_ppm = pick({0, 10000, 50000});
  f.reorder_ppm = pick({0, 20000, 100000});
  f.delay_min_us = pick({100, 500});
  f.delay_max_us = f.delay_min_us + pick({1000, 3000, 10000});
  f.reorder_delay_max_us = pick({20000, 60000});
  const uint64_t mix = rng.Uniform(4);  // partitions and crashes, or one of them
  f.partitions = mix != 2;
  f.crashes = mix != 1;
  f.quiet_min_ms = pick({20, 100});
  f.quiet_max_ms = f.quiet_min_ms + pick({200, 1000});
  f.fault_min_ms = pick({50, 200});
  f.fault_max_ms = f.fault_min_ms + pick({300, 1500});
  f.max_entries_per_msg = pick({1, 4, 64});
  f.max_inflight_msgs = pick({1, 4, 32});
  f.snapshot_every = pick({16, 64, 256});
  f.snapshot_retain = pick({0, 0, 8});
  f.client_timeout_ms = pick({300, 1000});
  f.think_max_ms = pick({2, 20, 50});
  f.flush_interval_ms = options.unsafe_no_fsync ? pick({100, 300}) : 0;
  f.crash_mid_write_ppm = pick({0, 300000, 700000});
  f.torn_tail_ppm = pick({300000, 1000000});
  if (options.scenario == "figure8") {
    // Figure 8 needs the old entry and the new leader's own entry in separate messages.
    f.max_entries_per_msg = 1;
    f.max_inflight_msgs = 1;
    f.snapshot_every = 1u << 30;
    f.client_timeout_ms = 1000;
  }
  if (!options.faults || !options.scenario.empty()) {
    f.drop_ppm = f.duplicate_ppm = f.reorder_ppm = 0;
    f.partitions = f.crashes = false;
  }
  return f;
}

std::string FaultSettings::Describe() const {
  std::string s;
  auto add = [&s](const std::string& k, uint64_t v) {
    if (!s.empty()) s += ' ';
    s += k + "=" + std::to_string(v);
  };
  add("drop_ppm", drop_ppm);
  add("duplicate_ppm", duplicate_ppm);
  add("reorder_ppm", reorder_ppm);
  add("delay_us", delay_min_us);
  s += ".." + std::to_string(delay_max_us);
  add("reorder_delay_max_us", reorder_delay_max_us);
  add("partitions", partitions);
  add("crashes", crashes);
  add("crash_mid_write_ppm", crash_mid_write_ppm);
  add("torn_tail_ppm", torn_tail_ppm);
  add("quiet_ms", quiet_min_ms);
  s += ".." + std::to_string(quiet_max_ms);
  add("fault_ms", fault_min_ms);
  s += ".." + std::to_string(fault_max_ms);
  add("tick_ms", tick_ms);
  add("election_tick", static_cast<uint64_t>(election_tick));
  add("heartbeat_tick", static_cast<uint64_t>(heartbeat_tick));
  add("max_entries_per_msg", max_entries_per_msg);
  add("max_inflight_msgs", max_inflight_msgs);
  add("snapshot_every", snapshot_every);
  add("snapshot_retain", snapshot_retain);
  add("client_timeout_ms", client_timeout_ms);
  add("think_max_ms", think_max_ms);
  if (flush_interval_ms > 0) add("flush_interval_ms", flush_interval_ms);
  return s;
}

SimResult RunSim(const SimOptions& options) {
  FAULTLINE_CHECK(options.nodes >= 1 && options.nodes <= 9, "nodes must be 1..9");
  FAULTLINE_CHECK(
      options.clients >= 1 && options.keys >= 1 && options.ops >= 0 && options.lock_clients >= 0,
      "clients and keys must be positive");
  FAULTLINE_CHECK(options.scenario.empty() || (options.scenario == "figure8" && options.nodes == 5),
                  "unknown scenario (\"figure8\" needs 5 nodes): " + options.scenario);
  Simulation sim(options);
  return sim.Run();
}

std::string ReproduceLine(const SimOptions& o) {
  std::string line = "faultline sim --seed " + std::to_string(o.seed) + " --nodes " +
                     std::to_string(o.nodes) + " --ops " + std::to_string(o.ops) + " --clients " +
                     std::to_string(o.clients) + " --keys " + std::to_string(o.keys);
  const std::string raft_opt = " --raft-opt ";
  if (o.unsafe_stale_reads)
    line += raft_opt + std::string(UnsafeSwitchName(UnsafeSwitch::kStaleReads));
  if (o.unsafe_no_fsync) line += raft_opt + std::string(UnsafeSwitchName(UnsafeSwitch::kNoFsync));
  if (o.unsafe_commit_old_terms)
    line += raft_opt + std::string(UnsafeSwitchName(UnsafeSwitch::kCommitOldTerms));
  if (!o.faults) line += " --no-faults";
  if (!o.check_invariants) line += " --no-invariants";
  if (!o.scenario.empty()) line += " --scenario " + o.scenario;
  // Test-only settings (SimOptions fields with no flag): named so that a test's failure report
  // says how to rerun it (set the same fields).
  std::string test_only;
  if (o.mutation_send_first_ignores_hard_state)
    test_only += " mutation_send_first_ignores_hard_state";
  if (o.mutation_send_first_any_role) test_only += " mutation_send_first_any_role";
  if (o.lock_clients != SimOptions().lock_clients) {
    test_only += " lock_clients=" + std::to_string(o.lock_clients);
  }
  if (!test_only.empty()) line += "  # test-only SimOptions:" + test_only;
  return line;
}

}  // namespace faultline::raft::sim
