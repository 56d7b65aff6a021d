// The rendering of results for people and for programs.
#include "checker/io/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checker/check.h"
#include "checker/io/load.h"
#include "tests/checker/history_builder.h"

namespace faultline::checker::io {
namespace {

using base::Result;
using base::Status;

using ::testing::HasSubstr;
using testing::HistoryBuilder;
using testing::I;
using ::testing::Not;

CheckResult StaleRead() {
  History h = HistoryBuilder()
                  .Op(0, "write", I(1), I(1), Value::String("a"))
                  .Op(1, "read", Value(), I(1), Value::String("a"))
                  .Op(2, "write", I(1), I(1), Value::String("b"))
                  .Invoke(4, "write", I(2), Value::String("b"))
                  .Op(3, "read", Value(), I(0), Value::String("b"))
                  .Build();
  CheckOptions o;
  o.initial = I(0);
  o.unique_fast_path = false;  // the search's counterexample (the fast path's: below)
  return *CheckHistory(h, o);
}

TEST(RenderText, InvalidNamesKeyOpReasonConcurrencyAndPrefix) {
  std::string text = RenderText("h.jsonl", StaleRead());
  EXPECT_THAT(text, HasSubstr("h.jsonl: INVALID (cas-register, 5 ops, 2 keys"));
  EXPECT_THAT(text, HasSubstr("1 of 2 keys not linearizable"));
  EXPECT_THAT(text, HasSubstr("key b: operation 8 cannot be linearized"));
  EXPECT_THAT(text, HasSubstr("why:       read 0, but the register holds 1 or 2"));
  EXPECT_THAT(text, HasSubstr("process 4 write 2 (info)  [event 6 .. never]"));
  // The info write 2 is one no read saw: the search leaves it out (Model::Droppable), so the
  // prefix is the one determinate write; its state 2 is still among the states before the read.
  EXPECT_THAT(text, HasSubstr("longest linearizable prefix (1 op)"));
}

// A key decided by the unique-value fast path renders like a searched one, its reason in words.
TEST(RenderText, FastPathCounterexample) {
  History h = HistoryBuilder()
                  .Op(0, "append", Value::String("x 0 0 y"), Value::String("x 0 0 y"))
                  .Op(1, "get", Value(), Value::String(""))
                  .Build();
  CheckOptions o;
  o.model = "kv";
  const CheckResult r = *CheckHistory(h, o);
  ASSERT_TRUE(r.keys[0].fast_path);
  const std::string text = RenderText("kv.jsonl", r);
  EXPECT_THAT(text, HasSubstr("operation 3 cannot be linearized"));
  EXPECT_THAT(text, HasSubstr("why:       the get at event 3 saw `` but not `x 0 0 y`, whose "
                              "append (events 0-1) completed before that get began"));
  EXPECT_THAT(text, HasSubstr("longest linearizable prefix (1 op)"));
  EXPECT_THAT(RenderFirstCounterexample(r), HasSubstr("why: the get at event 3"));
}

// A stale read as the harness records it: each completion names the node that served it. The
// report shows the node of every operation, in text and in JSON; an op without one shows none.
CheckResult StaleReadWithNodes() {
  const char* text =
      R"({"index":0,"process":0,"type":"invoke","f":"write","key":"k","value":1}
{"index":1,"process":0,"type":"ok","f":"write","key":"k","value":1,"node":"n1"}
{"index":2,"process":1,"type":"invoke","f":"write","key":"k","value":2}
{"index":3,"process":1,"type":"ok","f":"write","key":"k","value":2,"node":"n1"}
{"index":4,"process":2,"type":"invoke","f":"read","key":"k","value":null}
{"index":5,"process":2,"type":"ok","f":"read","key":"k","value":1,"node":"n3"}
{"index":6,"process":3,"type":"invoke","f":"read","key":"k","value":null}
{"index":7,"process":3,"type":"ok","f":"read","key":"k","value":2}
)";
  Result<History> h = ParseJsonl(text, "nodes.jsonl");
  EXPECT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->events[1].node, "n1");
  EXPECT_EQ(h->events[0].node, "");
  CheckOptions o;
  o.initial = I(0);
  o.unique_fast_path = false;  // the search's counterexample (the fast path's: below)
  return *CheckHistory(*h, o);
}

TEST(RenderText, ShowsTheNodeThatServedEachOperation) {
  const CheckResult r = StaleReadWithNodes();
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  const std::string text = RenderText("nodes.jsonl", r);
  EXPECT_THAT(text, HasSubstr("key k: operation 5 cannot be linearized"));
  EXPECT_THAT(text, HasSubstr("op:        process 2 read -> 1 on n3  [events 4..5]"));
  EXPECT_THAT(text, HasSubstr("process 1 write 2 on n1  [events 2..3]"));

  const std::string first = RenderFirstCounterexample(r);
  EXPECT_THAT(first, HasSubstr("key k: operation 5 cannot be linearized"));
  EXPECT_THAT(first, HasSubstr("after the longest linearizable prefix (2 ops):\n"
                               "    process 0 write 1 on n1  [events 0..1]\n"
                               "    process 1 write 2 on n1  [events 2..3]\n"
                               "  this cannot follow:\n"
                               "    process 2 read -> 1 on n3  [events 4..5]\n"
                               "  why: read 1, but the register holds 2"));

  const Value v = ResultToValue("nodes.jsonl", r);
  const Value& failure = v.find("failures")->as_array().at(0);
  EXPECT_EQ(failure.find("op")->find("node")->as_string(), "n3");
}

TEST(RenderFirstCounterexample, EmptyWhenValidAndTailWhenLong) {
  History h = HistoryBuilder().Op(0, "write", I(1), I(1)).Op(1, "read", Value(), I(1)).Build();
  CheckOptions o;
  o.initial = I(0);
  EXPECT_EQ(RenderFirstCounterexample(*CheckHistory(h, o)), "");
  HistoryBuilder b;
  for (int i = 1; i <= 8; ++i) b.Op(0, "write", I(i), I(i));
  b.Op(1, "read", Value(), I(3));
  const std::string first = RenderFirstCounterexample(*CheckHistory(b.Build(), o), 2);
  EXPECT_THAT(first, HasSubstr("(8 ops, last 2 shown)"));
  EXPECT_THAT(first, Not(HasSubstr("write 6")));
  EXPECT_THAT(first, HasSubstr("write 7"));
  EXPECT_THAT(first, Not(HasSubstr(" on ")));  // no node recorded, none shown
}

TEST(ResultToValue, FollowsDesignSection4) {
  Value v = ResultToValue("h.jsonl", StaleRead());
  EXPECT_EQ(v.find("file")->as_string(), "h.jsonl");
  EXPECT_EQ(*v.find("valid"), Value::Bool(false));
  EXPECT_EQ(v.find("keys")->find("a")->find("valid")->as_bool(), true);
  EXPECT_EQ(v.find("keys")->find("b")->find("valid")->as_bool(), false);
  const Value::Array& failures = v.find("failures")->as_array();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].find("key")->as_string(), "b");
  EXPECT_EQ(failures[0].find("op")->find("index")->as_int(), 8);
  EXPECT_EQ(failures[0].find("prefix")->as_array().size(), 1u);
  EXPECT_EQ(v.find("stats")->find("ops")->as_int(), 5);
  // Round trip through the JSON text.
  Result<Value> back = ParseJson(v.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

// Each key says how it was decided: the unique-value fast path or the search.
TEST(ResultToValue, KeysNameWhatDecidedThem) {
  History h = HistoryBuilder()
                  .Op(0, "write", I(1), I(1), Value::String("a"))
                  .Op(1, "read", Value(), I(1), Value::String("a"))
                  .Build();
  CheckOptions o;
  Value v = ResultToValue("h.jsonl", *CheckHistory(h, o));
  EXPECT_EQ(v.find("keys")->find("a")->find("decided_by")->as_string(), "unique-values");
  o.unique_fast_path = false;
  v = ResultToValue("h.jsonl", *CheckHistory(h, o));
  EXPECT_EQ(v.find("keys")->find("a")->find("decided_by")->as_string(), "search");
}

TEST(ResultToValue, UnknownIsAString) {
  CheckResult r;
  r.verdict = Verdict::kUnknown;
  r.cause = "timeout";
  Value v = ResultToValue("x", r);
  EXPECT_EQ(v.find("valid")->as_string(), "unknown");
  EXPECT_EQ(v.find("cause")->as_string(), "timeout");
}

// Issue 13, point 6: the integer key 1 and the string key "1" are two members, not two "1"s.
TEST(ResultToValue, KeysThatPrintAlikeGetDistinctNames) {
  History h = testing::HistoryBuilder()
                  .Op(0, "write", I(1), I(1), I(1))
                  .Op(1, "write", I(2), I(2), Value::String("1"))
                  .Build();
  Value v = ResultToValue("h.jsonl", *CheckHistory(h, CheckOptions{}));
  const Value* keys = v.find("keys");
  ASSERT_NE(keys, nullptr);
  ASSERT_EQ(keys->as_object().size(), 2u);
  ASSERT_NE(keys->find("1"), nullptr);
  ASSERT_NE(keys->find("\"1\""), nullptr);
  EXPECT_EQ(*keys->find("1")->find("key"), I(1));
  EXPECT_EQ(*keys->find("\"1\"")->find("key"), Value::String("1"));
}

// Issue 13, point 6: an indeterminate operation in the longest prefix is marked as possibly not
// applied.
TEST(RenderText, IndeterminateOpsInThePrefixAreMarked) {
  History h = testing::HistoryBuilder()
                  .Invoke(0, "write", I(1))
                  .Info(0, "write", I(1))
                  .Op(1, "read", Value(), I(1))
                  .Op(2, "read", Value(), I(7))
                  .Build();
  CheckOptions o;
  o.initial = I(0);
  const std::string text = RenderText("h.jsonl", *CheckHistory(h, o));
  EXPECT_THAT(
      text,
      HasSubstr("write 1 (info)  [event 0 .. never; info at 1]  (may not have taken effect)"));
}

}  // namespace
}  // namespace faultline::checker::io
