// The protocol probe (targets/protocol_probe.h) against real stores: a raftkv cluster passes every
// item; small Python stores (tests/data/stores/probe_kv.py) with one deliberate defect each fail
// exactly the items about that defect, with the request and answer that showed it.
#include "targets/protocol_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/node_process.h"
#include "targets/kv_http_client.h"
#include "tests/kit/ports.h"
#include "tests/kit/raftkv_cluster.h"

namespace faultline::targets {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const ProbeItem* Find(const ProbeReport& r, const std::string& name) {
  for (const ProbeItem& it : r.items) {
    if (it.name == name) return &it;
  }
  return nullptr;
}

// N probe_kv.py nodes on reserved loopback ports, started through the harness's NodeProcess;
// killed and their folder removed at the end.
class PythonStore {
 public:
  PythonStore(int nodes, const std::string& mode)
      : dir_(fs::temp_directory_path() /
             ("faultline-probe-test-" + std::to_string(::getpid()) + "-" + mode)) {
    fs::create_directories(dir_);
    std::string peers;
    for (int i = 0; i < nodes; ++i) {
      ports_.push_back(testkit::ReservedPort::Reserve());
      base::NodeAddress a;
      a.id = "n" + std::to_string(i + 1);
      a.host = "127.0.0.1";
      a.client_port = ports_.back().port();
      addresses_.push_back(a);
      peers += (peers.empty() ? "" : ",") + a.id + "=127.0.0.1:1";
    }
    for (const base::NodeAddress& a : addresses_) {
      fs::create_directories(dir_ / a.id);
      procs_.push_back(std::make_unique<harness::NodeProcess>(
          a.id,
          std::vector<std::string>{"python3", FAULTLINE_SOURCE_DIR "/tests/data/stores/probe_kv.py",
                                   "--id", a.id, "--client-port", std::to_string(a.client_port),
                                   "--peers", peers, "--mode", mode},
          (dir_ / a.id).string()));
      ok_ = ok_ && procs_.back()->Start().ok();
    }
  }
  ~PythonStore() {
    procs_.clear();  // kills and reaps
    fs::remove_all(dir_);
  }

  // Waits until every node answers /status (python3 takes a moment to start).
  bool Ready() {
    for (const base::NodeAddress& a : addresses_) {
      auto client = MakeKvHttpClient(a, ClientOptions{});
      bool up = false;
      for (int i = 0; i < 100 && !up; ++i) {
        up = client->Status().has_value();
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!up) return false;
    }
    return ok_;
  }
  const std::vector<base::NodeAddress>& addresses() const { return addresses_; }

 private:
  fs::path dir_;
  std::vector<testkit::ReservedPort> ports_;
  std::vector<base::NodeAddress> addresses_;
  std::vector<std::unique_ptr<harness::NodeProcess>> procs_;
  bool ok_ = true;
};

TEST(ProtocolProbe, RaftkvPassesEveryItem) {
  testkit::RaftkvCluster cluster(testkit::RaftkvClusterOptions{});
  ASSERT_TRUE(cluster.Start().ok());
  const ProbeReport r = RunProtocolProbe(cluster.addresses(), ProbeOptions{});
  const std::string table = FormatProbeReport(r);
  EXPECT_TRUE(r.required_passed()) << table;
  for (const char* name : {"put/get integer",
                           "put/get string",
                           "put/get float",
                           "put/get boolean",
                           "put/get array",
                           "put/get object",
                           "percent-encoded key",
                           "get of an absent key",
                           "delete",
                           "delete of an absent key",
                           "cas match",
                           "cas mismatch",
                           "cas from null (absent key)",
                           "cas on objects",
                           "read on every node",
                           "last write on every node",
                           "not-leader answer",
                           "/status",
                           "lock acquire/release",
                           "fencing tokens grow",
                           "lease expiry"}) {
    const ProbeItem* it = Find(r, name);
    ASSERT_NE(it, nullptr) << name << "\n" << table;
    EXPECT_EQ(it->result, ProbeResult::kPass) << name << "\n" << table;
  }
  EXPECT_THAT(table, HasSubstr("every required item passed"));
  EXPECT_THAT(Find(r, "not-leader answer")->note, HasSubstr("answer not-leader with the leader"));
}

TEST(ProtocolProbe, RequiredOnlyLeavesOutOptionalItems) {
  testkit::RaftkvClusterOptions one;
  one.nodes = 1;
  testkit::RaftkvCluster cluster(one);
  ASSERT_TRUE(cluster.Start().ok());
  ProbeOptions o;
  o.required_only = true;
  const ProbeReport r = RunProtocolProbe(cluster.addresses(), o);
  EXPECT_TRUE(r.required_passed()) << FormatProbeReport(r);
  for (const ProbeItem& it : r.items) EXPECT_TRUE(it.required) << it.name;
  EXPECT_EQ(Find(r, "lock acquire/release"), nullptr);
  EXPECT_EQ(Find(r, "read on every node"), nullptr);  // one node
  o.locks_required = true;
  const ProbeReport with_locks = RunProtocolProbe(cluster.addresses(), o);
  ASSERT_NE(Find(with_locks, "lease expiry"), nullptr);
  EXPECT_TRUE(Find(with_locks, "lease expiry")->required);
  EXPECT_TRUE(with_locks.required_passed()) << FormatProbeReport(with_locks);
}

TEST(ProtocolProbe, CorrectPythonStorePasses) {
  PythonStore store(3, "ok");
  ASSERT_TRUE(store.Ready());
  const ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  EXPECT_TRUE(r.required_passed()) << FormatProbeReport(r);
  EXPECT_EQ(r.failed(false), 0) << FormatProbeReport(r);
}

TEST(ProtocolProbe, BrokenCasFailsWithItsRequestAndAnswer) {
  PythonStore store(3, "broken-cas");
  ASSERT_TRUE(store.Ready());
  const ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  const std::string table = FormatProbeReport(r);
  EXPECT_FALSE(r.required_passed()) << table;
  const ProbeItem* it = Find(r, "cas mismatch");
  ASSERT_NE(it, nullptr);
  EXPECT_EQ(it->result, ProbeResult::kFail);
  EXPECT_THAT(it->request, StartsWith("POST /kv/faultline-probe-"));
  EXPECT_THAT(it->request, HasSubstr("-cas-mismatch/cas {\"from\":4,\"to\":6} to n1"));
  EXPECT_THAT(it->answer, StartsWith("200 {}"));
  EXPECT_EQ(it->expected, "412 {\"error\":\"mismatch\"}");
  EXPECT_EQ(Find(r, "cas from null (absent key)")->result, ProbeResult::kFail);
  // The rest of the protocol is fine.
  EXPECT_EQ(Find(r, "cas match")->result, ProbeResult::kPass);
  EXPECT_EQ(Find(r, "put/get object")->result, ProbeResult::kPass);
  // The table quotes the failed exchange.
  EXPECT_THAT(table,
              HasSubstr("cas mismatch: a cas whose from does not match the value was applied"));
  EXPECT_THAT(table, HasSubstr("  request:  POST /kv/faultline-probe-"));
  EXPECT_THAT(table, HasSubstr("  answer:   200 {}  [recorded as ok]"));
  EXPECT_THAT(table, HasSubstr("required items failed: the store does not speak the protocol"));
}

TEST(ProtocolProbe, MismatchWithoutTheJsonErrorFails) {
  PythonStore store(1, "text-mismatch");
  ASSERT_TRUE(store.Ready());
  const ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  const ProbeItem* it = Find(r, "cas mismatch");
  ASSERT_NE(it, nullptr);
  EXPECT_EQ(it->result, ProbeResult::kFail);
  EXPECT_EQ(it->answer, "412 precondition failed  [recorded as info http-412]");
}

TEST(ProtocolProbe, MissingLockEndpointsAreSkippedUnlessRequired) {
  PythonStore store(1, "no-locks");
  ASSERT_TRUE(store.Ready());
  ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  EXPECT_TRUE(r.required_passed()) << FormatProbeReport(r);
  EXPECT_EQ(Find(r, "lock acquire/release")->result, ProbeResult::kSkip);
  EXPECT_EQ(Find(r, "lease expiry")->result, ProbeResult::kSkip);
  ProbeOptions o;
  o.required_only = true;
  o.locks_required = true;
  r = RunProtocolProbe(store.addresses(), o);
  EXPECT_FALSE(r.required_passed());
  EXPECT_THAT(Find(r, "lock acquire/release")->answer, StartsWith("404 "));
  EXPECT_EQ(Find(r, "lock acquire/release")->note, "404: no lock endpoint");
}

// Stale reads are the test's job: followers that read a lagging copy still speak the protocol.
TEST(ProtocolProbe, StaleFollowerReadsPassTheRequiredItems) {
  PythonStore store(3, "stale-followers");  // no --share: the followers' copy stays empty
  ASSERT_TRUE(store.Ready());
  const ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  const std::string table = FormatProbeReport(r);
  EXPECT_TRUE(r.required_passed()) << table;
  EXPECT_EQ(Find(r, "read on every node")->result, ProbeResult::kPass) << table;
  const ProbeItem* last = Find(r, "last write on every node");
  ASSERT_NE(last, nullptr) << table;
  EXPECT_FALSE(last->required);
  EXPECT_EQ(last->result, ProbeResult::kPass) << table;
  EXPECT_EQ(last->note,
            "n2 n3 answered a value other than the last write: stale reads are the test's job, "
            "not the probe's");
  EXPECT_THAT(table, Not(HasSubstr("cannot read")));
}

// A follower that answers not-leader without reading the body breaks its kept-alive connection:
// the next request on it fails, a required item, with a hint at the cause.
TEST(ProtocolProbe, UnreadBodyFailsARequiredItemWithAHint) {
  PythonStore store(2, "unread-body");
  ASSERT_TRUE(store.Ready());
  const ProbeReport r = RunProtocolProbe(store.addresses(), ProbeOptions{});
  const std::string table = FormatProbeReport(r);
  EXPECT_FALSE(r.required_passed()) << table;
  const ProbeItem* it = Find(r, "read on every node");
  ASSERT_NE(it, nullptr);
  EXPECT_EQ(it->result, ProbeResult::kFail) << table;
  EXPECT_THAT(it->note, HasSubstr("a worker bound to n2 cannot read"));
  EXPECT_THAT(it->note,
              HasSubstr("hint: the store left the previous request's body unread (keep-alive)"));
  EXPECT_THAT(it->answer, HasSubstr("{\"value\":7}GET"));
}

TEST(ProtocolProbe, NoNodeAnsweringFailsEveryRequiredItem) {
  testkit::ReservedPort port = testkit::ReservedPort::Reserve();  // nobody listens
  base::NodeAddress a{"n1", "127.0.0.1", port.port(), 0};
  ProbeOptions o;
  o.retries_503 = 1;
  const ProbeReport r = RunProtocolProbe({a}, o);
  EXPECT_FALSE(r.required_passed());
  const ProbeItem* it = Find(r, "put/get integer");
  EXPECT_THAT(it->answer, HasSubstr("connection refused"));
  EXPECT_THAT(it->request, HasSubstr("PUT /kv/faultline-probe-"));
}

}  // namespace
}  // namespace faultline::targets
