// The first finding of the set, counter and fencing checkers as an INVALID summary prints it,
// with the node that served each operation (harness/counterexample.h).
#include "harness/counterexample.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checker/counter_checker.h"
#include "checker/fencing_checker.h"
#include "checker/io/load.h"
#include "checker/set_checker.h"

namespace faultline::harness {
namespace {

using ::testing::HasSubstr;

checker::History Parse(const char* text) {
  base::Result<checker::History> h = checker::io::ParseJsonl(text, "h.jsonl");
  EXPECT_TRUE(h.ok()) << h.status().message();
  return *h;
}

TEST(FirstFinding, SetNamesTheLostElementAndTheNodeThatAcknowledgedIt) {
  const checker::History h = Parse(
      R"({"index":0,"process":0,"type":"invoke","f":"add","key":1,"value":5}
{"index":1,"process":0,"type":"ok","f":"add","key":1,"value":5,"node":"n2"}
{"index":2,"process":1,"type":"invoke","f":"read","key":1,"value":null}
{"index":3,"process":1,"type":"ok","f":"read","key":1,"value":[],"node":"n3"}
)");
  const checker::SetCheckResult set = *checker::CheckSet(h);
  ASSERT_EQ(set.verdict, checker::Verdict::kInvalid);
  workloads::CheckerResult r{"set", set.verdict, set.summary, checker::SetCheckResultToValue(set),
                             "",    ""};
  const std::string text = FirstFinding(r, h);
  EXPECT_THAT(text, HasSubstr("key 1: element 5 was acknowledged (event 1 on n2)"));
  EXPECT_THAT(text, HasSubstr("missing from 1 final read (invoked at events 2)"));
}

TEST(FirstFinding, CounterNamesTheReadTheNodeAndTheBounds) {
  const checker::History h = Parse(
      R"({"index":0,"process":0,"type":"invoke","f":"add","key":"c","value":1}
{"index":1,"process":0,"type":"ok","f":"add","key":"c","value":1,"node":"n1"}
{"index":2,"process":1,"type":"invoke","f":"read","key":"c","value":null}
{"index":3,"process":1,"type":"ok","f":"read","key":"c","value":0,"node":"n4"}
)");
  const checker::CounterCheckResult c = *checker::CheckCounter(h);
  ASSERT_EQ(c.verdict, checker::Verdict::kInvalid);
  workloads::CheckerResult r{"counter", c.verdict, c.summary, checker::CounterCheckResultToValue(c),
                             "",        ""};
  const std::string text = FirstFinding(r, h);
  EXPECT_THAT(text, HasSubstr("key c: process 1 read 0 on n4  [events 2..3]"));
  EXPECT_THAT(text, HasSubstr("must be within [1, 1]"));
}

TEST(FirstFinding, FencingNamesBothWritesWithTheirNodes) {
  const checker::History h = Parse(
      R"({"index":0,"process":0,"type":"invoke","f":"write","key":1,"value":7}
{"index":1,"process":0,"type":"ok","f":"write","key":1,"value":7,"node":"n1"}
{"index":2,"process":1,"type":"invoke","f":"write","key":1,"value":6}
{"index":3,"process":1,"type":"ok","f":"write","key":1,"value":6,"node":"n2"}
)");
  const checker::FencingCheckResult f = *checker::CheckFencing(h);
  ASSERT_EQ(f.verdict, checker::Verdict::kInvalid);
  workloads::CheckerResult r{"fencing", f.verdict, f.summary, checker::FencingCheckResultToValue(f),
                             "",        ""};
  const std::string text = FirstFinding(r, h);
  EXPECT_THAT(text, HasSubstr("process 1 wrote with token 6 on n2  [events 2..3]"));
  EXPECT_THAT(text, HasSubstr("process 0 wrote with token 7 on n1  [events 0..1]"));
}

TEST(FirstFinding, ValidOrLinearizableKeepWhatTheyHave) {
  const checker::History h;
  workloads::CheckerResult valid{"set", checker::Verdict::kValid, "ok", checker::Value(), "", ""};
  EXPECT_EQ(FirstFinding(valid, h), "");
  workloads::CheckerResult lin{
      "linearizable", checker::Verdict::kInvalid, "x", checker::Value(), "key 1: ...\n", ""};
  EXPECT_EQ(FirstFinding(lin, h), "key 1: ...\n");
}

}  // namespace
}  // namespace faultline::harness
