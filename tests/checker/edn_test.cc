#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "checker/io/edn_reader.h"
#include "checker/io/load.h"

namespace faultline::checker::io {
namespace {

using base::Result;
using base::Status;

using internal::EdnReader;

Value Json(std::string_view text) { return *ParseJson(text); }

// Reads one EDN value with the reader alone.
Value Edn(std::string_view text) {
  EdnReader r(text);
  Value v;
  const bool ok = r.SkipIgnorable() && !r.AtEnd() && r.ReadValue(&v);
  EXPECT_TRUE(ok) << text << ": " << r.error() << " at " << r.error_offset();
  return v;
}

std::string EdnError(std::string_view text) {
  EdnReader r(text);
  Value v;
  const bool ok = r.SkipIgnorable() && !r.AtEnd() && r.ReadValue(&v);
  EXPECT_FALSE(ok) << text;
  return "offset " + std::to_string(r.error_offset()) + ": " + r.error();
}

History Parse(std::string_view text, bool independent = false) {
  Result<History> r = ParseEdn(text, "h.edn", independent);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : History{};
}

std::string Error(std::string_view text) {
  Result<History> r = ParseEdn(text, "h.edn", false);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

TEST(EdnReaderTest, scalars) {
  EXPECT_TRUE(Edn("nil").is_null());
  EXPECT_EQ(Edn("true"), Value::Bool(true));
  EXPECT_EQ(Edn("false"), Value::Bool(false));
  EXPECT_EQ(Edn("42"), Value::Int(42));
  EXPECT_EQ(Edn("-42"), Value::Int(-42));
  EXPECT_EQ(Edn("+7"), Value::Int(7));
  EXPECT_EQ(Edn("0"), Value::Int(0));
  EXPECT_EQ(Edn("42N"), Value::Int(42));
  EXPECT_EQ(Edn("9223372036854775807"), Value::Int(9223372036854775807));
  EXPECT_EQ(Edn("-9223372036854775808"), Value::Int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(Edn("0x1F"), Value::Int(31));
  EXPECT_EQ(Edn("-0x10"), Value::Int(-16));
  EXPECT_EQ(Edn("017"), Value::Int(15));  // Clojure reads a leading zero as octal
  EXPECT_EQ(Edn("1.5"), Value::Double(1.5));
  EXPECT_EQ(Edn("-1.5e3"), Value::Double(-1500.0));
  EXPECT_EQ(Edn("1.25M"), Value::Double(1.25));
  EXPECT_EQ(Edn("3M"), Value::Double(3.0));
  EXPECT_EQ(Edn("1/4"), Value::Double(0.25));
  EXPECT_EQ(Edn("-3/4"), Value::Double(-0.75));
  // ##Inf, ##-Inf and ##NaN are refused (EdnTest.symbolicNumbersAreRefused).
}

TEST(EdnReaderTest, keywordsSymbolsStringsCharacters) {
  EXPECT_EQ(Edn(":read"), Value::String("read"));
  EXPECT_EQ(Edn(":jepsen.history/op"), Value::String("jepsen.history/op"));
  EXPECT_EQ(Edn("::auto"), Value::String("auto"));
  EXPECT_EQ(Edn(":timed-out"), Value::String("timed-out"));
  EXPECT_EQ(Edn("foo.bar/baz?"), Value::String("foo.bar/baz?"));
  EXPECT_EQ(Edn("-"), Value::String("-"));
  EXPECT_EQ(Edn("+"), Value::String("+"));
  EXPECT_EQ(Edn("nil?"), Value::String("nil?"));
  EXPECT_EQ(Edn(R"("a\"b\\c\nd\te\rf\bg\f")"), Value::String("a\"b\\c\nd\te\rf\bg\f"));
  EXPECT_EQ(Edn("\"multi\nline\""), Value::String("multi\nline"));
  EXPECT_EQ(Edn(R"("\u00e9\ud83d\ude00")"), Value::String("\xC3\xA9\xF0\x9F\x98\x80"));
  EXPECT_EQ(Edn(R"("\101\0")"), Value::String(std::string("A\0", 2)));
  EXPECT_EQ(Edn("\"caf\xC3\xA9\""), Value::String("caf\xC3\xA9"));
  EXPECT_EQ(Edn("\\a"), Value::String("a"));
  EXPECT_EQ(Edn("\\newline"), Value::String("\n"));
  EXPECT_EQ(Edn("\\space"), Value::String(" "));
  EXPECT_EQ(Edn("\\tab"), Value::String("\t"));
  EXPECT_EQ(Edn("\\u00e9"), Value::String("\xC3\xA9"));
  EXPECT_EQ(Edn("\\o101"), Value::String("A"));
  EXPECT_EQ(Edn("\\("), Value::String("("));
  EXPECT_EQ(Edn("[\\a \\b]"), Value::MakeArray({Value::String("a"), Value::String("b")}));
}

TEST(EdnReaderTest, collections) {
  EXPECT_EQ(Edn("[1 2, 3]"), Json("[1,2,3]"));
  EXPECT_EQ(Edn("(1 (2) [])"), Json("[1,[2],[]]"));
  EXPECT_EQ(Edn("#{:a :b}"), Json(R"(["a","b"])"));
  EXPECT_EQ(Edn("{:a 1, \"b\" 2, sym 3}"), Json(R"({"a":1,"b":2,"sym":3})"));
  // Keys that are not strings, keywords or symbols become their JSON text.
  EXPECT_EQ(Edn("{1 :x, nil :y, [1 2] :z}"), Json(R"({"1":"x","null":"y","[1,2]":"z"})"));
  EXPECT_EQ(Edn("{}"), Json("{}"));
  EXPECT_EQ(Edn("#:jepsen{:a 1}"), Json(R"({"a":1})"));
}

TEST(EdnReaderTest, commentsDiscardsAndTags) {
  EXPECT_EQ(Edn("; comment\n  [1 ; two\n 3]"), Json("[1,3]"));
  EXPECT_EQ(Edn("[1 #_ 2 3]"), Json("[1,3]"));
  EXPECT_EQ(Edn("[1 #_ #_ 2 3 4]"), Json("[1,4]"));
  EXPECT_EQ(Edn("[1 #_[nested [stuff]] 2]"), Json("[1,2]"));
  EXPECT_EQ(Edn("#_ 1 2"), Value::Int(2));
  EXPECT_EQ(Edn("#inst \"2018-01-01T00:00:00.000-00:00\""),
            Value::String("2018-01-01T00:00:00.000-00:00"));
  EXPECT_EQ(Edn("#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\""),
            Value::String("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_EQ(Edn("#jepsen.history.Op{:index 0, :type :invoke}"),
            Json(R"({"index":0,"type":"invoke"})"));
  EXPECT_EQ(Edn("#object[java.lang.Object 0x1a2b \"x\"]"),
            Json(R"(["java.lang.Object",6699,"x"])"));
  EXPECT_EQ(Edn("#\"a\\d+\""), Value::String("a\\d+"));
  EXPECT_EQ(Edn("#!shebang\n5"), Value::Int(5));
}

TEST(EdnReaderTest, errors) {
  EXPECT_EQ(EdnError("[1 2"), "offset 0: unterminated [ (no matching ']')");
  EXPECT_EQ(EdnError("(1 2]"), "offset 4: unexpected ']'");
  EXPECT_EQ(EdnError("{:a}"), "offset 3: map literal has a key without a value");
  EXPECT_EQ(EdnError("{:a 1 :a 2}"), "offset 0: duplicate map key \"a\"");
  EXPECT_EQ(EdnError("\"abc"), "offset 0: unterminated string");
  EXPECT_EQ(EdnError(R"("\q")"), "offset 1: invalid escape \\q");
  EXPECT_EQ(EdnError("\"\\\xff\""), "offset 1: invalid escape: a backslash before byte 0xFF");
  EXPECT_EQ(EdnError("#\xff"), "offset 0: unsupported dispatch #?");
  EXPECT_EQ(EdnError(R"("\u12")"), "offset 1: invalid \\u escape");
  EXPECT_EQ(EdnError(R"("\ud83d")"), "offset 1: unpaired surrogate in \\u escape");
  EXPECT_EQ(EdnError("\"\xFF\""), "offset 1: invalid UTF-8 in string");
  EXPECT_EQ(EdnError("1.2.3"), "offset 0: invalid number '1.2.3'");
  EXPECT_EQ(EdnError("12abc"), "offset 0: invalid number '12abc'");
  EXPECT_EQ(EdnError("1/0"), "offset 0: invalid number '1/0'");
  EXPECT_EQ(EdnError("08"), "offset 0: invalid number '08'");
  EXPECT_EQ(EdnError("0xFFFFFFFFFFFFFFFFFF"),
            "offset 0: integer out of range '0xFFFFFFFFFFFFFFFFFF'");
  EXPECT_EQ(EdnError(":"), "offset 0: invalid keyword");
  EXPECT_EQ(EdnError("\\foo"), "offset 0: invalid character literal \\foo");
  EXPECT_EQ(EdnError("##Foo"), "offset 0: unknown symbolic value ##Foo");
  EXPECT_EQ(EdnError("#inst"), "offset 0: tagged literal #inst has no value");
  EXPECT_EQ(EdnError("[#_]"), "offset 3: unexpected ']'");
  EXPECT_EQ(EdnError("#_"), "offset 0: #_ without a form to discard");
  EXPECT_EQ(EdnError("#?(:clj 1)"), "offset 0: unsupported dispatch #?");
}

TEST(EdnReaderTest, depthIsBounded) {
  const auto nested = [](int depth) {
    return std::string(static_cast<size_t>(depth), '[') +
           std::string(static_cast<size_t>(depth), ']');
  };
  EXPECT_EQ(Edn(nested(500)).kind(), Value::Kind::kArray);
  EXPECT_NE(EdnError(nested(600)).find("nesting deeper than 512"), std::string::npos);
  EXPECT_NE(EdnError(std::string(100000, '(')).find("nesting deeper than 512"), std::string::npos);
  std::string tags;
  for (int i = 0; i < 1000; ++i) tags += "#t ";
  EXPECT_NE(EdnError(tags + "1").find("nesting deeper than 512"), std::string::npos);
  std::string discards;
  for (int i = 0; i < 1000; ++i) discards += "#_ ";
  EXPECT_NE(EdnError(discards + "1").find("deeper than 512"), std::string::npos);
}

TEST(EdnTest, parse_vectorOfOpMaps) {
  const History h = Parse(
      "; A Knossos history\n"
      "[{:process 0, :type :invoke, :f :write, :value 3, :time 10}\n"
      " {:process 0, :type :ok, :f :write, :value 3, :time 20}\n"
      " {:process :nemesis, :type :info, :f :start, :value [:n1 :n2]}\n"
      " {:process 1, :type :invoke, :f :cas, :value [3 4]}]\n");
  EXPECT_EQ(h.source, "h.edn");
  ASSERT_EQ(h.events.size(), 4u);
  EXPECT_EQ(h.events[0].type, EventType::kInvoke);
  EXPECT_EQ(h.events[0].f, "write");
  EXPECT_EQ(h.events[0].value, Value::Int(3));
  EXPECT_EQ(h.events[0].time, 10);
  EXPECT_EQ(h.events[0].index, 0);
  EXPECT_EQ(h.events[0].line, 2);
  EXPECT_EQ(h.events[1].type, EventType::kOk);
  EXPECT_EQ(h.events[1].line, 3);
  EXPECT_TRUE(h.events[2].nemesis);
  EXPECT_EQ(h.events[2].value, Json(R"(["n1","n2"])"));
  EXPECT_EQ(h.events[2].index, 2);
  EXPECT_EQ(h.events[3].process, 1);
  EXPECT_EQ(h.events[3].time, -1);
  EXPECT_EQ(h.events[3].value, Json("[3,4]"));
  EXPECT_EQ(h.events[3].index, 3);
}

TEST(EdnTest, parse_streamOfOpMapsAndLists) {
  const History h = Parse(
      "{:type :invoke, :f :read, :value nil, :process 0, :index 0}\n"
      "{:type :ok, :f :read, :value 1, :process 0, :index 1}\n"
      "#jepsen.history.Op{:type :invoke, :f :read, :process 1, :index 2}\n");
  ASSERT_EQ(h.events.size(), 3u);
  EXPECT_EQ(h.events[2].line, 3);
  EXPECT_EQ(h.events[2].process, 1);
  const History l =
      Parse("({:type :invoke, :f :read, :process 0}\n {:type :ok, :f :read, :process 0})");
  EXPECT_EQ(l.events.size(), 2u);
  EXPECT_EQ(l.events[1].line, 2);
}

TEST(EdnTest, parse_emptyInputs) {
  EXPECT_TRUE(Parse("").events.empty());
  EXPECT_TRUE(Parse("[]").events.empty());
  EXPECT_TRUE(Parse("; nothing here\n").events.empty());
}

TEST(EdnTest, parse_multiLineOpMapTakesItsFirstLine) {
  const History h = Parse(
      "[{:type :invoke,\n :f :txn,\n :value [[:read :x nil]],\n :process 3}\n"
      "{:type :ok,\n :f :txn,\n :value [[:read :x 0]],\n :process 3}]");
  ASSERT_EQ(h.events.size(), 2u);
  EXPECT_EQ(h.events[0].line, 1);
  EXPECT_EQ(h.events[1].line, 5);
}

TEST(EdnTest, parse_fileIndexIsKept) {
  const History h = Parse(
      "{:type :invoke, :f :read, :process 0, :index 7}\n"
      "{:type :ok, :f :read, :process 0}\n");
  EXPECT_EQ(h.events[0].index, 7);
  EXPECT_EQ(h.events[1].index, 1);  // no :index: position among op maps
}

TEST(EdnTest, parse_errorsAndKeys) {
  const History h = Parse(
      "[{:type :fail, :f :release, :process 1, :error :not-held}\n"
      " {:type :fail, :f :release, :process 3, :error [:not-found \"lease\"]}\n"
      " {:type :fail, :f :write, :process 5, :error nil}\n"
      " {:type :info, :f :write, :process 5, :error \"boom\"}\n"
      " {:type :invoke, :f :write, :process 6, :key :k1, :value 2}\n"
      " {:type :invoke, :f :write, :process 7, :key 12, :value 2}\n"
      " {:type :invoke, :f :write, :process 8, :key [1 2], :value 2}]");
  EXPECT_EQ(h.events[0].error, "not-held");
  EXPECT_EQ(h.events[1].error, R"(["not-found","lease"])");
  EXPECT_EQ(h.events[2].error, "");
  EXPECT_EQ(h.events[3].error, "boom");
  EXPECT_TRUE(h.events[4].has_key);
  EXPECT_EQ(h.events[4].key, Value::String("k1"));
  EXPECT_EQ(h.events[5].key, Value::Int(12));
  EXPECT_EQ(h.events[6].key, Value::String("[1,2]"));  // keys are strings or integers
}

TEST(EdnTest, knossos_everyFailHasNoEffect) {
  const History h = Parse(
      "[{:type :invoke, :f :cas, :value [1 2], :process 0}\n"
      " {:type :fail, :f :cas, :value [1 2], :process 0, :error :mismatch}\n"
      " {:type :invoke, :f :cas, :value [1 2], :process 0}\n"
      " {:type :fail, :f :cas, :value [1 2], :process 0}]");
  EXPECT_EQ(h.events[1].type, EventType::kFail);
  // faultline would read a cas fail with error "mismatch" as an observation; Knossos does not.
  EXPECT_EQ(h.events[1].error, "knossos-fail: mismatch");
  EXPECT_EQ(h.events[3].type, EventType::kFail);
  EXPECT_EQ(h.events[3].error, "");
}

TEST(EdnTest, knossos_okReadOfNilConstrainsNothing) {
  const History h = Parse(
      "[{:type :invoke, :f :read, :value nil, :process 0}\n"
      " {:type :ok, :f :read, :value nil, :process 0}\n"
      " {:type :invoke, :f :read, :value nil, :process 0}\n"
      " {:type :ok, :f :read, :value 0, :process 0}\n"
      " {:type :invoke, :f :read, :process 0}\n"
      " {:type :fail, :f :read, :value nil, :process 0}]");
  EXPECT_TRUE(h.events[0].value.is_null());  // an invoke's nil is just "no argument"
  EXPECT_TRUE(h.events[1].value.is_any());
  EXPECT_EQ(h.events[3].value, Value::Int(0));
  EXPECT_TRUE(h.events[5].value.is_null());
}

TEST(EdnTest, knossos_txnReadsOfNilConstrainNothing) {
  const History h = Parse(
      "[{:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 0}\n"
      " {:type :ok, :f :txn, :value [[:read :x nil] [:read :y 2] [:write :y nil]], :process 0}]");
  const Value::Array& invoke = h.events[0].value.as_array();
  EXPECT_TRUE(invoke[0].as_array()[2].is_null());
  const Value::Array& ok = h.events[1].value.as_array();
  EXPECT_EQ(ok[0].as_array()[0], Value::String("read"));
  EXPECT_EQ(ok[0].as_array()[1], Value::String("x"));
  EXPECT_TRUE(ok[0].as_array()[2].is_any());
  EXPECT_EQ(ok[1].as_array()[2], Value::Int(2));
  EXPECT_TRUE(ok[2].as_array()[2].is_null());  // a write of nil is a write of nil
}

TEST(EdnTest, independent_tuplesSplitIntoKeyAndValue) {
  const std::string text =
      "[{:type :invoke, :f :cas, :value [5 [1 2]], :process 0}\n"
      " {:type :ok, :f :cas, :value [5 [1 2]], :process 0}\n"
      " {:type :invoke, :f :read, :value [:k nil], :process 1}\n"
      " {:type :ok, :f :read, :value [:k nil], :process 1}\n"
      " {:type :info, :f :partition, :value [:n1 :n2], :process :nemesis}\n"
      " {:type :invoke, :f :read, :value nil, :process 2}]";
  const History h = Parse(text, /*independent=*/true);
  EXPECT_TRUE(h.events[0].has_key);
  EXPECT_EQ(h.events[0].key, Value::Int(5));
  EXPECT_EQ(h.events[0].value, Json("[1,2]"));
  EXPECT_EQ(h.events[1].key, Value::Int(5));
  EXPECT_EQ(h.events[1].value, Json("[1,2]"));
  EXPECT_EQ(h.events[2].key, Value::String("k"));
  EXPECT_TRUE(h.events[2].value.is_null());
  EXPECT_TRUE(h.events[3].value.is_any());  // the Knossos read rule applies inside the tuple
  EXPECT_FALSE(h.events[4].has_key);        // nemesis values are left alone
  EXPECT_EQ(h.events[4].value, Json(R"(["n1","n2"])"));
  EXPECT_FALSE(h.events[5].has_key);  // not a tuple

  const History plain = Parse(text, /*independent=*/false);
  EXPECT_FALSE(plain.events[0].has_key);
  EXPECT_EQ(plain.events[0].value, Json("[5,[1,2]]"));
}

TEST(EdnTest, error_opMapFields) {
  EXPECT_EQ(Error("[{:type :invoke, :f :read, :process 0}\n {:f :read, :process 0}]"),
            "h.edn:2: op map has no :type");
  EXPECT_EQ(Error("{:type :invoke, :process 0}"), "h.edn:1: op map has no :f");
  EXPECT_EQ(Error("{:type :invoke, :f :read}"), "h.edn:1: op map has no :process");
  EXPECT_EQ(Error("\n\n{:type :done, :f :read, :process 0}"),
            "h.edn:3: :type must be one of :invoke, :ok, :fail, :info");
  EXPECT_EQ(Error("{:type :ok, :f nil, :process 0}"), "h.edn:1: :f must be a keyword or a string");
  EXPECT_EQ(Error("{:type :ok, :f :read, :process 0, :index :x}"),
            "h.edn:1: :index must be an integer");
  EXPECT_EQ(Error("{:type :ok, :f :read, :process 0, :time 1.5}"),
            "h.edn:1: :time must be an integer (nanoseconds)");
  EXPECT_EQ(
      Error("[{:type :ok, :f :read, :process 0}\n 17]"),
      "h.edn:2: expected an op map such as {:type :invoke, :f :read, :process 0}, not a number");
  EXPECT_EQ(Error(":foo"),
            "h.edn:1: expected an op map such as {:type :invoke, :f :read, :process 0}, not a "
            "string, keyword or symbol");
}

// Issue 13, point 6: a process that was not an integer was taken for the nemesis, which hid a
// client's operations from the checker (a false VALID). Only :nemesis is.
TEST(EdnTest, error_aProcessOtherThanNemesis) {
  const History h = Parse("{:type :info, :f :start, :process :nemesis}");
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_TRUE(h.events[0].nemesis);
  EXPECT_EQ(Error("{:type :invoke, :f :write, :value 1, :process :client}"),
            "h.edn:1: :process must be an integer or :nemesis, not :client");
  EXPECT_EQ(Error("{:type :invoke, :f :write, :value 1, :process \"0\"}"),
            "h.edn:1: :process must be an integer or :nemesis, not :0");
  EXPECT_EQ(Error("{:type :invoke, :f :write, :value 1, :process 1.5}"),
            "h.edn:1: :process must be an integer or :nemesis, not 1.5");
  EXPECT_EQ(Error("{:type :invoke, :f :write, :value 1, :process nil}"),
            "h.edn:1: :process must be an integer or :nemesis, not null");
  EXPECT_EQ(Error("#jepsen.history.Op{:type :invoke, :f :read, :process [0]}"),
            "h.edn:1: :process must be an integer or :nemesis, not [0]");
}

// Issue 13, point 6: a keyword, symbol or regex with invalid UTF-8 became a string no JSON
// reader accepts, and the search aborted when it could not decode the model state holding it.
TEST(EdnTest, error_invalidUtf8InKeywordsSymbolsAndRegexes) {
  EXPECT_EQ(Error("{:f :write, :value :\xff, :type :invoke, :process 0}"),
            "h.edn:1: invalid EDN at column 20: invalid UTF-8 in keyword");
  EXPECT_EQ(Error("{:f :write, :value a\xff"
                  "b, :type :invoke, :process 0}"),
            "h.edn:1: invalid EDN at column 20: invalid UTF-8 in symbol");
  EXPECT_EQ(Error("{:f :write, :value #\"\xc3(\", :type :invoke, :process 0}"),
            "h.edn:1: invalid EDN at column 20: invalid UTF-8 in regex literal");
  EXPECT_EQ(Error("{:f :write, :\xff 1, :type :invoke, :process 0}"),
            "h.edn:1: invalid EDN at column 13: invalid UTF-8 in keyword");
  // Well-formed UTF-8 is kept.
  const History h = Parse("{:f :write, :value :caf\xc3\xa9, :type :invoke, :process 0}");
  EXPECT_EQ(h.events[0].value, Value::String("caf\xc3\xa9"));
}

// Issue 13, point 6: integers beyond 64 bits became doubles, so different integers compared
// equal (a false VALID). They are refused.
TEST(EdnTest, error_integerBeyond64Bits) {
  EXPECT_EQ(EdnError("9223372036854775808N"),
            "offset 0: integer beyond 64 bits '9223372036854775808N' is not supported (it "
            "cannot be compared exactly)");
  EXPECT_EQ(EdnError("[1 -123456789012345678901234567890]"),
            "offset 3: integer beyond 64 bits '-123456789012345678901234567890' is not supported "
            "(it cannot be compared exactly)");
  EXPECT_EQ(Edn("9223372036854775807N"), Value::Int(9223372036854775807));
}

// Issue 13, point 6: an op map's other members were checked for duplicates against a list, so
// 300,000 of them took minutes. Linear now: this takes milliseconds (a regression would show
// as a test timeout rather than a failed assertion).
TEST(EdnTest, parse_opMapWithManyMembersIsLinear) {
  std::string text = "{:type :invoke, :f :read, :process 0";
  for (int i = 0; i < 300000; ++i) text += " :m" + std::to_string(i) + " " + std::to_string(i);
  text += "}";
  EXPECT_EQ(Parse(text).events.size(), 1u);
  EXPECT_EQ(Error("{:type :invoke, :f :read, :process 0, :a 1, :b 2, :a 3}"),
            "h.edn:1: invalid EDN at column 1: duplicate map key \"a\"");
}

TEST(EdnTest, parse_opMapsWithCommentsDiscardsAndUnknownMembers) {
  const History h = Parse(
      "{:type :invoke, #_ :ignored ; a comment\n"
      " :f :read, :node \"n1\", :process 4, :extra {:a [1 2]}}\n"
      "#jepsen.history.Op{:type :ok, :f :read, :value 3, :process 4, :time 9}\n");
  ASSERT_EQ(h.events.size(), 2u);
  EXPECT_EQ(h.events[0].f, "read");
  EXPECT_EQ(h.events[0].process, 4);
  EXPECT_EQ(h.events[1].value, Value::Int(3));
  EXPECT_EQ(h.events[1].time, 9);
  EXPECT_EQ(h.events[1].line, 3);
  EXPECT_EQ(h.events[1].index, 1);
}

TEST(EdnTest, error_duplicateMembers) {
  EXPECT_EQ(Error("{:type :ok, :f :read, :type :ok, :process 0}"),
            "h.edn:1: invalid EDN at column 1: duplicate map key \"type\"");
  EXPECT_EQ(Error("\n  {:type :ok, :f :read, :node 1, :node 2, :process 0}"),
            "h.edn:2: invalid EDN at column 3: duplicate map key \"node\"");
  EXPECT_EQ(Error("#jepsen.history.Op{:type :ok, :f :read, :f :write, :process 0}"),
            "h.edn:1: invalid EDN at column 19: duplicate map key \"f\"");
}

TEST(EdnTest, error_taggedOpMapFields) {
  EXPECT_EQ(Error("#jepsen.history.Op{:type :done, :f :read, :process 0}"),
            "h.edn:1: :type must be one of :invoke, :ok, :fail, :info");
  EXPECT_EQ(Error("#jepsen.history.Op{:f :read, :process 0}"), "h.edn:1: op map has no :type");
}

TEST(EdnTest, error_syntaxNamesLineAndColumn) {
  EXPECT_EQ(Error("[{:type :invoke, :f :read, :process 0}\n {:type :ok :f}]"),
            "h.edn:2: invalid EDN at column 15: map literal has a key without a value");
  EXPECT_EQ(Error("\n  [{:type :invoke, :f :read, :process 0}\n"),
            "h.edn:2: unterminated [ (no matching ']')");
  EXPECT_EQ(Error("{:type \"ok}\n"), "h.edn:1: invalid EDN at column 8: unterminated string");
  EXPECT_EQ(Error("[{:type :ok, :f :read, :process 0}]\n)"),
            "h.edn:2: invalid EDN at column 1: unexpected ')'");
}

// The Knossos data/ corpus: every file parses, with Knossos's own index numbering.
TEST(EdnTest, corpus_everyKnossosFileParses) {
  const std::filesystem::path root = FAULTLINE_SOURCE_DIR "/tests/data/knossos";
  ASSERT_TRUE(std::filesystem::is_directory(root)) << root;
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".edn") continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Result<History> h = ParseEdn(text.str(), entry.path().string(), false);
    ASSERT_TRUE(h.ok()) << h.status().message();
    EXPECT_GT(h->events.size(), 0u) << entry.path();
    for (size_t i = 0; i < h->events.size(); ++i) {
      EXPECT_EQ(h->events[i].index, static_cast<int64_t>(i)) << entry.path();
      EXPECT_GE(h->events[i].line, 1) << entry.path();
    }
  }
  EXPECT_EQ(files, 122);
}

TEST(EdnTest, corpus_etcdMutexKeepsItsIndexes) {
  Result<History> h =
      LoadHistoryFile(FAULTLINE_SOURCE_DIR "/tests/data/knossos/mutex/bad/etcd.edn", LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  ASSERT_EQ(h->events.size(), 1135u);
  EXPECT_EQ(h->events.back().index, 1134);
  EXPECT_EQ(h->events.back().line, 1135);
  EXPECT_EQ(h->events[0].f, "release");
  EXPECT_EQ(h->events[1].type, EventType::kFail);
  EXPECT_EQ(h->events[1].error, "not-held");
  EXPECT_EQ(h->events[1].time, 342667129);
}

TEST(EdnTest, corpus_multiRegisterTransactions) {
  Result<History> h = LoadHistoryFile(FAULTLINE_SOURCE_DIR
                                      "/tests/data/knossos/multi-register/good/multi-register.edn",
                                      LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  const Event& first = h->events[0];
  EXPECT_EQ(first.f, "txn");
  EXPECT_EQ(first.value, Json(R"([["read","x",null]])"));
  EXPECT_EQ(first.line, 2);
  EXPECT_EQ(first.time, 7686455705);
  int nemesis = 0;
  for (const Event& e : h->events) nemesis += e.nemesis ? 1 : 0;
  EXPECT_GT(nemesis, 0);
}

// Issue 13, point 6: ##Inf, ##-Inf and ##NaN printed as null and so compared equal to nil (a
// false VALID: write ##Inf, then cas [nil 3] ok). They are refused with a one-line error.
TEST(EdnTest, symbolicNumbersAreRefused) {
  for (const char* v : {"##Inf", "##-Inf", "##NaN"}) {
    const std::string msg =
        Error(std::string("{:process 0, :type :invoke, :f :write, :value ") + v + "}");
    EXPECT_NE(msg.find("is not supported"), std::string::npos) << v << ": " << msg;
  }
}

}  // namespace
}  // namespace faultline::checker::io
