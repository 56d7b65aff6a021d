// The files of a suite's folder (`faultline suite`, harness/suite_command.h):
//
//   <results>/suites/<suite name>/<timestamp>/
//     summary.json   the suite and every run: status, exit code, run folder, cause, rerun line
//                    (rewritten after every run, so a reader sees the suite's progress)
//     junit.xml      one <testsuite> per run, one <testcase> per checker (from the run's
//                    results.json), or one "run" case for a run that crashed or was skipped
//     index.html     a table of the runs, coloured by status, linking each run's report.html,
//                    results.json, history.jsonl and faultline.log
//     runs/<k>/      run k's results folder (`faultline test --results`): <name>/<time>/
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/value.h"

namespace faultline::results {

struct SuiteRunRecord {
  int index = 0;  // 1-based
  std::string label;
  std::vector<std::string> args;  // the `faultline test` words (without --results)
  std::string target, workload, nemesis;
  // "valid", "invalid", "unknown", "crashed" (exit code other than 0/1/2, a signal, no end in
  // time), "skipped" (its target is not available here), "not-run" (the suite was stopped),
  // "running", "pending".
  std::string status = "pending";
  int exit_code = -1;   // the child's exit code; -1 when it did not exit normally or run
  std::string run_dir;  // relative to the suite folder; "" when the run left no folder
  std::string cause;    // why it is not valid (the run's cause, the crash, the skip reason)
  std::string rerun;    // the command line that reruns it with its seed
  double seconds = 0;
};

struct SuiteRecord {
  std::string name;
  std::string description;
  std::string file;  // the suite file as given
  std::string started_at, finished_at;
  bool finished = false;
  bool interrupted = false;
  int exit_code = 0;  // when finished: the worst of the runs (DESIGN.md section 5)
  std::vector<SuiteRunRecord> runs;
};

checker::Value SuiteSummaryValue(const SuiteRecord& suite);
// The suite's junit.xml; `suite_dir` is where the runs' results.json files are read from.
std::string SuiteJunitXml(const SuiteRecord& suite, const std::string& suite_dir);
std::string SuiteIndexHtml(const SuiteRecord& suite);

// summary.json, junit.xml and index.html in `suite_dir`, each atomically. The first error.
base::Status WriteSuiteFiles(const std::string& suite_dir, const SuiteRecord& suite);

}  // namespace faultline::results
