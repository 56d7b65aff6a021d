#include "results/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::results {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("fl-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(StoreTest, TimestampHasTheDocumentedShape) {
  const std::string ts = RunTimestamp(std::chrono::system_clock::now());
  ASSERT_EQ(ts.size(), 19u) << ts;  // YYYYMMDDTHHMMSS.mmm
  EXPECT_EQ(ts[8], 'T');
  EXPECT_EQ(ts[15], '.');
}

TEST_F(StoreTest, RunsInTheSameMillisecondGetDifferentFolders) {
  const auto now = std::chrono::system_clock::now();
  base::Result<std::string> a = CreateRunDir(base_.string(), "raft-register", now);
  base::Result<std::string> b = CreateRunDir(base_.string(), "raft-register", now);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(fs::is_directory(fs::path(*a) / "nodes"));
  EXPECT_EQ(fs::path(*a).parent_path(), base_ / "raft-register");
}

TEST_F(StoreTest, NamesThatCannotBeAFolderAreRejected) {
  for (const char* bad : {"", "..", "a/b", "latest", "x y"}) {
    EXPECT_FALSE(CreateRunDir(base_.string(), bad, std::chrono::system_clock::now()).ok()) << bad;
  }
}

TEST_F(StoreTest, LatestPointsAtTheNewestRunAndIsReplaced) {
  const auto now = std::chrono::system_clock::now();
  const std::string a = *CreateRunDir(base_.string(), "t", now);
  ASSERT_TRUE(UpdateLatest(base_.string(), a).ok());
  EXPECT_EQ(fs::canonical(base_ / "latest"), fs::canonical(a));
  const std::string b = *CreateRunDir(base_.string(), "t", now + std::chrono::seconds(1));
  ASSERT_TRUE(UpdateLatest(base_.string(), b).ok());
  EXPECT_EQ(fs::canonical(base_ / "latest"), fs::canonical(b));
  EXPECT_TRUE(fs::read_symlink(base_ / "latest").is_relative());  // the store can be moved
}

TEST_F(StoreTest, JunitHasOneCasePerCheckerWithFailuresAndErrors) {
  const std::string xml =
      JunitXml("raft-register",
               {{"linearizable", checker::Verdict::kInvalid, "read 2 <but> \"1\"", 1.5},
                {"set", checker::Verdict::kValid, "", 0.1},
                {"counter", checker::Verdict::kUnknown, "timeout", 0}},
               12.25);
  EXPECT_NE(xml.find("tests=\"3\" failures=\"1\" errors=\"1\" time=\"12.250\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"read 2 &lt;but&gt; &quot;1&quot;\" type=\"invalid\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"raft-register\" name=\"set\" time=\"0.100\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error message=\"timeout\" type=\"unknown\"/>"), std::string::npos) << xml;
}

TEST_F(StoreTest, JunitTestErrorIsItsOwnErrorType) {
  const std::string xml = JunitXml(
      "process-register",
      {{"run", checker::Verdict::kUnknown, "test error: cluster not ready", 0, "test-error"}}, 1);
  EXPECT_NE(xml.find("<error message=\"test error: cluster not ready\" type=\"test-error\"/>"),
            std::string::npos)
      << xml;
}

TEST_F(StoreTest, WriteFileAtomicReplacesWholeFiles) {
  fs::create_directories(base_);
  const std::string path = (base_ / "results.json").string();
  ASSERT_TRUE(WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two").ok());
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), "two");
  for (const auto& e : fs::directory_iterator(base_)) {
    EXPECT_EQ(e.path().filename(), "results.json") << "left behind: " << e.path();
  }
  EXPECT_FALSE(WriteFileAtomic((base_ / "missing" / "x").string(), "x").ok());
}

}  // namespace
}  // namespace faultline::results
