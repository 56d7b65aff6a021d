#include "results/run_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "results/store.h"

namespace faultline::results {
namespace {

namespace fs = std::filesystem;
using checker::Value;
using checker::Verdict;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file in `dir` whose name holds ".tmp": what a writer left behind.
std::vector<std::string> Leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

class RunFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-runfiles-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TestRecord SampleTest() {
  TestRecord t;
  t.config = Value::MakeObject({{"name", Value::String("raft-register")},
                                {"nodes", Value::Int(5)},
                                {"seed", Value::Int(11)},
                                {"rate", Value::Double(500.5)}});
  t.rerun = "faultline test --seed 11 --name raft-register";
  t.faultline_version = "0.1.0";
  t.started_at = "20261203T203226.394";
  t.run_id = "fl1a2b";
  t.node_commands = {{"/bin/raftkv", "--id", "n1"}, {"/bin/raftkv", "--id", "n2"}};
  t.net_backend = "proxy";
  return t;
}

RunResults SampleResults() {
  RunResults r;
  r.file = "/tmp/run/history.jsonl";
  r.verdict = Verdict::kInvalid;
  r.cause = "linearizable: key 3 cannot be linearized";
  r.checkers.push_back(
      {"linearizable", Verdict::kInvalid, "1 of 14 keys invalid",
       Value::MakeObject({{"keys", Value::MakeObject({{"3", Value::Bool(false)}})},
                          {"failures", Value::MakeArray({Value::String("op 17")})},
                          {"stats", Value::MakeObject({{"ops", Value::Int(2434)}})}})});
  r.checkers.push_back({"set", Verdict::kValid, "all 40 adds read", Value::MakeObject({})});
  r.run.name = "raft-register";
  r.run.seed = 11;
  r.run.net_backend = "netns";
  r.run.invokes = 2434;
  r.run.ok = 1586;
  r.run.fail = 840;
  r.run.info = 8;
  r.run.nemesis_events = 4;
  r.run.errors = {{"fail mismatch", 648}, {"info timeout", 8}};
  r.run.faults = 2;
  r.run.workload_s = 6.5;
  r.run.check_s = 0.25;
  r.run.phases_s = {{"prepare", 0.5}, {"start", 1.25}, {"run", 6.5}};
  r.run.completed = true;
  r.run.nodes_exited = {"n3: exit code 1"};
  r.run.error = "network setup: no veth";
  r.run.not_ready = {"n1: connection refused", "n2: exited with status 3; stderr: fatal"};
  r.run.availability = checker::Value::MakeObject(
      {{"n1", checker::Value::MakeObject(
                  {{"ok", checker::Value::Int(3)}, {"total", checker::Value::Int(4)}})}});
  return r;
}

TEST_F(RunFilesTest, TestJsonRoundTrips) {
  const TestRecord t = SampleTest();
  ASSERT_TRUE(WriteTestJson(dir_.string(), t).ok());
  base::Result<TestRecord> back = ReadTestJson(dir_.string());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, t);
}

TEST_F(RunFilesTest, TestJsonOfARunStoppedBeforeItsNodesHasNoNodeCommands) {
  TestRecord t = SampleTest();
  t.node_commands.clear();
  t.net_backend.clear();
  ASSERT_TRUE(WriteTestJson(dir_.string(), t).ok());
  const std::string text = ReadFile(dir_ / "test.json");
  EXPECT_EQ(text.find("node_commands"), std::string::npos) << text;
  EXPECT_EQ(*ReadTestJson(dir_.string()), t);
}

TEST_F(RunFilesTest, ResultsJsonRoundTrips) {
  const RunResults r = SampleResults();
  ASSERT_TRUE(WriteRunResults(dir_.string(), r).ok());
  base::Result<RunResults> back = ReadRunResults(dir_.string());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->file, r.file);
  EXPECT_EQ(back->verdict, r.verdict);
  EXPECT_EQ(back->cause, r.cause);
  EXPECT_EQ(back->checkers, r.checkers);
  EXPECT_EQ(back->run, r.run);
  EXPECT_EQ(*back, r);
}

TEST_F(RunFilesTest, ResultsJsonLiftsTheLinearizabilityObjectToTheTop) {
  // DESIGN.md section 7: results.json is the section 4 object plus `checkers` and `run`.
  ASSERT_TRUE(WriteRunResults(dir_.string(), SampleResults()).ok());
  base::Result<Value> doc = checker::ParseJson(ReadFile(dir_ / "results.json"));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*doc->find("valid"), Value::Bool(false));
  for (const char* field : {"file", "cause", "keys", "failures", "stats", "checkers", "run"}) {
    EXPECT_NE(doc->find(field), nullptr) << field;
  }
  EXPECT_EQ(doc->find("failures")->as_array().size(), 1u);
  EXPECT_EQ(*doc->find("checkers")->find("set")->find("valid"), Value::Bool(true));
  EXPECT_EQ(doc->find("run")->find("errors")->find("fail mismatch")->as_int(), 648);
}

TEST_F(RunFilesTest, VerdictsAreTrueFalseOrUnknown) {
  EXPECT_EQ(VerdictValue(Verdict::kValid), Value::Bool(true));
  EXPECT_EQ(VerdictValue(Verdict::kInvalid), Value::Bool(false));
  EXPECT_EQ(VerdictValue(Verdict::kUnknown), Value::String("unknown"));
  for (Verdict v : {Verdict::kValid, Verdict::kInvalid, Verdict::kUnknown}) {
    RunResults r;
    r.verdict = v;
    ASSERT_TRUE(WriteRunResults(dir_.string(), r).ok());
    EXPECT_EQ(ReadRunResults(dir_.string())->verdict, v);
  }
}

TEST_F(RunFilesTest, PendingResultsSayTheCheckDidNotFinish) {
  ASSERT_TRUE(WriteCheckPending(dir_.string(), "/tmp/run/history.jsonl").ok());
  base::Result<RunResults> back = ReadRunResults(dir_.string());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->verdict, Verdict::kUnknown);
  EXPECT_EQ(back->cause, "the check did not finish");
  EXPECT_EQ(back->file, "/tmp/run/history.jsonl");
}

TEST_F(RunFilesTest, WritersReplaceWholeFilesAndLeaveNoTemporaries) {
  ASSERT_TRUE(WriteCheckPending(dir_.string(), "h").ok());
  ASSERT_TRUE(WriteRunResults(dir_.string(), SampleResults()).ok());
  ASSERT_TRUE(WriteTestJson(dir_.string(), SampleTest()).ok());
  EXPECT_EQ(*ReadRunResults(dir_.string()), SampleResults());
  EXPECT_TRUE(Leftovers(dir_).empty());
  // A file that exists is replaced by the rename, never truncated in place: a reader that
  // opened the old file still reads the whole old file.
  std::ifstream old_reader(dir_ / "results.json");
  ASSERT_TRUE(WriteCheckPending(dir_.string(), "h").ok());
  std::stringstream old_text;
  old_text << old_reader.rdbuf();
  EXPECT_TRUE(checker::ParseJson(old_text.str()).ok());
  EXPECT_NE(old_text.str().find("fail mismatch"), std::string::npos);
}

TEST_F(RunFilesTest, AFolderThatCannotBeWrittenIsAnErrorNotACrash) {
  EXPECT_FALSE(WriteRunResults((dir_ / "missing").string(), SampleResults()).ok());
  EXPECT_FALSE(WriteTestJson((dir_ / "missing").string(), SampleTest()).ok());
  EXPECT_FALSE(ReadRunResults((dir_ / "missing").string()).ok());
  std::ofstream(dir_ / "results.json") << "{not json";
  EXPECT_FALSE(ReadRunResults(dir_.string()).ok());
}

TEST_F(RunFilesTest, CheckReportHasOneObjectPerFileAndTheText) {
  std::vector<Value> files = {
      Value::MakeObject({{"file", Value::String("a.jsonl")}, {"valid", Value::Bool(true)}}),
      Value::MakeObject({{"file", Value::String("b.jsonl")}, {"valid", Value::String("unknown")}})};
  ASSERT_TRUE(WriteCheckReport(dir_.string(), files, "a.jsonl: valid\n").ok());
  base::Result<Value> doc = checker::ParseJson(ReadFile(dir_ / "results.json"));
  ASSERT_TRUE(doc.ok());
  ASSERT_NE(doc->find("files"), nullptr);
  EXPECT_EQ(doc->find("files")->as_array(), files);
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "a.jsonl: valid\n");
  EXPECT_TRUE(Leftovers(dir_).empty());
}

}  // namespace
}  // namespace faultline::results
