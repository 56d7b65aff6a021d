// Integration test of the raftkv binary (issue 3, "Evidence it works"): three real processes on
// loopback; writes through the leader; SIGKILL of the leader; every acknowledged write read back
// from the new leader; the killed node restarted on its data dir catches up.
//
// The nodes run through the test kit's RaftkvCluster (tests/kit/): harness::NodeProcess children,
// SIGKILLed and reaped by the cluster's destructor on every path; only PIDs this test started are
// signalled. All traffic goes to 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "tests/kit/http.h"
#include "tests/kit/raftkv_cluster.h"

namespace {

using Clock = std::chrono::steady_clock;
using faultline::testkit::Http;
using faultline::testkit::HttpResponse;
using faultline::testkit::RaftkvCluster;
using faultline::testkit::RaftkvClusterOptions;

RaftkvClusterOptions Options() {
  RaftkvClusterOptions o;
  o.nodes = 3;
  o.raft_opts = {"election-timeout-ms=500", "heartbeat-ms=50"};
  return o;
}

class RaftkvIntegrationTest : public ::testing::Test {
 protected:
  RaftkvCluster cluster_{Options()};
};

TEST_F(RaftkvIntegrationTest, AcknowledgedWritesSurviveLeaderKill) {
  // Start() returns once a leader accepts a write.
  const auto started = cluster_.Start(std::chrono::seconds(10));
  ASSERT_TRUE(started.ok()) << started.message();
  const int leader = cluster_.WaitForLeader(std::chrono::seconds(10));
  ASSERT_GE(leader, 0) << "no leader within 10 s";

  // A non-leader refuses, naming the leader.
  const int follower = (leader + 1) % 3;
  const HttpResponse refused =
      Http(cluster_.client_port(follower), "PUT", "/kv/x", R"({"value": 1})");
  if (refused.status == 503) {
    EXPECT_NE(refused.body.find("not-leader"), std::string::npos) << refused.body;
  }

  // Writes through the leader; only acknowledged ones must survive.
  std::map<std::string, std::string> acked;
  const auto write_start = Clock::now();
  for (int i = 0; i < 50; ++i) {
    const std::string key = "key" + std::to_string(i);
    const std::string value = std::to_string(i * 7);
    const HttpResponse r =
        Http(cluster_.client_port(leader), "PUT", "/kv/" + key, "{\"value\": " + value + "}");
    if (r.status == 200) acked[key] = value;
  }
  const double write_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - write_start).count();
  std::printf("50 sequential PUTs: %.1f ms (%.2f ms each)\n", write_ms, write_ms / 50);
  EXPECT_EQ(acked.size(), 50u) << "the leader refused writes in a healthy cluster";

  // A lock round trip on the leader (docs/PROTOCOL.md).
  const HttpResponse acq = Http(cluster_.client_port(leader), "POST", "/lock/l/acquire",
                                R"({"owner": "p1", "ttl_ms": 60000})");
  EXPECT_EQ(acq.status, 200) << acq.body;
  EXPECT_EQ(Http(cluster_.client_port(leader), "POST", "/lock/l/acquire",
                 R"({"owner": "p2", "ttl_ms": 60000})")
                .status,
            409);

  ASSERT_TRUE(cluster_.Kill(leader).ok());
  const auto kill_time = Clock::now();
  const int new_leader = cluster_.WaitForLeader(std::chrono::seconds(10));
  ASSERT_GE(new_leader, 0) << "no new leader within 10 s of the kill";
  ASSERT_NE(new_leader, leader);
  std::printf("new leader %s after %.0f ms\n", cluster_.id(new_leader).c_str(),
              std::chrono::duration<double, std::milli>(Clock::now() - kill_time).count());

  for (const auto& [key, value] : acked) {
    HttpResponse r;
    // The new leader serves ReadIndex reads once its no-op commits; retry briefly until then.
    for (int attempt = 0; attempt < 50; ++attempt) {
      r = Http(cluster_.client_port(new_leader), "GET", "/kv/" + key);
      if (r.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(r.status, 200) << key << ": " << r.body;
    EXPECT_EQ(r.body, "{\"value\":" + value + "}") << key;
  }

  // One more write under the new leader, then the killed node comes back and catches up.
  ASSERT_EQ(Http(cluster_.client_port(new_leader), "PUT", "/kv/after", R"({"value": "x"})").status,
            200);
  const auto st = cluster_.StatusOf(new_leader);
  ASSERT_TRUE(st.has_value()) << "the new leader does not answer /status";
  const int64_t target = st->commit_index;

  const auto restarted = cluster_.Restart(leader);
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int64_t caught_up = 0;
  while (Clock::now() < deadline) {
    if (const auto r = cluster_.StatusOf(leader); r.has_value()) {
      caught_up = r->commit_index;
      if (caught_up >= target) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(caught_up, target) << "the restarted node did not catch up";
}

}  // namespace
