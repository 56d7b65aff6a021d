#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checker/io/load.h"

namespace faultline::checker::io {
namespace {

using base::Result;
using base::Status;

History Parse(std::string_view text) {
  Result<History> r = ParseJsonl(text, "h.jsonl");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : History{};
}

std::string Error(std::string_view text) {
  Result<History> r = ParseJsonl(text, "h.jsonl");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

Value Json(std::string_view text) { return *ParseJson(text); }

TEST(JsonlTest, parse_designExample) {
  const History h = Parse(
      R"({"index":0,"time":1523001,"process":3,"type":"invoke","f":"cas","key":"k7","value":[1,4]})"
      "\n"
      R"({"index":1,"time":1987345,"process":3,"type":"ok","f":"cas","key":"k7",)"
      R"("value":[1,4],"node":"n2"})"
      "\n"
      R"({"index":2,"time":2000101,"process":"nemesis","type":"info","f":"start-partition",)"
      R"("value":{"n1":["n4","n5"]}})"
      "\n");
  EXPECT_EQ(h.source, "h.jsonl");
  ASSERT_EQ(h.events.size(), 3u);
  const Event& a = h.events[0];
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.time, 1523001);
  EXPECT_EQ(a.process, 3);
  EXPECT_FALSE(a.nemesis);
  EXPECT_EQ(a.type, EventType::kInvoke);
  EXPECT_EQ(a.f, "cas");
  EXPECT_TRUE(a.has_key);
  EXPECT_EQ(a.key, Value::String("k7"));
  EXPECT_EQ(a.value, Json("[1,4]"));
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.line, 1);
  EXPECT_EQ(h.events[1].type, EventType::kOk);
  EXPECT_EQ(h.events[1].line, 2);
  const Event& n = h.events[2];
  EXPECT_TRUE(n.nemesis);
  EXPECT_EQ(n.type, EventType::kInfo);
  EXPECT_EQ(n.f, "start-partition");
  EXPECT_FALSE(n.has_key);
  EXPECT_EQ(n.value, Json(R"({"n1":["n4","n5"]})"));
}

TEST(JsonlTest, parse_defaults) {
  const History h = Parse(
      "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n"
      "\n"
      "   \t\n"
      "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":3}");  // no final newline
  ASSERT_EQ(h.events.size(), 2u);
  EXPECT_EQ(h.events[0].index, 0);
  EXPECT_EQ(h.events[0].time, -1);
  EXPECT_TRUE(h.events[0].value.is_null());
  EXPECT_FALSE(h.events[0].has_key);
  EXPECT_EQ(h.events[0].line, 1);
  // Blank lines are skipped: the default index counts events, the line counts lines.
  EXPECT_EQ(h.events[1].index, 1);
  EXPECT_EQ(h.events[1].line, 4);
  EXPECT_EQ(h.events[1].value, Value::Int(3));
}

TEST(JsonlTest, parse_explicitIndexIsKept) {
  const History h = Parse(
      "{\"index\":41,\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}\n");
  EXPECT_EQ(h.events[0].index, 41);
  EXPECT_EQ(h.events[1].index, 1);
}

TEST(JsonlTest, parse_emptyInputIsAnEmptyHistory) {
  EXPECT_TRUE(Parse("").events.empty());
  EXPECT_TRUE(Parse("\n\n  \n").events.empty());
}

TEST(JsonlTest, parse_crlfAndWhitespace) {
  const History h = Parse(" { \"process\" : 2 , \"type\" : \"fail\" , \"f\" : \"cas\" } \r\n");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].type, EventType::kFail);
  EXPECT_EQ(h.events[0].process, 2);
}

TEST(JsonlTest, parse_byteOrderMarkIsSkipped) {
  EXPECT_EQ(Parse("\xEF\xBB\xBF{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n").events.size(),
            1u);
}

TEST(JsonlTest, parse_keysAndErrors) {
  const History h =
      Parse(R"({"process":0,"type":"invoke","f":"write","key":5,"value":1})"
            "\n"
            R"({"process":0,"type":"fail","f":"write","key":5,"error":"mismatch"})"
            "\n"
            R"({"process":1,"type":"invoke","f":"write","key":null,"error":null})"
            "\n"
            R"({"process":1,"type":"info","f":"write","error":{"code":7,"msg":"timeout"}})"
            "\n"
            R"({"process":-4,"type":"info","f":"write","error":["x",1]})"
            "\n");
  EXPECT_TRUE(h.events[0].has_key);
  EXPECT_EQ(h.events[0].key, Value::Int(5));
  EXPECT_EQ(h.events[1].error, "mismatch");
  EXPECT_FALSE(h.events[2].has_key);
  EXPECT_EQ(h.events[2].error, "");
  EXPECT_EQ(h.events[3].error, R"({"code":7,"msg":"timeout"})");
  EXPECT_EQ(h.events[4].process, -4);
  EXPECT_EQ(h.events[4].error, R"(["x",1])");
}

// Issue 13, point 6: any string process was taken for the nemesis, which hid a client's
// operations from the checker (a false VALID). Only "nemesis" is.
TEST(JsonlTest, error_aStringProcessOtherThanNemesis) {
  const History h = Parse(R"({"process":"nemesis","type":"info","f":"kill"})"
                          "\n");
  EXPECT_TRUE(h.events[0].nemesis);
  EXPECT_EQ(Error(R"({"process":"chaos-monkey","type":"info","f":"kill"})"),
            "h.jsonl:1: \"process\" must be an integer or \"nemesis\"");
  EXPECT_EQ(Error(R"({"process":"1","type":"invoke","f":"write","value":2})"),
            "h.jsonl:1: \"process\" must be an integer or \"nemesis\"");
  EXPECT_EQ(Error(R"({"process":null,"type":"invoke","f":"write","value":2})"),
            "h.jsonl:1: \"process\" must be an integer or \"nemesis\"");
}

TEST(JsonlTest, parse_escapesInFieldsAndNames) {
  const History h = Parse(
      R"({"pro\u0063ess":1,"type":"o\u006b","f":"a\"b\u00e9","key":"k\n","value":"\ud83d\ude00"})"
      "\n");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].process, 1);
  EXPECT_EQ(h.events[0].type, EventType::kOk);
  EXPECT_EQ(h.events[0].f, "a\"b\xC3\xA9");
  EXPECT_EQ(h.events[0].key, Value::String("k\n"));
  EXPECT_EQ(h.events[0].value, Value::String("\xF0\x9F\x98\x80"));
}

TEST(JsonlTest, parse_unknownFieldsAreSkippedButValidated) {
  const History h =
      Parse(R"({"node":"n2","latency_ns":12.5e3,"extra":{"a":[1,{"b":[true,false,null]}],)"
            R"("s":"\u0041"},"process":0,"type":"invoke","f":"read"})"
            "\n");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].f, "read");
  EXPECT_EQ(Error(R"({"process":0,"type":"invoke","f":"read","extra":[1,}"})"),
            "h.jsonl:1: invalid JSON at column 52: unexpected '}'");
  EXPECT_EQ(Error(R"({"process":0,"type":"invoke","f":"read","extra":"a)"),
            "h.jsonl:1: invalid JSON at column 51: unterminated string");
}

TEST(JsonlTest, parse_largeIntegersAndFloatsInValues) {
  const History h =
      Parse(R"({"index":123456789012345678,"time":9223372036854775807,"process":0,"type":"ok",)"
            R"("f":"read","value":[1.5,-2,99999999999999999999.0]})"
            "\n");
  EXPECT_EQ(h.events[0].index, 123456789012345678);
  EXPECT_EQ(h.events[0].time, 9223372036854775807);
  const Value::Array& a = h.events[0].value.as_array();
  EXPECT_EQ(a[0], Value::Double(1.5));
  EXPECT_EQ(a[1], Value::Int(-2));
  EXPECT_TRUE(a[2].is_double());
  // An integer beyond 64 bits cannot be compared exactly: refused (issue 13).
  EXPECT_EQ(Error(R"({"process":0,"type":"ok","f":"read","value":[1,18446744073709551617]})"),
            "h.jsonl:1: invalid JSON at column 48: integer beyond 64 bits is not supported (it "
            "cannot be compared exactly)");
}

TEST(JsonlTest, parse_manyLines) {
  std::string text;
  for (int i = 0; i < 10000; ++i) {
    text += R"({"index":)" + std::to_string(i) + R"(,"time":)" + std::to_string(i * 10) +
            R"(,"process":)" + std::to_string(i / 2 % 7) + R"(,"type":")" +
            (i % 2 ? "ok" : "invoke") + R"(","f":"cas","key":"k)" + std::to_string(i % 13) +
            R"(","value":[)" + std::to_string(i % 5) + "," + std::to_string(i % 3) + "]}\n";
  }
  const History h = Parse(text);
  ASSERT_EQ(h.events.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    const Event& e = h.events[static_cast<size_t>(i)];
    ASSERT_EQ(e.index, i);
    ASSERT_EQ(e.line, i + 1);
    ASSERT_EQ(e.time, i * 10);
    ASSERT_EQ(e.type, i % 2 ? EventType::kOk : EventType::kInvoke);
    ASSERT_EQ(e.key, Value::String("k" + std::to_string(i % 13)));
    ASSERT_EQ(e.value, Value::MakeArray({Value::Int(i % 5), Value::Int(i % 3)}));
  }
}

// Inputs of 8 MiB and more are cut into chunks parsed in parallel: line numbers, default indexes
// and the choice of the first error must not depend on where the cuts fall.
TEST(JsonlTest, parse_largeInputMatchesLineByLineMeaning) {
  constexpr int kLines = 120000;  // about 11 MB
  std::string text;
  text.reserve(static_cast<size_t>(kLines) * 100);
  std::vector<int> event_lines;  // 1-based line of each event
  for (int i = 1; i <= kLines; ++i) {
    if (i % 997 == 0) {
      text += (i % 2 ? "\n" : "  \r\n");  // blank lines shift indexes from line numbers
      continue;
    }
    event_lines.push_back(i);
    text += R"({"time":)" + std::to_string(i) + R"(,"process":)" + std::to_string(i % 9) +
            R"(,"type":"invoke","f":"write","key":"key-number-)" + std::to_string(i % 100) +
            R"(","value":[)" + std::to_string(i) + R"(,1,2]})" + "\n";
  }
  ASSERT_GE(text.size(), size_t{8} << 20);
  const History h = Parse(text);
  ASSERT_EQ(h.events.size(), event_lines.size());
  for (size_t k = 0; k < h.events.size(); ++k) {
    const Event& e = h.events[k];
    ASSERT_EQ(e.index, static_cast<int64_t>(k));
    ASSERT_EQ(e.line, event_lines[k]);
    ASSERT_EQ(e.time, event_lines[k]);
    ASSERT_EQ(e.value.as_array()[0], Value::Int(event_lines[k]));
  }

  // Errors near the start and the end: the first one in the file is reported.
  std::string bad = text;
  const std::string late = R"({"time":1,"process":0,"type":"late","f":"write"})";
  const std::string early = R"({"time":1,"process":0,"type":"early","f":"write"})";
  bad += late + "\n";
  EXPECT_EQ(Error(bad), "h.jsonl:" + std::to_string(kLines + 1) +
                            ": \"type\" must be one of invoke, ok, fail, info");
  bad.insert(0, early + "\n");
  EXPECT_EQ(Error(bad), "h.jsonl:1: \"type\" must be one of invoke, ok, fail, info");
}

TEST(JsonlTest, error_typeMustBeKnown) {
  std::string text;
  for (int i = 0; i < 16; ++i)
    text += R"({"process":0,"type":"invoke","f":"read"})"
            "\n";
  text += R"({"process":0,"type":"done","f":"read"})"
          "\n";
  EXPECT_EQ(Error(text), "h.jsonl:17: \"type\" must be one of invoke, ok, fail, info");
  EXPECT_EQ(Error(R"({"process":0,"type":3,"f":"read"})"),
            "h.jsonl:1: \"type\" must be one of invoke, ok, fail, info");
  EXPECT_EQ(Error(R"({"process":0,"type":"OK","f":"read"})"),
            "h.jsonl:1: \"type\" must be one of invoke, ok, fail, info");
}

TEST(JsonlTest, error_invalidJsonNamesTheColumn) {
  EXPECT_EQ(Error("\n\n{\"process\" 1}\n"), "h.jsonl:3: invalid JSON at column 12: expected ':'");
  EXPECT_EQ(Error(R"({"process":0,"type":"invoke","f":"read")"),
            "h.jsonl:1: invalid JSON at column 40: unexpected end of line, expected ',' or '}'");
  EXPECT_EQ(Error(R"({"process":0 "type":"invoke"})"),
            "h.jsonl:1: invalid JSON at column 14: expected ',' or '}'");
  EXPECT_EQ(Error(R"({"process":0,"type":"invoke","f":"read"} x)"),
            "h.jsonl:1: invalid JSON at column 42: unexpected characters after the object");
  EXPECT_EQ(Error(R"({"process":0,process:1})"),
            "h.jsonl:1: invalid JSON at column 14: expected '\"'");
  EXPECT_EQ(Error(R"({"process":01})"),
            "h.jsonl:1: invalid JSON at column 12: invalid number (leading zero)");
  EXPECT_EQ(Error("{\"process\":0,\"f\":\"a\tb\"}"),
            "h.jsonl:1: invalid JSON at column 20: control character byte 0x09 in string");
  EXPECT_EQ(Error("{\"process\":0,\"f\":\"\xFF\"}"),
            "h.jsonl:1: invalid JSON at column 19: invalid UTF-8 in string");
  EXPECT_EQ(Error(R"({"process":0,"value":[1,2)"),
            "h.jsonl:1: invalid JSON at column 26: unexpected end of input, expected ',' or ']'");
  EXPECT_EQ(Error("{"), "h.jsonl:1: invalid JSON at column 2: unexpected end of line");
}

TEST(JsonlTest, error_lineMustBeAnObject) {
  EXPECT_EQ(Error("[1,2]\n"), "h.jsonl:1: expected a JSON object (one operation per line)");
  EXPECT_EQ(Error("null\n"), "h.jsonl:1: expected a JSON object (one operation per line)");
  // A history pretty-printed across lines is not JSON Lines.
  EXPECT_EQ(Error("{\n\"process\":0}\n"),
            "h.jsonl:1: invalid JSON at column 2: unexpected end of line");
}

TEST(JsonlTest, error_requiredFields) {
  EXPECT_EQ(Error(R"({"process":0,"f":"read"})"), "h.jsonl:1: missing \"type\"");
  EXPECT_EQ(Error(R"({"process":0,"type":"ok"})"), "h.jsonl:1: missing \"f\"");
  EXPECT_EQ(Error(R"({"type":"ok","f":"read"})"), "h.jsonl:1: missing \"process\"");
  EXPECT_EQ(Error("{}"), "h.jsonl:1: missing \"type\"");
}

TEST(JsonlTest, error_fieldTypes) {
  EXPECT_EQ(Error(R"({"index":1.5,"process":0,"type":"ok","f":"read"})"),
            "h.jsonl:1: \"index\" must be an integer");
  EXPECT_EQ(Error(R"({"index":"3","process":0,"type":"ok","f":"read"})"),
            "h.jsonl:1: \"index\" must be an integer");
  EXPECT_EQ(Error(R"({"time":"now","process":0,"type":"ok","f":"read"})"),
            "h.jsonl:1: \"time\" must be an integer (nanoseconds)");
  EXPECT_EQ(Error(R"({"process":true,"type":"ok","f":"read"})"),
            "h.jsonl:1: \"process\" must be an integer or \"nemesis\"");
  EXPECT_EQ(Error(R"({"process":1.0,"type":"ok","f":"read"})"),
            "h.jsonl:1: \"process\" must be an integer or \"nemesis\"");
  EXPECT_EQ(Error(R"({"process":0,"type":"ok","f":["read"]})"),
            "h.jsonl:1: \"f\" must be a string");
  EXPECT_EQ(Error(R"({"process":0,"type":"ok","f":"read","key":[1]})"),
            "h.jsonl:1: \"key\" must be a string or an integer");
  EXPECT_EQ(Error(R"({"process":0,"type":"ok","f":"read","key":1.5})"),
            "h.jsonl:1: \"key\" must be a string or an integer");
  EXPECT_EQ(Error(R"({"process":0,"type":"ok","type":"ok","f":"read"})"),
            "h.jsonl:1: duplicate field \"type\"");
}

TEST(JsonlTest, parse_nullOptionalFieldsAreAbsent) {
  const History h = Parse(
      R"({"index":null,"time":null,"key":null,"error":null,"process":0,"type":"ok","f":"read"})");
  EXPECT_EQ(h.events[0].index, 0);
  EXPECT_EQ(h.events[0].time, -1);
  EXPECT_FALSE(h.events[0].has_key);
  EXPECT_EQ(h.events[0].error, "");
}

}  // namespace
}  // namespace faultline::checker::io
