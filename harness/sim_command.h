// `faultline sim`: the deterministic Raft simulation (targets/raft/sim) from the command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline::harness {

struct SimCommandOptions {
  uint64_t seed = 1;   // the first seed
  uint64_t seeds = 1;  // how many seeds, from `seed` on
  int nodes = 3;
  int ops = 1000;
  int clients = 5;
  int keys = 3;
  std::vector<std::string>
      raft_opts;  // unsafe-stale-reads, unsafe-no-fsync, unsafe-commit-old-terms
  bool no_faults = false;
  bool no_invariants = false;
  std::string scenario;      // "" or "figure8"
  std::string history_path;  // write the (single) run's history as JSON Lines
  int trace = 0;             // keep and print the last N simulation steps
  double check_timeout_s = 60;
  int jobs = 0;  // seeds run in parallel; 0 = one per core
};

// Runs the seeds; prints a report for every seed that does not pass (with the line that reruns
// it) and a summary. Returns the exit code: 0 all passed, 1 a seed failed, 2 a seed's check was
// inconclusive, 254 bad options.
int RunSimCommand(const SimCommandOptions& options);

}  // namespace faultline::harness
