// base::Status and base::Result: the merged error channel keeps every kind and accessor the
// checker's and raft storage's copies had.
#include "base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace faultline::base {
namespace {

TEST(StatusTest, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, NamedConstructorsKeepKindAndMessage) {
  struct Case {
    Status status;
    Status::Code code;
    std::string text;
  };
  const Case cases[] = {
      {Status::InvalidArgument("bad flag"), Status::Code::kInvalidArgument,
       "Invalid argument: bad flag"},
      {Status::IoError("disk full"), Status::Code::kIoError, "IO error: disk full"},
      {Status::Corruption("h.jsonl:3: not JSON"), Status::Code::kCorruption,
       "Corruption: h.jsonl:3: not JSON"},
      {Status::Internal("out of memory"), Status::Code::kInternal, "Internal: out of memory"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.text;
    EXPECT_EQ(c.status.code(), c.code) << c.text;
    EXPECT_EQ(c.status.ToString(), c.text);
    EXPECT_EQ(c.status.IsInvalidArgument(), c.code == Status::Code::kInvalidArgument);
    EXPECT_EQ(c.status.IsIoError(), c.code == Status::Code::kIoError);
    EXPECT_EQ(c.status.IsCorruption(), c.code == Status::Code::kCorruption);
    EXPECT_EQ(c.status.IsInternal(), c.code == Status::Code::kInternal);
  }
  EXPECT_EQ(Status::IoError("disk full").message(), "disk full");
}

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<std::string> good = std::string("n1");
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good.status().ok());
  EXPECT_EQ(*good, "n1");
  EXPECT_EQ(good->size(), 2u);
  EXPECT_EQ(good.value(), "n1");

  const Result<int> bad = Status::Corruption("torn record");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_EQ(bad.status().message(), "torn record");
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

// Reading the value of a failed Result is a programmer error: a check that stays on in release
// builds, naming the status.
TEST(ResultDeathTest, ValueOfAnErrorFailsTheCheck) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Result<int> bad = Status::IoError("no such file");
  EXPECT_DEATH((void)bad.value(), "check failed.*IO error: no such file");
}

TEST(ResultDeathTest, AnOkStatusIsNotAnError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Result<int>{Status::Ok()}, "a Result without a value needs an error");
}

}  // namespace
}  // namespace faultline::base
