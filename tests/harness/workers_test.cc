// The worker loop: recording, process renumbering after info, pacing to the rate, and backing
// off from a node that refuses.
#include "harness/workers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include "checker/io/load.h"

namespace faultline::harness {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Value;

// Every third answer is indeterminate; the rest succeed at once.
class FlakyClient : public targets::Client {
 public:
  const std::string& node() const override { return node_; }
  Completion Get(const std::string&) override { return Next(); }
  Completion Put(const std::string&, const Value&) override { return Next(); }
  Completion Cas(const std::string&, const Value&, const Value&) override { return Next(); }
  Completion Delete(const std::string&) override { return Next(); }
  Completion Acquire(const std::string&, const std::string&, int64_t) override { return Next(); }
  Completion Release(const std::string&, const std::string&, int64_t) override { return Next(); }
  std::optional<targets::NodeStatus> Status() override { return std::nullopt; }

 private:
  Completion Next() {
    return ++n_ % 3 == 0 ? Completion{EventType::kInfo, Value(), "timeout", node_}
                         : Completion{EventType::kOk, Value(), "", node_};
  }
  std::string node_ = "n1";
  int n_ = 0;
};

// Refuses the connection for its first `refusals` requests (a killed node), then answers ok.
class DownClient : public targets::Client {
 public:
  explicit DownClient(int refusals) : refusals_(refusals) {}
  const std::string& node() const override { return node_; }
  Completion Get(const std::string&) override { return Next(); }
  Completion Put(const std::string&, const Value&) override { return Next(); }
  Completion Cas(const std::string&, const Value&, const Value&) override { return Next(); }
  Completion Delete(const std::string&) override { return Next(); }
  Completion Acquire(const std::string&, const std::string&, int64_t) override { return Next(); }
  Completion Release(const std::string&, const std::string&, int64_t) override { return Next(); }
  std::optional<targets::NodeStatus> Status() override { return std::nullopt; }

 private:
  Completion Next() {
    return n_++ < refusals_ ? Completion{EventType::kFail, Value(), "connection-refused", node_}
                            : Completion{EventType::kOk, Value(), "", node_};
  }
  std::string node_ = "n1";
  int refusals_;
  int n_ = 0;
};

struct RunResult {
  uint64_t completed = 0;
  checker::History history;
  std::vector<int64_t> last_process;
};

RunResult RunFor(int concurrency, double rate, std::chrono::milliseconds duration,
                 int refusals = -1) {
  workloads::WorkloadOptions wo;
  wo.concurrency = concurrency;
  wo.group_size = concurrency;
  auto workload = workloads::MakeWorkload("register", wo);
  EXPECT_TRUE(workload.ok());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("fl-workers-" + std::to_string(::getpid()) + ".jsonl"))
                               .string();
  auto recorder = HistoryRecorder::Open(path);
  EXPECT_TRUE(recorder.ok());
  WorkerShared shared;
  shared.workload = workload->get();
  shared.recorder = recorder->get();
  shared.concurrency = concurrency;
  shared.rate = rate;
  RunResult run;
  run.last_process.resize(concurrency);
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w) {
    std::unique_ptr<targets::Client> client;
    if (refusals >= 0) {
      client = std::make_unique<DownClient>(refusals);
    } else {
      client = std::make_unique<FlakyClient>();
    }
    threads.emplace_back(RunWorker, &shared, w, std::move(client), &run.last_process[w]);
  }
  std::this_thread::sleep_for(duration);
  shared.stop = true;
  for (auto& t : threads) t.join();
  run.completed = shared.completed.load();
  recorder->reset();
  checker::io::LoadOptions lo;
  lo.format = checker::io::Format::kJsonl;
  auto h = checker::io::LoadHistoryFile(path, lo);
  EXPECT_TRUE(h.ok()) << h.status().message();
  if (h.ok()) run.history = std::move(*h);
  std::filesystem::remove(path);
  return run;
}

TEST(WorkersTest, AnInfoRetiresTheProcessAndTheWorkerGoesOnAsProcessPlusConcurrency) {
  const int kConcurrency = 4;
  const RunResult run = RunFor(kConcurrency, 2000, std::chrono::milliseconds(300));
  ASSERT_GT(run.completed, 30u);
  ASSERT_EQ(run.history.events.size(), 2 * run.completed);
  // After an info completion a process number never appears again.
  std::map<int64_t, bool> retired;
  for (const checker::Event& e : run.history.events) {
    EXPECT_FALSE(retired[e.process]) << "process " << e.process << " reused after info";
    if (e.type == EventType::kInfo) retired[e.process] = true;
  }
  for (int w = 0; w < kConcurrency; ++w) EXPECT_EQ(run.last_process[w] % kConcurrency, w);
}

TEST(WorkersTest, TheTotalRateIsNeverExceeded) {
  // 200 ops/s over 5 workers for 0.5 s: at most ~100 operations (plus one per worker for the
  // jittered first slot). The lower side is not asserted: a loaded machine may fall behind.
  const RunResult run = RunFor(5, 200, std::chrono::milliseconds(500));
  EXPECT_LE(run.completed, 100u + 5u + 10u);
  EXPECT_GT(run.completed, 0u);
}

TEST(WorkersTest, ZeroRateMeansAsFastAsPossible) {
  const RunResult slow = RunFor(2, 100, std::chrono::milliseconds(200));
  const RunResult fast = RunFor(2, 0, std::chrono::milliseconds(200));
  EXPECT_GT(fast.completed, 5 * slow.completed);  // a ratio from one run, not a speed
}

TEST(WorkersTest, AWorkerBacksOffFromANodeThatRefusesAndRetriesTheSameOperation) {
  // Refused for good: waits of 100, 200, 400, 800 ms leave room for about 4 attempts in a
  // second (a spinning worker made thousands). Every attempt is the same operation.
  const RunResult down = RunFor(1, 0, std::chrono::milliseconds(1000), 1000000);
  EXPECT_GE(down.completed, 2u);
  EXPECT_LE(down.completed, 6u);
  ASSERT_GE(down.history.events.size(), 2u);
  for (const checker::Event& e : down.history.events) {
    EXPECT_EQ(e.key, down.history.events.front().key);
    EXPECT_EQ(e.f, down.history.events.front().f);
    if (e.type != EventType::kInvoke) {
      EXPECT_EQ(e.error, "connection-refused");
    }
  }
  // Back after three refusals: the first success is the refused operation, and without a
  // refusal there is no wait.
  const RunResult back = RunFor(1, 0, std::chrono::milliseconds(1000), 3);
  EXPECT_GT(back.completed, 10u);  // backing off still would allow at most 6 in the second
  ASSERT_GE(back.history.events.size(), 8u);
  const checker::Event& first = back.history.events[0];
  const checker::Event& ok = back.history.events[7];  // the 4th completion
  EXPECT_EQ(ok.type, EventType::kOk);
  EXPECT_EQ(ok.key, first.key);
  EXPECT_EQ(ok.f, first.f);
  EXPECT_EQ(ok.value, first.value);
}

}  // namespace
}  // namespace faultline::harness
