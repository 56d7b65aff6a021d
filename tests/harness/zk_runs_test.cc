// `faultline test --target zookeeper` against real 3-node ZooKeeper ensembles (issue 14): the
// register with sync reads under partitions and kills is VALID; set and counter under kills lose
// nothing acknowledged; the lock under partitions and pauses is safe (fencing and mutex checkers);
// --net proxy is refused. Every run is short and uses the netns backend
// (root; CI is root). After each test no java of the test is running and no namespace of its run
// is left. Skipped when ZooKeeper (/usr/share/java/zookeeper.jar, /usr/bin/java) is missing or the
// test does not run as root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
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

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `ip netns list` (empty when ip is missing).
std::string Namespaces() {
  std::string out;
  if (FILE* p = ::popen("ip netns list 2>/dev/null", "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
  }
  return out;
}

class ZkRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/share/java/zookeeper.jar") || !fs::exists("/usr/bin/java"))
      GTEST_SKIP() << "no ZooKeeper (apt-get install zookeeper)";
    if (::geteuid() != 0) GTEST_SKIP() << "--target zookeeper needs --net netns, which needs root";
    dir_ = fs::temp_directory_path() /
           ("fl-zkrun-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    if (pid_ > 0) {  // a run that outlived its test
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int pid : NodePids()) {
      EXPECT_NE(::kill(pid, 0), 0) << "java pid " << pid << " still running";
      ::kill(pid, SIGKILL);  // never leave one behind, even when the expectation failed
    }
    const std::string run_id = RunId();
    if (!run_id.empty()) {
      EXPECT_THAT(Namespaces(), ::testing::Not(HasSubstr(run_id))) << "namespaces left";
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs `faultline test --target zookeeper ARGS --results DIR` to its end (bounded); its exit
  // code.
  int Run(const std::string& options, std::chrono::seconds limit) {
    std::vector<std::string> all = {kBinary,     "test",      "--target",
                                    "zookeeper", "--results", (dir_ / "results").string()};
    std::istringstream in(options);
    for (std::string w; in >> w;) all.push_back(w);
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

  std::string Log() {
    const fs::path dir = RunDir();
    return dir.empty() ? "" : ReadFile(dir / "faultline.log");
  }

  std::string RunId() {
    static const std::regex re("run id ([a-z0-9]+)");
    const std::string log = Log();
    std::smatch m;
    return std::regex_search(log, m, re) ? m[1].str() : "";
  }

  // results.json's checkers.<name>.valid, as JSON text.
  std::string CheckerValid(const std::string& name) {
    auto r = faultline::checker::ParseJson(ReadFile(RunDir() / "results.json"));
    if (!r.ok()) return "(no results.json)";
    const Value* checkers = r->find("checkers");
    if (checkers == nullptr || checkers->find(name) == nullptr) return "(no " + name + ")";
    const Value* valid = checkers->find(name)->find("valid");
    return valid == nullptr ? "(no valid)" : valid->ToJson();
  }

  std::vector<int> NodePids() {
    std::vector<int> pids;
    const std::string log = Log();
    static const std::regex re("(?:started|restarted) n[0-9]+ \\(pid ([0-9]+)\\)");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
         ++it) {
      pids.push_back(std::stoi((*it)[1]));
    }
    return pids;
  }

  fs::path dir_;
  pid_t pid_ = 0;
};

TEST_F(ZkRun, ProxyBackendIsRefusedInOneLine) {
  const int code = Run("--net proxy --time-limit 1", std::chrono::seconds(20));
  EXPECT_EQ(code, 254);
  EXPECT_EQ(Output(),
            "faultline: --target zookeeper needs --net netns: every member's zoo.cfg lists the "
            "same server addresses, which the proxy backend's per-link relays cannot give\n");
}

// Sync-then-read and versioned setData as CAS, under partitions and kills (restarted on their
// data): ZooKeeper's writes are linearizable, and a sync before each read makes the reads see
// every write acknowledged before the read began. Seed 1 starts a partition and a kill.
TEST_F(ZkRun, RegisterWithSyncReadsUnderPartitionAndKillIsValid) {
  const int code =
      Run("--nodes 3 --workload register --nemesis partition,kill --nemesis-interval 1.5 "
          "--time-limit 9 --seed 1 --recovery 20 --net netns --name zkreg",
          std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("linearizable"), "true") << Output();
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("start-partition"));
  EXPECT_THAT(log, HasSubstr("restarted n"));  // a kill and a restart on the same data
  const fs::path n1 = RunDir() / "nodes" / "n1";
  EXPECT_THAT(ReadFile(n1 / "data" / "zoo.cfg"), HasSubstr("server.3="));
  EXPECT_THAT(ReadFile(n1 / "command.txt"), HasSubstr("QuorumPeerMain"));
  EXPECT_THAT(ReadFile(n1 / "stderr.log"), HasSubstr("QuorumPeer"));  // the server's own log
}

// Set and counter as CAS loops over versioned setData, under kills of nodes restarted on their
// data: nothing acknowledged is lost.
TEST_F(ZkRun, SetUnderKillsLosesNothingAcknowledged) {
  const int code =
      Run("--nodes 3 --workload set --nemesis kill --nemesis-interval 1.5 --time-limit 8 --seed 5 "
          "--recovery 20 --net netns --name zkset",
          std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("set"), "true") << Output();
  EXPECT_THAT(Log(), HasSubstr("restarted n"));
}

TEST_F(ZkRun, CounterUnderKillsLosesNothingAcknowledged) {
  const int code =
      Run("--nodes 3 --workload counter --nemesis kill --nemesis-interval 1.5 --time-limit 8 "
          "--seed 5 --recovery 20 --net netns --name zkcounter",
          std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("counter"), "true") << Output();
  EXPECT_THAT(Log(), HasSubstr("restarted n"));
}

// The lock recipe (ephemeral sequential znodes, the sequence number as the fencing token) under
// partitions and pauses: no stale write accepted, and no two holders while both sessions
// certainly lived (the mutex checker; an overlap after a session could have ended is only
// reported). With seed 42 and 8 s the schedule draws three partitions.
TEST_F(ZkRun, LockUnderPartitionsAndPausesIsSafe) {
  const int code =
      Run("--nodes 3 --workload lock --nemesis partition,pause --nemesis-interval 1.5 "
          "--time-limit 8 --seed 42 --recovery 20 --net netns --name zklock",
          std::chrono::seconds(90));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("fencing"), "true") << Output();
  EXPECT_EQ(CheckerValid("mutex"), "true") << Output();
  EXPECT_EQ(CheckerValid("linearizable"), "true") << Output();
  EXPECT_THAT(Log(), HasSubstr("start-partition"));
}

}  // namespace
