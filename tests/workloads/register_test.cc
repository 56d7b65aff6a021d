#include <gtest/gtest.h>

#include <map>

#include "tests/checker/history_builder.h"
#include "tests/workloads/fake_client.h"
#include "tests/workloads/recorder.h"
#include "workloads/common.h"

namespace faultline::workloads {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Value;
using checker::testing::HistoryBuilder;
using checker::testing::I;
using checker::testing::Pair;
using testing::FakeClient;
using testing::FakeStore;
using testing::Fault;
using testing::Recorder;

TEST(RegisterWorkload, mixIsRoughlyAThirdEach) {
  WorkloadOptions o;
  o.concurrency = 1;
  auto wl = MakeRegisterWorkload(o);
  std::map<std::string, int> counts;
  for (int i = 0; i < 3000; ++i) {
    checker::Op op = wl->Next(0);
    ++counts[op.f];
    if (op.f == "write") {
      EXPECT_TRUE(op.value.is_int() && op.value.as_int() > 0);
    }
    if (op.f == "cas") {
      EXPECT_EQ(op.value.as_array().size(), 2u);
    }
  }
  for (const char* f : {"read", "write", "cas"}) EXPECT_GT(counts[f], 800) << f;
}

// Every value written (write, or cas target) is unique across workers, and a cas moves from
// the last value its worker saw on the key: what the checker's unique-value fast path needs.
TEST(RegisterWorkload, writesUniqueValuesAndCasFromWhatWasSeen) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 4;
  o.ops_per_key = 40;
  auto wl = MakeRegisterWorkload(o);
  FakeStore store;
  FakeClient client(&store);
  std::map<std::string, int> written;
  std::map<int, Value> seen;  // per worker, on its current key
  std::map<int, int64_t> key_of;
  for (int i = 0; i < 400; ++i) {
    const int worker = i % 4;
    checker::Op op = wl->Next(worker);
    if (key_of.count(worker) == 0 || key_of[worker] != op.key.as_int()) seen[worker] = Value();
    key_of[worker] = op.key.as_int();
    if (op.f == "write") ++written[op.value.ToJson()];
    if (op.f == "cas") {
      ++written[op.value.as_array()[1].ToJson()];
      EXPECT_EQ(op.value.as_array()[0], seen[worker]) << i;
    }
    Completion c = wl->Execute(client, worker, op);
    if (c.type != EventType::kOk) continue;
    if (op.f == "read") seen[worker] = c.value;
    if (op.f == "write") seen[worker] = op.value;
    if (op.f == "cas") seen[worker] = op.value.as_array()[1];
  }
  EXPECT_GT(written.size(), 200u);
  for (const auto& [v, count] : written) EXPECT_EQ(count, 1) << v;
}

TEST(RegisterWorkload, executeMapsToGetPutCas) {
  auto wl = MakeRegisterWorkload({});
  FakeStore store;
  FakeClient client(&store);
  Completion c = wl->Execute(client, 0, MakeOp("read", 7, Value()));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_TRUE(c.value.is_null());
  c = wl->Execute(client, 0, MakeOp("write", 7, I(3)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(c.value, I(3));
  EXPECT_EQ(store.kv["r7"], I(3));
  c = wl->Execute(client, 0, MakeOp("cas", 7, Pair(1, 2)));
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "mismatch");
  c = wl->Execute(client, 0, MakeOp("cas", 7, Pair(3, 4)));
  EXPECT_EQ(c.type, EventType::kOk);
  EXPECT_EQ(c.value, Pair(3, 4));
  c = wl->Execute(client, 0, MakeOp("read", 7, Value()));
  EXPECT_EQ(c.value, I(4));
  EXPECT_EQ(store.calls,
            (std::vector<std::string>{"get r7", "put r7", "cas r7", "cas r7", "get r7"}));
}

TEST(RegisterWorkload, faultsPassThrough) {
  auto wl = MakeRegisterWorkload({});
  FakeStore store;
  FakeClient client(&store);
  store.faults.push_back(Fault{EventType::kInfo, true, "timeout"});
  Completion c = wl->Execute(client, 0, MakeOp("write", 1, I(2)));
  EXPECT_EQ(c.type, EventType::kInfo);
  EXPECT_EQ(c.error, "timeout");
  EXPECT_EQ(c.value, I(2));
  store.faults.push_back(Fault{});
  c = wl->Execute(client, 0, MakeOp("read", 1, Value()));
  EXPECT_EQ(c.type, EventType::kFail);
  EXPECT_EQ(c.error, "not-leader");
}

TEST(RegisterWorkload, recordedRunIsLinearizable) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 20;
  o.seed = 3;
  auto wl = MakeRegisterWorkload(o);
  FakeStore store;
  FakeClient client(&store);
  Recorder rec(o.concurrency);
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 5) store.faults.push_back(Fault{EventType::kInfo, i % 20 == 5, "timeout"});
    rec.Step(*wl, client, i % o.concurrency);
  }
  auto results = wl->Check(rec.history(), {});
  ASSERT_TRUE(results.ok()) << results.status().message();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[1].name, "stats");
  EXPECT_EQ((*results)[1].verdict, checker::Verdict::kValid) << (*results)[1].summary;
  const CheckerResult& r = (*results)[0];
  EXPECT_EQ(r.name, "linearizable");
  EXPECT_EQ(r.verdict, checker::Verdict::kValid) << r.summary;
  EXPECT_EQ(*r.detail.find("valid"), Value::Bool(true));
  EXPECT_EQ(r.detail.find("keys")->as_object().size(), 6u);  // 2 groups x 3 generations
}

TEST(RegisterWorkload, staleReadIsNotLinearizable) {
  HistoryBuilder b;
  b.Op(0, "write", I(1), I(1), I(0)).Op(1, "write", I(2), I(2), I(0));
  b.Op(0, "read", Value(), I(1), I(0));
  auto results = MakeRegisterWorkload({})->Check(b.Build(), {});
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].verdict, checker::Verdict::kInvalid);
  EXPECT_NE((*results)[0].summary.find("not linearizable"), std::string::npos);
}

TEST(RegisterWorkload, finalReadsCoverEveryKeyTouched) {
  WorkloadOptions o;
  o.concurrency = 4;
  o.group_size = 2;
  o.ops_per_key = 4;  // 2 per worker
  auto wl = MakeRegisterWorkload(o);
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

// Issue 12: a leader that acknowledged writes before saving them restarts without them, and the
// workers have moved to fresh keys by then. Only the final reads look at the old keys again.
TEST(RegisterWorkload, lostAcknowledgedWriteIsFoundByTheFinalReads) {
  WorkloadOptions o;
  o.concurrency = 2;
  o.group_size = 2;
  o.ops_per_key = 20;  // 10 per worker
  o.seed = 4;
  auto wl = MakeRegisterWorkload(o);
  FakeStore store;
  FakeClient n1(&store, "n1"), n2(&store, "n2");
  Recorder rec(o.concurrency);
  for (int i = 0; i < 20; ++i) rec.Step(*wl, i % 2 ? n1 : n2, i % 2);  // key 0, all of it
  auto check = [&] {
    auto results = wl->Check(rec.history(), {});
    EXPECT_TRUE(results.ok()) << results.status().message();
    return results.ok() ? (*results)[0].verdict : checker::Verdict::kUnknown;
  };
  ASSERT_TRUE(store.kv.count("r0")) << "no write on key 0 took effect";
  // The leader restarts without what it acknowledged; the workers go on with key 1.
  store.kv.erase("r0");
  for (int i = 0; i < 20; ++i) rec.Step(*wl, i % 2 ? n1 : n2, i % 2);
  EXPECT_EQ(check(), checker::Verdict::kValid) << "the workers alone cannot see the loss";
  rec.FinalReads(*wl, {&n1, &n2});
  EXPECT_EQ(check(), checker::Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::workloads
