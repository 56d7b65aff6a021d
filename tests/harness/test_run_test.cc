// `faultline test` end to end: the real controller starting real raftkv nodes, real faults, the
// real checker (issue 4's evidence). Each run is short; every test looks at the run folder, not
// only the exit code, and checks that nothing is left running afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "checker/io/load.h"
#include "checker/value.h"

namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The network namespaces whose names start with `prefix` (other runs on the machine may have
// theirs; only this run's matter).
std::string Namespaces(const std::string& prefix) {
  std::string all;
  if (FILE* p = popen("ip netns list 2>/dev/null", "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
    pclose(p);
  }
  if (prefix.empty()) return "";
  std::string out;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out += line + "\n";
  }
  return out;
}

class TestRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-testrun-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (pid_ > 0) {  // a run that outlived its test: stop it the hard way
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    // Node processes the run started must all be gone, whatever happened.
    for (int pid : NodePids())
      EXPECT_NE(::kill(pid, 0), 0) << "node pid " << pid << " still running";
    EXPECT_EQ(RunNamespaces(), "") << "network namespaces left behind";
    fs::remove_all(dir_);
  }

  // Starts `faultline test ARGS --results DIR`, output to a file.
  void Start(const std::vector<std::string>& args) {
    std::vector<std::string> all = {kBinary, "test", "--results", (dir_ / "results").string()};
    all.insert(all.end(), args.begin(), args.end());
    const std::string out = (dir_ / "out.txt").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  // Waits for the run to end (bounded); returns its exit code.
  int Wait(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    int status = 0;
    while (Clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "faultline test did not end within " << limit.count() << " s";
    return -1;
  }

  int Run(const std::vector<std::string>& args, std::chrono::seconds limit) {
    Start(args);
    return Wait(limit);
  }

  std::string Output() { return ReadFile(dir_ / "out.txt"); }

  fs::path RunDir() {
    const fs::path latest = dir_ / "results" / "latest";
    return fs::exists(latest) ? fs::canonical(latest) : fs::path();
  }

  faultline::checker::Value Results() {
    auto v = faultline::checker::ParseJson(ReadFile(RunDir() / "results.json"));
    EXPECT_TRUE(v.ok()) << "results.json: " << v.status().message();
    return v.ok() ? *v : faultline::checker::Value();
  }

  faultline::checker::History History() {
    faultline::checker::io::LoadOptions o;
    o.format = faultline::checker::io::Format::kJsonl;
    auto h = faultline::checker::io::LoadHistoryFile((RunDir() / "history.jsonl").string(), o);
    EXPECT_TRUE(h.ok()) << h.status().message();
    return h.ok() ? *h : faultline::checker::History{};
  }

  // Every node pid the run's log mentions ("started n1 (pid 123)", "restarted n2 (pid 456)").
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

  // This run's namespaces still present ("" when none, or when the run used no netns).
  std::string RunNamespaces() {
    const fs::path dir = RunDir();
    if (dir.empty() || !fs::exists(dir / "test.json")) return "";
    auto v = faultline::checker::ParseJson(ReadFile(dir / "test.json"));
    if (!v.ok() || v->find("run_id") == nullptr) return "";
    return Namespaces(v->find("run_id")->as_string() + "-");
  }

  int CountNemesis(const std::string& prefix) {
    int n = 0;
    for (const auto& e : History().events) n += e.nemesis && e.f.rfind(prefix, 0) == 0;
    return n;
  }

  fs::path dir_;
  pid_t pid_ = 0;
};

TEST_F(TestRun, CleanRaftkvUnderPartitionPauseAndKillIsValid) {
  const int code =
      Run({"--time-limit", "16", "--nemesis-interval", "2", "--seed", "11", "--name", "clean"},
          std::chrono::seconds(150));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_THAT(Output(), HasSubstr("VALID"));
  const fs::path dir = RunDir();
  ASSERT_FALSE(dir.empty()) << Output();
  for (const char* f : {"test.json", "history.jsonl", "results.json", "junit.xml", "report.html",
                        "faultline.log"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  for (int i = 1; i <= 5; ++i)
    EXPECT_TRUE(fs::exists(dir / "nodes" / ("n" + std::to_string(i)) / "stderr.log"));
  const faultline::checker::Value r = Results();
  ASSERT_NE(r.find("valid"), nullptr);
  EXPECT_EQ(*r.find("valid"), faultline::checker::Value::Bool(true));
  EXPECT_GE(CountNemesis("start-"), 3);
  EXPECT_EQ(CountNemesis("start-"), CountNemesis("stop-"));  // every fault healed and recorded
  // The cluster did real work, not only failures.
  const faultline::checker::Value* run = r.find("run");
  ASSERT_NE(run, nullptr);
  EXPECT_GT(run->find("ok")->as_int(), 500);
}

TEST_F(TestRun, StaleReadsUnderPartitionAreInvalid) {
  const int code =
      Run({"--time-limit", "12", "--nemesis", "partition", "--nemesis-interval", "2", "--seed", "3",
           "--raft-opt", "unsafe-stale-reads", "--name", "stale", "--net", "proxy"},
          std::chrono::seconds(150));
  EXPECT_EQ(code, 1) << Output();
  EXPECT_THAT(Output(), HasSubstr("INVALID"));
  const faultline::checker::Value r = Results();
  EXPECT_EQ(*r.find("valid"), faultline::checker::Value::Bool(false));
  const faultline::checker::Value* failures = r.find("failures");
  ASSERT_NE(failures, nullptr) << r.ToJson();
  ASSERT_TRUE(failures->is_array());
  EXPECT_FALSE(failures->as_array().empty()) << "no counterexample in results.json";
  // The summary shows the first counterexample, with the node that served each operation, and
  // the run folder explains it all in report.txt (what `faultline check` prints).
  EXPECT_THAT(Output(), HasSubstr("first counterexample (linearizable"));
  EXPECT_THAT(Output(), HasSubstr("cannot be linearized"));
  EXPECT_THAT(Output(), HasSubstr("after the longest linearizable prefix"));
  EXPECT_THAT(Output(), HasSubstr("this cannot follow:"));
  EXPECT_THAT(Output(), HasSubstr("  why: read "));
  // The stale read may have seen a value or the initial null.
  EXPECT_THAT(Output(), ContainsRegex("read -> ([0-9]+|null) on n[1-5]  \\[events"));
  EXPECT_THAT(Output(), HasSubstr("/report.txt"));
  const std::string report = ReadFile(RunDir() / "report.txt");
  EXPECT_THAT(report, HasSubstr("stale: INVALID"));
  EXPECT_THAT(report, HasSubstr("== linearizable: invalid"));
  EXPECT_THAT(report, HasSubstr("longest linearizable prefix"));
  EXPECT_THAT(report, HasSubstr("concurrent with"));
  EXPECT_THAT(report, ContainsRegex("op: +process [0-9]+ read -> ([0-9]+|null) on n[1-5]"));
  EXPECT_NE(failures->as_array()[0].find("op")->find("node"), nullptr);
  // report.html draws every failing key's counterexample; junit.xml has a case per failing key.
  const std::string html = ReadFile(RunDir() / "report.html");
  EXPECT_THAT(html, HasSubstr(">INVALID</span>"));
  EXPECT_EQ(static_cast<size_t>(std::count_if(
                failures->as_array().begin(), failures->as_array().end(),
                [&html](const faultline::checker::Value& f) {
                  const faultline::checker::Value* k = f.find("key");
                  if (k == nullptr || k->is_null())
                    return html.find("linearizable: operation") != std::string::npos;
                  return html.find("key " + (k->is_string() ? k->as_string() : k->ToJson()) +
                                   ": operation") != std::string::npos;
                })),
            std::min<size_t>(failures->as_array().size(), 200));
  EXPECT_THAT(ReadFile(RunDir() / "junit.xml"), HasSubstr("name=\"linearizable key "));
}

TEST_F(TestRun, BringYourOwnBinaryThroughANodeCommandTemplate) {
  // raftkv itself, started as an outside binary would be: the template is all the harness knows.
  const std::string cmd =
      std::string(FAULTLINE_BINARY_DIR) +
      "/bin/raftkv --id {id} --host {host} --client-port {client_port} --peer-port {peer_port}"
      " --peers {peers} --data {data_dir}";
  const int code =
      Run({"--target", "process", "--node-cmd", cmd, "--nodes", "3", "--workload", "counter",
           "--time-limit", "6", "--nemesis", "pause", "--nemesis-interval", "1.5", "--name", "byo"},
          std::chrono::seconds(120));
  EXPECT_EQ(code, 0) << Output();
  EXPECT_THAT(ReadFile(RunDir() / "nodes" / "n2" / "command.txt"), HasSubstr("--id n2"));
  const faultline::checker::Value r = Results();
  const faultline::checker::Value* checkers = r.find("checkers");
  ASSERT_NE(checkers, nullptr) << r.ToJson();
  EXPECT_NE(checkers->find("counter"), nullptr) << r.ToJson();
}

TEST_F(TestRun, NoFsyncUnderKillLosesAcknowledgedWrites) {
  // Kills of every node at once lose what sits in the unsynced buffers; the set's final reads
  // find the acknowledged adds missing. Seed 11's schedule kills all five nodes at 1.5 s and
  // again at 4.5 s (the nemesis schedule is a function of the seed; base::Rng's since issue 11,
  // seed 6 under the std::mt19937_64 before).
  const int code =
      Run({"--workload", "set", "--time-limit", "14", "--nemesis", "kill", "--nemesis-interval",
           "1.5", "--seed", "11", "--raft-opt", "unsafe-no-fsync", "--name", "nofsync"},
          std::chrono::seconds(150));
  EXPECT_EQ(code, 1) << Output();
  EXPECT_THAT(Output(), HasSubstr("INVALID"));
}

TEST_F(TestRun, CtrlCLeavesNothingRunningAndAReadableHistory) {
  Start({"--time-limit", "60", "--nemesis-interval", "1", "--name", "interrupted"});
  // Wait until the workload is under way.
  const auto deadline = Clock::now() + std::chrono::seconds(40);
  while (Clock::now() < deadline) {
    const fs::path dir = RunDir();
    if (!dir.empty() && fs::exists(dir / "history.jsonl") &&
        fs::file_size(dir / "history.jsonl") > 20000)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(RunDir().empty()) << Output();
  ::kill(pid_, SIGINT);
  const int code = Wait(std::chrono::seconds(60));
  EXPECT_TRUE(code == 2 || code == 1) << code << Output();
  EXPECT_FALSE(History().events.empty());
  EXPECT_TRUE(fs::exists(RunDir() / "results.json"));
  EXPECT_THAT(ReadFile(RunDir() / "faultline.log"), HasSubstr("SIGINT"));
}

TEST_F(TestRun, SecondCtrlCStopsAtOnceAndStillCleansUp) {
  Start({"--time-limit", "60", "--nemesis", "partition", "--nemesis-interval", "1", "--name",
         "twice"});
  const auto deadline = Clock::now() + std::chrono::seconds(40);
  while (Clock::now() < deadline) {
    const fs::path dir = RunDir();
    if (!dir.empty() && fs::exists(dir / "history.jsonl") &&
        fs::file_size(dir / "history.jsonl") > 20000)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid_, SIGINT);
  const int code = Wait(std::chrono::seconds(10));
  EXPECT_EQ(code, 2) << Output();
  EXPECT_FALSE(History().events.empty());
  // The janitor removes namespaces asynchronously once the controller is gone.
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until && !RunNamespaces().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int pid : NodePids()) {
    for (int w = 0; w < 100 && ::kill(pid, 0) == 0; ++w)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST_F(TestRun, AKilledControllerTakesItsNodesAndNamespacesWithIt) {
  Start({"--time-limit", "60", "--nemesis", "partition", "--nemesis-interval", "1", "--name",
         "crash"});
  const auto deadline = Clock::now() + std::chrono::seconds(40);
  while (Clock::now() < deadline) {
    const fs::path dir = RunDir();
    if (!dir.empty() && fs::exists(dir / "history.jsonl") &&
        fs::file_size(dir / "history.jsonl") > 20000)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(NodePids().empty()) << Output();
  // A crash: no handler runs, nothing is cleaned up by the controller itself.
  ::kill(pid_, SIGKILL);
  EXPECT_EQ(Wait(std::chrono::seconds(10)), 128 + SIGKILL);
  // PR_SET_PDEATHSIG ends the nodes; the netns janitor removes the namespaces.
  const auto until = Clock::now() + std::chrono::seconds(10);
  auto anything_left = [&] {
    for (int pid : NodePids()) {
      if (::kill(pid, 0) == 0) return true;
    }
    return !RunNamespaces().empty();
  };
  while (Clock::now() < until && anything_left())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(anything_left());
  // Every line on disk is whole: the history reads back.
  EXPECT_FALSE(History().events.empty());
}

TEST_F(TestRun, BadOptionsAreOneLineAndExit254) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--workload", "queue"},
                                             {"--nemesis", "partition,flood"},
                                             {"--target", "process"},
                                             {"--raft-opt", "unsafe-everything"},
                                             {"--net", "vpn"},
                                             {"--nodes", "0"}}) {
    const int code = Run(args, std::chrono::seconds(30));
    EXPECT_EQ(code, 254) << args[0] << ": " << Output();
    const std::string out = Output();
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
}

}  // namespace
