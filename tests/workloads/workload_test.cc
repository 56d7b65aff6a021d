#include "workloads/workload.h"

#include <gtest/gtest.h>

#include "tests/workloads/fake_client.h"
#include "tests/workloads/recorder.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using testing::FakeClient;
using testing::FakeStore;

std::unique_ptr<Workload> Make(const std::string& name, WorkloadOptions o = {}) {
  base::Result<std::unique_ptr<Workload>> r = MakeWorkload(name, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(*r) : nullptr;
}

std::string Text(const checker::Op& op) {
  return op.f + " " + op.key.ToJson() + " " + op.value.ToJson();
}

// `ops` operations per worker, round-robin, executed against a fresh fake store so that
// stateful workloads (lock) see the same completions.
std::vector<std::string> Trace(const std::string& name, uint64_t seed, int ops = 60) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 10;
  o.seed = seed;
  FakeStore store;
  o.sleep_ms = [&store](int64_t ms) { store.now_ms += ms; };
  auto wl = Make(name, o);
  FakeClient client(&store);
  std::vector<std::string> out;
  for (int i = 0; i < ops; ++i) {
    for (int w = 0; w < o.concurrency; ++w) {
      checker::Op op = wl->Next(w);
      out.push_back(std::to_string(w) + ": " + Text(op));
      wl->Execute(client, w, op);
    }
  }
  return out;
}

TEST(Workload, namesAndUnknownName) {
  EXPECT_EQ(WorkloadNames(), (std::vector<std::string>{"register", "set", "counter", "lock"}));
  for (const std::string& name : WorkloadNames()) {
    auto wl = Make(name);
    ASSERT_NE(wl, nullptr);
    EXPECT_EQ(wl->name(), name);
  }
  auto r = MakeWorkload("queue", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "unknown workload \"queue\" (known: register, set, counter, lock)");
}

TEST(Workload, optionsOutOfRange) {
  WorkloadOptions o;
  o.concurrency = 0;
  EXPECT_FALSE(MakeWorkload("register", o).ok());
  o = {};
  o.ops_per_key = 0;
  EXPECT_FALSE(MakeWorkload("register", o).ok());
  o = {};
  o.lease_ms = 0;
  auto r = MakeWorkload("lock", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST(Workload, sameSeedSameOperations_differentSeedDifferent) {
  for (const std::string& name : WorkloadNames()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Trace(name, 42), Trace(name, 42));
    EXPECT_NE(Trace(name, 42), Trace(name, 43));
  }
}

TEST(Workload, workerStreamIndependentOfInterleaving) {
  // Worker 1's operations are the same whether or not worker 0 ran first.
  WorkloadOptions o;
  o.concurrency = 2;
  o.seed = 7;
  auto a = Make("register", o);
  auto b = Make("register", o);
  for (int i = 0; i < 50; ++i) a->Next(0);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(Text(a->Next(1)), Text(b->Next(1)));
}

TEST(KeySchedule, groupsShareKeysAndRotate) {
  KeySchedule s(/*concurrency=*/5, /*group_size=*/2, /*ops_per_key=*/10);
  EXPECT_EQ(s.groups(), 3);  // {0,1} {2,3} {4}
  EXPECT_EQ(s.ops_per_worker_per_key(), 5);
  EXPECT_EQ(s.KeyId(0, 0), 0);
  EXPECT_EQ(s.KeyId(1, 4), 0);
  EXPECT_EQ(s.KeyId(2, 0), 1);
  EXPECT_EQ(s.KeyId(3, 4), 1);
  EXPECT_EQ(s.KeyId(4, 0), 2);
  EXPECT_EQ(s.KeyId(0, 5), 3);  // a fresh key, never used by another group
  EXPECT_EQ(s.KeyId(1, 9), 3);
  EXPECT_EQ(s.KeyId(4, 5), 5);
  EXPECT_EQ(s.KeyId(2, 10), 7);
}

TEST(KeySchedule, clampsGroupSize) {
  KeySchedule big(3, 10, 9);
  EXPECT_EQ(big.groups(), 1);
  EXPECT_EQ(big.ops_per_worker_per_key(), 3);
  KeySchedule zero(3, 0, 1);
  EXPECT_EQ(zero.groups(), 3);
  EXPECT_EQ(zero.ops_per_worker_per_key(), 1);
}

TEST(Workload, registerKeysFollowTheSchedule) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 6;  // 3 per worker
  auto wl = Make("register", o);
  for (int n = 0; n < 9; ++n) {
    for (int w = 0; w < 4; ++w) {
      checker::Op op = wl->Next(w);
      ASSERT_TRUE(op.has_key);
      EXPECT_EQ(op.key.as_int(), (n / 3) * 2 + w / 2) << "worker " << w << " op " << n;
    }
  }
}

// The stats checker in every workload: a store that answers every request with a 404 (no such
// endpoint) gives the other checkers nothing to judge, and the run must not pass as valid.
TEST(Workloads, nothingSucceededIsUnknownByStats) {
  for (const std::string& name : WorkloadNames()) {
    WorkloadOptions o;
    o.concurrency = 2;
    FakeStore store;
    o.sleep_ms = [&store](int64_t ms) { store.now_ms += ms; };
    auto wl = Make(name, o);
    FakeClient client(&store);
    testing::Recorder rec(o.concurrency);
    for (int i = 0; i < 40; ++i) {
      for (int r = 0; r < kCasAttemptsMax; ++r) {
        store.faults.push_back(testing::Fault{checker::EventType::kInfo, false, "http-404"});
      }
      rec.Step(*wl, client, i % o.concurrency);
    }
    auto results = wl->Check(rec.history(), {});
    ASSERT_TRUE(results.ok()) << name << ": " << results.status().message();
    const CheckerResult& stats = results->back();
    EXPECT_EQ(stats.name, "stats") << name;
    EXPECT_EQ(stats.verdict, checker::Verdict::kUnknown) << name;
    EXPECT_EQ(
        stats.summary.rfind(
            name == "lock" ? "no acquire ever succeeded: " : "no operation ever succeeded: ", 0),
        0u)
        << stats.summary;
    EXPECT_NE(stats.summary.find("http-404"), std::string::npos) << stats.summary;
  }
}

// One kind that never succeeds is enough: a store whose cas endpoint is missing.
TEST(Workloads, oneKindThatNeverSucceedsIsUnknownByStats) {
  struct Case {
    std::string workload;
    std::string failing;  // the request that always answers 404
    std::string kind;     // the operation kind that then never succeeds
  };
  for (const Case& c : std::vector<Case>{{"register", "cas", "cas"},
                                         {"set", "cas", "add"},
                                         {"counter", "cas", "add"},
                                         {"lock", "release", "release"}}) {
    WorkloadOptions o;
    o.concurrency = 2;
    FakeStore store;
    o.sleep_ms = [&store](int64_t ms) { store.now_ms += ms; };
    store.before = [&store, &c](const std::string& call) {
      if (call.rfind(c.failing + " ", 0) == 0) {
        store.faults.push_front(testing::Fault{checker::EventType::kFail, false, "http-404"});
      }
    };
    auto wl = Make(c.workload, o);
    FakeClient client(&store);
    testing::Recorder rec(o.concurrency);
    for (int i = 0; i < 200; ++i) rec.Step(*wl, client, i % o.concurrency);
    auto results = wl->Check(rec.history(), {});
    ASSERT_TRUE(results.ok()) << c.workload << ": " << results.status().message();
    const CheckerResult& stats = results->back();
    EXPECT_EQ(stats.name, "stats");
    EXPECT_EQ(stats.verdict, checker::Verdict::kUnknown) << c.workload << ": " << stats.summary;
    EXPECT_EQ(stats.summary.rfind("no " + c.kind + " ever succeeded: ", 0), 0u)
        << c.workload << ": " << stats.summary;
  }
}

}  // namespace
}  // namespace faultline::workloads
