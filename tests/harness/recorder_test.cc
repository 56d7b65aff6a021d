#include "harness/recorder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "checker/io/load.h"

namespace faultline::harness {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Op;
using checker::Value;

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("fl-rec-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

checker::History Load(const std::string& path) {
  checker::io::LoadOptions o;
  o.format = checker::io::Format::kJsonl;
  base::Result<checker::History> h = checker::io::LoadHistoryFile(path, o);
  EXPECT_TRUE(h.ok()) << h.status().message();
  return h.ok() ? *h : checker::History{};
}

TEST(RecorderTest, WritesTheDesignFormatReadableByTheChecker) {
  const std::string path = TempPath("format");
  {
    auto rec = HistoryRecorder::Open(path);
    ASSERT_TRUE(rec.ok());
    Op cas{"cas", true, Value::Int(7), Value::MakeArray({Value::Int(1), Value::Int(4)})};
    const int64_t t = (*rec)->Invoke(3, cas);
    (*rec)->Complete(3, cas, Completion{EventType::kFail, Value(), "mismatch", "n2"}, t);
    (*rec)->Nemesis("start-partition",
                    Value::MakeObject({{"n1", Value::MakeArray({Value::String("n2")})}}));
    Op read{"read", true, Value::String("k"), Value()};
    const int64_t t2 = (*rec)->Invoke(4, read);
    (*rec)->Complete(4, read, Completion{EventType::kOk, Value::Int(9), "", "n1"}, t2);
    const HistoryRecorder::Counts c = (*rec)->counts();
    EXPECT_EQ(c.invokes, 2u);
    EXPECT_EQ(c.fail, 1u);
    EXPECT_EQ(c.ok, 1u);
    EXPECT_EQ(c.nemesis, 1u);
  }
  const checker::History h = Load(path);
  ASSERT_EQ(h.events.size(), 5u);
  for (size_t i = 0; i < h.events.size(); ++i)
    EXPECT_EQ(h.events[i].index, static_cast<int64_t>(i));
  EXPECT_EQ(h.events[1].type, EventType::kFail);
  EXPECT_EQ(h.events[1].error, "mismatch");
  EXPECT_EQ(h.events[1].value,
            Value::MakeArray({Value::Int(1), Value::Int(4)}));  // fail repeats the argument
  EXPECT_TRUE(h.events[2].nemesis);
  EXPECT_EQ(h.events[4].value, Value::Int(9));
  for (size_t i = 1; i < h.events.size(); ++i) EXPECT_LE(h.events[i - 1].time, h.events[i].time);
  std::filesystem::remove(path);
}

TEST(RecorderTest, ConcurrentWritersNeverInterleaveLines) {
  const std::string path = TempPath("concurrent");
  constexpr int kThreads = 8, kOps = 2000;
  {
    auto rec = HistoryRecorder::Open(path);
    ASSERT_TRUE(rec.ok());
    std::vector<std::thread> threads;
    for (int p = 0; p < kThreads; ++p) {
      threads.emplace_back([&rec, p] {
        for (int i = 0; i < kOps; ++i) {
          Op w{"write", true, Value::Int(p), Value::String(std::string(50 + i % 100, 'x'))};
          const int64_t t = (*rec)->Invoke(p, w);
          (*rec)->Complete(
              p, w, Completion{i % 7 == 0 ? EventType::kInfo : EventType::kOk, Value(), "", "n1"},
              t);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const checker::History h = Load(path);
  ASSERT_EQ(h.events.size(), static_cast<size_t>(2 * kThreads * kOps));
  // Every process alternates invoke / completion in the file: the pairs are intact.
  std::vector<int> open(kThreads, 0);
  for (const checker::Event& e : h.events) {
    if (e.type == EventType::kInvoke) {
      EXPECT_EQ(open[e.process]++, 0);
    } else {
      EXPECT_EQ(open[e.process]--, 1);
    }
  }
  std::filesystem::remove(path);
}

TEST(RecorderTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(HistoryRecorder::Open("/nonexistent-dir/history.jsonl").ok());
}

// The nemesis describes its events as plain data; the harness writes DESIGN section 2's values.
TEST(RecorderTest, NemesisEventValuesFollowTheDesignDialect) {
  nemesis::NemesisEvent partition{"start-partition",
                                  nemesis::Grudge{{"n1", {"n4", "n5"}}, {"n2", {}}, {"n4", {"n1"}}},
                                  std::nullopt};
  EXPECT_EQ(NemesisEventValue(partition).ToJson(), R"({"n1":["n4","n5"],"n4":["n1"]})");
  nemesis::NemesisEvent heal{"stop-partition", std::nullopt, std::nullopt};
  EXPECT_EQ(NemesisEventValue(heal).ToJson(), "null");
  nemesis::NemesisEvent kill{"start-kill", std::nullopt, std::vector<std::string>{"n2", "n3"}};
  EXPECT_EQ(NemesisEventValue(kill).ToJson(), R"(["n2","n3"])");
}

}  // namespace
}  // namespace faultline::harness
