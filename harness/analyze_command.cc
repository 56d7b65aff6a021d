#include "harness/analyze_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "checker/io/load.h"
#include "harness/run_report.h"
#include "harness/test_command.h"
#include "results/exit_codes.h"
#include "results/run_files.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using base::Result;
using checker::EventType;

namespace {

int Error(const std::string& msg) {
  std::fprintf(stderr, "faultline analyze: %s\n", msg.c_str());
  return results::kExitBadInput;
}

// The checkers a run adds beside its workload's (harness/liveness.h): they judge what happened to
// the cluster, which the history does not record, so the stored verdicts stand.
bool IsRunOwnChecker(const std::string& name) { return name == "liveness" || name == "node-exits"; }

// Counts for a run whose results.json has no `run` object (it stopped during its check).
results::RunStats CountHistory(const checker::History& history) {
  results::RunStats s;
  for (const checker::Event& e : history.events) {
    if (e.nemesis) {
      ++s.nemesis_events;
      continue;
    }
    switch (e.type) {
      case EventType::kInvoke:
        ++s.invokes;
        break;
      case EventType::kOk:
        ++s.ok;
        break;
      case EventType::kFail:
        ++s.fail;
        break;
      case EventType::kInfo:
        ++s.info;
        break;
    }
  }
  return s;
}

}  // namespace

int RunAnalyzeCommand(const AnalyzeCommandOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.run_dir, ec)) {
    return Error(options.run_dir + ": no such run folder");
  }
  // A trailing slash would double in the paths written.
  std::string run_dir = options.run_dir;
  while (run_dir.size() > 1 && run_dir.back() == '/') run_dir.pop_back();
  if (!fs::exists(run_dir + "/test.json", ec)) {
    return Error(run_dir + " is not a run folder (no test.json)");
  }
  Result<results::TestRecord> test = results::ReadTestJson(run_dir);
  if (!test.ok()) return Error(test.status().message());
  Result<TestCommandOptions> o = TestOptionsFromConfig(test->config);
  if (!o.ok()) return Error(o.status().message());
  if (options.check_timeout_s) o->check_timeout_s = *options.check_timeout_s;
  const int concurrency = o->concurrency > 0 ? o->concurrency : 2 * o->nodes;
  const uint64_t seed = o->seed.value_or(0);
  Result<std::unique_ptr<workloads::Workload>> workload =
      workloads::MakeWorkload(o->workload, WorkloadOptionsFor(*o, concurrency, seed));
  if (!workload.ok()) return Error("test.json: " + workload.status().message());

  const std::string history_path = HistoryPathOf(run_dir);
  if (!fs::exists(history_path, ec)) {
    return Error(run_dir + " has no history.jsonl (the run stopped before its workload)");
  }
  checker::io::LoadOptions lopts;
  lopts.format = checker::io::Format::kJsonl;
  Result<checker::History> history = checker::io::LoadHistoryFile(history_path, lopts);
  if (!history.ok()) return Error(history.status().message());

  // What the old results.json knew that the history does not: the run's statistics, whether it
  // completed, what went wrong, and the run's own checkers.
  RunReport report;
  report.run_dir = run_dir;
  report.name = o->name.empty() ? o->target + "-" + o->workload : o->name;
  report.rerun = test->rerun;
  std::vector<workloads::CheckerResult> run_checks;
  bool completed = true;
  Result<results::RunResults> old = results::ReadRunResults(run_dir);
  if (old.ok() && old->run.name.empty() && old->run.invokes == 0) {
    // No `run` object: the check was stopped before it ended (WriteCheckPending).
    old = base::Status::IoError("no run statistics");
  }
  if (old.ok()) {
    report.stats = old->run;
    // A check that failed before is being done again.
    if (report.stats.error.rfind("check: ", 0) == 0) report.stats.error.clear();
    completed = old->run.completed;
    for (const results::CheckerOutcome& c : old->checkers) {
      if (IsRunOwnChecker(c.name)) run_checks.push_back({c.name, c.verdict, c.summary, c.detail});
    }
  } else {
    std::printf(
        "note: no complete results.json (%s): counts from the history; the run's own checkers "
        "(liveness, node-exits) are not judged\n",
        old.status().message().c_str());
    report.stats = CountHistory(*history);
    report.stats.name = report.name;
    report.stats.seed = seed;
    report.stats.completed = true;
  }

  workloads::CheckSettings settings;
  settings.timeout_s = o->check_timeout_s;
  const auto start = std::chrono::steady_clock::now();
  Result<RunJudgement> judgement = JudgeHistory(
      **workload, *history, settings, std::move(run_checks), report.stats.error, completed);
  report.stats.check_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!judgement.ok()) {
    // The history is not one this workload can have produced: the run is judged unknown, as the
    // test itself would have.
    if (report.stats.error.empty()) report.stats.error = "check: " + judgement.status().message();
    report.judgement = CombineVerdicts({}, report.stats.error, completed);
  } else {
    report.judgement = std::move(*judgement);
  }
  if (base::Status s = WriteRunReport(report); !s.ok()) {
    std::fprintf(stderr, "faultline analyze: %s\n", s.message().c_str());
    PrintRunSummary(report);
    return results::kExitBadInput;
  }
  PrintRunSummary(report);
  return results::ExitCodeFor(report.judgement.verdict);
}

}  // namespace faultline::harness
