// `faultline report RUN_DIR` and `faultline check FILE --report DIR` end to end: the files they
// write and their exit codes (DESIGN.md section 5).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>

#include "tests/results/report_fixtures.h"

namespace faultline::harness {
namespace {

using namespace faultline::results::testing;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";

struct RunResult {
  int code;
  std::string out;  // stdout and stderr together
};

RunResult Faultline(const std::string& args) {
  std::string cmd = kBinary + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  RunResult r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(ReportCommand, writesTheRunsReportAndExitsWithItsVerdict) {
  TempDir dir("cmd-run");
  WriteRunFolder(dir.path() / "run", GeneratedHistory(200, 10, 9), true);
  const RunResult r = Faultline("report " + (dir.path() / "run").string());
  EXPECT_EQ(r.code, 1) << r.out;  // the run is invalid
  EXPECT_NE(r.out.find("report.html: INVALID"), std::string::npos) << r.out;
  const std::string html = ReadFile(dir.path() / "run" / "report.html");
  EXPECT_NE(html.find("<th>seed</th><td>42</td>"), std::string::npos);
}

TEST(ReportCommand, notARunFolder_oneLineAnd254) {
  TempDir dir("cmd-bad");
  for (const std::string& arg : {dir.path().string(), (dir.path() / "missing").string()}) {
    const RunResult r = Faultline("report " + arg);
    EXPECT_EQ(r.code, 254) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_EQ(r.out.rfind("faultline report: ", 0), 0u) << r.out;
  }
  EXPECT_EQ(Faultline("report").code, 254);
}

TEST(ReportCommand, checkReportWritesTheHtmlReport) {
  TempDir dir("cmd-check");
  const RunResult r =
      Faultline("check --initial 0 " + Knossos("cas-register/bad/bad-analysis.edn") + " --report " +
                (dir.path() / "out").string());
  EXPECT_EQ(r.code, 1) << r.out;
  const std::string html = ReadFile(dir.path() / "out" / "report.html");
  EXPECT_NE(html.find("operation 14 cannot be linearized"), std::string::npos);
  EXPECT_NE(html.find("<th>initial</th><td>0</td>"), std::string::npos);
  // Several files: one report each, named after the file.
  const RunResult two = Faultline(
      "check --initial 0 " + Knossos("cas-register/bad/bad-analysis.edn") + " " +
      Knossos("cas-register/good/memstress3-0.edn") + " --report " + (dir.path() / "two").string());
  EXPECT_EQ(two.code, 1) << two.out;
  EXPECT_TRUE(fs::exists(dir.path() / "two" / "report-1-bad-analysis.edn.html"));
  EXPECT_TRUE(fs::exists(dir.path() / "two" / "report-2-memstress3-0.edn.html"));

  // `report` on a check --report folder (results.json, no history.jsonl or test.json) refuses
  // rather than replacing its report with an empty one.
  const RunResult again = Faultline("report " + (dir.path() / "out").string());
  EXPECT_EQ(again.code, 254) << again.out;
  EXPECT_NE(again.out.find("already has its report.html"), std::string::npos) << again.out;
  EXPECT_EQ(ReadFile(dir.path() / "out" / "report.html"), html);
}

}  // namespace
}  // namespace faultline::harness
