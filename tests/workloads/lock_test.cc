#include <gtest/gtest.h>

#include "tests/checker/history_builder.h"
#include "tests/workloads/fake_client.h"
#include "tests/workloads/recorder.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Value;
using checker::Verdict;
using checker::testing::HistoryBuilder;
using checker::testing::I;
using testing::FakeClient;
using testing::FakeStore;
using testing::Fault;
using testing::Recorder;

Value Token(int64_t t) { return Value::MakeObject({{"token", I(t)}}); }

struct Fixture {
  explicit Fixture(uint64_t seed = 0, int concurrency = 2) {
    o.concurrency = concurrency;
    o.group_size = concurrency;
    o.lease_ms = 1000;
    o.seed = seed;
    o.sleep_ms = [this](int64_t ms) {
      slept.push_back(ms);
      store.now_ms += ms;
      if (during_sleep) during_sleep();
    };
    wl = MakeLockWorkload(o);
  }
  WorkloadOptions o;
  FakeStore store;
  FakeClient client{&store};
  std::vector<int64_t> slept;
  std::function<void()> during_sleep;
  std::unique_ptr<Workload> wl;
};

TEST(LockWorkload, cycleAcquireWriteRelease) {
  Fixture fx;
  checker::Op op = fx.wl->Next(0);
  EXPECT_EQ(op.f, "acquire");
  EXPECT_EQ(op.key, I(0));
  Completion c = fx.wl->Execute(fx.client, 0, op);
  ASSERT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(c.value, I(1));
  op = fx.wl->Next(0);
  EXPECT_EQ(op.f, "write");
  EXPECT_EQ(op.key, I(1));
  EXPECT_EQ(op.value, I(1));
  c = fx.wl->Execute(fx.client, 0, op);
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(fx.store.kv["w1"], Token(1));
  op = fx.wl->Next(0);
  EXPECT_EQ(op.f, "release");
  EXPECT_EQ(op.key, I(0));
  EXPECT_EQ(op.value, I(1));
  EXPECT_EQ(fx.wl->Execute(fx.client, 0, op).type, EventType::kOk);
  EXPECT_FALSE(fx.store.locks["l0"].held);
  EXPECT_EQ(fx.wl->Next(0).f, "acquire");
}

TEST(LockWorkload, heldLockMeansAcquireAgain) {
  Fixture fx;
  fx.wl->Execute(fx.client, 0, fx.wl->Next(0));  // worker 0 holds l0
  checker::Op op = fx.wl->Next(1);
  Completion c = fx.wl->Execute(fx.client, 1, op);
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "held");
  EXPECT_EQ(fx.wl->Next(1).f, "acquire");
  // An indeterminate acquire leaves no usable token either.
  fx.store.faults.push_back(Fault{EventType::kInfo, false, "timeout"});
  EXPECT_EQ(fx.wl->Execute(fx.client, 1, fx.wl->Next(1)).type, EventType::kInfo);
  EXPECT_EQ(fx.wl->Next(1).f, "acquire");
}

TEST(LockWorkload, guardedWriteRejectsLowerToken) {
  Fixture fx;
  fx.store.kv["w1"] = Token(5);
  fx.wl->Execute(fx.client, 0, fx.wl->Next(0));  // token 1
  Completion c = fx.wl->Execute(fx.client, 0, fx.wl->Next(0));
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "stale-token");
  EXPECT_EQ(c.value, I(1));
  EXPECT_EQ(fx.store.kv["w1"], Token(5));
  EXPECT_EQ(fx.wl->Next(0).f, "release");  // a rejected write still releases
}

TEST(LockWorkload, failedReleaseMovesOnToAcquire) {
  Fixture fx;
  fx.wl->Execute(fx.client, 0, fx.wl->Next(0));
  fx.wl->Execute(fx.client, 0, fx.wl->Next(0));
  fx.store.faults.push_back(Fault{EventType::kInfo, false, "timeout"});
  EXPECT_EQ(fx.wl->Execute(fx.client, 0, fx.wl->Next(0)).type, EventType::kInfo);
  EXPECT_EQ(fx.wl->Next(0).f, "acquire");
}

// Finds a seed whose worker 0 pauses in its first cycle and worker 1 does not (the choice is
// drawn from the seed).
uint64_t PausingSeed() {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Fixture fx(seed);
    for (int step = 0; step < 3; ++step) fx.wl->Execute(fx.client, 0, fx.wl->Next(0));
    const size_t worker0_slept = fx.slept.size();
    for (int step = 0; step < 3; ++step) fx.wl->Execute(fx.client, 1, fx.wl->Next(1));
    if (worker0_slept == 1 && fx.slept.size() == 1) return seed;
  }
  ADD_FAILURE() << "no pausing holder in 200 seeds";
  return 0;
}

TEST(LockWorkload, pausedHolderOutlivesItsLeaseAndIsFencedOff) {
  Fixture fx(PausingSeed());
  Recorder rec(2);
  rec.clock_ns = [&fx] { return fx.store.now_ms * 1000000; };
  ASSERT_EQ(rec.Step(*fx.wl, fx.client, 0).type, EventType::kOk);  // worker 0: token 1
  fx.during_sleep = [&] {
    // While worker 0 sleeps past its lease, worker 1 takes the lock and writes token 2.
    fx.during_sleep = nullptr;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rec.Step(*fx.wl, fx.client, 1).type, EventType::kOk);
  };
  checker::Op write = fx.wl->Next(0);
  rec.Invoke(0, write);
  Completion c = fx.wl->Execute(fx.client, 0, write);
  rec.Complete(0, write, c);
  EXPECT_EQ(fx.slept, std::vector<int64_t>{1500});
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "stale-token");
  c = rec.Step(*fx.wl, fx.client, 0);  // release of an expired lease
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "not-held");

  auto results = fx.wl->Check(rec.history(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_EQ((*results)[0].name, "linearizable");
  EXPECT_EQ((*results)[1].name, "fencing");
  EXPECT_EQ((*results)[2].name, "mutex");
  EXPECT_EQ((*results)[3].name, "stats");
  for (const CheckerResult& r : *results) EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  // Worker 1 got the lock while worker 0 still believed it held it, after worker 0's lease ran
  // out: the mutex checker reports the overlap and leaves the verdict to fencing.
  EXPECT_EQ((*results)[2].detail.find("overlaps_after_lease")->as_int(), 1);
  EXPECT_NE((*results)[2].summary.find("safe only with fencing tokens"), std::string::npos)
      << (*results)[2].summary;
}

TEST(LockWorkload, recordedRunPassesBothCheckers) {
  Fixture fx(9, 3);
  Recorder rec(3);
  rec.clock_ns = [&fx] { return fx.store.now_ms * 1000000; };
  for (int i = 0; i < 120; ++i) {
    if (i % 11 == 6) fx.store.faults.push_back(Fault{EventType::kInfo, i % 2 == 0, "timeout"});
    rec.Step(*fx.wl, fx.client, i % 3);
    fx.store.now_ms += 50;
  }
  auto results = fx.wl->Check(rec.history(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  for (const CheckerResult& r : *results) EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_GT(fx.store.locks["l0"].last_token, 5);
}

TEST(LockWorkload, staleWriteAcceptedIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(1), I(0));
  b.Op(1, "acquire", Value(), I(2), I(0)).Op(1, "write", I(2), I(2), I(1));
  b.Op(0, "write", I(1), I(1), I(1));  // the resource let the old holder in
  auto results = MakeLockWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].verdict, Verdict::kValid);  // the lock itself behaved
  EXPECT_EQ((*results)[1].verdict, Verdict::kInvalid);
  EXPECT_NE((*results)[1].summary.find("stale"), std::string::npos);
}

TEST(LockWorkload, tokenGrantedTwiceIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "acquire", Value(), I(3), I(0)).Op(1, "acquire", Value(), I(3), I(0));
  auto results = MakeLockWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].verdict, Verdict::kInvalid);
  EXPECT_EQ((*results)[1].verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::workloads
