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

}  // namespace
}  // namespace faultline::workloads
