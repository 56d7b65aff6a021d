#include <gtest/gtest.h>

#include <string>

#include "checker/io/load.h"

namespace faultline::checker::io {
namespace {

using base::Result;
using base::Status;

Value Json(std::string_view text) { return *ParseJson(text); }

History Parse(std::string_view text) {
  Result<History> r = ParseJepsenLog(text, "etcd.log");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : History{};
}

// An excerpt in the shape of the etcd logs in Porcupine's test data, with the surrounding log
// chatter a real Jepsen log has.
constexpr std::string_view kLog =
    "INFO  jepsen.core - Running test etcd\n"                             // 1: skipped
    "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"                        // 2
    "INFO  jepsen.util - 0\t:ok\t:read\tnil\n"                            // 3
    "INFO  jepsen.util - 2\t:invoke\t:write\t4\n"                         // 4
    "INFO  jepsen.util - 2\t:ok\t:write\t4\n"                             // 5
    "INFO  jepsen.util - 1\t:invoke\t:cas\t[0 3]\n"                       // 6
    "INFO  jepsen.util - 1\t:fail\t:cas\t[0 3]\n"                         // 7
    "WARN  jepsen.core - Process 4 crashed\n"                             // 8: skipped
    "java.net.SocketTimeoutException: Read timed out\n"                   // 9: skipped
    "INFO  jepsen.util - 4\t:invoke\t:write\t3\n"                         // 10
    "INFO  jepsen.util - 4\t:info\t:write\t:timed-out\n"                  // 11
    "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"                  // 12
    "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n"                        // 13
    "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n"                   // 14
    "INFO  jepsen.util - 9\t:invoke\t:cas\t[4 2]\n"                       // 15
    "INFO  jepsen.util - 9\t:ok\t:cas\t[4 2]\n"                           // 16
    "INFO  jepsen.util - 5\t:invoke\t:read\tnil\n"                        // 17
    "INFO  jepsen.util - 5\t:ok\t:read\t2\n"                              // 18
    "INFO  jepsen.util - 6\t:invoke\t:cas\t[2 1]\n"                       // 19
    "INFO  jepsen.util - 6\t:fail\t:cas\t:timed-out\n"                    // 20
    "\n"                                                                  // 21: skipped
    "INFO  jepsen.util - :nemesis\t:info\t:stop\t\"fully connected\"\n";  // 22

TEST(JepsenLogTest, parse_etcdLog) {
  const History h = Parse(kLog);
  EXPECT_EQ(h.source, "etcd.log");
  ASSERT_EQ(h.events.size(), 18u);
  for (size_t i = 0; i < h.events.size(); ++i) {
    EXPECT_EQ(h.events[i].index, static_cast<int64_t>(i));  // position among accepted events
    EXPECT_EQ(h.events[i].time, -1);
  }
  const Event& read_invoke = h.events[0];
  EXPECT_EQ(read_invoke.line, 2);
  EXPECT_EQ(read_invoke.process, 0);
  EXPECT_EQ(read_invoke.type, EventType::kInvoke);
  EXPECT_EQ(read_invoke.f, "read");
  EXPECT_TRUE(read_invoke.value.is_null());
  EXPECT_FALSE(read_invoke.has_key);

  // :ok :read nil means the key was absent: null, not "anything".
  EXPECT_EQ(h.events[1].type, EventType::kOk);
  EXPECT_TRUE(h.events[1].value.is_null());

  EXPECT_EQ(h.events[2].value, Value::Int(4));
  EXPECT_EQ(h.events[4].value, Json("[0,3]"));

  // A :fail of :cas is a mismatch observation.
  const Event& cas_fail = h.events[5];
  EXPECT_EQ(cas_fail.line, 7);
  EXPECT_EQ(cas_fail.type, EventType::kFail);
  EXPECT_EQ(cas_fail.error, "mismatch");
  EXPECT_EQ(cas_fail.value, Json("[0,3]"));

  // :info :timed-out is indeterminate.
  const Event& write_info = h.events[7];
  EXPECT_EQ(write_info.line, 11);
  EXPECT_EQ(write_info.type, EventType::kInfo);
  EXPECT_TRUE(write_info.value.is_null());
  EXPECT_EQ(write_info.error, "timed-out");

  const Event& nemesis = h.events[8];
  EXPECT_EQ(nemesis.line, 12);
  EXPECT_TRUE(nemesis.nemesis);
  EXPECT_EQ(nemesis.type, EventType::kInfo);
  EXPECT_EQ(nemesis.f, "start");

  // A :fail with :timed-out may yet take effect: info, not fail.
  const Event& read_timeout = h.events[10];
  EXPECT_EQ(read_timeout.line, 14);
  EXPECT_EQ(read_timeout.type, EventType::kInfo);
  EXPECT_TRUE(read_timeout.value.is_null());
  EXPECT_EQ(read_timeout.error, "timed-out");

  EXPECT_EQ(h.events[12].type, EventType::kOk);
  EXPECT_EQ(h.events[12].error, "");
  EXPECT_EQ(h.events[14].value, Value::Int(2));

  const Event& cas_timeout = h.events[16];
  EXPECT_EQ(cas_timeout.line, 20);
  EXPECT_EQ(cas_timeout.type, EventType::kInfo);
  EXPECT_EQ(cas_timeout.error, "timed-out");

  EXPECT_TRUE(h.events[17].nemesis);
  EXPECT_EQ(h.events[17].value, Value::String("fully connected"));
  EXPECT_EQ(h.events[17].line, 22);
}

TEST(JepsenLogTest, parse_spacesAsSeparators) {
  const History h = Parse("INFO  jepsen.util -   3    :invoke  :cas   [1 2]   \r\n");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].process, 3);
  EXPECT_EQ(h.events[0].f, "cas");
  EXPECT_EQ(h.events[0].value, Json("[1,2]"));
  EXPECT_EQ(h.events[0].error, "");
}

TEST(JepsenLogTest, parse_newerJepsenLineFormat) {
  // Later Jepsen: a timestamp and thread, no dash after jepsen.util, and the :error appended.
  const History h = Parse(
      "INFO [2018-02-02 15:59:35,052] jepsen worker 3 - jepsen.util 3\t:invoke\t:read\tnil\n"
      "INFO [2018-02-02 15:59:36,001] jepsen worker 3 - jepsen.util 3\t:fail\t:read\tnil\t"
      ":not-found\n"
      "INFO [2018-02-02 15:59:37,000] jepsen worker 1 - jepsen.util 1\t:info\t:write\t2\t"
      ":timed-out\n");
  ASSERT_EQ(h.events.size(), 3u);
  EXPECT_EQ(h.events[0].process, 3);
  EXPECT_EQ(h.events[1].type, EventType::kFail);
  EXPECT_EQ(h.events[1].error, "not-found");
  EXPECT_EQ(h.events[2].type, EventType::kInfo);
  EXPECT_EQ(h.events[2].error, "timed-out");
}

TEST(JepsenLogTest, parse_nemesisValuesAreFreeForm) {
  const History h = Parse(
      "INFO  jepsen.util - :nemesis\t:info\t:start\t"
      "\"Cut off {:n2 #{:n3 :n4 :n1}, :n5 #{:n3 :n4 :n1}}\"\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\t[:isolated {\"n1\" #{\"n2\"}}]\n"
      "INFO  jepsen.util - :nemesis\t:info\t:stop\t{unbalanced (stuff\n"
      "INFO  jepsen.util - :nemesis\t:info\t:kill\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\t:isolated n1 from n2\n");
  ASSERT_EQ(h.events.size(), 5u);
  EXPECT_EQ(h.events[0].value, Value::String("Cut off {:n2 #{:n3 :n4 :n1}, :n5 #{:n3 :n4 :n1}}"));
  EXPECT_EQ(h.events[1].value, Json(R"(["isolated",{"n1":["n2"]}])"));
  EXPECT_EQ(h.events[2].value, Value::String("{unbalanced (stuff"));
  EXPECT_TRUE(h.events[3].value.is_null());
  EXPECT_EQ(h.events[4].value, Value::String(":isolated n1 from n2"));
  EXPECT_EQ(h.events[4].error, "");
  for (const Event& e : h.events) EXPECT_TRUE(e.nemesis);
}

TEST(JepsenLogTest, parse_skipsLinesThatAreNotOperations) {
  const History h = Parse(
      "INFO  jepsen.util - Retrying after 3 attempts\n"
      "INFO  jepsen.util - 3\t:invoked\t:read\tnil\n"
      "INFO  jepsen.util - 3\t:invoke\tread\tnil\n"
      "INFO  jepsen.utility - 3\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 3x\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util -\n"
      "jepsen.util\n"
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].line, 8);
  EXPECT_EQ(h.events[0].index, 0);
}

TEST(JepsenLogTest, parse_emptyLog) { EXPECT_TRUE(Parse("").events.empty()); }

TEST(JepsenLogTest, error_unreadableClientValue) {
  Result<History> r = ParseJepsenLog(
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:cas\t[1 2\n",
      "etcd.log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status().message(),
            "etcd.log:2: cannot read the value of :cas: unterminated [ (no matching ']') (at byte "
            "1 of the value)");
}

// Issue 13, point 6: a keyword with invalid UTF-8 reached a model state that could not be
// decoded (SIGABRT); a named process other than :nemesis was taken for the nemesis (a false
// VALID). Both are errors now.
TEST(JepsenLogTest, error_invalidUtf8AndUnknownNamedProcesses) {
  Result<History> r = ParseJepsenLog("INFO  jepsen.util - 0\t:invoke\t:write\t:\xff\n", "etcd.log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcd.log:1: invalid UTF-8 in an operation line");
  r = ParseJepsenLog("INFO  jepsen.util - 0\t:invoke\t:wr\xffite\t1\n", "etcd.log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcd.log:1: invalid UTF-8 in an operation line");
  r = ParseJepsenLog("INFO  jepsen.util - :client\t:invoke\t:write\t1\n", "etcd.log");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "etcd.log:1: process :client is neither a client number nor :nemesis");
  // Lines that are not operations may hold anything.
  EXPECT_TRUE(Parse("WARN  jepsen.util - caf\xe9\n").events.empty());
}

}  // namespace
}  // namespace faultline::checker::io
