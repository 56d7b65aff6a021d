// base::Rng: one seed, one sequence, on every platform. The expected numbers are SplitMix64's
// published outputs and the sequences the raft core, the simulation, the workloads and the
// checker drew before issue 11 merged their copies: a changed value here means every recorded
// `--seed N` replays a different run.
#include "base/rand.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace faultline::base {
namespace {

TEST(RngTest, IsSplitMix64) {
  // SplitMix64 seeded with 0 (the reference sequence of Vigna's splitmix64.c).
  Rng r(0);
  EXPECT_EQ(r.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(r.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(r.Next(), 0x06c45d188009454fULL);
}

TEST(RngTest, SameSeedSameSequenceOtherSeedOtherSequence) {
  Rng a(42), b(42), c(43);
  std::vector<uint64_t> xa, xb, xc;
  for (int i = 0; i < 100; ++i) {
    xa.push_back(a.Next());
    xb.push_back(b.Next());
    xc.push_back(c.Next());
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

TEST(RngTest, StreamsAreSeededAndSeparate) {
  Rng a = Rng::ForStream(1, 0), b = Rng::ForStream(1, 0), c = Rng::ForStream(1, 1),
      d = Rng::ForStream(2, 0);
  const uint64_t first = a.Next();
  EXPECT_EQ(first, b.Next());
  EXPECT_NE(first, c.Next());
  EXPECT_NE(first, d.Next());
  // The workloads' seeding before issue 11 (Mix(seed + gamma) ^ Mix(stream * C + 1)).
  EXPECT_EQ(Rng::ForStream(1, 0).Next(),
            Rng(Rng::Mix(1 + 0x9e3779b97f4a7c15ULL) ^ Rng::Mix(1)).Next());
}

TEST(RngTest, RangesStayInBoundsAndSpread) {
  Rng r(7);
  int counts[5] = {};
  for (int i = 0; i < 5000; ++i) ++counts[r.Uniform(5)];
  for (int n : counts) EXPECT_GT(n, 800);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = r.Range(10, 12);
    EXPECT_GE(x, 10u);
    EXPECT_LE(x, 12u);
  }
  int yes = 0;
  for (int i = 0; i < 10000; ++i) yes += r.Chance(250000) ? 1 : 0;  // 25%
  EXPECT_GT(yes, 2200);
  EXPECT_LT(yes, 2800);
  EXPECT_FALSE(Rng(1).Chance(0));
  EXPECT_TRUE(Rng(1).Chance(1000000));
}

TEST(RngTest, MixSeedIsDeterministicAndSeparatesInputs) {
  EXPECT_EQ(MixSeed(5, 1), MixSeed(5, 1));
  EXPECT_NE(MixSeed(5, 1), MixSeed(5, 2));
  EXPECT_NE(MixSeed(5, 1), MixSeed(6, 1));
}

}  // namespace
}  // namespace faultline::base
