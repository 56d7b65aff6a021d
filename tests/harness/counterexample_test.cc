// The first finding of the set, counter, fencing and mutex checkers as an INVALID summary prints
// it, with the node that served each operation (harness/counterexample.h).
#include "harness/counterexample.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "checker/counter_checker.h"
#include "checker/fencing_checker.h"
#include "checker/io/load.h"
#include "checker/mutex_checker.h"
#include "checker/set_checker.h"
#include "harness/check_command.h"

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

// Two grants 2 ms apart under a 1 s lease: both leases ran; the finding names both holders.
TEST(FirstFinding, MutexNamesBothHoldersWithTheirNodes) {
  const checker::History h = Parse(
      R"({"index":0,"time":0,"process":0,"type":"invoke","f":"acquire","key":0,"value":null}
{"index":1,"time":1000000,"process":0,"type":"ok","f":"acquire","key":0,"value":4,"node":"n1"}
{"index":2,"time":2000000,"process":1,"type":"invoke","f":"acquire","key":0,"value":null}
{"index":3,"time":3000000,"process":1,"type":"ok","f":"acquire","key":0,"value":5,"node":"n2"}
{"index":4,"time":4000000,"process":0,"type":"invoke","f":"release","key":0,"value":4}
)");
  const checker::MutexCheckResult m = *checker::CheckMutex(h, 1000000000);
  ASSERT_EQ(m.verdict, checker::Verdict::kInvalid);
  workloads::CheckerResult r{"mutex", m.verdict, m.summary, checker::MutexCheckResultToValue(m),
                             "",      ""};
  const std::string text = FirstFinding(r, h);
  EXPECT_THAT(text, HasSubstr("key 0: two clients held the lock at once while both leases ran"));
  EXPECT_THAT(text, HasSubstr("process 0 acquired token 4 on n1  [events 0..1], released at "
                              "event 4"));
  EXPECT_THAT(text, HasSubstr("process 1 acquired token 5 on n2  [events 2..3], never released"));
}

TEST(FirstFinding, ValidOrLinearizableKeepWhatTheyHave) {
  const checker::History h;
  workloads::CheckerResult valid{
      "set",
      checker::Verdict::kValid,
      "ok",
      checker::Value(),
  };
  EXPECT_EQ(FirstFinding(valid, h), "");
  workloads::CheckerResult lin{
      "linearizable", checker::Verdict::kInvalid, "x", checker::Value(), "key 1: ...\n", ""};
  EXPECT_EQ(FirstFinding(lin, h), "key 1: ...\n");
}

// `faultline check` on a history whose completions name their node (as `faultline test` records
// them): the text names the node of every operation shown, --json gives it as "node".
TEST(CheckCommandOutput, ShowsTheNodeOfEachOperation) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("faultline-nodes-" + std::to_string(::getpid()) + ".jsonl");
  std::ofstream(file) << R"({"index":0,"process":0,"type":"invoke","f":"write","key":"r1","value":1}
{"index":1,"process":0,"type":"ok","f":"write","key":"r1","value":1,"node":"n1"}
{"index":2,"process":1,"type":"invoke","f":"write","key":"r1","value":2}
{"index":3,"process":1,"type":"ok","f":"write","key":"r1","value":2,"node":"n1"}
{"index":4,"process":2,"type":"invoke","f":"read","key":"r1","value":null}
{"index":5,"process":2,"type":"ok","f":"read","key":"r1","value":1,"node":"n3"}
)";
  CheckCommandOptions o;
  o.files = {file.string()};
  o.initial_json = "0";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(RunCheckCommand(o), 1);
  const std::string text = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(text, HasSubstr("key r1: operation 5 cannot be linearized"));
  EXPECT_THAT(text, HasSubstr("op:        process 2 read -> 1 on n3  [events 4..5]"));
  EXPECT_THAT(text, HasSubstr("process 1 write 2 on n1  [events 2..3]"));
  o.json = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(RunCheckCommand(o), 1);
  const std::string json = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(json, HasSubstr("\"node\":\"n3\""));
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace faultline::harness
