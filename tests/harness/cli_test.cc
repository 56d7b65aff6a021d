// `faultline check` and `faultline sim` end to end: the real binary, its output and its exit
// codes (DESIGN.md sections 4, 5 and 9).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";
const std::string kCorpus = FAULTLINE_SOURCE_DIR "/tests/data/knossos";

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

class CheckCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("faultline-check-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(CheckCommand, ValidHistoryExitsZero) {
  RunResult r = Faultline("check --initial 0 " + kCorpus + "/cas-register/good/memstress3-0.edn");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("VALID"));
}

TEST_F(CheckCommand, InvalidHistoryExitsOneWithCounterexample) {
  RunResult r = Faultline("check --initial 0 " + kCorpus + "/cas-register/bad/bad-analysis.edn");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("operation 14 cannot be linearized"));
  EXPECT_THAT(r.out, HasSubstr("why:       read 2, but the register holds"));
  EXPECT_THAT(r.out, HasSubstr("longest linearizable prefix"));
}

TEST_F(CheckCommand, JsonOutputIsOneObjectPerFile) {
  std::string good = Write("good.jsonl",
                           "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"acquire\"}\n"
                           "{\"index\":1,\"process\":0,\"type\":\"ok\",\"f\":\"acquire\"}\n");
  RunResult r =
      Faultline("check --json " + good + " " + kCorpus + "/mutex/bad/etcd.edn --model mutex");
  EXPECT_EQ(r.code, 1) << r.out;
  // Two lines, one per file; the worst verdict decides the exit code.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"valid\":true"));
  EXPECT_THAT(r.out, HasSubstr("\"valid\":false"));
  EXPECT_THAT(r.out, HasSubstr("\"index\":1119"));
}

TEST_F(CheckCommand, UnknownExitsTwo) {
  std::string text;
  int index = 0;
  // Value 1 is written twice (by processes 0 and 39), so the unique-value fast path does not
  // apply and the search must try every subset of the indeterminate writes.
  for (int p = 0; p < 40; ++p) {
    text +=
        "{\"index\":" + std::to_string(index++) + ",\"process\":" + std::to_string(p) +
        ",\"type\":\"invoke\",\"f\":\"write\",\"value\":" + std::to_string(p == 39 ? 1 : p + 1) +
        "}\n";
  }
  for (int i = 0; i < 40; ++i) {
    int v = i % 2 == 0 ? 1 + i / 2 : 41;
    text += "{\"index\":" + std::to_string(index++) +
            ",\"process\":100,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n";
    text += "{\"index\":" + std::to_string(index++) +
            ",\"process\":100,\"type\":\"ok\",\"f\":\"read\",\"value\":" + std::to_string(v) +
            "}\n";
  }
  RunResult r = Faultline("check --timeout 0.3 " + Write("hard.jsonl", text));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("UNKNOWN"));
  EXPECT_THAT(r.out, HasSubstr("timeout"));
}

TEST_F(CheckCommand, BadInputIsOneLineAndExit254) {
  std::string bad = Write("bad.jsonl",
                          "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                          "{\"index\":1,\"process\":0,\"type\":\"finished\",\"f\":\"read\"}\n");
  for (const std::string& args : std::vector<std::string>{
           "check " + bad, "check /nonexistent/history.jsonl", "check --model nope " + bad,
           "check --initial '{bad' " + bad, "check --format xml " + bad, "check",
           "check --threads x " + bad, "check --threads -1 " + bad, "check --timeout -5 " + bad,
           "frobnicate"}) {
    RunResult r = Faultline(args);
    EXPECT_EQ(r.code, 254) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
  EXPECT_THAT(Faultline("check " + bad).out, HasSubstr("bad.jsonl:2:"));
  // A negative count says so in a few words (CLI11's own check printed a 309-digit bound).
  const RunResult negative = Faultline("check --threads -1 " + bad);
  EXPECT_THAT(negative.out, HasSubstr("'-1' is negative"));
  EXPECT_LT(negative.out.size(), 200u) << negative.out;
}

TEST_F(CheckCommand, ReportDirGetsResultsAndText) {
  RunResult r = Faultline("check --initial 0 --report " + (dir_ / "report").string() + " " +
                          kCorpus + "/cas-register/bad/immediate-failure.edn");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "report" / "results.json"));
  EXPECT_TRUE(fs::exists(dir_ / "report" / "report.txt"));
}

TEST(TestCommand, MistypedFlagsAndValuesGetTheClosestKnownOne) {
  // Bad options end before anything starts: one line, exit 254.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"test --nemsis none", "unknown option --nemsis (did you mean --nemesis?)"},
      {"test --nemesis=partiton", "unknown --nemesis 'partiton' (did you mean partition?)"},
      {"test --workload regster", "(did you mean register?)"},
      {"check --modle x f.jsonl", "unknown option --modle (did you mean --model?)"},
      {"test --target process --node-cmd 'mykv {idd}'",
       "faultline: --node-cmd: unknown placeholder {idd}"},
      {"test --nodes 1 --nemesis partition", "a partition needs at least 2 nodes"},
      {"test --start-timeout 0", "--start-timeout must be positive"},
  };
  for (const auto& [args, message] : cases) {
    RunResult r = Faultline(args);
    EXPECT_EQ(r.code, 254) << args << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr(message)) << args;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
}

TEST(SimCommand, SweepPassesAndSummarizes) {
  RunResult r = Faultline("sim --seeds 20 --ops 300");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("20 passed, 0 failed, 0 unknown"));
}

TEST(SimCommand, StaleReadSwitchFailsWithReproductionLine) {
  RunResult r = Faultline("sim --seed 1 --raft-opt unsafe-stale-reads");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("fail (history)"));
  EXPECT_THAT(r.out, HasSubstr("faultline sim --seed 1 "));
  EXPECT_THAT(r.out, HasSubstr("--raft-opt unsafe-stale-reads"));
}

TEST(SimCommand, SameSeedSameHistory) {
  std::string a = (fs::temp_directory_path() / "faultline-sim-a.jsonl").string();
  std::string b = (fs::temp_directory_path() / "faultline-sim-b.jsonl").string();
  ASSERT_EQ(Faultline("sim --seed 7 --ops 300 --history " + a).code, 0);
  ASSERT_EQ(Faultline("sim --seed 7 --ops 300 --history " + b).code, 0);
  std::ifstream fa(a), fb(b);
  std::string ta((std::istreambuf_iterator<char>(fa)), {}),
      tb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_FALSE(ta.empty());
  EXPECT_EQ(ta, tb);
  // The history it writes is one `faultline check` accepts: its registers (keys "k..."; the
  // lock clients' operations, keys "l..." and "r...", need the fencing checkers, not a model).
  std::string registers = (fs::temp_directory_path() / "faultline-sim-k.jsonl").string();
  {
    std::istringstream lines(ta);
    std::ofstream out(registers);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"key\":\"l") == std::string::npos &&
          line.find("\"key\":\"r") == std::string::npos) {
        out << line << "\n";
      }
    }
  }
  EXPECT_NE(ta.find("\"f\":\"acquire\""), std::string::npos);
  EXPECT_EQ(Faultline("check " + registers).code, 0);
  fs::remove(registers);
  fs::remove(a);
  fs::remove(b);
}

TEST(SimCommand, BadOptionsExit254) {
  for (const std::string& args :
       std::vector<std::string>{"sim --raft-opt unsafe-everything", "sim --nodes 0",
                                "sim --scenario nope", "sim --seeds 2 --history /tmp/x.jsonl"}) {
    RunResult r = Faultline(args);
    EXPECT_EQ(r.code, 254) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
}

}  // namespace
