#include "harness/run_report.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "harness/counterexample.h"
#include "results/exit_codes.h"
#include "results/junit_cases.h"
#include "results/report_html.h"
#include "results/store.h"

namespace faultline::harness {

using base::Result;
using base::Status;
using checker::Verdict;

Result<RunJudgement> JudgeHistory(const workloads::Workload& workload,
                                  const checker::History& history,
                                  const workloads::CheckSettings& settings,
                                  std::vector<workloads::CheckerResult> run_checks,
                                  const std::string& error, bool completed) {
  Result<std::vector<workloads::CheckerResult>> checks = workload.Check(history, settings);
  if (!checks.ok()) return checks.status();
  std::vector<workloads::CheckerResult> all = std::move(*checks);
  for (workloads::CheckerResult& c : run_checks) all.push_back(std::move(c));
  // The first finding of each failing checker, nodes named, for the summary.
  for (workloads::CheckerResult& c : all) c.counterexample = FirstFinding(c, history);
  return CombineVerdicts(std::move(all), error, completed);
}

RunJudgement CombineVerdicts(std::vector<workloads::CheckerResult> checks, const std::string& error,
                             bool completed) {
  RunJudgement j;
  j.cause = TestErrorCause(error);
  j.checks = std::move(checks);
  if (j.checks.empty()) return j;  // unknown: nothing judged the run
  j.verdict = Verdict::kValid;
  for (const workloads::CheckerResult& c : j.checks) {
    j.verdict = results::WorseVerdict(j.verdict, c.verdict);
    if (c.verdict != Verdict::kValid && j.cause.empty()) j.cause = c.name + ": " + c.summary;
  }
  // A run that did not finish cannot vouch for validity, but an anomaly found is real.
  if (j.verdict == Verdict::kValid && !error.empty()) j.verdict = Verdict::kUnknown;
  if (j.verdict == Verdict::kValid && !completed) {
    j.verdict = Verdict::kUnknown;
    j.cause = "interrupted";
  }
  return j;
}

std::string TestErrorCause(const std::string& error) {
  return error.empty() ? "" : "test error: " + error;
}

std::string HistoryPathOf(const std::string& run_dir) { return run_dir + "/history.jsonl"; }

Status WriteRunReport(const RunReport& report) {
  const RunJudgement& j = report.judgement;
  results::RunResults r;
  r.file = HistoryPathOf(report.run_dir);
  r.verdict = j.verdict;
  r.cause = j.cause;
  for (const workloads::CheckerResult& c : j.checks) {
    r.checkers.push_back({c.name, c.verdict, c.summary, c.detail});
  }
  r.run = report.stats;
  Status first = results::WriteRunResults(report.run_dir, r);
  auto keep = [&first](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  if (!j.checks.empty()) {
    keep(results::WriteFileAtomic(report.run_dir + "/report.txt", RunReportText(report)));
  }

  const double check_s = report.stats.check_s;
  const double workload_s = report.stats.workload_s;
  // One case per checker and per failing key, each naming the run folder.
  std::vector<results::JunitCase> cases =
      results::CheckerJunitCases(r.checkers, report.run_dir, check_s);
  if (!report.stats.error.empty()) {
    // The run itself went wrong: its own case, typed apart from a checker's unknown.
    cases.push_back(
        {"run", Verdict::kUnknown, TestErrorCause(report.stats.error), workload_s, "test-error"});
  } else if (j.checks.empty()) {
    cases.push_back(
        {"run", Verdict::kUnknown, j.cause.empty() ? "no checker ran" : j.cause, 0, ""});
  }
  keep(results::WriteFileAtomic(report.run_dir + "/junit.xml",
                                results::JunitXml(report.name, cases, workload_s + check_s)));

  // report.html last: it reads what the lines above wrote.
  if (Result<results::ReportWritten> html = results::WriteRunReport(report.run_dir); !html.ok()) {
    std::fprintf(stderr, "faultline: report.html: %s\n", html.status().message().c_str());
  } else if (!html->note.empty()) {
    std::fprintf(stderr, "faultline: report.html: %s\n", html->note.c_str());
  }
  return first;
}

// For linearizability what `faultline check` prints for the history, nodes included.
std::string RunReportText(const RunReport& report) {
  const RunJudgement& j = report.judgement;
  std::string out = report.name + ": " + results::VerdictWord(j.verdict) +
                    (j.cause.empty() ? "" : ": " + j.cause) +
                    "\nhistory: " + HistoryPathOf(report.run_dir) + "\n";
  for (const workloads::CheckerResult& c : j.checks) {
    out += "\n== " + c.name + ": " + checker::VerdictName(c.verdict) + ": " + c.summary + "\n";
    if (!c.report.empty()) {
      out += c.report;
    } else if (c.verdict != Verdict::kValid) {
      out += c.detail.ToJson() + "\n";
    }
  }
  return out;
}

void PrintRunSummary(const RunReport& report) {
  const results::RunStats& s = report.stats;
  const RunJudgement& j = report.judgement;
  std::printf("%s: %llu ops (%llu ok, %llu fail, %llu info), %d fault%s, %.0f s on %s\n",
              report.name.c_str(), static_cast<unsigned long long>(s.invokes),
              static_cast<unsigned long long>(s.ok), static_cast<unsigned long long>(s.fail),
              static_cast<unsigned long long>(s.info), s.faults, s.faults == 1 ? "" : "s",
              s.workload_s, s.net_backend.empty() ? "-" : s.net_backend.c_str());
  std::vector<std::pair<uint64_t, std::string>> by_count;
  for (const auto& [what, n] : s.errors) by_count.emplace_back(n, what);
  std::sort(by_count.rbegin(), by_count.rend());
  std::string not_ok;
  for (const auto& [n, what] : by_count) {
    not_ok += (not_ok.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  }
  if (!not_ok.empty()) std::printf("  not ok: %s\n", not_ok.c_str());
  for (const std::string& line : report.availability_lines) {
    std::printf("  availability %s\n", line.c_str());
  }
  for (const auto& c : j.checks) {
    std::printf("  %-13s %-8s %s\n", c.name.c_str(), checker::VerdictName(c.verdict),
                c.summary.c_str());
  }
  // The first counterexample of every failing checker (the full story is in report.txt).
  for (const auto& c : j.checks) {
    if (c.verdict != Verdict::kInvalid || c.counterexample.empty()) continue;
    std::printf("  first counterexample (%s, the node that served each operation after \"on\"):\n",
                c.name.c_str());
    size_t start = 0;
    while (start < c.counterexample.size()) {
      size_t end = c.counterexample.find('\n', start);
      if (end == std::string::npos) end = c.counterexample.size();
      std::printf("    %s\n", c.counterexample.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  std::printf("%s%s%s\n", results::VerdictWord(j.verdict), j.cause.empty() ? "" : ": ",
              j.cause.c_str());
  for (const std::string& line : s.not_ready) std::printf("  %s\n", line.c_str());
  std::printf("results: %s\n", report.run_dir.c_str());
  std::printf("report: %s/report.html\n", report.run_dir.c_str());
  if (j.verdict == Verdict::kInvalid) {
    std::printf("explained in: %s/report.txt\n", report.run_dir.c_str());
  }
  if (j.verdict != Verdict::kValid && !report.rerun.empty()) {
    std::printf("rerun: %s\n", report.rerun.c_str());
  }
  std::fflush(stdout);
}

}  // namespace faultline::harness
