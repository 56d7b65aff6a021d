// `faultline suite FILE.json [--results DIR]`: the runs of a suite file (harness/suite.h), one
// after another, each as a child `faultline test` process: a run that crashes cannot take the
// suite down, and each run cleans up after itself as it always does. Progress on the terminal
// (run k of n, its verdict as it ends), a summary table at the end, and the suite's folder
// (results/suite_files.h). Ctrl-C (SIGINT, SIGTERM, SIGHUP) is passed on to the running test,
// which wraps up cleanly, and the suite stops after it; a second one stops the test at once.
#pragma once

#include <string>

namespace faultline::harness {

struct SuiteCommandOptions {
  std::string file;
  std::string results_dir = "results";
  bool dry_run = false;  // check the file and list the runs; run nothing
};

// Returns the worst exit code of the runs (DESIGN.md section 5: 255 > 254 > 1 > 2 > 0; a crashed
// run counts as its own exit code, 255 when it was killed by a signal or never ended), 2 when
// the suite was stopped before every run ran or when every run was skipped, 254 for a bad suite
// file (one line, before anything starts).
int RunSuiteCommand(const SuiteCommandOptions& options);

}  // namespace faultline::harness
