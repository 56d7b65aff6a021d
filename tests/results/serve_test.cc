// `faultline serve`'s pure parts (results/serve.h): which request paths map to which files, the
// scan of a results folder, and the index page.
#include "results/serve.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace faultline::results {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fl-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    root_ = dir_ / "results";
    fs::create_directories(root_);
    root_ = fs::canonical(root_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  ResolvedPath Resolve(const std::string& path) { return ResolveRequestPath(root_.string(), path); }

  fs::path dir_, root_;
};

TEST_F(ServeTest, FilesUnderTheFolderOnly) {
  Write(root_ / "a" / "results.json", "{}");
  Write(dir_ / "secret.txt", "secret");
  fs::create_symlink(dir_ / "secret.txt", root_ / "out");
  fs::create_directory_symlink(root_ / "a", root_ / "latest");
  fs::create_directory_symlink(dir_, root_ / "up");

  EXPECT_EQ(Resolve("/a/results.json").status, 200);
  EXPECT_EQ(Resolve("/a/results.json").file, (root_ / "a" / "results.json").string());
  EXPECT_EQ(Resolve("/latest/results.json").status, 200);  // a link that stays inside
  EXPECT_EQ(Resolve("/a/./results.json").status, 200);

  EXPECT_EQ(Resolve("/../secret.txt").status, 403);
  EXPECT_EQ(Resolve("/a/../../secret.txt").status, 403);
  EXPECT_EQ(Resolve("/a/..").status, 403);
  EXPECT_EQ(Resolve("//etc/passwd").status, 403);
  EXPECT_EQ(Resolve("/out").status, 403);
  EXPECT_EQ(Resolve("/up/secret.txt").status, 403);
  EXPECT_EQ(Resolve("a/results.json").status, 403);
  EXPECT_EQ(Resolve(std::string("/a/results.json\0x", 17)).status, 403);
  EXPECT_EQ(Resolve("/a\\..\\..\\secret.txt").status, 403);

  EXPECT_EQ(Resolve("/a").status, 404);  // a directory: no listing
  EXPECT_EQ(Resolve("/missing").status, 404);
  EXPECT_EQ(Resolve("/").status, 404);  // the index is the server's
}

TEST_F(ServeTest, ScanFindsRunsAndSuitesNewestFirst) {
  Write(root_ / "raft-register" / "20261201T100000.000" / "test.json",
        R"({"config": {"name": "raft-register", "target": "raft", "workload": "register",
            "nemesis": "kill"}, "started_at": "20261201T100000.000"})");
  Write(root_ / "raft-register" / "20261201T100000.000" / "results.json",
        R"({"valid": true, "run": {"workload_s": 30}})");
  Write(root_ / "raft-register" / "20261201T100000.000" / "nodes" / "n2" / "stderr.log", "x");
  Write(root_ / "etcd-set" / "20261203T100000.000" / "test.json",
        R"({"config": {"name": "etcd-set"}, "started_at": "20261203T100000.000"})");
  const fs::path suite = root_ / "suites" / "quick" / "20261202T100000.000";
  Write(suite / "summary.json",
        R"({"name": "quick", "started_at": "20261202T100000.000", "finished": true,
            "counts": {"valid": 1, "invalid": 1, "crashed": 0}})");
  Write(suite / "runs" / "1" / "raft-set" / "20261202T100001.000" / "test.json",
        R"({"config": {"name": "raft-set"}, "started_at": "20261202T100001.000"})");
  fs::create_directory_symlink(root_ / "etcd-set" / "20261203T100000.000", root_ / "latest");

  const std::vector<IndexEntry> entries = ScanResults(root_.string());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "etcd-set");
  EXPECT_EQ(entries[0].verdict, "running");  // no results.json yet
  EXPECT_EQ(entries[1].name, "raft-set");    // a run inside a suite folder
  EXPECT_EQ(entries[2].name, "quick");
  EXPECT_TRUE(entries[2].suite);
  EXPECT_EQ(entries[2].verdict, "invalid");
  EXPECT_EQ(entries[2].counts, "1 valid, 1 invalid");
  EXPECT_EQ(entries[3].verdict, "valid");
  EXPECT_EQ(entries[3].seconds, 30);
  EXPECT_THAT(entries[3].node_logs, ::testing::ElementsAre("nodes/n2/stderr.log"));

  const std::string html = ResultsIndexHtml(entries, "results");
  EXPECT_THAT(html, HasSubstr("href=\"/raft-register/20261201T100000.000/report.html\""));
  EXPECT_THAT(html, HasSubstr("href=\"/suites/quick/20261202T100000.000/summary.json\""));
  EXPECT_THAT(html, HasSubstr("nodes/n2/stderr.log"));
  EXPECT_LT(html.find("etcd-set"), html.find("raft-register"));  // newest first
}

TEST_F(ServeTest, NamesAreEscapedInTheIndex) {
  IndexEntry e;
  e.path = "x/<y>";
  e.name = "<script>alert(1)</script>";
  e.verdict = "valid";
  const std::string html = ResultsIndexHtml({e}, "results");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_THAT(html, HasSubstr("x/%3Cy%3E/report.html"));
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a/report.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("history.jsonl"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("results.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("junit.xml"), "application/xml");
  EXPECT_EQ(ContentTypeFor("data"), "application/octet-stream");
}

}  // namespace
}  // namespace faultline::results
