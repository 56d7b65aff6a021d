#include "harness/sim_command.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "results/exit_codes.h"
#include "results/store.h"
#include "targets/raft/core/unsafe_switches.h"
#include "targets/raft/sim/sim.h"

namespace faultline::harness {
namespace sim = ::faultline::raft::sim;
namespace {

using results::kExitBadInput;
using results::kExitValid;
using results::WorstExit;

// A seed that passes gave a valid history; a failed one found an anomaly.
checker::Verdict VerdictOf(sim::SimOutcome o) {
  switch (o) {
    case sim::SimOutcome::kPass:
      return checker::Verdict::kValid;
    case sim::SimOutcome::kFail:
      return checker::Verdict::kInvalid;
    case sim::SimOutcome::kUnknown:
      break;
  }
  return checker::Verdict::kUnknown;
}

int ExitFor(sim::SimOutcome o) { return results::ExitCodeFor(VerdictOf(o)); }

}  // namespace

int RunSimCommand(const SimCommandOptions& options) {
  sim::SimOptions base;
  base.nodes = options.nodes;
  base.ops = options.ops;
  base.clients = options.clients;
  base.keys = options.keys;
  base.faults = !options.no_faults;
  base.check_invariants = !options.no_invariants;
  base.scenario = options.scenario;
  base.check_timeout_s = options.check_timeout_s;
  base.trace_lines = static_cast<size_t>(options.trace);
  for (const std::string& opt : options.raft_opts) {
    const std::optional<raft::UnsafeSwitch> unsafe = raft::FindUnsafeSwitch(opt);
    if (!unsafe) {
      std::fprintf(stderr, "faultline sim: unknown --raft-opt '%s' (expected %s)\n", opt.c_str(),
                   raft::UnsafeSwitchNames(", ", " or ").c_str());
      return kExitBadInput;
    }
    switch (*unsafe) {
      case raft::UnsafeSwitch::kStaleReads:
        base.unsafe_stale_reads = true;
        break;
      case raft::UnsafeSwitch::kNoFsync:
        base.unsafe_no_fsync = true;
        break;
      case raft::UnsafeSwitch::kCommitOldTerms:
        base.unsafe_commit_old_terms = true;
        break;
    }
  }
  if (!options.scenario.empty() && options.scenario != "figure8") {
    std::fprintf(stderr, "faultline sim: unknown --scenario '%s' (expected figure8)\n",
                 options.scenario.c_str());
    return kExitBadInput;
  }
  if (options.scenario == "figure8" && options.nodes != 5) {
    std::fprintf(stderr,
                 "faultline sim: --scenario figure8 needs --nodes 5 (the paper's five "
                 "servers)\n");
    return kExitBadInput;
  }
  if (options.nodes < 1 || options.nodes > 9 || options.ops < 0 || options.clients < 1 ||
      options.keys < 1 || options.seeds < 1) {
    std::fprintf(stderr,
                 "faultline sim: --nodes must be 1..9, --clients and --keys at least 1, "
                 "--seeds at least 1\n");
    return kExitBadInput;
  }
  if (!options.history_path.empty() && options.seeds != 1) {
    std::fprintf(stderr, "faultline sim: --history takes a single run (--seed N)\n");
    return kExitBadInput;
  }

  // One seed: the whole report, whatever the outcome.
  if (options.seeds == 1) {
    sim::SimOptions o = base;
    o.seed = options.seed;
    sim::SimResult r = sim::RunSim(o);
    std::printf("%s", sim::DescribeResult(r).c_str());
    if (!options.history_path.empty()) {
      // Through the results store's writer: a reader never sees half a history.
      if (!results::WriteFileAtomic(options.history_path, sim::HistoryToJsonl(r.history)).ok()) {
        std::fprintf(stderr, "faultline sim: cannot write %s\n", options.history_path.c_str());
        return kExitBadInput;
      }
      std::printf("history: %s\n", options.history_path.c_str());
    }
    return ExitFor(r.outcome);
  }

  // A sweep: seeds run in parallel; every run is independent and deterministic.
  const auto started = std::chrono::steady_clock::now();
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  uint64_t passed = 0, failed = 0, unknown = 0;
  int code = kExitValid;
  int jobs = options.jobs > 0 ? options.jobs
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto worker = [&] {
    while (true) {
      const uint64_t i = next.fetch_add(1);
      if (i >= options.seeds) return;
      sim::SimOptions o = base;
      o.seed = options.seed + i;
      sim::SimResult r = sim::RunSim(o);
      std::lock_guard<std::mutex> lock(mu);
      code = WorstExit(code, ExitFor(r.outcome));
      if (r.outcome == sim::SimOutcome::kPass) {
        ++passed;
        continue;
      }
      (r.outcome == sim::SimOutcome::kFail ? failed : unknown)++;
      std::printf("seed %llu: %s (%s): %s\n  rerun: %s\n", static_cast<unsigned long long>(o.seed),
                  sim::SimOutcomeName(r.outcome), r.failure.c_str(),
                  r.detail.substr(0, r.detail.find('\n')).c_str(), sim::ReproduceLine(o).c_str());
      std::fflush(stdout);
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("sim: %llu seeds from %llu in %.1f s\n%llu passed, %llu failed, %llu unknown\n",
              static_cast<unsigned long long>(options.seeds),
              static_cast<unsigned long long>(options.seed), s,
              static_cast<unsigned long long>(passed), static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(unknown));
  return code;
}

}  // namespace faultline::harness
