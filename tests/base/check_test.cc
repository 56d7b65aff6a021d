// FAULTLINE_CHECK stays on in every build type and prints where it failed and the context line
// (the simulation's reproduction line).
#include "base/check.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline::base {
namespace {

TEST(CheckTest, APassingCheckDoesNotEvaluateItsMessage) {
  int built = 0;
  auto message = [&built] {
    ++built;
    return std::string("never");
  };
  FAULTLINE_CHECK(1 + 1 == 2, message());
  EXPECT_EQ(built, 0);
}

TEST(CheckTest, ContextIsPerThreadAndClearable) {
  SetCheckContext("reproduce: faultline sim --seed 42");
  EXPECT_EQ(CheckContext(), "reproduce: faultline sim --seed 42");
  SetCheckContext("");
  EXPECT_EQ(CheckContext(), "");
}

TEST(CheckDeathTest, AFailingCheckPrintsWhereWhyAndTheContext) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        SetCheckContext("reproduce: faultline sim --seed 42");
        const int term = 3;
        FAULTLINE_CHECK(term < 2, "term went up to " + std::to_string(term));
      },
      "check failed at .*check_test.cc:[0-9]+: term < 2: term went up to 3\n"
      "faultline: reproduce: faultline sim --seed 42");
}

}  // namespace
}  // namespace faultline::base
