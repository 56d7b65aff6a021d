// `faultline suite`, `analyze` and `serve` end to end (issue 15): the real binary on short runs
// (raftkv, and the Python store tests/data/stores/split_brain_kv.py whose runs are reliably
// INVALID), their folders and exit codes; `serve` on a reserved loopback port, every request
// that would escape the results folder refused. Every process started here is ended here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "checker/value.h"
#include "tests/kit/http.h"
#include "tests/kit/ports.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using faultline::checker::Value;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";
const std::string kSplitBrain = FAULTLINE_SOURCE_DIR "/tests/data/stores/split_brain_kv.py";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Value ReadJson(const fs::path& p) {
  auto v = faultline::checker::ParseJson(ReadFile(p));
  EXPECT_TRUE(v.ok()) << p << ": " << (v.ok() ? "" : v.status().message());
  return v.ok() ? *v : Value();
}

// Lines in `text` (each ends with '\n').
int64_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

std::string Str(const Value& o, const char* key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

int64_t Int(const Value& o, const char* key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_int() ? v->as_int() : -1;
}

// A short run: 3 nodes, 2 s, no faults, small bounds for a loaded machine.
const char* kShort =
    R"("nodes": 3, "time_limit": 2, "nemesis": "none", "start_timeout": 20, "recovery": 10)";

std::string SplitBrainCmd() {
  return "python3 " + kSplitBrain +
         " --id {id} --host {host} --client-port {client_port} --peer-port {peer_port}"
         " --peers {peers} --data {data_dir}";
}

class SuiteCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-suite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (pid_ > 0) {  // a process that outlived its test
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // Starts `faultline ARGS` with stdout and stderr into out.txt (stderr alone into err.txt).
  void Start(const std::vector<std::string>& args) {
    std::vector<std::string> all = {kBinary};
    all.insert(all.end(), args.begin(), args.end());
    const std::string out = (dir_ / "out.txt").string();
    const std::string err = (dir_ / "err.txt").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(err.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  // Waits (bounded) for the process of Start; its exit code, or -1.
  int Wait(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    int status = 0;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "faultline did not end within " << limit.count() << " s";
    return -1;
  }

  int Run(const std::vector<std::string>& args, std::chrono::seconds limit) {
    Start(args);
    return Wait(limit);
  }

  std::string Out() { return ReadFile(dir_ / "out.txt"); }
  std::string Err() { return ReadFile(dir_ / "err.txt"); }

  // The one suite folder under results/suites/<name>/.
  fs::path SuiteDir(const std::string& name) {
    const fs::path parent = dir_ / "results" / "suites" / name;
    if (!fs::is_directory(parent)) return {};
    for (const auto& e : fs::directory_iterator(parent)) return e.path();
    return {};
  }

  // junit.xml read by Python's XML parser: "<tests> <failures> <errors> <skipped>" of the root.
  std::string JunitCounts(const fs::path& file) {
    const std::string cmd =
        "python3 -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
        "print(r.tag, r.get('tests'), r.get('failures'), r.get('errors'), r.get('skipped'), "
        "len(r.findall('testsuite')), len(r.findall('.//testcase')))\" " +
        file.string() + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    for (size_t n; p != nullptr && (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    if (p != nullptr) ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  fs::path dir_;
  pid_t pid_ = 0;
};

TEST_F(SuiteCommand, TwoValidRunsWriteSummaryJunitAndIndex) {
  const std::string file =
      Write("two.json", std::string(R"({"name": "two", "defaults": {)") + kShort +
                            R"(}, "matrix": {"workload": ["register",
                                                 "counter"]}})");
  const int code =
      Run({"suite", file, "--results", (dir_ / "results").string()}, std::chrono::seconds(240));
  EXPECT_EQ(code, 0) << Out();
  EXPECT_THAT(Out(), HasSubstr("run 1 of 2: raft register none"));
  EXPECT_THAT(Out(), HasSubstr("run 2 of 2: valid"));
  EXPECT_THAT(Out(), HasSubstr("2 valid, 0 invalid, 0 unknown, 0 crashed"));
  const fs::path suite = SuiteDir("two");
  ASSERT_FALSE(suite.empty());
  const Value summary = ReadJson(suite / "summary.json");
  EXPECT_EQ(Str(summary, "name"), "two");
  EXPECT_EQ(Int(summary, "exit_code"), 0);
  const Value* counts = summary.find("counts");
  ASSERT_NE(counts, nullptr);
  EXPECT_EQ(Int(*counts, "valid"), 2);
  const Value* runs = summary.find("runs");
  ASSERT_TRUE(runs != nullptr && runs->is_array());
  ASSERT_EQ(runs->as_array().size(), 2u);
  for (const Value& r : runs->as_array()) {
    EXPECT_EQ(Str(r, "status"), "valid");
    EXPECT_EQ(Int(r, "exit_code"), 0);
    const fs::path run_dir = suite / Str(r, "run_dir");
    EXPECT_TRUE(fs::exists(run_dir / "results.json")) << run_dir;
    EXPECT_THAT(Str(r, "rerun"), HasSubstr("--seed "));
    EXPECT_THAT(Str(r, "rerun"), Not(HasSubstr("--results")));
  }
  EXPECT_EQ(Str(runs->as_array()[1], "workload"), "counter");
  // 2 runs x their checkers (workload's, stats, liveness, node-exits), none failing.
  const std::string junit = JunitCounts(suite / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("testsuites ")) << junit;
  EXPECT_THAT(junit, HasSubstr(" 0 0 0 2 ")) << junit;  // failures errors skipped suites
  const std::string index = ReadFile(suite / "index.html");
  EXPECT_THAT(index, HasSubstr("report.html"));
  EXPECT_THAT(index, HasSubstr(Str(runs->as_array()[0], "run_dir") + "/results.json"));
}

TEST_F(SuiteCommand, AnInvalidRunExitsOneAndTheNextRunStillRuns) {
  const std::string file =
      Write("mixed.json", std::string(R"({"name": "mixed", "defaults": {)") + kShort +
                              R"(}, "runs": [{"target": "process", "node_cmd": ")" +
                              SplitBrainCmd() + R"("}, {"target": "raft"}]})");
  const int code =
      Run({"suite", file, "--results", (dir_ / "results").string()}, std::chrono::seconds(240));
  EXPECT_EQ(code, 1) << Out();
  const fs::path suite = SuiteDir("mixed");
  ASSERT_FALSE(suite.empty());
  const Value summary = ReadJson(suite / "summary.json");
  EXPECT_EQ(Int(summary, "exit_code"), 1);
  const Value* runs = summary.find("runs");
  ASSERT_TRUE(runs != nullptr && runs->is_array() && runs->as_array().size() == 2);
  const Value& bad = runs->as_array()[0];
  const Value& good = runs->as_array()[1];
  EXPECT_EQ(Str(bad, "status"), "invalid");
  EXPECT_EQ(Int(bad, "exit_code"), 1);
  EXPECT_THAT(Str(bad, "cause"), HasSubstr("linearizable"));
  EXPECT_THAT(Str(bad, "rerun"), HasSubstr("split_brain_kv.py"));
  EXPECT_EQ(Str(good, "status"), "valid");
  EXPECT_TRUE(fs::exists(suite / Str(good, "run_dir") / "history.jsonl"));
  // The failing checker and each of its failing keys are <failure>s in the suite's junit.xml
  // (no errors, nothing skipped, two suites).
  const std::string junit = JunitCounts(suite / "junit.xml");
  EXPECT_THAT(junit, ::testing::MatchesRegex("testsuites [0-9]+ [1-9][0-9]* 0 0 2 .*")) << junit;
  std::ifstream junit_file(suite / "junit.xml");
  const std::string junit_text((std::istreambuf_iterator<char>(junit_file)),
                               std::istreambuf_iterator<char>());
  EXPECT_THAT(junit_text, HasSubstr("name=\"linearizable key ")) << junit_text;
  EXPECT_THAT(Out(), HasSubstr("1 valid, 1 invalid"));
  EXPECT_THAT(Out(), HasSubstr("rerun: faultline test --target process"));

  // analyze: the stored invalid run judged again. A results.json that says otherwise (as after a
  // checker bug) is rewritten, and the exit code is the verdict's.
  const fs::path bad_dir = suite / Str(bad, "run_dir");
  const Value before = ReadJson(bad_dir / "results.json");
  std::string text = ReadFile(bad_dir / "results.json");
  const std::string from = R"("valid":false)";
  ASSERT_NE(text.find(from), std::string::npos) << text.substr(0, 200);
  text.replace(text.find(from), from.size(), R"("valid":true)");
  std::ofstream(bad_dir / "results.json") << text;
  std::filesystem::remove(bad_dir / "junit.xml");
  EXPECT_EQ(Run({"analyze", bad_dir.string()}, std::chrono::seconds(60)), 1) << Out() << Err();
  const Value after = ReadJson(bad_dir / "results.json");
  EXPECT_EQ(after.find("valid")->ToJson(), "false");
  // The run's statistics are kept.
  EXPECT_EQ(Int(*after.find("run"), "invokes"), Int(*before.find("run"), "invokes"));
  EXPECT_EQ(Str(*after.find("run"), "name"), Str(*before.find("run"), "name"));
  EXPECT_TRUE(fs::exists(bad_dir / "junit.xml"));
  EXPECT_THAT(Out(), HasSubstr("INVALID: linearizable"));
  // `check RUN_DIR` checks the history alone (linearizability, the default model).
  EXPECT_EQ(Run({"check", bad_dir.string()}, std::chrono::seconds(60)), 1) << Out() << Err();
  EXPECT_THAT(Out(), HasSubstr("history.jsonl"));
  // The valid run stays valid.
  EXPECT_EQ(Run({"analyze", (suite / Str(good, "run_dir")).string()}, std::chrono::seconds(60)), 0)
      << Out() << Err();
  EXPECT_THAT(Out(), HasSubstr("VALID"));
  // A run whose check never finished (the pending results.json) is judged from the history.
  std::ofstream(bad_dir / "results.json")
      << R"({"valid":"unknown","cause":"the check did not finish"})";
  EXPECT_EQ(Run({"analyze", bad_dir.string()}, std::chrono::seconds(60)), 1) << Out() << Err();
  EXPECT_THAT(Out(), HasSubstr("no complete results.json"));
}

// Ctrl-C: passed on to the running test, which wraps up cleanly; the suite stops after it, the
// rest not run, exit 2; nothing the runs started is left running.
TEST_F(SuiteCommand, SigintEndsTheCurrentRunCleanlyAndStops) {
  const std::string file =
      Write("long.json",
            R"({"name": "long", "defaults": {"nodes": 3, "time_limit": 60, "nemesis": "none",
          "start_timeout": 20}, "matrix": {"workload": ["register", "set"]}})");
  Start({"suite", file, "--results", (dir_ / "results").string()});
  // Until run 1's workload is under way.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline && Err().find("running register") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(Err(), HasSubstr("running register")) << Out();
  ASSERT_EQ(::kill(pid_, SIGINT), 0);
  EXPECT_EQ(Wait(std::chrono::seconds(90)), 2) << Out() << Err();
  EXPECT_THAT(Err(), HasSubstr("stopping after the current run"));
  const fs::path suite = SuiteDir("long");
  ASSERT_FALSE(suite.empty());
  const Value summary = ReadJson(suite / "summary.json");
  EXPECT_EQ(summary.find("interrupted")->ToJson(), "true");
  EXPECT_EQ(Int(summary, "exit_code"), 2);
  const Value& runs = *summary.find("runs");
  EXPECT_EQ(Str(runs.as_array()[0], "status"), "unknown");
  // (Its cause: "interrupted", or a checker's unknown when it was stopped before every kind of
  // operation succeeded once.)
  EXPECT_EQ(Int(runs.as_array()[0], "exit_code"), 2);
  EXPECT_EQ(Str(runs.as_array()[1], "status"), "not-run");
  // The interrupted run checked what it recorded and left its folder complete.
  EXPECT_TRUE(fs::exists(suite / Str(runs.as_array()[0], "run_dir") / "results.json"));
  // No process of this test's folder is left (the nodes' command lines name their data folder).
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string cmdline = ReadFile(e.path() / "cmdline");
    EXPECT_EQ(cmdline.find(dir_.string()), std::string::npos) << e.path() << ": " << cmdline;
  }
}

// A run that crashes (here its node kills the `faultline test` process with SIGKILL, under the
// proxy backend so that no namespace outlives it) is counted as crashed, exit 255, and the next
// run still runs.
TEST_F(SuiteCommand, ACrashedRunIsCountedAndTheSuiteGoesOn) {
  const std::string file =
      Write("crash.json", std::string(R"({"name": "crash", "defaults": {)") + kShort +
                              R"(}, "runs": [{"target": "process", "net": "proxy", "node_cmd":
                        "python3 -c 'import os, signal; os.kill(os.getppid(), signal.SIGKILL)' {id}"},
                        {"target": "raft"}]})");
  EXPECT_EQ(
      Run({"suite", file, "--results", (dir_ / "results").string()}, std::chrono::seconds(180)),
      255)
      << Out();
  const fs::path suite = SuiteDir("crash");
  ASSERT_FALSE(suite.empty());
  const Value summary = ReadJson(suite / "summary.json");
  const Value& runs = *summary.find("runs");
  EXPECT_EQ(Str(runs.as_array()[0], "status"), "crashed");
  EXPECT_THAT(Str(runs.as_array()[0], "cause"), HasSubstr("killed by signal 9"));
  EXPECT_EQ(Str(runs.as_array()[1], "status"), "valid");
  EXPECT_EQ(Int(*summary.find("counts"), "crashed"), 1);
  const std::string junit = JunitCounts(suite / "junit.xml");
  EXPECT_THAT(junit, HasSubstr(" 0 1 0 2 ")) << junit;  // the crash is an <error>
}

TEST_F(SuiteCommand, AnalyzeRefusesWhatIsNotARunFolder) {
  EXPECT_EQ(Run({"analyze", (dir_ / "nothing").string()}, std::chrono::seconds(30)), 254);
  EXPECT_THAT(Err(), HasSubstr("no such run folder"));
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(Run({"analyze", (dir_ / "empty").string()}, std::chrono::seconds(30)), 254);
  EXPECT_THAT(Err(), HasSubstr("not a run folder (no test.json)"));
  Write("empty/test.json", "{\"config\": {\"workload\": \"queue\"}}");
  EXPECT_EQ(Run({"analyze", (dir_ / "empty").string()}, std::chrono::seconds(30)), 254);
  EXPECT_THAT(Err(), HasSubstr("queue"));
  Write("empty/test.json", "{\"config\": {\"workload\": \"register\", \"nodes\": 3}}");
  EXPECT_EQ(Run({"analyze", (dir_ / "empty").string()}, std::chrono::seconds(30)), 254);
  EXPECT_THAT(Err(), HasSubstr("no history.jsonl"));
  Write("empty/history.jsonl", "{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\"\n");
  EXPECT_EQ(Run({"analyze", (dir_ / "empty").string()}, std::chrono::seconds(30)), 254);
  EXPECT_EQ(Lines(Err()), 1) << Err();
}

TEST_F(SuiteCommand, BadSuiteFilesAreOneLineAnd254BeforeAnythingStarts) {
  const std::string results = (dir_ / "results").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"runs\": [", "not JSON"},
      {R"({"runs": [{"nemsis": "none"}]})", "did you mean nemesis"},
      {R"({"defaults": {"time_limit": "soon"}})", "'soon' is not a number"},
      {R"({"matrix": {"workload": ["register", "queue"]}})", "unknown --workload 'queue'"},
      {R"({"runs": [{"target": "raft", "workload": "register"}], "repeat": -1})", "repeat"},
      {R"({"runs": [{"nodes": 1, "nemesis": "partition"}]})", "a partition needs at least 2"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string file = Write("bad.json", text);
    EXPECT_EQ(Run({"suite", file, "--results", results}, std::chrono::seconds(30)), 254) << text;
    EXPECT_THAT(Err(), HasSubstr(expected)) << text;
    EXPECT_EQ(Lines(Err()), 1) << Err();
  }
  EXPECT_EQ(Run({"suite", (dir_ / "missing.json").string()}, std::chrono::seconds(30)), 254);
  EXPECT_THAT(Err(), HasSubstr("cannot read the suite file"));
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "a bad suite started something";
}

TEST_F(SuiteCommand, DryRunListsTheRuns) {
  const std::string file =
      Write("dry.json", R"({"defaults": {"nodes": 3}, "matrix": {"nemesis": ["pause", "kill"]},
                           "repeat": 2})");
  EXPECT_EQ(Run({"suite", file, "--dry-run"}, std::chrono::seconds(30)), 0) << Err();
  EXPECT_THAT(Out(), HasSubstr("4 runs"));
  EXPECT_THAT(Out(), HasSubstr("4. raft register kill (2/2)"));
  EXPECT_THAT(Out(), HasSubstr("faultline test --nodes 3 --nemesis kill"));
}

// ---- serve ------------------------------------------------------------------------------------

class Serve : public SuiteCommand {
 protected:
  // A results folder with one run (hand-written files), a secret beside it, a link out.
  void MakeResults() {
    root_ = dir_ / "results";
    const fs::path run = root_ / "raft-register" / "20261201T100000.000";
    fs::create_directories(run / "nodes" / "n1");
    std::ofstream(run / "test.json")
        << R"({"config": {"name": "raft-register", "target": "raft", "workload": "register",
              "nemesis": "partition"}, "started_at": "20261201T100000.000"})";
    std::ofstream(run / "results.json")
        << R"({"valid": false, "cause": "linearizable: a stale read", "run": {"workload_s": 12}})";
    std::ofstream(run / "history.jsonl") << "{\"index\":0}\n";
    std::ofstream(run / "nodes" / "n1" / "stderr.log") << "node log\n";
    std::ofstream(dir_ / "secret.txt") << "secret\n";
    fs::create_symlink(dir_ / "secret.txt", root_ / "out-link");
    fs::create_directory_symlink(run, root_ / "latest");
  }

  void StartServer() {
    port_ = faultline::testkit::ReservedPort::Reserve();
    ASSERT_NE(port_.port(), 0) << port_.error();
    port_.Release();  // the server sets SO_REUSEADDR, but a reservation held is no listener
    Start({"serve", "--results", root_.string(), "--port", std::to_string(port_.port())});
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      if (faultline::testkit::Http(port_.port(), "GET", "/").status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "serve did not answer: " << Out() << Err();
  }

  // One raw request (the path exactly as written, no client normalizing it).
  faultline::testkit::HttpResponse Raw(const std::string& method, const std::string& path) {
    faultline::testkit::HttpConnection c(port_.port());
    return c.Exchange(method + " " + path +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: "
                      "close\r\n\r\n");
  }

  fs::path root_;
  faultline::testkit::ReservedPort port_;
};

TEST_F(Serve, IndexFilesAndNothingOutsideTheFolder) {
  MakeResults();
  StartServer();
  const faultline::testkit::HttpResponse index = faultline::testkit::Http(port_.port(), "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_THAT(index.body, HasSubstr("raft-register/20261201T100000.000/report.html"));
  EXPECT_THAT(index.body, HasSubstr("raft-register/20261201T100000.000/history.jsonl"));
  EXPECT_THAT(index.body, HasSubstr("nodes/n1/stderr.log"));
  EXPECT_THAT(index.body, HasSubstr("invalid"));
  EXPECT_THAT(index.body, HasSubstr("linearizable: a stale read"));
  EXPECT_THAT(index.body, HasSubstr("partition"));
  // `latest` is a link inside the folder: not listed twice, but served.
  EXPECT_EQ(index.body.find("latest/"), std::string::npos);

  auto history = Raw("GET", "/raft-register/20261201T100000.000/history.jsonl");
  EXPECT_EQ(history.status, 200);
  EXPECT_EQ(history.body, "{\"index\":0}\n");
  EXPECT_EQ(Raw("GET", "/latest/nodes/n1/stderr.log").body, "node log\n");
  // (HEAD is answered too, by the GET route; the kit's client cannot read a bodiless answer
  // with a Content-Length, so it is not asked here.)

  for (const std::string& path : std::vector<std::string>{
           "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
           "/raft-register/..%2f..%2fsecret.txt", "/raft-register/../../secret.txt",
           "//" + (dir_ / "secret.txt").string(), "/%2F" + (dir_ / "secret.txt").string().substr(1),
           "/out-link", "/latest/../../secret.txt"}) {
    const auto r = Raw("GET", path);
    EXPECT_THAT(r.status, ::testing::AnyOf(400, 403, 404)) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("secret"))) << path;
  }
  EXPECT_EQ(Raw("GET", "/out-link").status, 403);
  EXPECT_EQ(Raw("GET", "/%2e%2e/secret.txt").status, 403);
  EXPECT_EQ(Raw("GET", "/raft-register").status, 404);  // no directory listing
  EXPECT_EQ(Raw("GET", "/no-such-file").status, 404);
  EXPECT_EQ(Raw("DELETE", "/latest/test.json").status, 405);
  EXPECT_EQ(Raw("PUT", "/latest/test.json").status, 405);
  EXPECT_TRUE(fs::exists(root_ / "latest" / "test.json"));

  // A graceful stop on SIGTERM.
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(Wait(std::chrono::seconds(10)), 0) << Err();
  EXPECT_THAT(Out(), HasSubstr("stopped"));
}

TEST_F(Serve, AMissingFolderIsOneLine) {
  EXPECT_EQ(Run({"serve", "--results", (dir_ / "nope").string()}, std::chrono::seconds(10)), 254);
  EXPECT_THAT(Err(), HasSubstr("no such folder"));
  EXPECT_EQ(Lines(Err()), 1) << Err();
}

}  // namespace
