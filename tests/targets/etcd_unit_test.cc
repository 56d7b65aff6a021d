// Unit tests of targets/etcd/: the answer mapping of etcd's v3 JSON gateway row by row (fail only
// when the request certainly was not applied), base64, the request bodies (CAS from null compares
// the CREATE revision), the maintenance status, and the node command for a first start and a
// restart. No sockets, no processes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "targets/etcd/etcd_client.h"
#include "targets/target.h"

namespace faultline::targets {
namespace {

using checker::EventType;
using checker::ParseJson;

const std::string kNode = "n3";

Completion Map(EtcdRequest request, long status, std::string_view body) {
  return MapEtcdAnswer(request, Transport::kResponse, status, body, kNode);
}

void Expect(const Completion& c, EventType type, const std::string& error,
            const Value& value = Value()) {
  EXPECT_EQ(std::string(checker::EventTypeName(c.type)), checker::EventTypeName(type));
  EXPECT_EQ(c.error, error);
  EXPECT_EQ(c.value, value) << c.value.ToJson();
  EXPECT_EQ(c.node, kNode);
}

std::string Kvs(const std::string& value_json) {
  return R"({"header":{"revision":"7"},"kvs":[{"key":"ax","create_revision":"5",)"
         R"("mod_revision":"7","version":"2","value":")" +
         Base64Encode(value_json) + R"("}],"count":"1"})";
}

TEST(Base64, roundTripsEveryLength) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  const std::string bytes("\x00\xff\x10{\"a\":1}", 10);
  for (size_t n = 0; n <= bytes.size(); ++n) {
    const std::string s = bytes.substr(0, n);
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s) << n;
  }
}

TEST(Base64, rejectsMalformed) {
  EXPECT_FALSE(Base64Decode("Zm9"));
  EXPECT_FALSE(Base64Decode("Zm!v"));
  EXPECT_FALSE(Base64Decode("Z==v"));
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));
}

TEST(EtcdBodies, rangeIsLinearizableUnlessAskedSerializable) {
  EXPECT_EQ(EtcdRangeBody("k1", EtcdReads::kLinearizable), R"({"key":"azE="})");
  EXPECT_EQ(EtcdRangeBody("k1", EtcdReads::kSerializable), R"({"key":"azE=","serializable":true})");
}

TEST(EtcdBodies, putStoresTheValuesJson) {
  EXPECT_EQ(EtcdPutBody("k1", Value::Int(42)),
            R"({"key":"azE=","value":")" + Base64Encode("42") + R"("})");
}

TEST(EtcdBodies, casComparesValueThenPuts) {
  auto body = ParseJson(EtcdCasBody("k1", Value::Int(1), Value::Int(2)));
  ASSERT_TRUE(body.ok());
  const Value& compare = body->find("compare")->as_array().at(0);
  EXPECT_EQ(compare.find("target")->as_string(), "VALUE");
  EXPECT_EQ(compare.find("result")->as_string(), "EQUAL");
  EXPECT_EQ(compare.find("value")->as_string(), Base64Encode("1"));
  const Value& put = *body->find("success")->as_array().at(0).find("request_put");
  EXPECT_EQ(put.find("key")->as_string(), "azE=");
  EXPECT_EQ(put.find("value")->as_string(), Base64Encode("2"));
  EXPECT_EQ(body->find("failure"), nullptr);
}

// An absent key has no value: comparing VALUE with anything fails. "from null" means "never
// created": the CREATE revision is 0.
TEST(EtcdBodies, casFromNullComparesCreateRevisionZero) {
  auto body = ParseJson(EtcdCasBody("k1", Value(), Value::Int(2)));
  ASSERT_TRUE(body.ok());
  const Value& compare = body->find("compare")->as_array().at(0);
  EXPECT_EQ(compare.find("target")->as_string(), "CREATE");
  EXPECT_EQ(compare.find("create_revision")->as_string(), "0");
  EXPECT_EQ(compare.find("value"), nullptr);
}

TEST(MapEtcdAnswer, rangeOkDecodesTheValue) {
  Expect(Map(EtcdRequest::kRange, 200, Kvs("7")), EventType::kOk, "", Value::Int(7));
  Expect(Map(EtcdRequest::kRange, 200, Kvs("[1,2]")), EventType::kOk, "",
         Value::MakeArray({Value::Int(1), Value::Int(2)}));
}

TEST(MapEtcdAnswer, rangeWithoutKvsIsAbsent) {
  Expect(Map(EtcdRequest::kRange, 200, R"({"header":{"revision":"3"}})"), EventType::kOk, "");
}

TEST(MapEtcdAnswer, unreadableOkIsInfo) {
  Expect(Map(EtcdRequest::kRange, 200, "not json"), EventType::kInfo, "bad-response");
  Expect(Map(EtcdRequest::kRange, 200, R"({"kvs":[{"value":"!!"}]})"), EventType::kInfo,
         "bad-response");
  Expect(Map(EtcdRequest::kRange, 200, R"({"kvs":[{"value":")" + Base64Encode("{") + "\"}]}"),
         EventType::kInfo, "bad-response");
  Expect(Map(EtcdRequest::kPut, 200, "<html>"), EventType::kInfo, "bad-response");
}

TEST(MapEtcdAnswer, writesOk) {
  Expect(Map(EtcdRequest::kPut, 200, R"({"header":{"revision":"9"}})"), EventType::kOk, "");
  Expect(Map(EtcdRequest::kDelete, 200, R"({"header":{}})"), EventType::kOk, "");
}

TEST(MapEtcdAnswer, txnSucceededIsOkAndAFailedCompareIsAMismatch) {
  Expect(Map(EtcdRequest::kTxn, 200, R"({"header":{},"succeeded":true,"responses":[]})"),
         EventType::kOk, "");
  // The gateway leaves out a false "succeeded".
  Expect(Map(EtcdRequest::kTxn, 200, R"({"header":{}})"), EventType::kFail, "mismatch");
  Expect(Map(EtcdRequest::kTxn, 200, R"({"header":{},"succeeded":false})"), EventType::kFail,
         "mismatch");
  Expect(Map(EtcdRequest::kTxn, 200, R"({"succeeded":"yes"})"), EventType::kInfo, "bad-response");
}

// After a proposal, etcd cannot say whether it will commit: unknown, never fail.
TEST(MapEtcdAnswer, timeoutsAndLeaderChangesAfterAProposalAreInfo) {
  for (const EtcdRequest r : {EtcdRequest::kPut, EtcdRequest::kTxn, EtcdRequest::kRange}) {
    Expect(Map(r, 503, R"({"error":"etcdserver: request timed out","code":14})"), EventType::kInfo,
           "request-timed-out");
    Expect(Map(r, 503,
               R"({"error":"etcdserver: request timed out, possibly due to previous leader )"
               R"(failure","code":14})"),
           EventType::kInfo, "request-timed-out,-possibly-due-to-previous-leader-failure");
    Expect(Map(r, 503, R"({"error":"etcdserver: leader changed","code":14})"), EventType::kInfo,
           "leader-changed");
    Expect(Map(r, 503, R"({"message":"etcdserver: server stopped","code":14})"), EventType::kInfo,
           "server-stopped");
  }
}

// Errors returned before the request reaches raft: certainly not applied.
TEST(MapEtcdAnswer, errorsBeforeProposingAreFail) {
  Expect(Map(EtcdRequest::kPut, 429, R"({"error":"etcdserver: too many requests","code":14})"),
         EventType::kFail, "too-many-requests");
  Expect(Map(EtcdRequest::kTxn, 400, R"({"error":"etcdserver: request is too large"})"),
         EventType::kFail, "request-is-too-large");
  Expect(Map(EtcdRequest::kPut, 503, R"({"error":"etcdserver: no leader"})"), EventType::kFail,
         "no-leader");
  Expect(Map(EtcdRequest::kPut, 500, R"({"error":"raft proposal dropped","code":2})"),
         EventType::kFail, "raft-proposal-dropped");
  Expect(Map(EtcdRequest::kPut, 500, R"({"error":"etcdserver: mvcc: database space exceeded"})"),
         EventType::kFail, "mvcc:-database-space-exceeded");
}

TEST(MapEtcdAnswer, unknownErrorsAreInfo) {
  Expect(Map(EtcdRequest::kPut, 500, R"({"error":"something new"})"), EventType::kInfo,
         "something-new");
  Expect(Map(EtcdRequest::kPut, 502, "gateway down"), EventType::kInfo, "http-502");
  Expect(Map(EtcdRequest::kPut, 404, ""), EventType::kInfo, "http-404");
}

TEST(MapEtcdAnswer, transportRowsAreTheKvClients) {
  auto map = [](Transport t) { return MapEtcdAnswer(EtcdRequest::kPut, t, 0, "", kNode); };
  Expect(map(Transport::kNotSent), EventType::kFail, "connection-refused");
  Expect(map(Transport::kRefusedMaybeSent), EventType::kInfo, "connection-refused");
  Expect(map(Transport::kConnectTimeout), EventType::kInfo, "connect-timeout");
  Expect(map(Transport::kTimeout), EventType::kInfo, "timeout");
  Expect(map(Transport::kDropped), EventType::kInfo, "connection-lost");
  Expect(map(Transport::kError), EventType::kInfo, "transport-error");
}

TEST(MapEtcdAnswer, lockRequests) {
  Expect(Map(EtcdRequest::kLeaseGrant, 200, R"({"header":{},"ID":"7587869","TTL":"2"})"),
         EventType::kOk, "", Value::String("7587869"));
  Expect(Map(EtcdRequest::kLeaseGrant, 200, R"({"header":{}})"), EventType::kInfo, "bad-response");
  Expect(Map(EtcdRequest::kLock, 200, R"({"header":{"revision":"9"},"key":"bC8xMjM="})"),
         EventType::kOk, "", Value::String("bC8xMjM="));
  Expect(Map(EtcdRequest::kLock, 200, R"({"header":{"revision":"9"}})"), EventType::kInfo,
         "bad-response");
  Expect(Map(EtcdRequest::kLock, 503, R"({"error":"etcdserver: request timed out"})"),
         EventType::kInfo, "request-timed-out");
  Expect(Map(EtcdRequest::kUnlock, 200, R"({"header":{}})"), EventType::kOk, "");
}

TEST(EtcdBodies, releaseDeletesOnlyWhileTheKeyIsTheHoldersOwn) {
  auto body = ParseJson(EtcdReleaseBody("bC8x", 42));
  ASSERT_TRUE(body.ok());
  const Value& compare = body->find("compare")->as_array().at(0);
  EXPECT_EQ(compare.find("key")->as_string(), "bC8x");
  EXPECT_EQ(compare.find("target")->as_string(), "CREATE");
  EXPECT_EQ(compare.find("create_revision")->as_string(), "42");
  const Value& del = *body->find("success")->as_array().at(0).find("request_delete_range");
  EXPECT_EQ(del.find("key")->as_string(), "bC8x");
}

TEST(ParseCreateRevision, firstKv) {
  EXPECT_EQ(ParseCreateRevision(Kvs("1")), 5);
  EXPECT_FALSE(ParseCreateRevision(R"({"header":{}})"));
  EXPECT_FALSE(ParseCreateRevision("nope"));
}

TEST(ParseEtcdStatus, leaderAndFollower) {
  const std::string leader =
      R"({"header":{"cluster_id":"1","member_id":"12345678901234567890","revision":"4",)"
      R"("raft_term":"3"},"version":"3.4.23","leader":"12345678901234567890","raftIndex":"17",)"
      R"("raftTerm":"3"})";
  auto s = ParseEtcdStatus(leader, "n1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "n1");
  EXPECT_EQ(s->role, "leader");
  EXPECT_EQ(s->leader, "n1");
  EXPECT_EQ(s->term, 3);
  EXPECT_EQ(s->commit_index, 17);
  const std::string follower =
      R"({"header":{"member_id":"99"},"leader":"12345678901234567890","raftTerm":"5"})";
  s = ParseEtcdStatus(follower, "n2");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->role, "follower");
  EXPECT_EQ(s->leader, "");
  EXPECT_EQ(s->term, 5);
  // No leader known: "0".
  s = ParseEtcdStatus(R"({"header":{"member_id":"0"},"leader":"0","raftTerm":"5"})", "n2");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->role, "follower");
}

TEST(ParseEtcdStatus, rejectsMalformed) {
  EXPECT_FALSE(ParseEtcdStatus("", "n1"));
  EXPECT_FALSE(ParseEtcdStatus(R"({"leader":"1","raftTerm":"2"})", "n1"));
  EXPECT_FALSE(ParseEtcdStatus(R"({"header":{"member_id":"1"},"raftTerm":"x"})", "n1"));
}

TEST(EtcdTarget, nodeCommandAndRestartCommand) {
  auto target = MakeEtcdTarget("/usr/bin/etcd", false);
  EXPECT_EQ(target->name(), "etcd");
  EXPECT_TRUE(target->supports_locks());
  EXPECT_TRUE(target->supports_status());
  EXPECT_TRUE(target->needs_shared_peer_addresses());
  const base::NodeAddress self{"n2", "10.0.0.2", 2379, 2380};
  const PeerList peers = {
      {"n1", "10.0.0.1:2380"}, {"n2", "10.0.0.2:2380"}, {"n3", "10.0.0.3:2380"}};
  auto first = target->NodeCommand(self, peers, "/run/nodes/n2/data");
  ASSERT_TRUE(first.ok()) << first.status().message();
  const std::vector<std::string> expected = {
      "/usr/bin/etcd",
      "--name=n2",
      "--data-dir=/run/nodes/n2/data",
      "--listen-client-urls=http://10.0.0.2:2379",
      "--advertise-client-urls=http://10.0.0.2:2379",
      "--listen-peer-urls=http://10.0.0.2:2380",
      "--initial-advertise-peer-urls=http://10.0.0.2:2380",
      "--initial-cluster=n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380",
      "--initial-cluster-state=new",
      "--initial-cluster-token=faultline",
      "--logger=zap",
      "--log-outputs=stderr"};
  EXPECT_EQ(*first, expected);
  auto again = target->RestartCommand(self, peers, "/run/nodes/n2/data");
  ASSERT_TRUE(again.ok());
  std::vector<std::string> restart = expected;
  restart[8] = "--initial-cluster-state=existing";
  EXPECT_EQ(*again, restart);
}

TEST(EtcdTarget, selfMissingFromPeersIsAnError) {
  auto target = MakeEtcdTarget("/usr/bin/etcd", false);
  auto cmd = target->NodeCommand({"n4", "10.0.0.4", 1, 2}, {{"n1", "10.0.0.1:2380"}}, "/d");
  EXPECT_FALSE(cmd.ok());
}

TEST(EtcdTarget, checkNamesTheDebianPackage) {
  auto target = MakeEtcdTarget("/nonexistent/etcd", false);
  const base::Status s = target->Check();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "etcd not found at /nonexistent/etcd (install it: apt-get install etcd-server)");
}

}  // namespace
}  // namespace faultline::targets
