// `faultline test` against nodes that never become ready (issue 12, point 5): each way of not
// starting gets its own one-line reason per node, the run exits 2 with cause "test error: ...",
// and results.json and junit.xml say it apart from a checker's unknown. The nodes are the tiny
// Python store tests/data/stores/broken_start.py; --start-timeout 3 keeps each run short.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "checker/value.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";
const std::string kStore = FAULTLINE_SOURCE_DIR "/tests/data/stores/broken_start.py";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Startup : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-startup-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (int pid : NodePids()) {
      EXPECT_NE(::kill(pid, 0), 0) << "node pid " << pid << " still running";
    }
    fs::remove_all(dir_);
  }

  // Runs `faultline test` with `mode` on every node; returns the exit code (bounded wait).
  int Run(const std::string& mode, int nodes = 2) {
    const std::string cmd =
        "python3 " + kStore + " --mode " + mode + " --host {host} --port {client_port}";
    std::vector<std::string> all = {kBinary,           "test",
                                    "--results",       (dir_ / "r").string(),
                                    "--target",        "process",
                                    "--node-cmd",      cmd,
                                    "--nodes",         std::to_string(nodes),
                                    "--nemesis",       "none",
                                    "--time-limit",    "1",
                                    "--start-timeout", "3",
                                    "--net",           "proxy"};
    const std::string out = (dir_ / "out.txt").string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::freopen(out.c_str(), "w", stdout);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ADD_FAILURE() << "faultline test did not end within 30 s";
    return -1;
  }

  std::string Output() { return ReadFile(dir_ / "out.txt"); }
  fs::path RunDir() {
    const fs::path latest = dir_ / "r" / "latest";
    return fs::exists(latest) ? fs::canonical(latest) : fs::path();
  }

  std::vector<int> NodePids() {
    std::vector<int> pids;
    const fs::path dir = RunDir();
    if (dir.empty()) return pids;
    const std::string log = ReadFile(dir / "faultline.log");
    static const std::regex re("started n[0-9]+ \\(pid ([0-9]+)\\)");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
         ++it) {
      pids.push_back(std::stoi((*it)[1]));
    }
    return pids;
  }

  // The run could not start: exit 2, "test error" in the summary, results.json and junit.xml.
  void ExpectTestError() {
    const std::string out = Output();
    EXPECT_THAT(out, HasSubstr("UNKNOWN: test error: "));
    const fs::path dir = RunDir();
    ASSERT_FALSE(dir.empty()) << out;
    auto results = faultline::checker::ParseJson(ReadFile(dir / "results.json"));
    ASSERT_TRUE(results.ok());
    ASSERT_NE(results->find("cause"), nullptr) << results->ToJson();
    EXPECT_EQ(results->find("cause")->as_string().rfind("test error: ", 0), 0u)
        << results->ToJson();
    const faultline::checker::Value* run = results->find("run");
    ASSERT_NE(run, nullptr);
    ASSERT_NE(run->find("not_ready"), nullptr) << results->ToJson();
    EXPECT_THAT(ReadFile(dir / "junit.xml"), HasSubstr("type=\"test-error\""));
  }

  fs::path dir_;
};

TEST_F(Startup, ANodeThatNeverOpensItsPortIsConnectionRefused) {
  EXPECT_EQ(Run("silent"), 2) << Output();
  ExpectTestError();
  EXPECT_THAT(Output(), HasSubstr("cluster not ready after 3 s"));
  // The address each node was dialled at: under netns it is the namespace's, not loopback.
  EXPECT_THAT(Output(), HasSubstr("n1: connection refused at 127.0.0.1:"));
  EXPECT_THAT(Output(), HasSubstr("n2: connection refused at 127.0.0.1:"));
  EXPECT_THAT(Output(), HasSubstr("starting 2 process nodes"));
}

TEST_F(Startup, ANodeThatNeverAnswersIsARequestTimeout) {
  EXPECT_EQ(Run("mute", 1), 2) << Output();
  ExpectTestError();
  EXPECT_THAT(Output(), HasSubstr("n1: no answer within 1 s (request timeout)"));
  EXPECT_THAT(Output(), HasSubstr("starting 1 process node\n"));
}

TEST_F(Startup, ANodeThatAnswersGarbageIsNotHttp) {
  EXPECT_EQ(Run("garbage"), 2) << Output();
  ExpectTestError();
  EXPECT_THAT(Output(), HasSubstr("n1: not HTTP: answered \"hello garbage\\x01\\x02"));
}

TEST_F(Startup, ANodeThatAnswersANonJsonBodyShowsItsFirstBytes) {
  EXPECT_EQ(Run("non-json"), 2) << Output();
  ExpectTestError();
  EXPECT_THAT(Output(), HasSubstr("n1: HTTP 200 with a body that is not JSON: \"hello, world\""));
}

TEST_F(Startup, ANodeThatExitsAtStartupShowsItsStatusAndStderr) {
  EXPECT_EQ(Run("exit3", 1), 2) << Output();
  ExpectTestError();
  EXPECT_THAT(Output(), HasSubstr("n1: exited with status 3; stderr: broken_start: fatal: cannot "
                                  "open /nonexistent/config.toml"));
  // Not the checker's unknown: no checker ran, and the summary says why the run did not start.
  EXPECT_THAT(Output(), Not(HasSubstr("the check did not finish")));
}

// Nodes that all exit at start each show their own exit, never the refused connection of their
// last probe (issue: "n2: connection refused" beside "n1: exited with status 3"), and the error
// line names every node that exited.
TEST_F(Startup, NodesThatAllExitAtStartupEachShowTheirOwnExit) {
  EXPECT_EQ(Run("exit3", 3), 2) << Output();
  ExpectTestError();
  const std::string out = Output();
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_THAT(out, HasSubstr(std::string(id) + ": exited with status 3; stderr: broken_start"));
  }
  EXPECT_THAT(out, Not(HasSubstr("connection refused")));
  EXPECT_THAT(out, HasSubstr("UNKNOWN: test error: n1, n2, n3 exited with status 3"));
}

TEST_F(Startup, OneNodeWithTheDefaultFaultsRunsPauseAndKill) {
  const std::vector<std::string> args = {kBinary,
                                         "test",
                                         "--results",
                                         (dir_ / "r").string(),
                                         "--nodes",
                                         "1",
                                         "--time-limit",
                                         "3",
                                         "--nemesis-interval",
                                         "0.5",
                                         "--recovery",
                                         "10",
                                         "--net",
                                         "proxy"};
  std::string cmd;
  for (const std::string& a : args) cmd += a + " ";
  std::FILE* p = ::popen((cmd + "2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_THAT(out, HasSubstr("one node: partitions left out of the default faults"));
  EXPECT_THAT(out, HasSubstr("nemesis pause,kill"));
  EXPECT_THAT(out, Not(HasSubstr("partition needs")));
  EXPECT_THAT(out, HasSubstr("availability n1 "));
}

}  // namespace
