#include "harness/liveness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/cluster.h"
#include "nemesis/net.h"

namespace faultline::harness {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Value;
using checker::Verdict;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// A target whose nodes take writes and reads only once `up` says so for their id.
struct FakeCluster {
  std::function<bool(const std::string& id)> up = [](const std::string&) { return true; };
  std::atomic<int> requests{0};
};

class FakeClient : public targets::Client {
 public:
  FakeClient(FakeCluster* c, std::string id) : c_(c), id_(std::move(id)) {}
  const std::string& node() const override { return id_; }
  Completion Get(const std::string&) override { return Answer(); }
  Completion Put(const std::string&, const Value&) override { return Answer(); }
  Completion Cas(const std::string&, const Value&, const Value&) override { return Answer(); }
  Completion Delete(const std::string&) override { return Answer(); }
  Completion Acquire(const std::string&, const std::string&, int64_t) override { return Answer(); }
  Completion Release(const std::string&, const std::string&, int64_t) override { return Answer(); }
  std::optional<targets::NodeStatus> Status() override { return std::nullopt; }

 private:
  Completion Answer() {
    ++c_->requests;
    Completion c;
    c.type = EventType::kOk;
    c.node = id_;
    if (!c_->up(id_)) {
      c.type = EventType::kFail;
      c.error = "connection-refused";
    }
    return c;
  }
  FakeCluster* c_;
  std::string id_;
};

class FakeTarget : public targets::Target {
 public:
  explicit FakeTarget(FakeCluster* c) : c_(c) {}
  std::string name() const override { return "fake"; }
  base::Status Check() const override { return base::Status::Ok(); }
  base::Result<std::vector<std::string>> NodeCommand(const base::NodeAddress&,
                                                     const targets::PeerList&,
                                                     const std::string&) const override {
    return std::vector<std::string>{"true"};
  }
  std::unique_ptr<targets::Client> NewClient(const base::NodeAddress& node,
                                             const targets::ClientOptions&) const override {
    return std::make_unique<FakeClient>(c_, node.id);
  }

 private:
  FakeCluster* c_;
};

std::vector<base::NodeAddress> Nodes(int n) {
  std::vector<base::NodeAddress> out;
  for (int i = 1; i <= n; ++i) {
    base::NodeAddress a;
    a.id = "n" + std::to_string(i);
    out.push_back(a);
  }
  return out;
}

TEST(ProbeRecovery, aClusterThatTakesAWriteAndAReadIsLive) {
  FakeCluster c;
  c.up = [](const std::string& id) { return id == "n3"; };
  FakeTarget t(&c);
  const RecoveryProbe p = ProbeRecovery(t, Nodes(3), {}, Clock::now() + std::chrono::seconds(5));
  EXPECT_TRUE(p.asked);
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.node, "n3");
  EXPECT_EQ(p.attempts, 3);
  const workloads::CheckerResult r = LivenessResult(p, 5);
  EXPECT_EQ(r.name, "liveness");
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_THAT(r.summary, HasSubstr("a write and a read went through n3"));
}

TEST(ProbeRecovery, aClusterThatNeverAnswersIsInvalidAfterTheBound) {
  FakeCluster c;
  c.up = [](const std::string&) { return false; };
  FakeTarget t(&c);
  const auto start = Clock::now();
  const RecoveryProbe p = ProbeRecovery(t, Nodes(3), {}, start + std::chrono::milliseconds(350));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(350));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(p.asked);
  EXPECT_FALSE(p.ok);
  EXPECT_GT(p.attempts, 3);  // every node, and a second round (a loaded machine may not get more)
  EXPECT_EQ(p.last_errors,
            "n1 write fail connection-refused, n2 write fail connection-refused, n3 write fail "
            "connection-refused");
  const workloads::CheckerResult r = LivenessResult(p, 0.35);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_THAT(r.summary, HasSubstr("the cluster took no write and read within "));
  EXPECT_EQ(*r.detail.find("recovered"), Value::Bool(false));
}

TEST(ProbeRecovery, everyNodeIsAskedOnceEvenAfterTheDeadline) {
  FakeCluster c;
  c.up = [](const std::string& id) { return id == "n2"; };
  FakeTarget t(&c);
  const RecoveryProbe p = ProbeRecovery(t, Nodes(3), {}, Clock::now());
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.node, "n2");
}

TEST(ProbeRecovery, anInterruptedProbeLearntNothing) {
  FakeCluster c;
  c.up = [](const std::string&) { return false; };
  FakeTarget t(&c);
  const RecoveryProbe p =
      ProbeRecovery(t, Nodes(3), {}, Clock::now() + std::chrono::seconds(30), [] { return true; });
  EXPECT_FALSE(p.asked);
  EXPECT_EQ(LivenessResult(p, 30).verdict, Verdict::kUnknown);
}

TEST(NodeExits, noneIsValid) {
  const workloads::CheckerResult r = NodeExitsResult({});
  EXPECT_EQ(r.name, "node-exits");
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_EQ(r.summary, "no node exited on its own");
}

TEST(NodeExits, everyExitIsAFindingWithItsStatusAndStderr) {
  const std::vector<NodeExit> exits = {
      {"n1", "exited with status 3", 2, {"starting", "refusing to start"}},
      {"n3", "killed by signal 11", 1, {}},
      {"n1", "exited with status 3", 3, {"starting", "refusing to start"}},
  };
  const workloads::CheckerResult r = NodeExitsResult(exits);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.summary,
            "3 exits no fault caused: n1 exited with status 3 (2 times), n3 killed by signal 11; "
            "n1 stderr ends: refusing to start");
  const Value* list = r.detail.find("exits");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->as_array().size(), 3u);
  EXPECT_EQ(*list->as_array()[0].find("stderr_tail"),
            Value::MakeArray({Value::String("starting"), Value::String("refusing to start")}));
  EXPECT_EQ(NodeExitLine(exits[0]),
            "n1 exited with status 3 on its own (after restart 1); stderr ends: refusing to start");
  EXPECT_EQ(NodeExitLine(exits[1]), "n3 killed by signal 11 on its own");
}

TEST(LivenessMode, aFindingIsInvalidUnknownOrReportedOnly) {
  const std::vector<NodeExit> exits = {{"n2", "exited with status 3", 2, {}}};
  const workloads::CheckerResult invalid = ApplyLivenessMode(NodeExitsResult(exits), "invalid");
  EXPECT_EQ(invalid.verdict, Verdict::kInvalid);
  const workloads::CheckerResult unknown = ApplyLivenessMode(NodeExitsResult(exits), "unknown");
  EXPECT_EQ(unknown.verdict, Verdict::kUnknown);
  EXPECT_EQ(unknown.summary, invalid.summary);
  EXPECT_EQ(*unknown.detail.find("valid"), checker::VerdictValue(Verdict::kUnknown));
  const workloads::CheckerResult reported = ApplyLivenessMode(NodeExitsResult(exits), "report");
  EXPECT_EQ(reported.verdict, Verdict::kValid);
  EXPECT_EQ(reported.summary, "(reported only) " + invalid.summary);
  EXPECT_EQ(*reported.detail.find("summary"), Value::String(reported.summary));
  // No finding: nothing changes, whatever the mode.
  EXPECT_EQ(ApplyLivenessMode(NodeExitsResult({}), "report").summary, "no node exited on its own");
}

TEST(TailLines, lastLinesOfAFileWithoutItsPartialFirstLine) {
  const std::string path = ::testing::TempDir() + "/tail-" + std::to_string(::getpid());
  {
    std::ofstream out(path);
    for (int i = 0; i < 1000; ++i) out << "line " << i << "\n";
    out << "\n";
  }
  EXPECT_EQ(TailLines(path, 2), (std::vector<std::string>{"line 998", "line 999"}));
  const std::vector<std::string> many = TailLines(path, 100000);
  ASSERT_FALSE(many.empty());
  EXPECT_EQ(many.front().rfind("line ", 0), 0u);  // whole lines only
  EXPECT_EQ(many.back(), "line 999");
  std::filesystem::remove(path);
  EXPECT_TRUE(TailLines(path, 3).empty());
}

// Real processes that exit on their own with status 3 after a line on stderr: each exit is
// returned once by NewExits however often it is asked (the controller polls four times a
// second), a restart that exits again is a new exit, and a killed node is not an exit at all.
TEST(ClusterNewExits, eachExitOnceWithItsStatusAndStderr) {
  const std::string dir = ::testing::TempDir() + "/newexits-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string why;
  auto net = nemesis::MakeNetBackend(
      "proxy", nemesis::NetOptions{"nx" + std::to_string(::getpid() % 1000)}, &why);
  ASSERT_TRUE(net.ok()) << net.status().message();
  ASSERT_TRUE((*net)->Setup({"n1", "n2"}).ok());
  auto target = targets::MakeProcessTarget(
      "sh -c 'echo starting {id} >&2; echo cannot start {id} >&2; exit 3'");
  ASSERT_TRUE(target.ok()) << target.status().message();
  RunLog log;
  {
    Cluster cluster(target->get(), net->get(), dir, &log);
    ASSERT_TRUE(cluster.Prepare().ok());
    ASSERT_TRUE(cluster.StartAll().ok());
    std::vector<NodeExit> seen;
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (seen.size() < 2 && Clock::now() < until) {
      for (NodeExit& e : cluster.NewExits()) seen.push_back(std::move(e));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(seen.size(), 2u);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(cluster.NewExits().empty());  // reported once
    for (const NodeExit& e : seen) {
      EXPECT_EQ(e.description, "exited with status 3");
      EXPECT_EQ(e.start, 1);
      EXPECT_EQ(e.stderr_tail,
                (std::vector<std::string>{"starting " + e.id, "cannot start " + e.id}));
    }
    // The nemesis restarts n1: a second exit. n2 is killed first: expected, not an exit.
    ASSERT_TRUE(cluster.Restart("n1").ok());
    ASSERT_TRUE(cluster.Kill("n2").ok());
    std::vector<NodeExit> again;
    const auto until2 = Clock::now() + std::chrono::seconds(10);
    while (again.empty() && Clock::now() < until2) {
      for (NodeExit& e : cluster.NewExits()) again.push_back(std::move(e));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, "n1");
    EXPECT_EQ(again[0].start, 2);
    EXPECT_EQ(again[0].stderr_tail.back(), "cannot start n1");  // the log is appended to
    EXPECT_TRUE(cluster.NewExits().empty());
    cluster.StopAll(std::chrono::milliseconds(500));
  }
  (*net)->Teardown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace faultline::harness
