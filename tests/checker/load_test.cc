#include "checker/io/load.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace faultline::checker::io {
namespace {

using base::Result;
using base::Status;

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("faultline_load_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view content) {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p.string();
  }

  fs::path dir_;
};

TEST(FormatTest, namesRoundTrip) {
  for (Format f : {Format::kAuto, Format::kJsonl, Format::kEdn, Format::kJepsenLog}) {
    Result<Format> parsed = ParseFormatName(FormatName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_STREQ(FormatName(Format::kJepsenLog), "jepsen-log");
}

TEST(FormatTest, unknownNameIsInvalidArgument) {
  Result<Format> r = ParseFormatName("json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "unknown format 'json' (expected auto, jsonl, edn or jepsen-log)");
  EXPECT_FALSE(ParseFormatName("").ok());
  EXPECT_FALSE(ParseFormatName("EDN").ok());
}

TEST(FormatTest, detect) {
  EXPECT_EQ(DetectFormat(R"({"index":0,"process":0,"type":"invoke","f":"read"})"), Format::kJsonl);
  EXPECT_EQ(DetectFormat("\n\n  { \"process\": 0 }"), Format::kJsonl);
  EXPECT_EQ(DetectFormat("\xEF\xBB\xBF{\"f\":1}"), Format::kJsonl);
  EXPECT_EQ(DetectFormat("{:type :invoke, :f :read, :process 0}"), Format::kEdn);
  EXPECT_EQ(DetectFormat("[{:process 0, :type :invoke}]"), Format::kEdn);
  EXPECT_EQ(DetectFormat("; comment\n({:process 0})"), Format::kEdn);
  EXPECT_EQ(DetectFormat(""), Format::kEdn);
  EXPECT_EQ(DetectFormat("{}"), Format::kEdn);
  EXPECT_EQ(DetectFormat("INFO  jepsen.core - start\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n"),
            Format::kJepsenLog);
  // A real history.edn carries jepsen.util in its exception traces: still EDN (issue 13).
  EXPECT_EQ(DetectFormat("{:type :info, :f :write, :process 3, :exception {:trace "
                         "[[jepsen.util$timeout invoke \"util.clj\" 12]]}}\n"),
            Format::kEdn);
  EXPECT_EQ(DetectFormat("[{:type :invoke} \"jepsen.util\"]"), Format::kEdn);
}

TEST(FormatTest, parseHistoryDispatches) {
  LoadOptions options;
  Result<History> jsonl = ParseHistory(R"({"process":0,"type":"invoke","f":"read"})", "a", options);
  ASSERT_TRUE(jsonl.ok());
  EXPECT_EQ(jsonl->source, "a");
  EXPECT_EQ(jsonl->events.size(), 1u);

  Result<History> edn = ParseHistory("[{:process 0, :type :invoke, :f :w, :value [1 2]}]", "b",
                                     LoadOptions{Format::kAuto, /*independent=*/true});
  ASSERT_TRUE(edn.ok());
  EXPECT_TRUE(edn->events[0].has_key);
  EXPECT_EQ(edn->events[0].key, Value::Int(1));

  Result<History> log = ParseHistory("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n", "c", options);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->events.size(), 1u);

  // An explicit format wins over detection: this JSON line is not EDN op-map syntax.
  Result<History> forced = ParseHistory(R"({"process":0,"type":"invoke","f":"read"})", "d",
                                        LoadOptions{Format::kEdn, false});
  ASSERT_FALSE(forced.ok());
  EXPECT_EQ(forced.status().message().rfind("d:1: ", 0), 0u) << forced.status().message();
}

TEST_F(LoadTest, loadsEachFormat) {
  const std::string jsonl = Write("h.jsonl",
                                  "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                                  "{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}\n");
  Result<History> h = LoadHistoryFile(jsonl, LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->source, jsonl);
  EXPECT_EQ(h->events.size(), 2u);

  const std::string edn = Write("history.edn", "{:process 0, :type :invoke, :f :read}\n");
  h = LoadHistoryFile(edn, LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->events.size(), 1u);

  const std::string log = Write("etcd.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n");
  h = LoadHistoryFile(log, LoadOptions{Format::kJepsenLog, false});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->events.size(), 1u);
}

TEST_F(LoadTest, errorsNameTheFileAndLine) {
  const std::string path =
      Write("bad.jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":0}\n");
  Result<History> h = LoadHistoryFile(path, LoadOptions{});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(h.status().message(), path + ":2: missing \"type\"");
}

// A damaged *.jsonl file gets a JSON error, not an EDN one (content detection would read text
// that does not open like a JSON object as EDN).
TEST_F(LoadTest, theFileNameDecidesJsonlAndEdn) {
  Result<History> h = LoadHistoryFile(Write("damaged.jsonl", "process 0 invoke read\n"), {});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message().find("EDN"), std::string::npos) << h.status().message();
  EXPECT_EQ(h.status().message().find(":type"), std::string::npos) << h.status().message();
  h = LoadHistoryFile(Write("odd.edn", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"), {});
  EXPECT_FALSE(h.ok());  // JSON is not EDN: its string keys are not keywords
  // Other names: the content decides.
  h = LoadHistoryFile(Write("history.txt", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"),
                      {});
  EXPECT_TRUE(h.ok()) << h.status().message();
}

TEST_F(LoadTest, emptyFileIsAnEmptyHistory) {
  for (Format f : {Format::kAuto, Format::kJsonl, Format::kEdn, Format::kJepsenLog}) {
    Result<History> h = LoadHistoryFile(Write("empty", ""), LoadOptions{f, false});
    ASSERT_TRUE(h.ok()) << FormatName(f) << ": " << h.status().message();
    EXPECT_TRUE(h->events.empty());
  }
}

TEST_F(LoadTest, missingFileIsIoError) {
  const std::string path = (dir_ / "nope.jsonl").string();
  Result<History> h = LoadHistoryFile(path, LoadOptions{});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kIoError);
  EXPECT_EQ(h.status().message(), path + ": cannot read: No such file or directory");
}

TEST_F(LoadTest, directoryIsIoError) {
  Result<History> h = LoadHistoryFile(dir_.string(), LoadOptions{});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kIoError);
  EXPECT_EQ(h.status().message(), dir_.string() + ": cannot read: Is a directory");
}

TEST_F(LoadTest, pathThroughAFileIsIoError) {
  const std::string path = Write("plain", "x") + "/h.jsonl";
  Result<History> h = LoadHistoryFile(path, LoadOptions{});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kIoError);
  EXPECT_EQ(h.status().message(), path + ": cannot read: Not a directory");
}

TEST_F(LoadTest, unreadableFileIsIoError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  const std::string path = Write("secret.jsonl", "{}");
  fs::permissions(path, fs::perms::none);
  Result<History> h = LoadHistoryFile(path, LoadOptions{});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kIoError);
  EXPECT_EQ(h.status().message(), path + ": cannot read: Permission denied");
}

TEST_F(LoadTest, readsNonRegularFiles) {
  // /dev/null cannot be mapped: the fallback reader handles it (as it does pipes).
  Result<History> h = LoadHistoryFile("/dev/null", LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_TRUE(h->events.empty());
}

TEST_F(LoadTest, largeFileRoundTrips) {
  std::string text;
  for (int i = 0; i < 50000; ++i) {
    text += "{\"index\":" + std::to_string(i) + ",\"process\":" + std::to_string(i % 10) +
            ",\"type\":\"" + (i % 2 ? "ok" : "invoke") +
            "\",\"f\":\"write\",\"value\":" + std::to_string(i) + "}\n";
  }
  Result<History> h = LoadHistoryFile(Write("big.jsonl", text), LoadOptions{});
  ASSERT_TRUE(h.ok()) << h.status().message();
  ASSERT_EQ(h->events.size(), 50000u);
  EXPECT_EQ(h->events.back().value, Value::Int(49999));
  EXPECT_EQ(h->events.back().line, 50000);
}

// Issue 13, point 6: --independent is refused where it would be ignored.
TEST(FormatTest, independentIsForEdnOnly) {
  for (const char* text : {R"({"process":0,"type":"invoke","f":"read"})",
                           "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"}) {
    Result<History> h = ParseHistory(text, "x", LoadOptions{Format::kAuto, true});
    ASSERT_FALSE(h.ok()) << text;
    EXPECT_NE(h.status().message().find("--independent applies to EDN"), std::string::npos);
  }
}

// Issue 13, point 6: "-" is standard input.
TEST_F(LoadTest, dashIsStandardInput) {
  const std::string path =
      Write("in.jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n");
  const int saved = ::dup(STDIN_FILENO);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  Result<History> h = LoadHistoryFile("-", LoadOptions{});
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->events.size(), 1u);
}

}  // namespace
}  // namespace faultline::checker::io
