#include "results/exit_codes.h"

#include <gtest/gtest.h>

#include <vector>

namespace faultline::results {
namespace {

using checker::Verdict;

TEST(ExitCodes, VerdictsMapToDesignSection5) {
  EXPECT_EQ(ExitCodeFor(Verdict::kValid), 0);
  EXPECT_EQ(ExitCodeFor(Verdict::kInvalid), 1);
  EXPECT_EQ(ExitCodeFor(Verdict::kUnknown), 2);
  EXPECT_EQ(kExitBadInput, 254);
  EXPECT_EQ(kExitInternal, 255);
}

// DESIGN.md section 5: 255 > 254 > 1 > 2 > 0.
TEST(ExitCodes, WorstExitFollowsTheDocumentedOrder) {
  const std::vector<int> order = {0, 2, 1, 254, 255};  // best to worst
  for (size_t i = 0; i < order.size(); ++i) {
    for (size_t j = 0; j < order.size(); ++j) {
      const int worst = order[std::max(i, j)];
      EXPECT_EQ(WorstExit(order[i], order[j]), worst) << order[i] << " vs " << order[j];
    }
  }
}

TEST(ExitCodes, AnUnlistedCodeCountsAsInternal) {
  EXPECT_EQ(WorstExit(254, 3), 3);
  EXPECT_EQ(WorstExit(7, 1), 7);
}

TEST(ExitCodes, WorstOfManyIsOrderIndependent) {
  const std::vector<int> codes = {2, 0, 1, 2, 0};
  int forward = kExitValid, backward = kExitValid;
  for (int c : codes) forward = WorstExit(forward, c);
  for (auto it = codes.rbegin(); it != codes.rend(); ++it) backward = WorstExit(backward, *it);
  EXPECT_EQ(forward, 1);
  EXPECT_EQ(backward, 1);
}

TEST(ExitCodes, AnAnomalyOutranksAnUnfinishedCheck) {
  EXPECT_EQ(WorseVerdict(Verdict::kValid, Verdict::kUnknown), Verdict::kUnknown);
  EXPECT_EQ(WorseVerdict(Verdict::kUnknown, Verdict::kInvalid), Verdict::kInvalid);
  EXPECT_EQ(WorseVerdict(Verdict::kInvalid, Verdict::kUnknown), Verdict::kInvalid);
  EXPECT_EQ(WorseVerdict(Verdict::kValid, Verdict::kValid), Verdict::kValid);
}

TEST(ExitCodes, VerdictWords) {
  EXPECT_STREQ(VerdictWord(Verdict::kValid), "VALID");
  EXPECT_STREQ(VerdictWord(Verdict::kInvalid), "INVALID");
  EXPECT_STREQ(VerdictWord(Verdict::kUnknown), "UNKNOWN");
}

}  // namespace
}  // namespace faultline::results
