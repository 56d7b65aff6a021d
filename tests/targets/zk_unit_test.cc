// Unit tests of targets/zookeeper/: the return-code mapping row by row (fail only when the request
// certainly was not applied), srvr parsing for leader discovery, sequence numbers of lock znodes,
// the session timeout, zoo.cfg and the node command. No sockets, no processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "targets/target.h"
#include "targets/zookeeper/zk_client.h"

namespace faultline::targets {
namespace {

using checker::EventType;

const std::string kNode = "n2";

void Expect(const Completion& c, EventType type, const std::string& error) {
  EXPECT_EQ(std::string(checker::EventTypeName(c.type)), checker::EventTypeName(type)) << c.error;
  EXPECT_EQ(c.error, error);
  EXPECT_TRUE(c.value.is_null());
  EXPECT_EQ(c.node, kNode);
}

TEST(MapZkAnswer, okIsOk) {
  for (ZkRequest r : {ZkRequest::kGet, ZkRequest::kSet, ZkRequest::kCreate, ZkRequest::kDelete,
                      ZkRequest::kCreateLock, ZkRequest::kDeleteLock}) {
    Expect(MapZkAnswer(r, zkrc::kOk, kNode), EventType::kOk, "");
  }
}

TEST(MapZkAnswer, noNodeIsAbsentForReadsAndNotAppliedForWrites) {
  Expect(MapZkAnswer(ZkRequest::kGet, zkrc::kNoNode, kNode), EventType::kOk, "");
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kNoNode, kNode), EventType::kFail, "no-node");
  Expect(MapZkAnswer(ZkRequest::kDelete, zkrc::kNoNode, kNode), EventType::kFail, "no-node");
  Expect(MapZkAnswer(ZkRequest::kDeleteLock, zkrc::kNoNode, kNode), EventType::kFail, "not-held");
}

TEST(MapZkAnswer, checksTheServerMadeAreFailures) {
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kBadVersion, kNode), EventType::kFail, "bad-version");
  Expect(MapZkAnswer(ZkRequest::kCreate, zkrc::kNodeExists, kNode), EventType::kFail,
         "node-exists");
  Expect(MapZkAnswer(ZkRequest::kCreate, zkrc::kNoAuth, kNode), EventType::kFail, "no-auth");
  Expect(MapZkAnswer(ZkRequest::kDelete, zkrc::kNotEmpty, kNode), EventType::kFail, "not-empty");
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kThrottledOp, kNode), EventType::kFail, "throttled");
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kNotReadOnly, kNode), EventType::kFail,
         "not-read-only");
}

// The library refuses these without sending anything.
TEST(MapZkAnswer, refusalsBeforeSendingAreFailures) {
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kInvalidState, kNode), EventType::kFail,
         "invalid-state");
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kBadArguments, kNode), EventType::kFail,
         "bad-arguments");
  Expect(MapZkAnswer(ZkRequest::kSet, zkrc::kClosing, kNode), EventType::kFail, "closing");
}

// A write handed over and then lost with the connection may have been committed.
TEST(MapZkAnswer, lostAnswersAreIndeterminate) {
  for (ZkRequest r : {ZkRequest::kSet, ZkRequest::kCreate, ZkRequest::kDelete,
                      ZkRequest::kCreateLock, ZkRequest::kDeleteLock, ZkRequest::kGet}) {
    Expect(MapZkAnswer(r, zkrc::kConnectionLoss, kNode), EventType::kInfo, "connection-loss");
    Expect(MapZkAnswer(r, zkrc::kOperationTimeout, kNode), EventType::kInfo, "operation-timeout");
    Expect(MapZkAnswer(r, zkrc::kSessionExpired, kNode), EventType::kInfo, "session-expired");
    Expect(MapZkAnswer(r, zkrc::kSessionMoved, kNode), EventType::kInfo, "session-moved");
    Expect(MapZkAnswer(r, zkrc::kSystemError, kNode), EventType::kInfo, "system-error");
  }
  Expect(MapZkAnswer(ZkRequest::kSet, -999, kNode), EventType::kInfo, "zk--999");
}

TEST(ParseSrvr, leaderFollowerAndNotServing) {
  const std::string leader =
      "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
      "Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\n"
      "Zxid: 0x300000002\nMode: leader\nNode count: 5\n";
  std::optional<NodeStatus> s = ParseSrvr(leader, "n3");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->role, "leader");
  EXPECT_EQ(s->leader, "n3");
  EXPECT_EQ(s->term, 3);
  EXPECT_EQ(s->commit_index, 2);
  s = ParseSrvr("Zxid: 0x100000000\nMode: follower\n", "n1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->role, "follower");
  EXPECT_EQ(s->leader, "");
  EXPECT_EQ(s->term, 1);
  EXPECT_EQ(ParseSrvr("Mode: standalone\n", "n1")->role, "leader");
  EXPECT_FALSE(ParseSrvr("This ZooKeeper instance is not currently serving requests\n", "n1"));
  EXPECT_FALSE(ParseSrvr("", "n1"));
}

TEST(ZnodeSequence, lastTenDigits) {
  EXPECT_EQ(ZnodeSequence("w3-17-0000000042"), 42);
  EXPECT_EQ(ZnodeSequence("/faultline-lock-l0/w1-0-0000001234"), 1234);
  EXPECT_FALSE(ZnodeSequence("w3-17-"));
  EXPECT_FALSE(ZnodeSequence("short"));
}

TEST(ZkSessionTimeoutMs, coversTheRequestTimeoutAndTheLease) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ZkSessionTimeoutMs(milliseconds(1000), 1000), 1500);
  EXPECT_EQ(ZkSessionTimeoutMs(milliseconds(1000), 4000), 4000);
  EXPECT_EQ(ZkSessionTimeoutMs(milliseconds(100), 0), 1000);
}

TEST(ZooCfg, listsEveryMemberWithItsElectionPort) {
  const base::NodeAddress self{"n2", "10.0.0.2", 8080, 7000};
  const PeerList peers = {
      {"n1", "10.0.0.1:7000"}, {"n2", "10.0.0.2:7000"}, {"n3", "10.0.0.3:7000"}};
  Result<std::string> cfg = ZooCfg(self, peers, "/tmp/d");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  for (const char* line :
       {"dataDir=/tmp/d\n", "clientPort=8080\n", "clientPortAddress=10.0.0.2\n",
        "admin.enableServer=false\n", "4lw.commands.whitelist=srvr,ruok\n", "tickTime=500\n",
        "maxSessionTimeout=600000\n", "server.1=10.0.0.1:7000:7001\n",
        "server.2=10.0.0.2:7000:7001\n", "server.3=10.0.0.3:7000:7001\n"}) {
    EXPECT_NE(cfg->find(line), std::string::npos) << line << " in\n" << *cfg;
  }
}

TEST(ZooCfg, badIdsAndAddressesAreErrors) {
  const base::NodeAddress self{"n1", "127.0.0.1", 8080, 7000};
  EXPECT_FALSE(ZooCfg(base::NodeAddress{"x1", "h", 1, 2}, {}, "/d").ok());
  EXPECT_FALSE(ZooCfg(self, {{"n256", "h:1"}}, "/d").ok());
  EXPECT_FALSE(ZooCfg(self, {{"n1", "nohost"}}, "/d").ok());
}

TEST(ZooKeeperTarget, writesConfigAndMyidAndStartsQuorumPeerMain) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("fl-zkunit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::unique_ptr<Target> t = MakeZooKeeperTarget(ZooKeeperSettings{});
  EXPECT_EQ(t->name(), "zookeeper");
  EXPECT_TRUE(t->needs_shared_peer_addresses());
  const base::NodeAddress self{"n3", "127.0.0.1", 8080, 7000};
  ASSERT_TRUE(t->PrepareNode(self, {{"n3", "127.0.0.1:7000"}}, dir.string()).ok());
  std::ifstream myid(dir / "myid");
  std::string id;
  myid >> id;
  EXPECT_EQ(id, "3");
  EXPECT_TRUE(fs::exists(dir / "zoo.cfg"));
  Result<std::vector<std::string>> cmd = t->NodeCommand(self, {}, dir.string());
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->front(), "/usr/bin/java");
  EXPECT_EQ(cmd->at(1), "-Xmx256m");
  EXPECT_EQ(cmd->back(), (dir / "zoo.cfg").string());
  EXPECT_EQ((*cmd)[cmd->size() - 2], "org.apache.zookeeper.server.quorum.QuorumPeerMain");
  fs::remove_all(dir);
}

TEST(ZooKeeperTarget, missingPackageNamesTheInstallCommand) {
  ZooKeeperSettings s;
  s.jar_dir = "/nonexistent";
  Status st = MakeZooKeeperTarget(s)->Check();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "ZooKeeper not found at /nonexistent/zookeeper.jar (install it: apt-get install "
            "zookeeper)");
}

}  // namespace
}  // namespace faultline::targets
