#include "harness/node_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class NodeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-proc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read(const char* name) {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static char State(int pid) {  // the state letter from /proc/<pid>/stat
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = all.rfind(')');
    return close == std::string::npos || close + 2 >= all.size() ? '?' : all[close + 2];
  }
  fs::path dir_;
};

TEST_F(NodeProcessTest, OutputIsAppendedAcrossRestarts) {
  NodeProcess p("n1", {"sh", "-c", "echo out; echo err >&2"}, dir_.string());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(p.Start().ok());
    for (int w = 0; w < 200 && p.Alive(); ++w)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(p.Alive());
    EXPECT_EQ(p.exit_description(), "exited with status 0");
  }
  EXPECT_EQ(Read("stdout.log"), "out\nout\n");
  EXPECT_EQ(Read("stderr.log"), "err\nerr\n");
  EXPECT_EQ(p.starts(), 2);
}

TEST_F(NodeProcessTest, PauseResumeKill) {
  NodeProcess p("n1", {"sleep", "30"}, dir_.string());
  ASSERT_TRUE(p.Start().ok());
  const int pid = p.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::getpgid(pid), pid);  // its own process group: a terminal's Ctrl-C is not its
  ASSERT_TRUE(p.Pause().ok());
  for (int w = 0; w < 100 && State(pid) != 'T'; ++w)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(State(pid), 'T');
  ASSERT_TRUE(p.Resume().ok());
  for (int w = 0; w < 100 && State(pid) == 'T'; ++w)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(State(pid), 'T');
  ASSERT_TRUE(p.Kill().ok());
  EXPECT_EQ(p.pid(), 0);
  EXPECT_EQ(p.exit_description(), "killed by signal 9");
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: the pid is gone
}

TEST_F(NodeProcessTest, FaultsReachEverythingAWrapperScriptStarted) {
  // A wrapper that does not exec: its child must be paused and killed with it.
  const std::string pid_file = (dir_ / "inner.pid").string();
  NodeProcess p("n1", {"sh", "-c", "sleep 30 & echo $! > " + pid_file + "; wait"}, dir_.string());
  ASSERT_TRUE(p.Start().ok());
  int inner = 0;
  for (int w = 0; w < 200 && inner == 0; ++w) {
    std::ifstream in(pid_file);
    in >> inner;
    if (inner == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(inner, 0);
  ASSERT_TRUE(p.Pause().ok());
  for (int w = 0; w < 100 && State(inner) != 'T'; ++w)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(State(inner), 'T');
  ASSERT_TRUE(p.Kill().ok());
  // The orphan is reparented and reaped by init once it dies.
  for (int w = 0; w < 200 && ::kill(inner, 0) == 0 && State(inner) != 'Z'; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(::kill(inner, 0) != 0 || State(inner) == 'Z') << "the wrapper's child survived";
}

TEST_F(NodeProcessTest, StopEscalatesToSigkillAfterTheGracePeriod) {
  // A node that ignores SIGTERM (the signal mask is reset for the child, but a trap is its own).
  NodeProcess p("n1", {"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}, dir_.string());
  ASSERT_TRUE(p.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.Stop(std::chrono::milliseconds(300)).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  EXPECT_EQ(p.pid(), 0);
  EXPECT_NE(p.exit_description().find("SIGKILL"), std::string::npos) << p.exit_description();
}

TEST_F(NodeProcessTest, StopOfAPausedNodeIsQuick) {
  NodeProcess p("n1", {"sleep", "30"}, dir_.string());
  ASSERT_TRUE(p.Start().ok());
  ASSERT_TRUE(p.Pause().ok());
  ASSERT_TRUE(p.Stop(std::chrono::seconds(5)).ok());
  EXPECT_EQ(p.exit_description(), "killed by signal 15");
}

TEST_F(NodeProcessTest, SignalMaskIsNotInheritedByNodes) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  NodeProcess p("n1", {"sleep", "30"}, dir_.string());
  ASSERT_TRUE(p.Start().ok());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(p.Stop(std::chrono::seconds(5)).ok());
  EXPECT_EQ(p.exit_description(), "killed by signal 15");  // SIGTERM reached it
}

TEST_F(NodeProcessTest, KillAllNodesReachesEveryLiveChild) {
  NodeProcess a("n1", {"sleep", "30"}, dir_.string());
  NodeProcess b("n2", {"sleep", "30"}, dir_.string());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  KillAllNodes();
  for (int w = 0; w < 200 && (a.Alive() || b.Alive()); ++w)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(a.Alive());
  EXPECT_FALSE(b.Alive());
}

TEST_F(NodeProcessTest, MissingBinaryIsAOneLineError) {
  NodeProcess p("n1", {"no-such-binary-faultline"}, dir_.string());
  const base::Status s = p.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  NodeProcess q("n1", {"/nonexistent/raftkv"}, dir_.string());
  EXPECT_FALSE(q.Start().ok());
}

}  // namespace
}  // namespace faultline::harness
