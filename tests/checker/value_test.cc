#include "checker/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace faultline::checker {
namespace {

using base::Result;
using base::Status;

Value Parse(std::string_view text) {
  Result<Value> r = ParseJson(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : Value();
}

std::string ParseError(std::string_view text) {
  Result<Value> r = ParseJson(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  return r.status().message();
}

TEST(ValueTest, parse_scalars) {
  EXPECT_TRUE(Parse("null").is_null());
  EXPECT_EQ(Parse("true"), Value::Bool(true));
  EXPECT_EQ(Parse("false"), Value::Bool(false));
  EXPECT_EQ(Parse("0"), Value::Int(0));
  EXPECT_EQ(Parse("-0"), Value::Int(0));
  EXPECT_EQ(Parse("123"), Value::Int(123));
  EXPECT_EQ(Parse("-45"), Value::Int(-45));
  EXPECT_EQ(Parse("9223372036854775807"), Value::Int(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(Parse("-9223372036854775808"), Value::Int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(Parse("1.5"), Value::Double(1.5));
  EXPECT_EQ(Parse("1e3"), Value::Double(1000.0));
  EXPECT_EQ(Parse("-2.5E-3"), Value::Double(-0.0025));
  EXPECT_EQ(Parse("\"abc\""), Value::String("abc"));
  EXPECT_EQ(Parse("  \t\r\n 7 \n"), Value::Int(7));
}

// Issue 13: as doubles, 2^63 and 2^63 + 1 compared equal (a false VALID). Refused instead.
TEST(ValueTest, parse_integerBeyondInt64IsAnError) {
  EXPECT_EQ(ParseError("9223372036854775808"),
            "offset 0: integer beyond 64 bits is not supported (it cannot be compared exactly)");
  EXPECT_EQ(ParseError("[1,-99999999999999999999]"),
            "offset 3: integer beyond 64 bits is not supported (it cannot be compared exactly)");
  // A fraction or an exponent says "double": those stay numbers.
  EXPECT_TRUE(Parse("9223372036854775808.0").is_double());
  EXPECT_TRUE(Parse("1e19").is_double());
}

TEST(ValueTest, parse_tinyNumberUnderflowsToZero) {
  EXPECT_EQ(Parse("1e-400"), Value::Double(0.0));
  EXPECT_EQ(Parse("-1e-400"), Value::Double(-0.0));
}

TEST(ValueTest, parse_containers) {
  const Value v = Parse(R"({"a":[1,2,{"b":null}],"c":{},"d":[]})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.as_object().size(), 3u);
  const Value* a = v.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->is_array());
  ASSERT_EQ(a->as_array().size(), 3u);
  EXPECT_EQ(a->as_array()[1], Value::Int(2));
  EXPECT_TRUE(a->as_array()[2].find("b")->is_null());
  EXPECT_TRUE(v.find("c")->is_object());
  EXPECT_TRUE(v.find("d")->as_array().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(Value::Int(1).find("a"), nullptr);
}

TEST(ValueTest, parse_escapes) {
  EXPECT_EQ(Parse(R"("a\"b\\c\/d\b\f\n\r\t")"), Value::String("a\"b\\c/d\b\f\n\r\t"));
  EXPECT_EQ(Parse(R"("\u0041\u00e9\u20AC")"), Value::String("A\xC3\xA9\xE2\x82\xAC"));
  // U+1F600 as a UTF-16 surrogate pair becomes one 4-byte UTF-8 sequence.
  EXPECT_EQ(Parse(R"("\ud83d\ude00")"), Value::String("\xF0\x9F\x98\x80"));
  EXPECT_EQ(Parse(R"("\u0000")"), Value::String(std::string(1, '\0')));
  // Raw UTF-8 passes through unchanged.
  EXPECT_EQ(Parse("\"caf\xC3\xA9 \xF0\x9F\x98\x80\""),
            Value::String("caf\xC3\xA9 \xF0\x9F\x98\x80"));
}

TEST(ValueTest, parse_errorsNameOffsetAndReason) {
  EXPECT_EQ(ParseError(""), "offset 0: unexpected end of input");
  EXPECT_EQ(ParseError("   "), "offset 3: unexpected end of input");
  EXPECT_EQ(ParseError("[1,]"), "offset 3: unexpected ']'");
  EXPECT_EQ(ParseError("[1 2]"), "offset 3: expected ',' or ']'");
  EXPECT_EQ(ParseError("[1"), "offset 2: unexpected end of input, expected ',' or ']'");
  EXPECT_EQ(ParseError(R"({"a" 1})"), "offset 5: expected ':'");
  EXPECT_EQ(ParseError(R"({"a":1,})"), "offset 7: expected '\"'");
  EXPECT_EQ(ParseError(R"({a:1})"), "offset 1: expected '\"'");
  EXPECT_EQ(ParseError(R"({"a":1 "b":2})"), "offset 7: expected ',' or '}'");
  EXPECT_EQ(ParseError("1 2"), "offset 2: unexpected trailing characters");
  EXPECT_EQ(ParseError("{} x"), "offset 3: unexpected trailing characters");
  EXPECT_EQ(ParseError("tru"), "offset 0: unexpected 't'");
  EXPECT_EQ(ParseError("nul"), "offset 0: unexpected 'n'");
  EXPECT_EQ(ParseError("01"), "offset 0: invalid number (leading zero)");
  EXPECT_EQ(ParseError("-"), "offset 0: invalid number");
  EXPECT_EQ(ParseError("1."), "offset 0: invalid number");
  EXPECT_EQ(ParseError("1e"), "offset 0: invalid number");
  EXPECT_EQ(ParseError("+1"), "offset 0: unexpected '+'");
  EXPECT_EQ(ParseError(".5"), "offset 0: unexpected '.'");
  EXPECT_EQ(ParseError("1e400"), "offset 0: number out of range");
  EXPECT_EQ(ParseError("\"abc"), "offset 4: unterminated string");
  EXPECT_EQ(ParseError("\"a\x01z\""), "offset 2: control character byte 0x01 in string");
  EXPECT_EQ(ParseError("\"a\nb\""), "offset 2: control character byte 0x0A in string");
  EXPECT_EQ(ParseError(R"("a\x")"), "offset 2: invalid escape \\x");
  // A byte that is not printable is described, so the message stays UTF-8 (found by fuzzing).
  EXPECT_EQ(ParseError("\"a\\\xa4\""), "offset 2: invalid escape: a backslash before byte 0xA4");
  EXPECT_EQ(ParseError(R"("\u12G4")"), "offset 1: invalid \\u escape");
  EXPECT_EQ(ParseError(R"("\ud83d")"), "offset 1: unpaired surrogate in \\u escape");
  EXPECT_EQ(ParseError(R"("\ude00")"), "offset 1: unpaired surrogate in \\u escape");
  EXPECT_EQ(ParseError(R"("\ud83d\u0041")"), "offset 1: unpaired surrogate in \\u escape");
  EXPECT_EQ(ParseError("\"\xFF\""), "offset 1: invalid UTF-8 in string");
  EXPECT_EQ(ParseError("\"\xC0\xAF\""), "offset 1: invalid UTF-8 in string");      // overlong
  EXPECT_EQ(ParseError("\"\xED\xA0\x80\""), "offset 1: invalid UTF-8 in string");  // surrogate
  EXPECT_EQ(ParseError("\"\xE2\x82\""), "offset 1: invalid UTF-8 in string");      // truncated
  EXPECT_EQ(ParseError(R"({"a":1,"a":2})"), "offset 7: duplicate key \"a\"");
  EXPECT_EQ(ParseError("\x01"), "offset 0: unexpected byte 0x01");
}

TEST(ValueTest, parse_duplicateKeyInLargeObject) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k3\":0}";
  EXPECT_NE(ParseError(text).find("duplicate key \"k3\""), std::string::npos);
}

TEST(ValueTest, parse_depthIsBounded) {
  const auto nested = [](int depth) {
    return std::string(static_cast<size_t>(depth), '[') +
           std::string(static_cast<size_t>(depth), ']');
  };
  EXPECT_TRUE(ParseJson(nested(512)).ok());
  EXPECT_EQ(ParseError(nested(513)), "offset 512: nesting deeper than 512");
  std::string objects;
  for (int i = 0; i < 600; ++i) objects += "{\"a\":";
  EXPECT_NE(ParseError(objects).find("nesting deeper than 512"), std::string::npos);
  // A deep input must fail cleanly, not exhaust the stack.
  EXPECT_FALSE(ParseJson(std::string(1000000, '[')).ok());
}

TEST(ValueTest, toJson_isCompactAndSortsKeys) {
  EXPECT_EQ(Parse(R"( { "b" : [ 1 , 2 ] , "a" : { "d" : true , "c" : null } } )").ToJson(),
            R"({"a":{"c":null,"d":true},"b":[1,2]})");
  EXPECT_EQ(Value::MakeObject({{"z", Value::Int(1)}, {"a", Value::Int(2)}}).ToJson(),
            R"({"a":2,"z":1})");
  EXPECT_EQ(Value().ToJson(), "null");
  EXPECT_EQ(Value::Any().ToJson(), "null");
  EXPECT_EQ(Value::Int(-7).ToJson(), "-7");
  EXPECT_EQ(Value::MakeArray({}).ToJson(), "[]");
  EXPECT_EQ(Value::MakeObject({}).ToJson(), "{}");
}

TEST(ValueTest, toJson_escapesStrings) {
  EXPECT_EQ(Value::String("a\"b\\c\n\t\r\b\f").ToJson(), R"("a\"b\\c\n\t\r\b\f")");
  EXPECT_EQ(Value::String(std::string("\x01\x1f\0", 3)).ToJson(), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(Value::String("/\x7f").ToJson(), "\"/\x7f\"");
  EXPECT_EQ(Value::String("caf\xC3\xA9").ToJson(), "\"caf\xC3\xA9\"");
}

TEST(ValueTest, toJson_doublesAreShortestAndStayDoubles) {
  EXPECT_EQ(Value::Double(0.1).ToJson(), "0.1");
  EXPECT_EQ(Value::Double(1.5).ToJson(), "1.5");
  EXPECT_EQ(Value::Double(2.0).ToJson(), "2.0");
  EXPECT_EQ(Value::Double(-0.0).ToJson(), "-0.0");
  EXPECT_EQ(Value::Double(1e20).ToJson(), "1e+20");
  EXPECT_EQ(Value::Double(1.0 / 3).ToJson(), "0.3333333333333333");
  EXPECT_EQ(Value::Double(std::numeric_limits<double>::infinity()).ToJson(), "null");
  EXPECT_EQ(Value::Double(std::nan("")).ToJson(), "null");
}

TEST(ValueTest, toJson_roundTrips) {
  for (const char* text :
       {"null", "true", "-12", "0.1", "2.0", "-0.0", "1e+20", "1.7976931348623157e+308", "5e-324",
        R"("x\u0001\n")", R"([1,[2,[]],{}])", R"({"a":{"b":[1.5,"c"]},"b":null})"}) {
    const Value v = Parse(text);
    EXPECT_EQ(v.ToJson(), text);
    EXPECT_EQ(Parse(v.ToJson()), v) << text;
  }
}

TEST(ValueTest, appendJson_appends) {
  std::string out = "x=";
  Value::Int(5).AppendJson(&out);
  EXPECT_EQ(out, "x=5");
}

TEST(ValueTest, equality_objectsAreUnordered) {
  EXPECT_EQ(Parse(R"({"a":1,"b":[1,2]})"), Parse(R"({"b":[1,2],"a":1})"));
  EXPECT_NE(Parse(R"({"a":1,"b":[1,2]})"), Parse(R"({"b":[2,1],"a":1})"));
  EXPECT_NE(Parse(R"({"a":1})"), Parse(R"({"a":1,"b":2})"));
  EXPECT_NE(Parse(R"({"a":1})"), Parse(R"({"b":1})"));
  // Large objects take the sorted path.
  std::string forward = "{";
  std::string backward = "{";
  for (int i = 0; i < 30; ++i) {
    forward += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
    backward += (i ? "," : "") + std::string("\"k") + std::to_string(29 - i) +
                "\":" + std::to_string(29 - i);
  }
  EXPECT_EQ(Parse(forward + "}"), Parse(backward + "}"));
  EXPECT_EQ(Parse(forward + "}").ToJson(), Parse(backward + "}").ToJson());
}

TEST(ValueTest, equality_kindsMustMatch) {
  EXPECT_NE(Value::Int(1), Value::Double(1.0));  // consistent with ToJson: "1" vs "1.0"
  EXPECT_NE(Value::Null(), Value::Any());
  EXPECT_EQ(Value::Any(), Value::Any());
  EXPECT_NE(Value::String("1"), Value::Int(1));
  EXPECT_NE(Value::MakeArray({}), Value::MakeObject({}));
  EXPECT_EQ(Value::Double(std::nan("")), Value::Double(std::nan("")));
  EXPECT_NE(Value::Double(0.0), Value::Double(-0.0));  // they print differently
}

TEST(ValueTest, equality_agreesWithCanonicalText) {
  const char* texts[] = {"1",         "1.0",         "\"1\"", "[1]",  "[1.0]",
                         "{\"a\":1}", "{\"a\":1.0}", "null",  "true", "[]",
                         "{}",        "[[]]",        "-0.0",  "0.0",  "0"};
  for (const char* a : texts) {
    for (const char* b : texts) {
      const Value va = Parse(a);
      const Value vb = Parse(b);
      EXPECT_EQ(va == vb, va.ToJson() == vb.ToJson()) << a << " vs " << b;
    }
  }
}

}  // namespace
}  // namespace faultline::checker
