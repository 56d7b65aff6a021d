// The `faultline test` option table (harness/cli.h): the rerun line of a run with non-default
// options parses back, through the same CLI11 parser and a real shell's quoting, into the same
// options (issue 12); suggestions for mistyped flags and values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "harness/test_command.h"

namespace {

using faultline::harness::ClosestMatch;
using faultline::harness::EditDistance;
using faultline::harness::ParseTestArgs;
using faultline::harness::RerunLine;
using faultline::harness::ShellQuote;
using faultline::harness::TestCommandOptions;
using faultline::harness::TestOptions;
using faultline::harness::TestRerunWords;
using ::testing::HasSubstr;
using ::testing::Not;

// The words /bin/sh makes of `line` (after "faultline test"): the rerun line is meant to be
// pasted into a shell, so a shell is the judge of its quoting.
std::vector<std::string> ShellWords(const std::string& line) {
  const std::string prefix = "faultline test";
  EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
  const std::string cmd = "printf '%s\\0' " + line.substr(prefix.size());
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (p != nullptr) {
    EXPECT_EQ(::pclose(p), 0);
  }
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\0') {
      words.push_back(out.substr(start, i - start));
      start = i + 1;
    }
  }
  return words;
}

// Every field of the options compared.
void ExpectSame(const TestCommandOptions& a, const TestCommandOptions& b) {
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.nodes, b.nodes);
  EXPECT_EQ(a.workload, b.workload);
  EXPECT_EQ(a.nemesis, b.nemesis);
  EXPECT_EQ(a.nemesis_interval_s, b.nemesis_interval_s);
  EXPECT_EQ(a.time_limit_s, b.time_limit_s);
  EXPECT_EQ(a.concurrency, b.concurrency);
  EXPECT_EQ(a.rate, b.rate);
  EXPECT_EQ(a.ops_per_key, b.ops_per_key);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.results_dir, b.results_dir);
  EXPECT_EQ(a.net, b.net);
  EXPECT_EQ(a.node_cmd, b.node_cmd);
  EXPECT_EQ(a.raft_opts, b.raft_opts);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.request_timeout_s, b.request_timeout_s);
  EXPECT_EQ(a.check_timeout_s, b.check_timeout_s);
  EXPECT_EQ(a.lease_ms, b.lease_ms);
  EXPECT_EQ(a.recovery_s, b.recovery_s);
  EXPECT_EQ(a.start_timeout_s, b.start_timeout_s);
  EXPECT_EQ(a.liveness, b.liveness);
  EXPECT_EQ(a.follow_leader, b.follow_leader);
}

TEST(TestOptionTable, RerunLineOfNonDefaultOptionsParsesBackIntoTheSameOptions) {
  TestCommandOptions o;
  o.target = "process";
  o.nodes = 3;
  o.workload = "lock";
  o.nemesis = "pause,kill";
  o.nemesis_interval_s = 1.5;
  o.time_limit_s = 12.25;
  o.concurrency = 7;
  o.rate = 0;
  o.ops_per_key = 17;
  o.results_dir = "/tmp/my results/it's here";
  o.net = "proxy";
  o.node_cmd = "python3 'my store.py' --id {id} --peers {peers} --json '{\"a\": 1}' --x \"$HOME\"";
  o.name = "user's store";
  o.request_timeout_s = 0.35;
  o.check_timeout_s = 45;
  o.lease_ms = 250;
  o.recovery_s = 7.5;
  o.start_timeout_s = 2.5;
  o.liveness = "report";
  o.follow_leader = false;
  const std::string line = RerunLine(o, 314211197);
  const std::vector<std::string> words = ShellWords(line);
  ASSERT_FALSE(words.empty()) << line;
  faultline::base::Result<TestCommandOptions> back = ParseTestArgs(words);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << line;
  o.seed = 314211197;
  ExpectSame(*back, o);
  for (const char* flag :
       {"--request-timeout 0.35", "--recovery 7.5", "--check-timeout 45", "--no-redirect"}) {
    EXPECT_THAT(line, HasSubstr(flag));
  }
}

TEST(TestOptionTable, RaftOptionsAndTheSeedRoundTrip) {
  TestCommandOptions o;
  o.raft_opts = {"unsafe-stale-reads", "election-timeout-ms=500"};
  o.time_limit_s = 0.1;
  const std::string line = RerunLine(o, 0);
  faultline::base::Result<TestCommandOptions> back = ParseTestArgs(ShellWords(line));
  ASSERT_TRUE(back.ok()) << back.status().message();
  o.seed = 0;
  ExpectSame(*back, o);
}

TEST(TestOptionTable, DefaultsPrintNothingButTheSeed) {
  TestCommandOptions o;
  EXPECT_EQ(RerunLine(o, 5), "faultline test --seed 5");
  EXPECT_TRUE(TestRerunWords(o).empty());
  faultline::base::Result<TestCommandOptions> back = ParseTestArgs({});
  ASSERT_TRUE(back.ok());
  ExpectSame(*back, o);
}

TEST(TestOptionTable, EveryOptionChangedPrintsBack) {
  // Each option, set to a non-default value through the table, appears in the rerun words: an
  // option the parser knows is never dropped from the rerun line.
  const std::vector<std::pair<std::string, std::string>> samples = {
      {"--target", "process"},
      {"--nodes", "3"},
      {"--workload", "set"},
      {"--nemesis", "none"},
      {"--nemesis-interval", "2"},
      {"--time-limit", "9"},
      {"--concurrency", "4"},
      {"--rate", "10"},
      {"--ops-per-key", "5"},
      {"--seed", "9"},
      {"--results", "r"},
      {"--net", "proxy"},
      {"--node-cmd", "x {id}"},
      {"--raft-opt", "unsafe-no-fsync"},
      {"--etcd-reads", "serializable"},
      {"--zk-reads", "plain"},
      {"--name", "n"},
      {"--request-timeout", "2"},
      {"--check-timeout", "3"},
      {"--lease-ms", "7"},
      {"--recovery", "4"},
      {"--start-timeout", "3"},
      {"--liveness", "unknown"},
      {"--no-redirect", ""}};
  for (const auto& opt : TestOptions()) {
    auto it = std::find_if(samples.begin(), samples.end(),
                           [&](const auto& s) { return s.first == opt.name; });
    ASSERT_NE(it, samples.end()) << opt.name << " has no sample value in this test";
    TestCommandOptions o;
    ASSERT_TRUE(opt.set(&o, it->second).ok()) << opt.name;
    const std::vector<std::string> words = TestRerunWords(o);
    ASSERT_FALSE(words.empty()) << opt.name;
    EXPECT_EQ(words.front(), opt.name);
  }
}

TEST(TestOptionTable, BadValuesAreOneLineWithASuggestion) {
  auto error = [](std::vector<std::string> args) {
    faultline::base::Result<TestCommandOptions> r = ParseTestArgs(args);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_THAT(error({"--nemsis", "none"}),
              HasSubstr("unknown option --nemsis (did you mean --nemesis?)"));
  EXPECT_THAT(error({"--nemesis=pase"}), HasSubstr("'pase' (did you mean pause?)"));
  EXPECT_THAT(error({"--nemesis", "partition,kil"}), HasSubstr("(did you mean kill?)"));
  EXPECT_THAT(error({"--workload", "regster"}), HasSubstr("(did you mean register?)"));
  EXPECT_THAT(error({"--net", "vpn"}), Not(HasSubstr("did you mean")));
  EXPECT_THAT(
      error({"--raft-opt", "unsafe-stale-read"}),
      HasSubstr("unknown --raft-opt 'unsafe-stale-read' (did you mean unsafe-stale-reads?)"));
  EXPECT_THAT(error({"--nodes", "x"}), HasSubstr("--nodes: 'x' is not an integer"));
  EXPECT_THAT(error({"--rate", "fast"}), HasSubstr("--rate: 'fast' is not a number"));
  EXPECT_THAT(error({"--time-limit", "inf"}), HasSubstr("not a number"));
}

TEST(TestOptionTable, AnOptionGivenTwiceTakesTheLastValueAndARepeatableOneAll) {
  faultline::base::Result<TestCommandOptions> r =
      ParseTestArgs({"--nodes", "2", "--nodes=3", "--raft-opt", "unsafe-no-fsync", "--raft-opt",
                     "heartbeat-ms=5"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->nodes, 3);
  EXPECT_EQ(r->raft_opts, (std::vector<std::string>{"unsafe-no-fsync", "heartbeat-ms=5"}));
}

TEST(TestOptionTable, ClosestMatchIsAnEditDistanceWithALimit) {
  EXPECT_EQ(EditDistance("nemsis", "nemesis"), 1u);
  EXPECT_EQ(EditDistance("nemeiss", "nemesis"), 1u);  // a swap of neighbours is one edit
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  const std::vector<std::string> names = {"--nodes", "--node-cmd", "--nemesis", "--name"};
  EXPECT_EQ(ClosestMatch("--nemsis", names), "--nemesis");
  EXPECT_EQ(ClosestMatch("--node", names), "--nodes");
  EXPECT_EQ(ClosestMatch("--frobnicate", names), "");
}

TEST(TestOptionTable, ShellQuoteLeavesPlainWordsAlone) {
  EXPECT_EQ(ShellQuote("--time-limit"), "--time-limit");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("{id}"), "'{id}'");
}

// --target etcd: its read mode, and the network it needs (issue 14).
TEST(TestOptionTable, EtcdOptionsAreCheckedWithTheTarget) {
  auto parse = [](std::vector<std::string> args) {
    faultline::base::Result<TestCommandOptions> r = ParseTestArgs(args);
    return r.ok() ? ValidateTestOptions(*r) : r.status();
  };
  EXPECT_TRUE(parse({"--target", "etcd", "--etcd-reads", "serializable"}).ok());
  EXPECT_EQ(parse({"--target", "raft", "--etcd-reads", "serializable"}).message(),
            "--etcd-reads is for --target etcd");
  EXPECT_EQ(parse({"--target", "etcd", "--net", "proxy"}).message(),
            "--target etcd needs --net netns: etcd's members share one list of peer URLs, which "
            "the proxy backend's per-link relays cannot give");
  EXPECT_FALSE(parse({"--target", "etcd", "--etcd-reads", "stale"}).ok());
}

// --target zookeeper: its read mode, and the network it needs (issue 14).
TEST(TestOptionTable, ZooKeeperOptionsAreCheckedWithTheTarget) {
  auto parse = [](std::vector<std::string> args) {
    faultline::base::Result<TestCommandOptions> r = ParseTestArgs(args);
    return r.ok() ? ValidateTestOptions(*r) : r.status();
  };
  EXPECT_TRUE(parse({"--target", "zookeeper", "--zk-reads", "plain"}).ok());
  EXPECT_TRUE(parse({"--target", "zookeeper", "--zk-reads", "sync"}).ok());
  EXPECT_EQ(parse({"--target", "etcd", "--zk-reads", "plain"}).message(),
            "--zk-reads is for --target zookeeper");
  EXPECT_EQ(parse({"--target", "zookeeper", "--net", "proxy"}).message(),
            "--target zookeeper needs --net netns: every member's zoo.cfg lists the same server "
            "addresses, which the proxy backend's per-link relays cannot give");
  EXPECT_FALSE(parse({"--target", "zookeeper", "--zk-reads", "stale"}).ok());
}

// test.json keeps the read mode, and `faultline analyze` reads it back.
TEST(TestOptionTable, ZooKeeperReadModeSurvivesTestJson) {
  TestCommandOptions o;
  o.target = "zookeeper";
  o.zk_reads = "plain";
  const faultline::checker::Value config = faultline::harness::TestConfigValue(o, "zk", 7, 6);
  ASSERT_NE(config.find("zk_reads"), nullptr);
  faultline::base::Result<TestCommandOptions> back =
      faultline::harness::TestOptionsFromConfig(config);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->target, "zookeeper");
  EXPECT_EQ(back->zk_reads, "plain");
}

}  // namespace
