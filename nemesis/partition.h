// Partition shapes (DESIGN.md section 8) as grudges: for each node, the nodes whose traffic it
// drops (Jepsen's term). A grudge is what a net backend cuts and what the history records as the
// value of a start-partition event, e.g. {"n1":["n4","n5"],"n4":["n1"],...}.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/rand.h"
#include "base/status.h"

namespace faultline::nemesis {

using Grudge = std::map<std::string, std::set<std::string>>;

enum class PartitionShape { kHalves, kRandomHalves, kOne, kLeader, kMajoritiesRing, kBridge };

// "halves", "random-halves", "one", "leader", "majorities-ring", "bridge".
const char* PartitionShapeName(PartitionShape shape);
base::Result<PartitionShape> ParsePartitionShape(const std::string& name);
std::vector<PartitionShape> AllPartitionShapes();

// The grudge for `shape` over `nodes` (at least 2; in order n1, n2, ...). `rng` picks the random
// parts (random-halves, one, majorities-ring's rotation); `leader` is the node to isolate for
// kLeader (a random node when absent). Every grudge is symmetric except where a shape says
// otherwise, and no node ever holds a grudge against itself.
//  - halves: the first floor(n/2) nodes against the rest.
//  - random-halves: a random floor(n/2) against the rest.
//  - one / leader: one node against all others.
//  - majorities-ring: every node sees a majority (itself and its nearest neighbours on a
//    shuffled ring) and no two nodes see the same majority (n >= 3; with n = 3 one ring edge is
//    cut, so the middle node sees all three; with n = 2 it is halves).
//  - bridge: two halves that cannot talk to each other, and one node that talks to both.
Grudge MakeGrudge(PartitionShape shape, const std::vector<std::string>& nodes, base::Rng& rng,
                  const std::optional<std::string>& leader);

// A grudge as JSON text for the history: {"n1":["n4","n5"],...} with sorted names.
std::string GrudgeToJson(const Grudge& grudge);

}  // namespace faultline::nemesis
