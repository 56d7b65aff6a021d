// The checker is bounded by default (issue 13): a key whose search outgrows the memory limit
// answers unknown with the cause named, every other key is still decided, and `faultline check`
// without --memory-limit stops on its own default instead of growing without bound.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "checker/check.h"
#include "checker/io/jsonl_writer.h"
#include "tests/checker/hard_histories.h"

namespace faultline::checker {
namespace {

namespace fs = std::filesystem;
using testing::GenerateHard;
using testing::HardShape;

// One key the search cannot finish: 40 clients appending unique strings, one get corrupted, so
// every order must be tried before the key can be called invalid.
HardShape Exponential() {
  HardShape s;
  s.kind = "append";
  s.keys = 1;
  s.clients = 40;
  s.ops_per_key = 240;
  s.info = 0;
  s.reads = 0.5;
  s.corrupt_keys = 1;
  s.seed = 11;
  return s;
}

// Its history, with one more operation: a put, never completed, of a string no get saw. It
// changes nothing for the search (which leaves such a put out), but the unique-value fast path
// takes only gets and appends, so the key is searched (otherwise the fast path decides it at
// once: see unique_values_test).
History ExponentialHistory() {
  History h = GenerateHard(Exponential());
  Event e;
  e.index = static_cast<int64_t>(h.events.size());
  e.line = e.index + 1;
  e.process = 999999;
  e.type = EventType::kInvoke;
  e.f = "put";
  e.has_key = true;
  e.key = Value::String("k0");
  e.value = Value::String("never seen");
  h.events.push_back(std::move(e));
  return h;
}

// The exponential key k0 and easy keys after it: a history of both, with keys renamed so the
// easy ones come from a second generated history.
History Mixed() {
  History h = ExponentialHistory();
  HardShape easy;
  easy.kind = "append";
  easy.keys = 4;
  easy.clients = 3;
  easy.ops_per_key = 30;
  easy.info = 0.1;
  easy.corrupt_keys = 1;  // one easy key invalid
  easy.seed = 5;
  History e = GenerateHard(easy);
  for (Event ev : e.events) {
    ev.process += 100000;
    ev.key = Value::String("easy-" + ev.key.as_string());
    ev.index = static_cast<int64_t>(h.events.size());
    ev.line = ev.index + 1;
    h.events.push_back(std::move(ev));
  }
  return h;
}

TEST(Limits, AKeyOverTheMemoryLimitIsUnknownAndTheOthersAreDecided) {
  CheckOptions o;
  o.model = "kv";
  o.memory_limit_mb = 48;
  o.threads = 2;
  o.timeout_s = 120;  // a guard; the memory limit ends it long before
  base::Result<CheckResult> r = CheckHistory(Mixed(), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->keys.size(), 5u);
  EXPECT_EQ(r->memory_limit_mb, 48u);
  EXPECT_EQ(r->verdict, Verdict::kInvalid);  // the easy invalid key is reported
  int valid = 0, invalid = 0;
  for (const KeyResult& k : r->keys) {
    if (k.key.as_string() == "k0") {
      EXPECT_EQ(k.verdict, Verdict::kUnknown);
      EXPECT_EQ(k.cause.rfind("memory-limit", 0), 0u) << k.cause;
      EXPECT_NE(k.cause.find("48 MB"), std::string::npos) << k.cause;
    } else {
      valid += k.verdict == Verdict::kValid;
      invalid += k.verdict == Verdict::kInvalid;
    }
  }
  EXPECT_EQ(valid, 3);
  EXPECT_EQ(invalid, 1);
}

TEST(Limits, TheDefaultIsHalfWhatTheProcessCanGet) {
  const uint64_t mb = DefaultMemoryLimitMb();
  EXPECT_GE(mb, 64u);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string rest;
  while (meminfo >> key >> kb) {
    std::getline(meminfo, rest);
    if (key == "MemTotal:") {
      EXPECT_LE(mb, kb / 1024 / 2 + 1);
    }
  }
  // CheckOptions' 0 means this default; kNoMemoryLimit means none.
  CheckOptions o;
  o.model = "kv";
  base::Result<CheckResult> r = CheckHistory(History{}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->memory_limit_mb, 0u);
  o.memory_limit_mb = kNoMemoryLimit;
  r = CheckHistory(History{}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->memory_limit_mb, 0u);
}

struct ShellRun {
  int code = -1;
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
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CheckCommandLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("faultline-limits-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const History& h) {
    const fs::path p = dir_ / "history.jsonl";
    std::ofstream(p) << io::HistoryToJsonl(h);
    return p.string();
  }
  fs::path dir_;
};

const std::string kBinary = FAULTLINE_BINARY_DIR "/bin/faultline";

// No --memory-limit: the default applies. The process may use 1 GB of address space (ulimit
// -v), so the default is at most half of that, and the exponential key ends as unknown (exit
// 2) with the cause named instead of growing until the kernel stops it.
TEST_F(CheckCommandLimits, TheDefaultLimitStopsAnExponentialKey) {
  const std::string file = Write(ExponentialHistory());
  const ShellRun r = Shell("ulimit -v 1000000; exec " + kBinary +
                           " check --model kv --timeout 240 --json " + file);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("memory-limit"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("timeout"), std::string::npos) << r.out;
}

// --memory-limit 0 is no limit; a small explicit limit names itself.
TEST_F(CheckCommandLimits, ZeroIsNoLimitAndAnExplicitLimitIsNamed) {
  HardShape easy;
  easy.kind = "append";
  easy.seed = 3;
  const std::string file = Write(GenerateHard(easy));
  ShellRun r = Shell(kBinary + " check --model kv --memory-limit 0 " + file);
  EXPECT_EQ(r.code, 0) << r.out;
  const std::string hard = Write(ExponentialHistory());
  r = Shell(kBinary + " check --model kv --memory-limit 32 " + hard);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("memory-limit: the search needed more than 32 MB"), std::string::npos)
      << r.out;
}

// Issue 13, point 6: a file that cannot be checked is marked as an error in --json and listed
// in report.txt, and the other files are still checked.
TEST_F(CheckCommandLimits, AMalformedFileIsAnErrorInTheReport) {
  HardShape easy;
  easy.kind = "append";
  easy.seed = 3;
  const std::string good = Write(GenerateHard(easy));
  const fs::path bad = dir_ / "bad.jsonl";
  std::ofstream(bad) << "{\"process\":0,\"type\":\"invoke\"\n";
  const fs::path report = dir_ / "report";
  const ShellRun r = Shell(kBinary + " check --model kv --json --report " + report.string() + " " +
                           bad.string() + " " + good);
  EXPECT_EQ(r.code, 254) << r.out;
  EXPECT_NE(r.out.find("\"error\":\"bad input\""), std::string::npos) << r.out;
  std::ifstream in(report / "report.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("bad.jsonl: NOT CHECKED (bad input)"), std::string::npos) << text;
  EXPECT_NE(text.find("history.jsonl: VALID"), std::string::npos) << text;
}

}  // namespace
}  // namespace faultline::checker
