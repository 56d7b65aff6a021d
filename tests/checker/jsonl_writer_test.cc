// The history writer shared by the harness's recorder and the simulation: the line format of
// DESIGN.md section 2 with a fixed member order, and a round trip through the reader.
#include "checker/io/jsonl_writer.h"

#include <gtest/gtest.h>

#include "checker/io/load.h"

namespace faultline::checker::io {
namespace {

TEST(JsonlWriter, ClientLineHasTheRecorderMemberOrder) {
  const Value key = Value::String("k7");
  const Value value = Value::MakeArray({Value::Int(1), Value::Int(4)});
  JsonlBody b;
  b.process = 3;
  b.type = EventType::kFail;
  b.f = "cas";
  b.key = &key;
  b.value = &value;
  b.node = "n2";
  b.error = "mismatch";
  b.latency_ns = 1200;
  std::string body;
  AppendJsonlBody(b, &body);
  std::string line;
  AppendJsonlLine(5, 1987345, body, &line);
  EXPECT_EQ(line,
            "{\"index\":5,\"time\":1987345,\"process\":3,\"type\":\"fail\",\"f\":\"cas\","
            "\"key\":\"k7\",\"value\":[1,4],\"node\":\"n2\",\"error\":\"mismatch\","
            "\"latency_ns\":1200}\n");
}

TEST(JsonlWriter, NemesisLine) {
  const Value grudge =
      Value::MakeObject({{"n1", Value::MakeArray({Value::String("n4"), Value::String("n5")})}});
  JsonlBody b;
  b.nemesis = true;
  b.type = EventType::kInfo;
  b.f = "start-partition";
  b.value = &grudge;
  std::string body;
  AppendJsonlBody(b, &body);
  std::string line;
  AppendJsonlLine(2, 2000101, body, &line);
  EXPECT_EQ(line,
            "{\"index\":2,\"time\":2000101,\"process\":\"nemesis\",\"type\":\"info\","
            "\"f\":\"start-partition\",\"value\":{\"n1\":[\"n4\",\"n5\"]}}\n");
}

TEST(JsonlWriter, HistoryRoundTripsThroughTheReader) {
  History h;
  auto add = [&h](int64_t process, bool nemesis, EventType type, std::string f, Value value,
                  std::string error) {
    Event e;
    e.index = static_cast<int64_t>(h.events.size());
    e.time = 1000 * e.index;
    e.process = process;
    e.nemesis = nemesis;
    e.type = type;
    e.f = std::move(f);
    if (!nemesis) {
      e.has_key = true;
      e.key = Value::String("k0");
    }
    e.value = std::move(value);
    e.error = std::move(error);
    h.events.push_back(std::move(e));
  };
  add(0, false, EventType::kInvoke, "write", Value::Int(3), "");
  add(0, true, EventType::kInfo, "start-kill", Value::MakeArray({Value::String("n1")}), "");
  add(0, false, EventType::kOk, "write", Value::Int(3), "");
  add(1, false, EventType::kInvoke, "read", Value::Null(), "");
  add(1, false, EventType::kInfo, "read", Value::Null(), "timeout");
  const std::string text = HistoryToJsonl(h);
  base::Result<History> back = ParseJsonl(text, "round-trip");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->events.size(), h.events.size());
  for (size_t i = 0; i < h.events.size(); ++i) {
    const Event& a = h.events[i];
    const Event& b = back->events[i];
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.nemesis, b.nemesis);
    if (!a.nemesis) EXPECT_EQ(a.process, b.process);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.f, b.f);
    EXPECT_EQ(a.has_key, b.has_key);
    EXPECT_EQ(a.value.ToJson(), b.value.ToJson());
    EXPECT_EQ(a.error, b.error);
  }
  EXPECT_EQ(HistoryToJsonl(*back), text);
}

}  // namespace
}  // namespace faultline::checker::io
