// Suite files (harness/suite.h): keys mirror `faultline test`'s flags, the matrix expands in
// order, and every mistake is one line naming where it was written.
#include "harness/suite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Error(const std::string& json) {
  base::Result<Suite> s = ParseSuite(json);
  EXPECT_FALSE(s.ok()) << json;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos) << s.status().message();
  return s.status().message();
}

TEST(Suite, DefaultsAloneAreOneRun) {
  base::Result<Suite> s = ParseSuite(R"({"defaults": {"nodes": 3, "time_limit": 2.5}})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "suite");
  ASSERT_EQ(s->runs.size(), 1u);
  EXPECT_THAT(s->runs[0].args, ElementsAre("--nodes", "3", "--time-limit", "2.5"));
  EXPECT_EQ(s->runs[0].options.nodes, 3);
  EXPECT_EQ(s->runs[0].options.time_limit_s, 2.5);
}

TEST(Suite, RunsThenMatrixLastKeyFastestRepeatedWhole) {
  base::Result<Suite> s = ParseSuite(R"({
    "name": "nightly", "defaults": {"target": "raft", "nodes": 5, "time_limit": 60},
    "runs": [{"workload": "set", "nemesis": "partition", "nodes": 3}],
    "matrix": {"workload": ["register", "counter"], "nemesis": ["pause", "partition,kill"]},
    "repeat": 2})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "nightly");
  ASSERT_EQ(s->runs.size(), 10u);
  std::vector<std::string> labels;
  for (const SuiteRun& r : s->runs) labels.push_back(r.label);
  // nodes differs between the runs, so the labels name it.
  EXPECT_EQ(labels[0], "raft set partition [nodes=3] (1/2)");
  EXPECT_EQ(labels[1], "raft register pause [nodes=5] (1/2)");
  EXPECT_EQ(labels[2], "raft register partition,kill [nodes=5] (1/2)");
  EXPECT_EQ(labels[3], "raft counter pause [nodes=5] (1/2)");
  EXPECT_EQ(labels[4], "raft counter partition,kill [nodes=5] (1/2)");
  EXPECT_EQ(labels[5], "raft set partition [nodes=3] (2/2)");
  EXPECT_EQ(s->runs[0].options.nodes, 3);  // the run's own value over the default
  EXPECT_EQ(s->runs[1].options.nodes, 5);
  EXPECT_EQ(s->runs[9].index, 10);
  EXPECT_EQ(s->runs[9].repetition, 2);
}

// Two runs that differ only in a deliberate bug must not read alike in the table and junit.xml.
TEST(Suite, LabelsNameWhatDiffersBetweenRuns) {
  base::Result<Suite> s = ParseSuite(R"({"defaults": {"nodes": 3, "time_limit": 5},
    "runs": [{}, {"raft_opt": ["unsafe-stale-reads"]}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->runs.size(), 2u);
  EXPECT_EQ(s->runs[0].label, "raft register partition,pause,kill");
  EXPECT_EQ(s->runs[1].label,
            "raft register partition,pause,kill [raft_opt=[\"unsafe-stale-reads\"]]");
}

TEST(Suite, FlagsListsAndNumbers) {
  base::Result<Suite> s = ParseSuite(
      R"({"runs": [{"no_redirect": true, "raft_opt": ["unsafe-stale-reads", "heartbeat-ms=50"],
                    "seed": 7, "rate": 0}, {"no_redirect": false}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_FALSE(s->runs[0].options.follow_leader);
  EXPECT_THAT(s->runs[0].options.raft_opts, ElementsAre("unsafe-stale-reads", "heartbeat-ms=50"));
  EXPECT_EQ(s->runs[0].options.seed, 7u);
  EXPECT_EQ(s->runs[0].options.rate, 0);
  EXPECT_TRUE(s->runs[1].options.follow_leader);
  EXPECT_TRUE(s->runs[1].args.empty());
}

TEST(Suite, BadFilesAreOneLine) {
  EXPECT_THAT(Error("{"), HasSubstr("not JSON"));
  EXPECT_THAT(Error("[]"), HasSubstr("one JSON object"));
  EXPECT_THAT(Error(R"({"runz": []})"), HasSubstr("unknown key 'runz' (did you mean runs?)"));
  EXPECT_THAT(Error(R"({"runs": [{"nemsis": "none"}]})"),
              HasSubstr("runs[0]: unknown key 'nemsis' (did you mean nemesis?)"));
  EXPECT_THAT(Error(R"({"defaults": {"time-limit": 3}})"),
              HasSubstr("keys use underscores: time_limit"));
  EXPECT_THAT(Error(R"({"defaults": {"results": "x"}})"), HasSubstr("'results' is not a key"));
  EXPECT_THAT(Error(R"({"runs": [{"nemesis": "partiton"}]})"), HasSubstr("did you mean partition"));
  EXPECT_THAT(Error(R"({"runs": [{"nodes": "many"}]})"), HasSubstr("'many' is not an integer"));
  EXPECT_THAT(Error(R"({"runs": [{"nodes": 0}]})"), HasSubstr("--nodes must be between 1 and 64"));
  EXPECT_THAT(Error(R"({"runs": [{"nodes": [3]}]})"), HasSubstr("not a list"));
  EXPECT_THAT(Error(R"({"runs": [{"no_redirect": "yes"}]})"), HasSubstr("true or false"));
  EXPECT_THAT(Error(R"({"runs": [{"nodes": null}]})"), HasSubstr("string or a number"));
  EXPECT_THAT(Error(R"({"matrix": {"workload": []}})"), HasSubstr("non-empty list"));
  EXPECT_THAT(Error(R"({"matrix": {"workload": ["register", "queue"]}})"),
              HasSubstr("unknown --workload 'queue'"));
  EXPECT_THAT(Error(R"({"repeat": 0})"), HasSubstr("repeat"));
  EXPECT_THAT(Error(R"({"name": "../x"})"), HasSubstr("plain name"));
  EXPECT_THAT(Error(R"({"runs": [{"target": "process"}]})"), HasSubstr("needs --node-cmd"));
  EXPECT_THAT(Error(R"({"matrix": {"nodes": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,
      21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50],
      "seed": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,
      31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,
      61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,
      91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,
      116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,
      139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,
      162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,
      185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201]}})"),
              HasSubstr("more than 10000 runs"));
}

// The shipped suites parse (their targets' availability is the suite command's business).
TEST(Suite, ShippedQuickSuiteParses) {
  base::Result<Suite> s = LoadSuiteFile(FAULTLINE_SOURCE_DIR "/suites/quick.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_GE(s->runs.size(), 2u);
}

}  // namespace
}  // namespace faultline::harness
