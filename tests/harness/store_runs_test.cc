// `faultline test --target process` against small Python stores of our own
// (tests/data/stores/kvstore.py), each with one deliberate bug, and raftkv: the evidence for
// issue 12's "no false VALID". Each run is short; every test checks the verdict, the exit code,
// the run folder, and that nothing is left running.
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
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using faultline::checker::Value;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";
const std::string kStore = FAULTLINE_SOURCE_DIR "/tests/data/stores/kvstore.py";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string StoreCmd(const std::string& switches) {
  return "python3 " + kStore +
         " --id {id} --host {host} --client-port {client_port} --peer-port {peer_port}"
         " --peers {peers} --data {data_dir}" +
         (switches.empty() ? "" : " " + switches);
}

// `faultline test` arguments: the store's node command with `switches`, then `options` split at
// spaces.
std::vector<std::string> StoreArgs(const std::string& switches, const std::string& options) {
  std::vector<std::string> args = {"--target", "process", "--node-cmd", StoreCmd(switches)};
  std::istringstream in(options);
  for (std::string w; in >> w;) args.push_back(w);
  return args;
}

class StoreRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-storerun-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (pid_ > 0) {  // a run that outlived its test
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int pid : NodePids())
      EXPECT_NE(::kill(pid, 0), 0) << "node pid " << pid << " still running";
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs `faultline test ARGS --results DIR` to its end (bounded); returns its exit code.
  int Run(const std::vector<std::string>& args, std::chrono::seconds limit) {
    std::vector<std::string> all = {kBinary, "test", "--results", (dir_ / "results").string()};
    all.insert(all.end(), args.begin(), args.end());
    const std::string out = (dir_ / "out.txt").string();
    pid_ = ::fork();
    if (pid_ < 0) return -1;
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = Clock::now() + limit;
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "faultline test did not end within " << limit.count() << " s";
    return -1;
  }

  std::string Output() { return ReadFile(dir_ / "out.txt"); }

  fs::path RunDir() {
    const fs::path latest = dir_ / "results" / "latest";
    return fs::exists(latest) ? fs::canonical(latest) : fs::path();
  }

  Value Results() {
    auto v = faultline::checker::ParseJson(ReadFile(RunDir() / "results.json"));
    EXPECT_TRUE(v.ok()) << "results.json: " << v.status().message();
    return v.ok() ? *v : Value();
  }

  // results.json's checkers.<name>.valid, as JSON text ("true", "false", "\"unknown\"").
  std::string CheckerValid(const std::string& name) {
    const Value r = Results();
    const Value* checkers = r.find("checkers");
    if (checkers == nullptr || checkers->find(name) == nullptr) return "(no " + name + ")";
    const Value* valid = checkers->find(name)->find("valid");
    return valid == nullptr ? "(no valid)" : valid->ToJson();
  }

  std::string Junit() { return ReadFile(RunDir() / "junit.xml"); }

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

  fs::path dir_;
  pid_t pid_ = 0;
};

// Issue 12 point 2: a store without lock endpoints answers every acquire 404. The lock checkers
// then have nothing to judge; the stats checker makes the run UNKNOWN (exit 2), not VALID.
TEST_F(StoreRun, LockWorkloadAgainstAStoreWithoutLocksIsUnknown) {
  const int code =
      Run(StoreArgs("--no-locks",
                    "--nodes 3 --workload lock --nemesis none --time-limit 3 --name nolocks"),
          std::chrono::seconds(60));
  EXPECT_EQ(code, 2) << Output();
  EXPECT_THAT(Output(), HasSubstr("UNKNOWN: stats: no acquire ever succeeded: "));
  EXPECT_THAT(Output(), HasSubstr("info http-404"));
  EXPECT_EQ(CheckerValid("stats"), "\"unknown\"");
  EXPECT_EQ(CheckerValid("liveness"), "true");  // the KV endpoints work
  EXPECT_THAT(Junit(), HasSubstr("name=\"stats\""));
  EXPECT_THAT(Junit(), HasSubstr("type=\"unknown\""));
}

// Issue 14: a lock whose leases run out after 50 ms although the holder asked for 1000: the
// store grants the lock again while the first holder's lease should still run. Tokens still
// rise, so the fencing checker has nothing to say; the mutex checker finds two holders while
// both leases certainly ran, and the summary prints both.
TEST_F(StoreRun, LockWithLeasesCutShortIsInvalidForTheMutexChecker) {
  const int code = Run(StoreArgs("--lease-cap-ms 50",
                                 "--nodes 3 --workload lock --nemesis none "
                                 "--time-limit 3 --seed 2 --name shortlease"),
                       std::chrono::seconds(60));
  EXPECT_EQ(code, 1) << Output();
  EXPECT_EQ(CheckerValid("mutex"), "false") << Output();
  EXPECT_EQ(CheckerValid("fencing"), "true") << Output();
  EXPECT_THAT(Output(), HasSubstr("first counterexample (mutex"));
  EXPECT_THAT(Output(), HasSubstr("two clients held the lock at once while both leases ran"));
}

// Issue 12 point 3: the leader acknowledges writes it keeps only in memory; a kill and restart
// of the leader (n1) forgets them. The workers have moved on to fresh keys by then (failed
// operations count toward --ops-per-key), so only the register workload's final reads, on every
// node after healing, read the old keys again and find the acknowledged values gone. Seed 4
// kills all three nodes at 2 s and n2, n3 at 6 s; with the final reads turned off this run was
// VALID (checked by hand when this test was written), with them it is INVALID.
// --ops-per-key 30: keys must be left behind before the kill for the final reads to find them
// (with the default 200, whether a key was left behind before the kill depends on the store's
// throughput in the first 2 s, and the protocol probe before the workload, which warms the
// store up, made it VALID 2 runs in 3; with 30, 8 or 9 keys fail in every run).
TEST_F(StoreRun, AckBeforeSaveLeaderUnderKillIsInvalidForTheRegister) {
  const int code = Run(StoreArgs("--ack-before-save",
                                 "--nodes 3 --workload register --nemesis kill --nemesis-interval "
                                 "2 --time-limit 9 --seed 4 --recovery 10 --ops-per-key 30 "
                                 "--name ackfirst"),
                       std::chrono::seconds(90));
  EXPECT_EQ(code, 1) << Output();
  EXPECT_EQ(CheckerValid("linearizable"), "false") << Output();
  EXPECT_THAT(ReadFile(RunDir() / "faultline.log"), HasSubstr("restarted n1"))
      << "the seed's schedule no longer kills the leader";
}

// Issue 12 point 4: nodes that exit with status 3 whenever they are restarted. Seed 2 kills n3,
// then n2; neither comes back, the leader n1 has no majority, and no write goes through after
// healing (liveness INVALID), and every exit is a finding with its status and stderr (node-exits),
// each on its own line in the summary and its own junit case; the log has one line per exit.
TEST_F(StoreRun, NodesThatNeverComeBackAreInvalidThroughLiveness) {
  const int code = Run(StoreArgs("--exit-on-restart 3",
                                 "--nodes 3 --nemesis kill --nemesis-interval 1.5 --time-limit 6 "
                                 "--seed 2 --recovery 4 --name noreturn"),
                       std::chrono::seconds(90));
  EXPECT_EQ(code, 1) << Output();
  const std::string out = Output();
  EXPECT_THAT(out, HasSubstr("INVALID"));
  EXPECT_THAT(out, ::testing::ContainsRegex("liveness +invalid +the cluster took no write"));
  EXPECT_THAT(out, ::testing::ContainsRegex("node-exits +invalid .*exited with status 3"));
  EXPECT_THAT(out, HasSubstr("refusing to start"));  // the node's last stderr line
  // The recovery wait names every node that exited, each with its own status and stderr.
  EXPECT_THAT(out, ::testing::ContainsRegex("recovery: n2 exited with status 3; stderr: "
                                            "[^\n]*refusing to start; n3 exited with status 3"));
  EXPECT_EQ(CheckerValid("liveness"), "false");
  EXPECT_EQ(CheckerValid("node-exits"), "false");
  const std::string junit = Junit();
  EXPECT_THAT(junit, HasSubstr("name=\"liveness\""));
  EXPECT_THAT(junit, HasSubstr("name=\"node-exits\""));
  // One log line per exit, however long the node stays down.
  const Value r = Results();
  const Value* exits = r.find("checkers")->find("node-exits")->find("detail")->find("exits");
  ASSERT_NE(exits, nullptr) << r.ToJson();
  const size_t n = exits->as_array().size();
  EXPECT_GE(n, 1u);
  const std::string log = ReadFile(RunDir() / "faultline.log");
  size_t lines = 0;
  for (size_t at = log.find("on its own"); at != std::string::npos;
       at = log.find("on its own", at + 1))
    ++lines;
  EXPECT_EQ(lines, n) << log;
}

// The same store without its bug, and raftkv, under the same kills: VALID (the new checkers do
// not fail a healthy cluster).
TEST_F(StoreRun, CorrectStoreUnderKillIsValid) {
  const int code = Run(StoreArgs("",
                                 "--nodes 3 --workload register --nemesis kill --nemesis-interval "
                                 "2 --time-limit 9 --seed 4 --recovery 10 --name correct"),
                       std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << Output();
  for (const char* c : {"linearizable", "stats", "liveness", "node-exits"})
    EXPECT_EQ(CheckerValid(c), "true") << c << "\n" << Output();
}

TEST_F(StoreRun, RaftkvUnderTheDefaultFaultsIsValid) {
  const int code =
      Run({"--time-limit", "10", "--nemesis-interval", "2", "--seed", "11", "--name", "raftkv"},
          std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << Output();
  for (const char* c : {"linearizable", "stats", "liveness", "node-exits"})
    EXPECT_EQ(CheckerValid(c), "true") << c << "\n" << Output();
}

}  // namespace
