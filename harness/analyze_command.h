// `faultline analyze RUN_DIR` (Jepsen's analyze): the workload's checkers run again on a stored
// run (history.jsonl, with the options of test.json), e.g. after a checker upgrade; results.json,
// report.txt and junit.xml are rewritten. The run's own findings that the history cannot give
// again (liveness, node-exits) and its statistics are kept from the old results.json.
#pragma once

#include <optional>
#include <string>

namespace faultline::harness {

struct AnalyzeCommandOptions {
  std::string run_dir;
  std::optional<double> check_timeout_s;  // default: the run's own --check-timeout
};

// Returns the verdict's exit code (DESIGN.md section 5); 254 for a folder that is not a run
// folder or a history that cannot be read.
int RunAnalyzeCommand(const AnalyzeCommandOptions& options);

}  // namespace faultline::harness
