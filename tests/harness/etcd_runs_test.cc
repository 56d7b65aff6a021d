// `faultline test --target etcd` against real etcd 3-node clusters (issue 14): the register under
// partitions, pauses and kills is VALID; serializable reads under partitions are caught (a stale
// read in the counterexample); --net proxy is refused. Every run is short and uses the netns
// backend (root; CI is root); set and counter under kills lose nothing. After each test no etcd of
// the test is running and no namespace of its run is left. Skipped when /usr/bin/etcd is missing or
// the test does not run as root.
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

class EtcdRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/bin/etcd"))
      GTEST_SKIP() << "no /usr/bin/etcd (apt-get install etcd-server)";
    if (::geteuid() != 0) GTEST_SKIP() << "--target etcd needs --net netns, which needs root";
    dir_ = fs::temp_directory_path() /
           ("fl-etcdrun-" + std::to_string(::getpid()) + "-" +
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
      EXPECT_NE(::kill(pid, 0), 0) << "etcd pid " << pid << " still running";
      ::kill(pid, SIGKILL);  // never leave one behind, even when the expectation failed
    }
    const std::string run_id = RunId();
    if (!run_id.empty()) {
      EXPECT_THAT(Namespaces(), ::testing::Not(HasSubstr(run_id))) << "namespaces left";
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs `faultline test --target etcd ARGS --results DIR` to its end (bounded); its exit code.
  int Run(const std::string& options, std::chrono::seconds limit) {
    std::vector<std::string> all = {kBinary, "test",      "--target",
                                    "etcd",  "--results", (dir_ / "results").string()};
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

TEST_F(EtcdRun, ProxyBackendIsRefusedInOneLine) {
  const int code = Run("--net proxy --time-limit 1", std::chrono::seconds(20));
  EXPECT_EQ(code, 254);
  EXPECT_EQ(Output(),
            "faultline: --target etcd needs --net netns: etcd's members share one list of peer "
            "URLs, which the proxy backend's per-link relays cannot give\n");
}

// Linearizable reads (the default) and txn CAS under every fault: etcd is linearizable. Seed 1
// starts a partition, a kill of two nodes (restarted on their data), a partition and a pause.
TEST_F(EtcdRun, RegisterUnderPartitionPauseKillIsValid) {
  const int code =
      Run("--nodes 3 --workload register --nemesis partition,pause,kill --nemesis-interval 1.2 "
          "--time-limit 9 --seed 1 --recovery 20 --net netns --name etcdreg",
          std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("linearizable"), "true") << Output();
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("start-partition"));
  EXPECT_THAT(log, HasSubstr("start-pause"));
  EXPECT_THAT(log, HasSubstr("restarted n"));  // a kill and a restart on the same data
  // The restart command joins the existing cluster.
  EXPECT_THAT(ReadFile(RunDir() / "nodes" / "n1" / "command.txt"),
              HasSubstr("--initial-cluster-state=existing"));
}

// Serializable reads answer from the node's own state: an isolated node serves the old value
// while the majority moves on, and even without a fault a follower answers before it has applied
// what the leader already acknowledged. The checker must find it: with seed 3 the first
// counterexample is such a read (3 runs of 3 were INVALID when this test was written).
TEST_F(EtcdRun, SerializableReadsUnderPartitionsAreInvalidWithAStaleRead) {
  const int code = Run(
      "--nodes 3 --workload register --nemesis partition --nemesis-interval 2.5 --time-limit 10 "
      "--seed 3 --recovery 20 --net netns --etcd-reads serializable --name etcdstale",
      std::chrono::seconds(120));
  EXPECT_EQ(code, 1) << Output();
  EXPECT_EQ(CheckerValid("linearizable"), "false") << Output();
  const std::string out = Output();
  EXPECT_THAT(out, HasSubstr("first counterexample (linearizable"));
  // The stale read: a read of an older value (or of null, before the follower applied the first
  // write) where the register already held a newer one.
  EXPECT_THAT(out, ::testing::ContainsRegex("read -> [^ ]+ on n[0-9]"));
  // Register values are unique, so the fast path decides the key and says which operations
  // contradict each other ("why: read 122: from the `write 122` ... these spans overlap"); the
  // search's words are "why: read 0, but the register holds 3".
  EXPECT_THAT(out,
              ::testing::ContainsRegex("why: read [^ ]+(, but the register holds|: the|: from)"));
  EXPECT_THAT(out, HasSubstr("--etcd-reads serializable"));  // the rerun line
}

// Set and counter as CAS loops over txn, under kills of nodes restarted on their data: nothing
// acknowledged is lost. Seed 5 kills three times.
TEST_F(EtcdRun, SetUnderKillsLosesNothingAcknowledged) {
  const int code =
      Run("--nodes 3 --workload set --nemesis kill --nemesis-interval 1.5 --time-limit 9 --seed 5 "
          "--recovery 20 --net netns --name etcdset",
          std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("set"), "true") << Output();
  EXPECT_THAT(Log(), HasSubstr("restarted n"));
}

TEST_F(EtcdRun, CounterUnderKillsLosesNothingAcknowledged) {
  const int code =
      Run("--nodes 3 --workload counter --nemesis kill --nemesis-interval 1.5 --time-limit 9 "
          "--seed 5 --recovery 20 --net netns --name etcdcounter",
          std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_EQ(CheckerValid("counter"), "true") << Output();
  EXPECT_THAT(Log(), HasSubstr("restarted n"));
}

}  // namespace
