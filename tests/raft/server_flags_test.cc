// Tests of raftkv's command line (targets/raft/server/flags.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "targets/raft/server/flags.h"

namespace faultline::raft::server {
namespace {

std::vector<std::string> Valid() {
  return {"--id",          "n2",
          "--host",        "127.0.0.1",
          "--client-port", "8002",
          "--peer-port",   "9002",
          "--peers",       "n1=127.0.0.1:9001,n2=127.0.0.1:9002,n3=localhost:9003",
          "--data",        "/tmp/d2"};
}

// Parses `args`; expects failure with a non-empty one-line message containing `want`.
void ExpectRejected(const std::vector<std::string>& args, const std::string& want) {
  ServerOptions o;
  std::string error;
  EXPECT_FALSE(ParseFlags(args, &o, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_NE(error.find(want), std::string::npos) << "error: " << error << "\nwant: " << want;
}

std::vector<std::string> With(std::vector<std::string> args, const std::string& flag,
                              const std::string& value) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) {
      args[i + 1] = value;
      return args;
    }
  }
  args.push_back(flag);
  args.push_back(value);
  return args;
}

std::vector<std::string> Without(std::vector<std::string> args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      break;
    }
  }
  return args;
}

TEST(FlagsTest, ParsesFullCommandLine) {
  std::vector<std::string> args = Valid();
  for (const char* a :
       {"--election-timeout-ms", "1500", "--heartbeat-ms", "50", "--snapshot-threshold", "123",
        "--unsafe-stale-reads", "--unsafe-no-fsync", "--unsafe-commit-old-terms"}) {
    args.push_back(a);
  }
  ServerOptions o;
  std::string error;
  ASSERT_TRUE(ParseFlags(args, &o, &error)) << error;
  EXPECT_EQ(o.id, 2u);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.client_port, 8002);
  EXPECT_EQ(o.peer_port, 9002);
  ASSERT_EQ(o.peers.size(), 3u);
  EXPECT_EQ(o.peers.at(1).host, "127.0.0.1");
  EXPECT_EQ(o.peers.at(1).port, 9001);
  EXPECT_EQ(o.peers.at(2).port, 9002);
  EXPECT_EQ(o.peers.at(3).host, "localhost");
  EXPECT_EQ(o.peers.at(3).port, 9003);
  EXPECT_EQ(o.data_dir, "/tmp/d2");
  EXPECT_EQ(o.election_timeout_ms, 1500);
  EXPECT_EQ(o.heartbeat_ms, 50);
  EXPECT_EQ(o.snapshot_threshold, 123u);
  EXPECT_TRUE(o.unsafe_stale_reads);
  EXPECT_TRUE(o.unsafe_no_fsync);
  EXPECT_TRUE(o.unsafe_commit_old_terms);
}

TEST(FlagsTest, DefaultsWhenOptionalFlagsAbsent) {
  ServerOptions o;
  std::string error;
  ASSERT_TRUE(ParseFlags(Valid(), &o, &error)) << error;
  EXPECT_EQ(o.election_timeout_ms, 400);
  EXPECT_EQ(o.heartbeat_ms, 40);
  EXPECT_EQ(o.snapshot_threshold, 10000u);
  EXPECT_FALSE(o.unsafe_stale_reads);
  EXPECT_FALSE(o.unsafe_no_fsync);
  EXPECT_FALSE(o.unsafe_commit_old_terms);
}

TEST(FlagsTest, AcceptsEqualsForm) {
  ServerOptions o;
  std::string error;
  ASSERT_TRUE(ParseFlags({"--id=n1", "--host=h", "--client-port=1", "--peer-port=65535",
                          "--peers=n1=h:65535", "--data=/x=y"},
                         &o, &error))
      << error;
  EXPECT_EQ(o.id, 1u);
  EXPECT_EQ(o.peer_port, 65535);
  EXPECT_EQ(o.peers.at(1).port, 65535);
  EXPECT_EQ(o.data_dir, "/x=y");
}

TEST(FlagsTest, HostMayContainColons) {
  ServerOptions o;
  std::string error;
  ASSERT_TRUE(ParseFlags(With(With(Valid(), "--peers", "n2=::1:9002"), "--id", "n2"), &o, &error))
      << error;
  EXPECT_EQ(o.peers.at(2).host, "::1");
  EXPECT_EQ(o.peers.at(2).port, 9002);
}

TEST(FlagsTest, RejectsMissingRequiredFlags) {
  for (const char* flag : {"--id", "--host", "--client-port", "--peer-port", "--peers", "--data"}) {
    SCOPED_TRACE(flag);
    ExpectRejected(Without(Valid(), flag), std::string("missing required flag ") + flag);
  }
  ExpectRejected({}, "missing required flag");
}

TEST(FlagsTest, RejectsUnknownFlag) {
  ExpectRejected(With(Valid(), "--bogus", "1"), "unknown flag '--bogus'");
  ExpectRejected(With(Valid(), "-id", "n1"), "unknown flag");
}

TEST(FlagsTest, RejectsMissingValue) {
  std::vector<std::string> args = Valid();
  args.push_back("--data");
  ExpectRejected(args, "missing value for --data");
}

TEST(FlagsTest, RejectsValueOnBooleanFlag) {
  ExpectRejected(
      [] {
        auto a = Valid();
        a.push_back("--unsafe-no-fsync=1");
        return a;
      }(),
      "--unsafe-no-fsync takes no value");
}

TEST(FlagsTest, RejectsBadId) {
  for (const char* id : {"", "n", "2", "x2", "n2x", "n-1", "n 2", "n0", "n99999999999"}) {
    SCOPED_TRACE(id);
    ExpectRejected(With(Valid(), "--id", id), "--id must look like n1");
  }
}

TEST(FlagsTest, RejectsBadPorts) {
  for (const char* flag : {"--client-port", "--peer-port"}) {
    for (const char* port :
         {"", "abc", "80a", "-1", "+80", " 80", "65536", "99999999999999999999", "1e3", "0x50"}) {
      SCOPED_TRACE(std::string(flag) + "=" + port);
      ExpectRejected(With(Valid(), flag, port), std::string("bad port for ") + flag);
    }
  }
}

TEST(FlagsTest, RejectsMalformedPeers) {
  for (const char* peers : {
           "n2",                    // no address
           "n2=",                   // empty address
           "n2=h",                  // no port
           "n2=h:",                 // empty port
           "n2=:9002",              // empty host
           "n2=h:0",                // port 0
           "n2=h:65536",            // port out of range
           "n2=h:x",                // non-numeric port
           "2=h:9002",              // bad name
           "=h:9002",               // no name
           "n0=h:9002,n2=h:9002",   // node 0 is "nobody"
           "n2=h:9002,,n1=h:9001",  // empty item
           ",n2=h:9002",            // leading empty item
       }) {
    SCOPED_TRACE(peers);
    ExpectRejected(With(Valid(), "--peers", peers), "bad --peers item");
  }
}

// BUG (flags.cc ParseHostPort): the host part is not validated and the port is taken after the
// *last* colon (to allow IPv6 hosts), so "n2=h:9002;n1=h:9001" is accepted as one peer n2 with
// host "h:9002;n1=h" and port 9001; n1 silently disappears from the cluster. Likewise a host
// containing '=' or whitespace is accepted. Disabled until the parser validates hosts.
TEST(FlagsTest, RejectsWrongSeparatorInPeers) {
  ExpectRejected(With(Valid(), "--peers", "n2=h:9002;n1=h:9001"), "bad --peers item");
  ExpectRejected(With(Valid(), "--peers", "n2=a=b:9002"), "bad --peers item");
}

TEST(FlagsTest, RejectsDuplicatePeerIds) {
  ExpectRejected(With(Valid(), "--peers", "n1=a:1,n2=b:2,n1=c:3"), "bad --peers item 'n1=c:3'");
  // "n02" names the same node as "n2".
  ExpectRejected(With(Valid(), "--peers", "n2=a:1,n02=b:2"), "bad --peers item 'n02=b:2'");
}

TEST(FlagsTest, RejectsIdNotAmongPeers) {
  ExpectRejected(With(Valid(), "--id", "n4"), "--peers does not list this node (n4)");
  ExpectRejected(With(Valid(), "--peers", ""), "--peers does not list this node (n2)");
}

TEST(FlagsTest, RejectsBadTuning) {
  for (const char* flag : {"--election-timeout-ms", "--heartbeat-ms", "--snapshot-threshold"}) {
    for (const char* v : {"0", "-5", "abc", ""}) {
      SCOPED_TRACE(std::string(flag) + "=" + v);
      ExpectRejected(With(Valid(), flag, v), std::string("bad value for ") + flag);
    }
  }
  ExpectRejected(With(Valid(), "--election-timeout-ms", "600001"),
                 "bad value for --election-timeout-ms");
  ExpectRejected(With(With(Valid(), "--heartbeat-ms", "100"), "--election-timeout-ms", "199"),
                 "at least twice --heartbeat-ms");
  ServerOptions o;
  std::string error;
  EXPECT_TRUE(ParseFlags(
      With(With(Valid(), "--heartbeat-ms", "100"), "--election-timeout-ms", "200"), &o, &error))
      << error;
}

// BUG (flags.cc): flags.h promises a one-line error, but bad values are echoed verbatim, so a
// value containing '\n' yields a multi-line message. Disabled until values are escaped.
TEST(FlagsTest, ErrorMessagesAreOneLine) {
  // A value containing a newline is echoed in the error; the message must still be one line.
  ServerOptions o;
  std::string error;
  EXPECT_FALSE(ParseFlags(With(Valid(), "--client-port", "80\n81"), &o, &error));
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(FlagsTest, NodeNames) {
  EXPECT_EQ(ParseNodeName("n1"), 1u);
  EXPECT_EQ(ParseNodeName("n1048576"), 1u << 20);
  EXPECT_EQ(ParseNodeName("n1048577"), kNoNode);
  EXPECT_EQ(ParseNodeName("n"), kNoNode);
  EXPECT_EQ(ParseNodeName("N1"), kNoNode);
  EXPECT_EQ(ParseNodeName(""), kNoNode);
  EXPECT_EQ(NodeName(3), "n3");
  for (NodeId id : {NodeId{1}, NodeId{42}, NodeId{1} << 20})
    EXPECT_EQ(ParseNodeName(NodeName(id)), id);
}

}  // namespace
}  // namespace faultline::raft::server
