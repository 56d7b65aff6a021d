#include "nemesis/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace faultline::nemesis {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back("n" + std::to_string(i));
  return v;
}

// The nodes `node` can talk to (both ways, for a symmetric grudge), itself included.
std::set<std::string> Sees(const Grudge& g, const std::vector<std::string>& nodes,
                           const std::string& node) {
  std::set<std::string> sees;
  auto it = g.find(node);
  for (const std::string& other : nodes) {
    if (it == g.end() || !it->second.count(other)) sees.insert(other);
  }
  return sees;
}

void ExpectWellFormed(const Grudge& g, const std::vector<std::string>& nodes) {
  const std::set<std::string> all(nodes.begin(), nodes.end());
  for (const auto& [node, dropped] : g) {
    EXPECT_TRUE(all.count(node)) << node;
    EXPECT_FALSE(dropped.count(node)) << node << " holds a grudge against itself";
    EXPECT_FALSE(dropped.empty()) << node << " has an empty entry";
    for (const std::string& d : dropped) {
      EXPECT_TRUE(all.count(d)) << d;
      // Symmetric: every shape promises it.
      auto back = g.find(d);
      EXPECT_TRUE(back != g.end() && back->second.count(node)) << d << " does not drop " << node;
    }
  }
}

// Components of the "can talk" graph, when it is an equivalence (a clean split).
std::vector<std::set<std::string>> Components(const Grudge& g,
                                              const std::vector<std::string>& nodes) {
  std::set<std::set<std::string>> comps;
  for (const std::string& n : nodes) comps.insert(Sees(g, nodes, n));
  return {comps.begin(), comps.end()};
}

class ShapeTest : public ::testing::TestWithParam<int> {};

TEST_P(ShapeTest, halves_splitsFirstFloorHalfFromTheRest) {
  const auto nodes = Nodes(GetParam());
  base::Rng rng(1);
  const Grudge g = MakeGrudge(PartitionShape::kHalves, nodes, rng, std::nullopt);
  ExpectWellFormed(g, nodes);
  const size_t k = nodes.size() / 2;
  const std::set<std::string> left(nodes.begin(), nodes.begin() + k);
  const std::set<std::string> right(nodes.begin() + k, nodes.end());
  for (const std::string& n : nodes) {
    EXPECT_EQ(Sees(g, nodes, n), left.count(n) ? left : right) << n;
  }
}

TEST_P(ShapeTest, randomHalves_splitsFloorHalfFromTheRest) {
  const auto nodes = Nodes(GetParam());
  for (uint64_t seed = 0; seed < 20; ++seed) {
    base::Rng rng(seed);
    const Grudge g = MakeGrudge(PartitionShape::kRandomHalves, nodes, rng, std::nullopt);
    ExpectWellFormed(g, nodes);
    auto comps = Components(g, nodes);
    ASSERT_EQ(comps.size(), 2u) << "seed " << seed;
    std::vector<size_t> sizes = {comps[0].size(), comps[1].size()};
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes[0], nodes.size() / 2) << "seed " << seed;
    EXPECT_EQ(sizes[1], nodes.size() - nodes.size() / 2) << "seed " << seed;
  }
}

TEST_P(ShapeTest, randomHalves_variesWithTheSeed) {
  const auto nodes = Nodes(GetParam());
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    base::Rng rng(seed);
    seen.insert(GrudgeToJson(MakeGrudge(PartitionShape::kRandomHalves, nodes, rng, std::nullopt)));
  }
  EXPECT_GT(seen.size(), 1u);
}

TEST_P(ShapeTest, one_isolatesExactlyOneNode) {
  const auto nodes = Nodes(GetParam());
  std::set<std::string> isolated_seen;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    base::Rng rng(seed);
    const Grudge g = MakeGrudge(PartitionShape::kOne, nodes, rng, std::nullopt);
    ExpectWellFormed(g, nodes);
    int isolated = 0;
    for (const std::string& n : nodes) {
      const auto sees = Sees(g, nodes, n);
      if (sees.size() == 1) {
        ++isolated;
        isolated_seen.insert(n);
      } else {
        EXPECT_EQ(sees.size(), nodes.size() - 1) << n;
      }
    }
    EXPECT_EQ(isolated, 1) << "seed " << seed;
  }
  EXPECT_EQ(isolated_seen.size(), nodes.size()) << "every node is eventually picked";
}

TEST_P(ShapeTest, leader_isolatesTheGivenLeader) {
  const auto nodes = Nodes(GetParam());
  for (const std::string& leader : nodes) {
    base::Rng rng(7);
    const Grudge g = MakeGrudge(PartitionShape::kLeader, nodes, rng, leader);
    ExpectWellFormed(g, nodes);
    EXPECT_EQ(Sees(g, nodes, leader), std::set<std::string>{leader});
    EXPECT_EQ(g.at(leader).size(), nodes.size() - 1);
    for (const std::string& n : nodes) {
      if (n != leader) {
        EXPECT_EQ(g.at(n), std::set<std::string>{leader}) << n;
      }
    }
  }
  base::Rng rng(7);
  const Grudge g = MakeGrudge(PartitionShape::kLeader, nodes, rng, std::nullopt);
  ExpectWellFormed(g, nodes);
  EXPECT_EQ(Components(g, nodes).size(), 2u) << "without a leader, a random node is isolated";
}

TEST_P(ShapeTest, majoritiesRing_everyNodeSeesADistinctMajority) {
  const auto nodes = Nodes(GetParam());
  const size_t majority = nodes.size() / 2 + 1;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    base::Rng rng(seed);
    const Grudge g = MakeGrudge(PartitionShape::kMajoritiesRing, nodes, rng, std::nullopt);
    ExpectWellFormed(g, nodes);
    EXPECT_FALSE(g.empty()) << "seed " << seed;
    std::set<std::set<std::string>> views;
    for (const std::string& n : nodes) {
      const auto sees = Sees(g, nodes, n);
      EXPECT_TRUE(sees.count(n));
      EXPECT_GE(sees.size(), majority) << n << " seed " << seed;
      views.insert(sees);
    }
    EXPECT_EQ(views.size(), nodes.size()) << "no two nodes see the same majority, seed " << seed;
  }
}

TEST_P(ShapeTest, bridge_oneNodeTalksToBothHalvesWhichCannotTalk) {
  const auto nodes = Nodes(GetParam());
  base::Rng rng(3);
  const Grudge g = MakeGrudge(PartitionShape::kBridge, nodes, rng, std::nullopt);
  ExpectWellFormed(g, nodes);
  const size_t n = nodes.size();
  const std::string bridge = nodes[n / 2];
  EXPECT_FALSE(g.count(bridge));
  EXPECT_EQ(Sees(g, nodes, bridge).size(), n);
  const std::set<std::string> left(nodes.begin(), nodes.begin() + n / 2);
  std::set<std::string> right(nodes.begin() + n / 2 + 1, nodes.end());
  for (const std::string& a : left) EXPECT_EQ(g.at(a), right) << a;
  for (const std::string& b : right) EXPECT_EQ(g.at(b), left) << b;
}

TEST_P(ShapeTest, everyShape_isDeterministicGivenTheSeed) {
  const auto nodes = Nodes(GetParam());
  for (PartitionShape shape : AllPartitionShapes()) {
    for (uint64_t seed = 0; seed < 10; ++seed) {
      base::Rng a(seed);
      base::Rng b(seed);
      EXPECT_EQ(MakeGrudge(shape, nodes, a, std::nullopt),
                MakeGrudge(shape, nodes, b, std::nullopt))
          << PartitionShapeName(shape) << " seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, ShapeTest, ::testing::Values(3, 5, 7),
                         [](const auto& info) { return "n" + std::to_string(info.param); });

// Golden values pin the random choices to the generator's output, so a seed replays the same
// schedule across standard libraries (no std::shuffle or std::uniform_int_distribution). Drawn
// from base::Rng since issue 11 (std::mt19937_64 before).
TEST(MakeGrudge, randomShapes_matchGoldenForSeed42) {
  const auto nodes = Nodes(5);
  base::Rng rng(42);
  const std::string halves =
      GrudgeToJson(MakeGrudge(PartitionShape::kRandomHalves, nodes, rng, std::nullopt));
  const std::string one = GrudgeToJson(MakeGrudge(PartitionShape::kOne, nodes, rng, std::nullopt));
  const std::string ring =
      GrudgeToJson(MakeGrudge(PartitionShape::kMajoritiesRing, nodes, rng, std::nullopt));
  EXPECT_EQ(
      halves,
      R"({"n1":["n2","n3"],"n2":["n1","n4","n5"],"n3":["n1","n4","n5"],"n4":["n2","n3"],"n5":["n2","n3"]})");
  EXPECT_EQ(one, R"({"n1":["n2","n3","n4","n5"],"n2":["n1"],"n3":["n1"],"n4":["n1"],"n5":["n1"]})");
  EXPECT_EQ(
      ring,
      R"({"n1":["n2","n5"],"n2":["n1","n4"],"n3":["n4","n5"],"n4":["n2","n3"],"n5":["n1","n3"]})");
}

TEST(MakeGrudge, majoritiesRing_withTwoNodesIsHalves) {
  base::Rng rng(1);
  const Grudge g = MakeGrudge(PartitionShape::kMajoritiesRing, Nodes(2), rng, std::nullopt);
  EXPECT_EQ(GrudgeToJson(g), R"({"n1":["n2"],"n2":["n1"]})");
}

TEST(MakeGrudge, majoritiesRing_withFourNodesCutsTheDiagonals) {
  const auto nodes = Nodes(4);
  base::Rng rng(9);
  const Grudge g = MakeGrudge(PartitionShape::kMajoritiesRing, nodes, rng, std::nullopt);
  ExpectWellFormed(g, nodes);
  for (const std::string& n : nodes) EXPECT_EQ(g.at(n).size(), 1u) << n;
}

TEST(GrudgeToJson, sortedNamesAndEscapes) {
  Grudge g;
  g["n4"] = {"n1"};
  g["n1"] = {"n5", "n4"};
  g["n5"] = {"n1"};
  EXPECT_EQ(GrudgeToJson(g), R"({"n1":["n4","n5"],"n4":["n1"],"n5":["n1"]})");
  EXPECT_EQ(GrudgeToJson({}), "{}");
  Grudge odd;
  odd["a\"b"] = {"c\\d"};
  EXPECT_EQ(GrudgeToJson(odd), R"({"a\"b":["c\\d"]})");
}

TEST(PartitionShapeName, roundTripsEveryShape) {
  EXPECT_EQ(AllPartitionShapes().size(), 6u);
  for (PartitionShape shape : AllPartitionShapes()) {
    auto parsed = ParsePartitionShape(PartitionShapeName(shape));
    ASSERT_TRUE(parsed.ok()) << PartitionShapeName(shape);
    EXPECT_EQ(*parsed, shape);
  }
  EXPECT_STREQ(PartitionShapeName(PartitionShape::kMajoritiesRing), "majorities-ring");
  EXPECT_STREQ(PartitionShapeName(PartitionShape::kRandomHalves), "random-halves");
}

TEST(ParsePartitionShape, unknownNameIsAOneLineError) {
  auto r = ParsePartitionShape("diagonal");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  EXPECT_NE(r.status().message().find("diagonal"), std::string::npos);
  EXPECT_NE(r.status().message().find("majorities-ring"), std::string::npos);
}

}  // namespace
}  // namespace faultline::nemesis
