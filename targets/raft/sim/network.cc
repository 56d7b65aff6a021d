// The simulated network between nodes: every message gets a delay (sometimes a long one, which
// reorders it), may be dropped or duplicated, and is dropped while a partition cuts its link --
// including a message already on the wire when the cut happens.
#include <algorithm>
#include <utility>

#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::Value;

void Simulation::SendMessage(Message m) {
  ++result_.stats.messages_sent;
  if (!Linked(m.from, m.to) || rng_.Chance(network_drop_ppm_)) {
    ++result_.stats.messages_dropped;
    return;
  }
  const int copies = rng_.Chance(network_duplicate_ppm_) ? 2 : 1;
  if (copies == 2) ++result_.stats.messages_duplicated;
  const int to = static_cast<int>(Index(m.to));
  for (int k = 0; k < copies; ++k) {
    uint64_t delay = rng_.Range(faults_.delay_min_us, faults_.delay_max_us);
    if (rng_.Chance(faults_.reorder_ppm)) delay += rng_.Uniform(faults_.reorder_delay_max_us + 1);
    const uint64_t slot = messages_.Put(k + 1 < copies ? m : std::move(m));
    queue_.After(delay, EventKind::kDeliver, to, 0, slot);
  }
}

void Simulation::Deliver(int i, uint64_t slot) {
  Message m = messages_.Take(slot);
  SimNode& n = node(i);
  if (!n.up() || !Linked(m.from, m.to)) {
    ++result_.stats.messages_dropped;
    return;
  }
  ++result_.stats.messages_delivered;
  if (tracing()) Trace("deliver " + DescribeMessage(m));
  n.replica->Step(m);
  HandleReady(i);
}

void Simulation::CutLinks(const std::vector<std::vector<int>>& groups) {
  for (auto& row : cut_) std::fill(row.begin(), row.end(), true);
  for (const auto& g : groups) {
    for (int a : g) {
      for (int b : g) cut_[a][b] = false;
    }
  }
}

void Simulation::HealLinks() {
  for (auto& row : cut_) std::fill(row.begin(), row.end(), false);
}

bool Simulation::AnyLinkCut() const {
  for (const auto& row : cut_) {
    if (std::find(row.begin(), row.end(), true) != row.end()) return true;
  }
  return false;
}

// The partition as the harness's nemesis writes it (DESIGN.md section 8): each node that cannot
// hear some others, with the list of those others.
Value Simulation::Grudge() const {
  std::vector<std::pair<std::string, Value>> members;
  for (size_t b = 0; b < nodes_.size(); ++b) {
    Value::Array deaf_to;
    for (size_t a = 0; a < nodes_.size(); ++a) {
      if (a != b && cut_[a][b]) deaf_to.push_back(Value::String(NodeName(nodes_[a]->id)));
    }
    if (!deaf_to.empty()) {
      members.emplace_back(NodeName(nodes_[b]->id), Value::MakeArray(std::move(deaf_to)));
    }
  }
  return Value::MakeObject(std::move(members));
}

}  // namespace faultline::raft::sim
