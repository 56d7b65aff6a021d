#include <gtest/gtest.h>

#include <set>

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
using checker::testing::A;
using checker::testing::HistoryBuilder;
using checker::testing::I;
using testing::FakeClient;
using testing::FakeStore;
using testing::Fault;
using testing::Recorder;

TEST(SetWorkload, uniqueElementsOnRotatingGroupKeys) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 20;  // 10 operations per worker per set
  auto wl = MakeSetWorkload(o);
  std::set<int64_t> seen;
  int reads = 0;
  for (int i = 0; i < 200; ++i) {
    for (int w = 0; w < 4; ++w) {
      checker::Op op = wl->Next(w);
      // Generation i / 10, group w / 2, two groups.
      EXPECT_EQ(op.key, I((i / 10) * 2 + w / 2));
      if (op.f == "read") {
        ++reads;
        continue;
      }
      ASSERT_EQ(op.f, "add");
      EXPECT_EQ(op.value.as_int() / 1'000'000'000, w);
      EXPECT_TRUE(seen.insert(op.value.as_int()).second) << op.value.ToJson();
    }
  }
  EXPECT_GT(reads, 50);
  EXPECT_LT(reads, 200);
  // Every set any group reached is read at the end: 20 generations of 2 groups.
  auto finals = wl->FinalReads();
  ASSERT_EQ(finals.size(), 40u);
  for (size_t k = 0; k < finals.size(); ++k) {
    EXPECT_EQ(finals[k].f, "read");
    EXPECT_EQ(finals[k].key, I(static_cast<int64_t>(k)));
  }
}

TEST(SetWorkload, addCasFromNullThenAppends) {
  auto wl = MakeSetWorkload({});
  FakeStore store;
  FakeClient client(&store);
  Completion c = wl->Execute(client, 0, MakeOp("read", 0, Value()));
  EXPECT_EQ(c.value, A({}));  // absent reads as the empty set
  c = wl->Execute(client, 0, MakeOp("add", 0, I(5)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(c.value, I(5));
  c = wl->Execute(client, 0, MakeOp("add", 0, I(6)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(store.kv["s0"], A({I(5), I(6)}));
  EXPECT_EQ(store.calls,
            (std::vector<std::string>{"get s0", "get s0", "cas s0", "get s0", "cas s0"}));
}

TEST(SetWorkload, addRetriesOnMismatch) {
  auto wl = MakeSetWorkload({});
  FakeStore store;
  FakeClient client(&store);
  int interfere = 2;
  store.before = [&](const std::string& what) {
    // Another client's add lands between our Get and our Cas, twice.
    if (what == "cas s0" && interfere-- > 0) {
      Value::Array a = store.kv.count("s0") ? store.kv["s0"].as_array() : Value::Array{};
      a.push_back(I(100 + interfere));
      store.kv["s0"] = Value::MakeArray(a);
    }
  };
  Completion c = wl->Execute(client, 0, MakeOp("add", 0, I(1)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(store.kv["s0"], A({I(101), I(100), I(1)}));
  EXPECT_EQ(store.calls.size(), 6u);
}

TEST(SetWorkload, indeterminateCasMakesTheAddInfo) {
  auto wl = MakeSetWorkload({});
  FakeStore store;
  FakeClient client(&store);
  store.faults = {std::nullopt, Fault{EventType::kInfo, true, "timeout"}};
  Completion c = wl->Execute(client, 0, MakeOp("add", 0, I(1)));
  EXPECT_EQ(c.type, EventType::kInfo);
  EXPECT_EQ(c.error, "timeout");
  EXPECT_EQ(c.value, I(1));
  EXPECT_EQ(store.calls.size(), 2u);  // no retry after an indeterminate Cas
}

TEST(SetWorkload, definiteFailuresExhaustTheBound) {
  auto wl = MakeSetWorkload({});
  FakeStore store;
  FakeClient client(&store);
  // Gets fail and Cas attempts fail (not applied): the add certainly did not happen.
  for (int i = 0; i < 100; ++i) store.faults.push_back(Fault{});
  Completion c = wl->Execute(client, 0, MakeOp("add", 0, I(1)));
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "retries-exhausted: not-leader");
  EXPECT_EQ(store.calls.size(), static_cast<size_t>(kCasAttemptsMax));
  EXPECT_EQ(store.kv.count("s0"), 0u);
  // An info Get changes nothing: it is retried, and the Cas after it succeeds.
  store.faults = {Fault{EventType::kInfo, false, "timeout"}};
  c = wl->Execute(client, 0, MakeOp("add", 0, I(1)));
  EXPECT_EQ(c.type, EventType::kOk);
}

TEST(SetWorkload, recordedRunPassesBothCheckers) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.seed = 11;
  auto wl = MakeSetWorkload(o);
  FakeStore store;
  FakeClient n1(&store, "n1"), n2(&store, "n2");
  Recorder rec(o.concurrency);
  for (int i = 0; i < 80; ++i) {
    if (i % 9 == 4) store.faults.push_back(Fault{EventType::kInfo, i % 2 == 0, "timeout"});
    rec.Step(*wl, i % 2 ? n1 : n2, i % o.concurrency);
  }
  rec.FinalReads(*wl, {&n1, &n2});
  auto results = wl->Check(rec.history(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].name, "set");
  EXPECT_EQ((*results)[1].name, "linearizable");
  EXPECT_EQ((*results)[2].name, "stats");
  for (const CheckerResult& r : *results) EXPECT_EQ(r.verdict, Verdict::kValid) << r.summary;
  EXPECT_EQ(*(*results)[0].detail.find("final_reads_ok"), I(4));
}

TEST(SetWorkload, lostElementIsInvalid) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1), I(0)).Op(1, "add", I(2), I(2), I(0));
  b.Op(2, "read", Value(), A({I(1), I(2)}), I(0));  // final read on n1
  b.Op(3, "read", Value(), A({I(1)}), I(0));        // final read on n2 lost 2
  auto results = MakeSetWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].verdict, Verdict::kInvalid);
  EXPECT_EQ((*results)[0].summary, "lost 1 of 2 acknowledged adds: 2");
  EXPECT_EQ((*results)[1].verdict, Verdict::kInvalid);
}

TEST(SetWorkload, malformedReadIsInvalidNotAnError) {
  HistoryBuilder b;
  b.Op(0, "add", I(1), I(1), I(0)).Op(2, "read", Value(), I(7), I(0));
  auto results = MakeSetWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  EXPECT_EQ((*results)[0].verdict, Verdict::kInvalid);
  EXPECT_EQ((*results)[1].verdict, Verdict::kUnknown);
}

}  // namespace
}  // namespace faultline::workloads
