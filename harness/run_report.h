// The check and report phases of a run, shared by `faultline test` (harness/test_run.cc, right
// after the run) and `faultline analyze` (harness/analyze_command.cc, a stored run judged again,
// e.g. after a checker upgrade): one place decides how checkers' verdicts combine into the run's
// and what results.json, report.txt, junit.xml and the summary say.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "results/run_files.h"
#include "workloads/workload.h"

namespace faultline::harness {

// A run's verdict and the checkers behind it.
struct RunJudgement {
  checker::Verdict verdict = checker::Verdict::kUnknown;
  std::string cause;  // "" when valid
  std::vector<workloads::CheckerResult> checks;
};

// Runs the workload's checkers on `history`, appends `run_checks` (the run's own findings:
// liveness, node-exits), gives each failing checker its first finding with nodes named, and
// combines the verdicts (CombineVerdicts). An error when the workload's checkers could not run.
base::Result<RunJudgement> JudgeHistory(const workloads::Workload& workload,
                                        const checker::History& history,
                                        const workloads::CheckSettings& settings,
                                        std::vector<workloads::CheckerResult> run_checks,
                                        const std::string& error, bool completed);

// The run's verdict from its checkers: the worst of them (invalid > unknown > valid); a run that
// went wrong (`error`, "" if nothing did) or did not run its whole time limit (`completed`) cannot
// vouch for validity, but an anomaly found is real. The cause is "test error: <error>", else the
// first checker that is not valid ("<name>: <summary>"), else "interrupted".
RunJudgement CombineVerdicts(std::vector<workloads::CheckerResult> checks, const std::string& error,
                             bool completed);

// "test error: <error>", or "" when `error` is empty.
std::string TestErrorCause(const std::string& error);

// What the report phase writes and prints.
struct RunReport {
  std::string run_dir;
  std::string name;  // the test's name (the junit suite)
  std::string rerun;
  RunJudgement judgement;
  results::RunStats stats;  // stats.error: what kept the run from completing ("" if nothing)
  std::vector<std::string> availability_lines;  // "n1 ..." per node; may be empty
};

std::string HistoryPathOf(const std::string& run_dir);

// results.json, report.txt (when a checker ran) and junit.xml in the run folder. The first error.
base::Status WriteRunReport(const RunReport& report);
// report.txt's text: the verdict, then every checker's verdict, summary and full explanation.
std::string RunReportText(const RunReport& report);
// The summary on stdout: counts, errors by kind, availability, one line per checker, the first
// counterexample of each failing checker, the verdict line, the folder and the rerun line.
void PrintRunSummary(const RunReport& report);

}  // namespace faultline::harness
