// Unit tests of targets/: the KV protocol mapping (docs/PROTOCOL.md) row by row, transport
// classification (the retry trap), URL encoding, --node-cmd expansion and the raft target's
// command line. No sockets, no processes.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "targets/kv_http_client.h"
#include "targets/target.h"

namespace faultline::checker {
// Readable gtest messages: "fail" rather than "1-byte object <02>".
void PrintTo(EventType t, std::ostream* os) { *os << EventTypeName(t); }
}  // namespace faultline::checker

namespace faultline::targets {
namespace {

using checker::EventType;

const std::string kNode = "n2";

Completion Map(RequestKind kind, long status, std::string_view body) {
  return MapResponse(kind, Transport::kResponse, status, body, kNode);
}

void ExpectCompletion(const Completion& c, EventType type, const std::string& error,
                      const Value& value = Value()) {
  EXPECT_EQ(checker::EventTypeName(c.type), std::string(checker::EventTypeName(type)));
  EXPECT_EQ(c.error, error);
  EXPECT_EQ(c.value, value) << c.value.ToJson();
  EXPECT_EQ(c.node, kNode);
}

// --- 200 ---------------------------------------------------------------------------------

TEST(MapResponse, getOkReturnsValue) {
  ExpectCompletion(Map(RequestKind::kGet, 200, R"({"value": 7})"), EventType::kOk, "",
                   Value::Int(7));
  ExpectCompletion(Map(RequestKind::kGet, 200, R"({"value": {"a": [1, "x"]}})"), EventType::kOk, "",
                   *checker::ParseJson(R"({"a":[1,"x"]})"));
}

TEST(MapResponse, getOkNullMeansAbsent) {
  ExpectCompletion(Map(RequestKind::kGet, 200, R"({"value": null})"), EventType::kOk, "");
}

TEST(MapResponse, getOkWithoutValueMemberIsInfo) {
  ExpectCompletion(Map(RequestKind::kGet, 200, "{}"), EventType::kInfo, "bad-response");
  ExpectCompletion(Map(RequestKind::kGet, 200, R"({"value": )"), EventType::kInfo, "bad-response");
  ExpectCompletion(Map(RequestKind::kGet, 200, ""), EventType::kInfo, "bad-response");
  ExpectCompletion(Map(RequestKind::kGet, 200, "[1]"), EventType::kInfo, "bad-response");
}

TEST(MapResponse, writesOkCarryNoValue) {
  for (RequestKind k :
       {RequestKind::kPut, RequestKind::kCas, RequestKind::kDelete, RequestKind::kRelease}) {
    SCOPED_TRACE(RequestKindName(k));
    ExpectCompletion(Map(k, 200, "{}"), EventType::kOk, "");
    ExpectCompletion(Map(k, 200, ""), EventType::kOk, "");  // an empty body is a plain "yes"
    ExpectCompletion(Map(k, 200, "{garbled"), EventType::kInfo, "bad-response");
  }
}

TEST(MapResponse, acquireOkValueIsToken) {
  ExpectCompletion(Map(RequestKind::kAcquire, 200, R"({"token": 42})"), EventType::kOk, "",
                   Value::Int(42));
  ExpectCompletion(Map(RequestKind::kAcquire, 200, "{}"), EventType::kInfo, "bad-response");
  ExpectCompletion(Map(RequestKind::kAcquire, 200, R"({"token": "42"})"), EventType::kInfo,
                   "bad-response");
  ExpectCompletion(Map(RequestKind::kAcquire, 200, R"({"token": 1.5})"), EventType::kInfo,
                   "bad-response");
}

// --- definite failures ----------------------------------------------------------------------

TEST(MapResponse, casMismatchIsFailMismatch) {
  ExpectCompletion(Map(RequestKind::kCas, 412, R"({"error":"mismatch"})"), EventType::kFail,
                   "mismatch");
}

TEST(MapResponse, other412IsInfoBecauseMismatchIsAnObservation) {
  ExpectCompletion(Map(RequestKind::kCas, 412, ""), EventType::kInfo, "http-412");
  ExpectCompletion(Map(RequestKind::kCas, 412, R"({"error":"precondition"})"), EventType::kInfo,
                   "http-412");
  ExpectCompletion(Map(RequestKind::kPut, 412, R"({"error":"mismatch"})"), EventType::kInfo,
                   "http-412");
}

TEST(MapResponse, lock409IsFail) {
  ExpectCompletion(Map(RequestKind::kAcquire, 409, R"({"error":"held"})"), EventType::kFail,
                   "held");
  ExpectCompletion(Map(RequestKind::kRelease, 409, R"({"error":"not-held"})"), EventType::kFail,
                   "not-held");
  // A 409 without the body still names the protocol's reason.
  ExpectCompletion(Map(RequestKind::kAcquire, 409, ""), EventType::kFail, "held");
  ExpectCompletion(Map(RequestKind::kRelease, 409, "nope"), EventType::kFail, "not-held");
}

TEST(MapResponse, non_lock409IsInfo) {
  ExpectCompletion(Map(RequestKind::kPut, 409, R"({"error":"held"})"), EventType::kInfo,
                   "http-409");
}

TEST(MapResponse, unavailable503IsFailWithItsError) {
  for (RequestKind k : {RequestKind::kGet, RequestKind::kPut, RequestKind::kCas,
                        RequestKind::kDelete, RequestKind::kAcquire, RequestKind::kRelease}) {
    SCOPED_TRACE(RequestKindName(k));
    ExpectCompletion(Map(k, 503, R"({"error":"not-leader","leader":"n1"})"), EventType::kFail,
                     "not-leader");
    ExpectCompletion(Map(k, 503, R"({"error":"busy"})"), EventType::kFail, "busy");
    ExpectCompletion(Map(k, 503, "Service Unavailable"), EventType::kFail, "http-503");
  }
}

// --- indeterminate statuses -----------------------------------------------------------------

TEST(MapResponse, otherStatusesAreInfo) {
  ExpectCompletion(Map(RequestKind::kPut, 500, R"({"error":"unknown outcome"})"), EventType::kInfo,
                   "http-500");
  ExpectCompletion(Map(RequestKind::kPut, 504, R"({"error":"timeout"})"), EventType::kInfo,
                   "http-504");
  ExpectCompletion(Map(RequestKind::kPut, 400, R"({"error":"bad"})"), EventType::kInfo, "http-400");
  ExpectCompletion(Map(RequestKind::kGet, 502, ""), EventType::kInfo, "http-502");
  ExpectCompletion(Map(RequestKind::kGet, 301, ""), EventType::kInfo, "http-301");
}

TEST(MapResponse, notFoundMeansUnsupportedAndIsInfo) {
  ExpectCompletion(Map(RequestKind::kAcquire, 404, ""), EventType::kInfo, "http-404");
  ExpectCompletion(Map(RequestKind::kRelease, 404, ""), EventType::kInfo, "http-404");
}

// --- transport outcomes ---------------------------------------------------------------------

TEST(MapResponse, transportOutcomes) {
  struct Row {
    Transport t;
    EventType type;
    const char* error;
  };
  const Row rows[] = {
      {Transport::kNotSent, EventType::kFail, "connection-refused"},
      {Transport::kRefusedMaybeSent, EventType::kInfo, "connection-refused"},
      {Transport::kConnectTimeout, EventType::kInfo, "connect-timeout"},
      {Transport::kTimeout, EventType::kInfo, "timeout"},
      {Transport::kDropped, EventType::kInfo, "connection-lost"},
      {Transport::kError, EventType::kInfo, "transport-error"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(TransportName(r.t));
    // The status and body are ignored once the transport failed (a partial 200 is not an ok).
    ExpectCompletion(MapResponse(RequestKind::kPut, r.t, 200, "{}", kNode), r.type, r.error);
    ExpectCompletion(MapResponse(RequestKind::kCas, r.t, 0, "", kNode), r.type, r.error);
  }
}

TEST(ClassifyTransport, okIsResponse) {
  EXPECT_EQ(ClassifyTransport(CURLE_OK, 1, false), Transport::kResponse);
  EXPECT_EQ(ClassifyTransport(CURLE_OK, 1, true), Transport::kResponse);
}

TEST(ClassifyTransport, refusedOnFreshHandleIsNotSent) {
  EXPECT_EQ(ClassifyTransport(CURLE_COULDNT_CONNECT, 0, false), Transport::kNotSent);
}

// The retry trap: libcurl wrote the request on a reused connection (attempt 1), the connection
// died with no response byte, libcurl reconnected and was refused. The first copy may have been
// applied, so this must not be "not sent".
TEST(ClassifyTransport, refusedAfterAnAttemptMayHaveBeenSent) {
  EXPECT_EQ(ClassifyTransport(CURLE_COULDNT_CONNECT, 1, true), Transport::kRefusedMaybeSent);
  EXPECT_EQ(ClassifyTransport(CURLE_COULDNT_CONNECT, 1, false), Transport::kRefusedMaybeSent);
}

// Belt and braces: with a kept-alive connection at the start, refused is never "not sent", even
// when no attempt was counted (libcurl found the idle connection dead and discarded it first).
TEST(ClassifyTransport, refusedWithKeptAliveConnectionMayHaveBeenSent) {
  EXPECT_EQ(ClassifyTransport(CURLE_COULDNT_CONNECT, 0, true), Transport::kRefusedMaybeSent);
}

TEST(ClassifyTransport, timeouts) {
  EXPECT_EQ(ClassifyTransport(CURLE_OPERATION_TIMEDOUT, 0, false), Transport::kConnectTimeout);
  EXPECT_EQ(ClassifyTransport(CURLE_OPERATION_TIMEDOUT, 1, false), Transport::kTimeout);
  EXPECT_EQ(ClassifyTransport(CURLE_OPERATION_TIMEDOUT, 1, true), Transport::kTimeout);
}

TEST(ClassifyTransport, droppedConnections) {
  for (CURLcode c : {CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE,
                     CURLE_ABORTED_BY_CALLBACK}) {
    SCOPED_TRACE(c);
    EXPECT_EQ(ClassifyTransport(c, 1, false), Transport::kDropped);
    EXPECT_EQ(ClassifyTransport(c, 2, true), Transport::kDropped);
  }
}

TEST(ClassifyTransport, anythingElseIsError) {
  for (CURLcode c : {CURLE_WRITE_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_COULDNT_RESOLVE_HOST,
                     CURLE_OUT_OF_MEMORY}) {
    SCOPED_TRACE(c);
    EXPECT_EQ(ClassifyTransport(c, 0, false), Transport::kError);
  }
}

// Whatever libcurl says, only "refused on a fresh handle before any attempt" may become fail.
TEST(ClassifyTransport, onlyFreshRefusalMapsToFail) {
  for (int code = 0; code < CURL_LAST; ++code) {
    for (int attempts = 0; attempts <= 2; ++attempts) {
      for (bool had : {false, true}) {
        const Completion c =
            MapResponse(RequestKind::kPut, ClassifyTransport(code, attempts, had), 0, "", kNode);
        const bool fresh_refusal = code == CURLE_COULDNT_CONNECT && attempts == 0 && !had;
        EXPECT_EQ(c.type == EventType::kFail, fresh_refusal)
            << "code " << code << " attempts " << attempts << " had " << had;
      }
    }
  }
}

// --- /status ---------------------------------------------------------------------------------

TEST(ParseStatus, leaderAndFollower) {
  auto s = ParseStatus(R"({"id":"n1","role":"leader","term":3,"leader":"n1","commit_index":17})");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->id, "n1");
  EXPECT_EQ(s->role, "leader");
  EXPECT_EQ(s->term, 3);
  EXPECT_EQ(s->leader, "n1");
  EXPECT_EQ(s->commit_index, 17);
  s = ParseStatus(R"({"id":"n2","role":"candidate","term":4,"leader":null,"commit_index":0})");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->leader, "");
}

TEST(ParseStatus, rejectsMalformed) {
  EXPECT_FALSE(ParseStatus("").has_value());
  EXPECT_FALSE(ParseStatus("{}").has_value());
  EXPECT_FALSE(ParseStatus(R"({"id":"n1","role":"leader","term":"3","commit_index":1})"));
  EXPECT_FALSE(ParseStatus(R"({"id":"n1","role":"leader","term":3,"leader":5,"commit_index":1})"));
}

// --- URLs ------------------------------------------------------------------------------------

TEST(PercentEncode, keepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(PercentEncode("k7-a_b.c~"), "k7-a_b.c~");
  EXPECT_EQ(PercentEncode("a/b"), "a%2Fb");
  EXPECT_EQ(PercentEncode("a b%c?d#e"), "a%20b%25c%3Fd%23e");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("\0x", 2)), "%00x");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(RequestPath, everyKind) {
  EXPECT_EQ(RequestPath(RequestKind::kGet, "k1"), "/kv/k1");
  EXPECT_EQ(RequestPath(RequestKind::kPut, "a/cas"), "/kv/a%2Fcas");
  EXPECT_EQ(RequestPath(RequestKind::kDelete, "k 1"), "/kv/k%201");
  EXPECT_EQ(RequestPath(RequestKind::kCas, "k1"), "/kv/k1/cas");
  EXPECT_EQ(RequestPath(RequestKind::kAcquire, "l/1"), "/lock/l%2F1/acquire");
  EXPECT_EQ(RequestPath(RequestKind::kRelease, "l"), "/lock/l/release");
  EXPECT_EQ(RequestPath(RequestKind::kStatus, "ignored"), "/status");
}

TEST(BaseUrl, ipv4AndIpv6) {
  EXPECT_EQ(BaseUrl("127.0.0.1", 9001), "http://127.0.0.1:9001");
  EXPECT_EQ(BaseUrl("::1", 9001), "http://[::1]:9001");
}

// --- --node-cmd ------------------------------------------------------------------------------

const base::NodeAddress kSelf = {"n2", "10.0.0.2", 7002, 8002};
const PeerList kPeers = {
    {"n1", "10.0.0.1:8001"}, {"n2", "10.0.0.2:8002"}, {"n3", "127.0.0.1:9103"}};

std::vector<std::string> Expand(const std::string& cmd, const std::string& data_dir = "/d/n2") {
  auto r = ExpandNodeCommand(cmd, kSelf, kPeers, data_dir);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<std::string>{};
}

TEST(ExpandNodeCommand, everyPlaceholder) {
  EXPECT_EQ(Expand("mykv --id {id} --host {host} --client-port {client_port} --peer-port "
                   "{peer_port} --peers {peers} --data {data_dir}"),
            (std::vector<std::string>{"mykv", "--id", "n2", "--host", "10.0.0.2", "--client-port",
                                      "7002", "--peer-port", "8002", "--peers",
                                      "n1=10.0.0.1:8001,n2=10.0.0.2:8002,n3=127.0.0.1:9103",
                                      "--data", "/d/n2"}));
}

TEST(ExpandNodeCommand, placeholdersInsideWords) {
  EXPECT_EQ(Expand("kv --listen={host}:{client_port} --name=node-{id}"),
            (std::vector<std::string>{"kv", "--listen=10.0.0.2:7002", "--name=node-n2"}));
}

TEST(ExpandNodeCommand, substitutedTextStaysOneWordAndIsNotRescanned) {
  EXPECT_EQ(Expand("kv --data {data_dir}", "/tmp/a b/{id}"),
            (std::vector<std::string>{"kv", "--data", "/tmp/a b/{id}"}));
}

TEST(ExpandNodeCommand, quotesAndBackslashes) {
  EXPECT_EQ(Expand(R"(kv 'a b' "c d" e\ f '' "" x'y'"z")"),
            (std::vector<std::string>{"kv", "a b", "c d", "e f", "", "", "xyz"}));
  EXPECT_EQ(Expand(R"(kv 'it''s \n' "say \"hi\" \\ \n $x")"),
            (std::vector<std::string>{"kv", R"(its \n)", R"(say "hi" \ \n $x)"}));
  EXPECT_EQ(Expand("kv  \t a\\\n b"), (std::vector<std::string>{"kv", "a", "b"}));
  EXPECT_EQ(Expand("kv --id '{id}' \"{host}\""),
            (std::vector<std::string>{"kv", "--id", "n2", "10.0.0.2"}));
}

TEST(ExpandNodeCommand, bracesThatAreNotPlaceholdersStayLiteral) {
  EXPECT_EQ(Expand(R"(kv --config '{"a":{"b":1}}' {} x{)"),
            (std::vector<std::string>{"kv", "--config", R"({"a":{"b":1}})", "{}", "x{"}));
}

TEST(ExpandNodeCommand, errorsAreOneLine) {
  const struct {
    const char* cmd;
    const char* needle;
  } cases[] = {
      {"kv --data {datadir}", "unknown placeholder {datadir}"},
      {"kv --data {data-dir}", "unknown placeholder {data-dir}"},
      // Every unknown placeholder at once, each named once, in order of appearance.
      {"kv --id {idd} --port {clientport} --x {idd}{hots}",
       "unknown placeholders {idd}, {clientport}, {hots} (known: {id}, {host},"},
      {"kv 'unterminated", "unbalanced single quote"},
      {"kv \"unterminated \\\"", "unbalanced double quote"},
      {"kv trailing\\", "trailing backslash"},
      {"   ", "empty"},
      {"", "empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.cmd);
    auto r = ExpandNodeCommand(c.cmd, kSelf, kPeers, "/d");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  }
}

TEST(ProcessTarget, rejectsBadTemplateUpFront) {
  EXPECT_FALSE(MakeProcessTarget("kv {nope}").ok());
  EXPECT_FALSE(MakeProcessTarget("kv 'x").ok());
}

TEST(ProcessTarget, checkResolvesArgv0) {
  auto on_path = MakeProcessTarget("sh -c 'exit 0' {id}");
  ASSERT_TRUE(on_path.ok());
  EXPECT_TRUE((*on_path)->Check().ok()) << (*on_path)->Check().message();
  EXPECT_EQ((*on_path)->name(), "process");

  auto absolute = MakeProcessTarget("/bin/sh");
  ASSERT_TRUE(absolute.ok());
  EXPECT_TRUE((*absolute)->Check().ok());

  auto missing = MakeProcessTarget("faultline-no-such-binary-xyz --id {id}");
  ASSERT_TRUE(missing.ok());
  EXPECT_NE((*missing)->Check().message().find("not found on PATH"), std::string::npos);

  auto not_exec = MakeProcessTarget("/etc/passwd");
  ASSERT_TRUE(not_exec.ok());
  EXPECT_FALSE((*not_exec)->Check().ok());

  auto dir = MakeProcessTarget("/tmp");
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE((*dir)->Check().ok());
}

TEST(ProcessTarget, nodeCommandExpandsTemplate) {
  auto t = MakeProcessTarget("mykv --id {id} --data {data_dir}");
  ASSERT_TRUE(t.ok());
  auto argv = (*t)->NodeCommand(kSelf, kPeers, "/data/n2");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(*argv, (std::vector<std::string>{"mykv", "--id", "n2", "--data", "/data/n2"}));
  EXPECT_TRUE((*t)->supports_locks());
  EXPECT_TRUE((*t)->supports_status());
}

// --- raft target ------------------------------------------------------------------------------

TEST(RaftTarget, nodeCommand) {
  auto t = MakeRaftTarget(
      "/opt/raftkv", {"unsafe-stale-reads", "election-timeout-ms=500", "--heartbeat-ms=50",
                      "snapshot-threshold=1000", "unsafe-no-fsync", "unsafe-commit-old-terms"});
  EXPECT_EQ(t->name(), "raft");
  auto argv = t->NodeCommand(kSelf, kPeers, "/data/n2");
  ASSERT_TRUE(argv.ok()) << argv.status().message();
  EXPECT_EQ(
      *argv,
      (std::vector<std::string>{
          "/opt/raftkv", "--id", "n2", "--host", "10.0.0.2", "--client-port", "7002", "--peer-port",
          "8002", "--peers", "n1=10.0.0.1:8001,n2=10.0.0.2:8002,n3=127.0.0.1:9103", "--data",
          "/data/n2", "--unsafe-stale-reads", "--election-timeout-ms=500", "--heartbeat-ms=50",
          "--snapshot-threshold=1000", "--unsafe-no-fsync", "--unsafe-commit-old-terms"}));
}

TEST(RaftTarget, rejectsUnknownAndMalformedOpts) {
  const struct {
    const char* opt;
    const char* needle;
  } cases[] = {
      {"unsafe-everything", "unknown --raft-opt 'unsafe-everything' (known: unsafe-stale-reads"},
      {"unsafe-stale-reads=1", "takes no value"},
      {"election-timeout-ms", "want election-timeout-ms=N"},
      {"heartbeat-ms=0", "want heartbeat-ms=N"},
      {"heartbeat-ms=-5", "want heartbeat-ms=N"},
      {"snapshot-threshold=1k", "want snapshot-threshold=N"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.opt);
    // /bin/sh stands in for an existing executable, so only the option can be wrong.
    auto t = MakeRaftTarget("/bin/sh", {"unsafe-no-fsync", c.opt});
    const Status s = t->Check();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos);
    EXPECT_FALSE(t->NodeCommand(kSelf, kPeers, "/d").ok());
  }
  auto unknown = MakeRaftTarget("/bin/sh", {"bogus"})->Check();
  for (const char* known : {"unsafe-stale-reads", "unsafe-no-fsync", "unsafe-commit-old-terms",
                            "election-timeout-ms=N", "heartbeat-ms=N", "snapshot-threshold=N"}) {
    EXPECT_NE(unknown.message().find(known), std::string::npos) << unknown.message();
  }
}

TEST(RaftTarget, checkNeedsAnExecutableBinary) {
  EXPECT_TRUE(MakeRaftTarget("/bin/sh", {"heartbeat-ms=50"})->Check().ok());
  const Status missing = MakeRaftTarget("/nonexistent/raftkv", {})->Check();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("/nonexistent/raftkv"), std::string::npos);
  EXPECT_FALSE(MakeRaftTarget("/etc/passwd", {})->Check().ok());
}

}  // namespace
}  // namespace faultline::targets
