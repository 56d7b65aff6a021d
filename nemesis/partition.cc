// Partition shapes as grudges. The shapes follow Jepsen's jepsen.nemesis (complete-grudge,
// bridge, majorities-ring), reworked so that every grudge here is symmetric.
#include "nemesis/partition.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "base/check.h"

namespace faultline::nemesis {
namespace {

struct ShapeName {
  PartitionShape shape;
  const char* name;
};

constexpr ShapeName kShapeNames[] = {
    {PartitionShape::kHalves, "halves"},
    {PartitionShape::kRandomHalves, "random-halves"},
    {PartitionShape::kOne, "one"},
    {PartitionShape::kLeader, "leader"},
    {PartitionShape::kMajoritiesRing, "majorities-ring"},
    {PartitionShape::kBridge, "bridge"},
};

// A uniform draw from [0, bound) that depends only on the generator's output sequence.
// std::uniform_int_distribution and std::shuffle are implementation-defined, so a seed would
// replay a different schedule under another standard library; this does not.
uint64_t UniformBelow(base::Rng& rng, uint64_t bound) {
  FAULTLINE_CHECK(bound > 0, "an empty range");
  // Rejection sampling: drop the top partial bucket so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do {
    x = rng.Next();
  } while (x >= limit);
  return x % bound;
}

std::vector<std::string> Shuffled(std::vector<std::string> v, base::Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[UniformBelow(rng, i)]);
  }
  return v;
}

void AddCut(Grudge* g, const std::string& a, const std::string& b) {
  if (a == b) return;
  (*g)[a].insert(b);
  (*g)[b].insert(a);
}

// Jepsen's complete-grudge: every node of one component drops every node of the other.
Grudge Complete(const std::vector<std::string>& left, const std::vector<std::string>& right) {
  Grudge g;
  for (const std::string& a : left) {
    for (const std::string& b : right) AddCut(&g, a, b);
  }
  return g;
}

Grudge SplitAt(const std::vector<std::string>& nodes, size_t k) {
  return Complete({nodes.begin(), nodes.begin() + static_cast<long>(k)},
                  {nodes.begin() + static_cast<long>(k), nodes.end()});
}

Grudge Isolate(const std::vector<std::string>& nodes, const std::string& lonely) {
  std::vector<std::string> rest;
  for (const std::string& n : nodes) {
    if (n != lonely) rest.push_back(n);
  }
  return Complete({lonely}, rest);
}

// Nodes on a shuffled ring, each seeing itself and the neighbours within ring distance d, and
// dropping everyone farther away. Ring distance is symmetric, so the grudge is too (Jepsen's
// majorities-ring uses a window of exactly a majority, which is lopsided for even windows and so
// asymmetric; we widen to the smallest odd window that is still a majority).
Grudge MajoritiesRing(const std::vector<std::string>& nodes, base::Rng& rng) {
  const size_t n = nodes.size();
  const std::vector<std::string> ring = Shuffled(nodes, rng);
  if (n <= 2) return SplitAt(nodes, n / 2);  // no cut leaves both sides a majority
  if (n == 3) {
    // A window of 3 is everyone. Cut one ring edge instead: the two ends each see a majority of
    // two, the middle sees all three, and all three views differ.
    Grudge g;
    AddCut(&g, ring[0], ring[2]);
    return g;
  }
  const size_t majority = n / 2 + 1;
  const size_t d = majority / 2;  // the smallest d with 2d + 1 >= majority
  Grudge g;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const size_t dist = std::min(j - i, n - (j - i));
      if (dist > d) AddCut(&g, ring[i], ring[j]);
    }
  }
  return g;
}

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

const char* PartitionShapeName(PartitionShape shape) {
  for (const ShapeName& s : kShapeNames) {
    if (s.shape == shape) return s.name;
  }
  return "unknown";
}

base::Result<PartitionShape> ParsePartitionShape(const std::string& name) {
  std::string names;
  for (const ShapeName& s : kShapeNames) {
    if (name == s.name) return s.shape;
    if (!names.empty()) names += ", ";
    names += s.name;
  }
  return base::Status::InvalidArgument("unknown partition shape '" + name +
                                       "' (expected one of: " + names + ")");
}

std::vector<PartitionShape> AllPartitionShapes() {
  std::vector<PartitionShape> out;
  for (const ShapeName& s : kShapeNames) out.push_back(s.shape);
  return out;
}

Grudge MakeGrudge(PartitionShape shape, const std::vector<std::string>& nodes, base::Rng& rng,
                  const std::optional<std::string>& leader) {
  FAULTLINE_CHECK(nodes.size() >= 2,
                  "a partition needs two nodes, got " + std::to_string(nodes.size()));
  const size_t n = nodes.size();
  switch (shape) {
    case PartitionShape::kHalves:
      return SplitAt(nodes, n / 2);
    case PartitionShape::kRandomHalves:
      return SplitAt(Shuffled(nodes, rng), n / 2);
    case PartitionShape::kOne:
      return Isolate(nodes, nodes[UniformBelow(rng, n)]);
    case PartitionShape::kLeader:
      return Isolate(nodes, leader.has_value() ? *leader : nodes[UniformBelow(rng, n)]);
    case PartitionShape::kMajoritiesRing:
      return MajoritiesRing(nodes, rng);
    case PartitionShape::kBridge: {
      // Jepsen's bridge: halves split at floor(n/2), and the first node of the second half keeps
      // talking to everyone.
      std::vector<std::string> left(nodes.begin(), nodes.begin() + static_cast<long>(n / 2));
      std::vector<std::string> right(nodes.begin() + static_cast<long>(n / 2 + 1), nodes.end());
      return Complete(left, right);
    }
  }
  FAULTLINE_CHECK(false, "unknown partition shape");
  return {};
}

std::string GrudgeToJson(const Grudge& grudge) {
  // std::map and std::set iterate in sorted order, which makes the text canonical.
  std::string out = "{";
  bool first = true;
  for (const auto& [node, dropped] : grudge) {
    if (!first) out += ",";
    first = false;
    AppendJsonString(node, &out);
    out += ":[";
    bool first_peer = true;
    for (const std::string& peer : dropped) {
      if (!first_peer) out += ",";
      first_peer = false;
      AppendJsonString(peer, &out);
    }
    out += "]";
  }
  out += "}";
  return out;
}

}  // namespace faultline::nemesis
