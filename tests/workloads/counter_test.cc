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
using checker::testing::S;
using testing::FakeClient;
using testing::FakeStore;
using testing::Fault;
using testing::Recorder;

TEST(CounterWorkload, smallPositiveAddsAndReads) {
  auto wl = MakeCounterWorkload({});
  int reads = 0;
  for (int i = 0; i < 600; ++i) {
    checker::Op op = wl->Next(0);
    if (op.f == "read") {
      ++reads;
    } else {
      ASSERT_EQ(op.f, "add");
      EXPECT_GE(op.value.as_int(), 1);
      EXPECT_LE(op.value.as_int(), 5);
    }
  }
  EXPECT_GT(reads, 100);
  EXPECT_LT(reads, 300);
}

TEST(CounterWorkload, addIsACasLoopFromAbsent) {
  auto wl = MakeCounterWorkload({});
  FakeStore store;
  FakeClient client(&store);
  EXPECT_EQ(wl->Execute(client, 0, MakeOp("read", 7, Value())).value, I(0));
  EXPECT_EQ(wl->Execute(client, 0, MakeOp("add", 7, I(3))).type, EventType::kOk);
  bool bumped = false;
  store.before = [&](const std::string& what) {
    if (what == "cas c7" && !bumped) {
      bumped = true;
      store.kv["c7"] = I(10);  // someone else's add slips in
    }
  };
  Completion c = wl->Execute(client, 0, MakeOp("add", 7, I(2)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(c.value, I(2));
  EXPECT_EQ(store.kv["c7"], I(12));
  EXPECT_EQ(wl->Execute(client, 0, MakeOp("read", 7, Value())).value, I(12));
}

TEST(CounterWorkload, infoAndFailOutcomes) {
  auto wl = MakeCounterWorkload({});
  FakeStore store;
  FakeClient client(&store);
  store.faults = {std::nullopt, Fault{EventType::kInfo, false, "timeout"}};
  Completion c = wl->Execute(client, 0, MakeOp("add", 1, I(4)));
  EXPECT_EQ(c.type, EventType::kInfo);
  EXPECT_EQ(c.value, I(4));
  store.kv["c1"] = S("nope");
  c = wl->Execute(client, 0, MakeOp("add", 1, I(4)));
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "not-a-counter");
}

TEST(CounterWorkload, finalReadsCoverEveryKeyTouched) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 4;  // 2 per worker
  auto wl = MakeCounterWorkload(o);
  EXPECT_TRUE(wl->FinalReads().empty());
  for (int i = 0; i < 5; ++i) wl->Next(0);  // group 0: generations 0..2 -> keys 0, 2, 4
  wl->Next(2);                              // group 1: generation 0 -> key 1
  std::vector<int64_t> keys;
  for (const checker::Op& op : wl->FinalReads()) {
    EXPECT_EQ(op.f, "read");
    keys.push_back(op.key.as_int());
  }
  EXPECT_EQ(keys, (std::vector<int64_t>{0, 1, 2, 4}));
}

TEST(CounterWorkload, recordedRunPassesBothCheckers) {
  WorkloadOptions o;
  o.concurrency = 3;
  o.group_size = 3;
  o.ops_per_key = 30;
  o.seed = 5;
  auto wl = MakeCounterWorkload(o);
  FakeStore store;
  FakeClient n1(&store, "n1"), n2(&store, "n2");
  Recorder rec(o.concurrency);
  for (int i = 0; i < 90; ++i) {
    if (i % 7 == 3) store.faults.push_back(Fault{EventType::kInfo, i % 2 == 1, "timeout"});
    rec.Step(*wl, i % 2 ? n1 : n2, i % o.concurrency);
  }
  rec.FinalReads(*wl, {&n1, &n2});
  auto results = wl->Check(rec.history(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].name, "counter");
  EXPECT_EQ((*results)[1].name, "linearizable");
  EXPECT_EQ((*results)[2].name, "stats");
  for (const CheckerResult& r : *results) EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
}

TEST(CounterWorkload, readOutOfBoundsIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "add", I(2), I(2), I(0)).Op(1, "add", I(3), I(3), I(0));
  b.Op(2, "read", Value(), I(9), I(0));
  auto results = MakeCounterWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].verdict, Verdict::kInvalid);
  EXPECT_NE((*results)[0].summary.find("expected 5..5"), std::string::npos)
      << (*results)[0].summary;
  EXPECT_EQ((*results)[1].verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::workloads
