// `faultline check` on hostile inputs (issue 13, point 6): no crash and no wrong verdict. Each
// bad file is refused with its own exit code while the other files of the same check are still
// checked, a value nested as deep as the parsers allow survives being wrapped in a model state,
// and --timeout covers parsing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace faultline::checker {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";

struct ShellRun {
  int code = -1;  // the exit code; 128 + N for a signal N
  std::string out;
};

ShellRun Shell(const std::string& cmd) {
  ShellRun r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class CheckInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("faultline-inputs-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  // A valid single-key register history.
  std::string Good() {
    return Write("good.jsonl",
                 "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
                 "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n");
  }
  fs::path dir_;
};

// A keyword with invalid UTF-8 aborted the whole check (SIGABRT, exit 134) and the files after
// it went unchecked.
TEST_F(CheckInputs, InvalidUtf8IsBadInputAndTheOtherFilesAreChecked) {
  const std::string edn = Write("utf8.edn",
                                "{:process 0, :type :invoke, :f :write, :value :\xff}\n"
                                "{:process 0, :type :ok, :f :write, :value :\xff}\n");
  const std::string log = Write("utf8.log",
                                "INFO  jepsen.util - 0\t:invoke\t:write\t:\xff\n"
                                "INFO  jepsen.util - 0\t:ok\t:write\t:\xff\n");
  const ShellRun r = Shell(kBinary + " check --json " + edn + " " + log + " " + Good());
  EXPECT_EQ(r.code, 254) << r.out;
  EXPECT_NE(r.out.find("utf8.edn:1: invalid EDN at column 47: invalid UTF-8 in keyword"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("utf8.log:1: invalid UTF-8 in an operation line"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"file\":\"" + Good() + "\",\"keys\""), std::string::npos) << r.out;
}

// The set model holds [v]: a value nested as deep as the parser allows (512) became a state one
// level deeper, which could not be decoded again (SIGABRT).
TEST_F(CheckInputs, AValueNestedAsDeepAsAllowedSurvivesTheSetModel) {
  std::string deep = "0";
  for (int i = 0; i < 511; ++i) deep = "[" + deep + "]";
  std::string text;
  for (const std::string& v : {deep, "[" + deep + "]", std::string("1")}) {
    text += "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":" + v + "}\n";
    text += "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":" + v + "}\n";
  }
  text += "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n";
  text += "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[1]}\n";
  const std::string file = Write("deep.jsonl", text);
  ShellRun r = Shell(kBinary + " check --model set --json " + file);
  EXPECT_EQ(r.code, 1) << r.out;  // the read misses the two deep elements
  EXPECT_NE(r.out.find("\"valid\":false"), std::string::npos) << r.out;
  // The queue models wrap values the same way.
  std::string queue;
  queue += "{\"process\":0,\"type\":\"invoke\",\"f\":\"enqueue\",\"value\":" + deep + "}\n";
  queue += "{\"process\":0,\"type\":\"ok\",\"f\":\"enqueue\",\"value\":" + deep + "}\n";
  queue += "{\"process\":0,\"type\":\"invoke\",\"f\":\"dequeue\"}\n";
  queue += "{\"process\":0,\"type\":\"ok\",\"f\":\"dequeue\",\"value\":" + deep + "}\n";
  r = Shell(kBinary + " check --model fifo-queue " + Write("queue.jsonl", queue));
  EXPECT_EQ(r.code, 0) << r.out;
}

// Processes other than an integer or the nemesis were taken for the nemesis: the client's
// operations vanished and a bad history passed.
TEST_F(CheckInputs, ANamedProcessIsBadInputNotTheNemesis) {
  const std::string file =
      Write("named.jsonl",
            "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
            "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
            "{\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
            "{\"process\":\"c1\",\"type\":\"ok\",\"f\":\"read\",\"value\":2}\n");
  const ShellRun r = Shell(kBinary + " check " + file);
  EXPECT_EQ(r.code, 254) << r.out;
  EXPECT_NE(r.out.find("named.jsonl:3: \"process\" must be an integer or \"nemesis\""),
            std::string::npos)
      << r.out;
}

// 2^64 + 1 and 2^64 + 2 were the same double: a read of one after a write of the other passed.
TEST_F(CheckInputs, IntegersBeyond64BitsAreBadInput) {
  const std::string file =
      Write("big.jsonl",
            "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":18446744073709551617}\n"
            "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":18446744073709551617}\n"
            "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
            "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":18446744073709551618}\n");
  const ShellRun r = Shell(kBinary + " check " + file);
  EXPECT_EQ(r.code, 254) << r.out;
  EXPECT_NE(r.out.find("integer beyond 64 bits"), std::string::npos) << r.out;
}

// --timeout covers parsing: an op map of 300,000 members parsed for minutes past --timeout 5.
// Parsing is linear now (about a second); a tiny limit shows the deadline is polled inside it.
TEST_F(CheckInputs, TimeoutCoversParsing) {
  std::string text = "{:type :invoke, :f :read, :process 0";
  for (int i = 0; i < 300000; ++i) text += " :m" + std::to_string(i) + " " + std::to_string(i);
  text += "}\n{:type :ok, :f :read, :process 0, :value nil}\n";
  const std::string file = Write("wide.edn", text);
  const auto t0 = std::chrono::steady_clock::now();
  ShellRun r = Shell(kBinary + " check --json --timeout 0.01 " + file);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("\"cause\":\"timeout: while parsing the file\""), std::string::npos)
      << r.out;
  EXPECT_LT(s, 5.0);
  r = Shell(kBinary + " check --timeout 30 " + file);
  EXPECT_EQ(r.code, 0) << r.out;  // parsed in time
}

}  // namespace
}  // namespace faultline::checker
