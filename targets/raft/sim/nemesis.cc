// Random faults, one at a time: a quiet period, then a partition or a crash for a while. Each
// start and stop is a history event in the harness's dialect (DESIGN.md section 8), written
// before its effect: start-partition with the grudge, stop-partition null, start-kill and
// stop-kill with the node list; process "nemesis", type info.
#include <algorithm>
#include <utility>

#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::Value;

const char* FaultName(FaultKind k) {
  switch (k) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kPartitionOne:
      return "one";
    case FaultKind::kPartitionLeader:
      return "leader";
    case FaultKind::kPartitionHalves:
      return "halves";
    case FaultKind::kPartitionBridge:
      return "bridge";
    case FaultKind::kCrashOne:
      return "crash-one";
    case FaultKind::kCrashLeader:
      return "crash-leader";
    case FaultKind::kCrashMajority:
      return "crash-majority";
  }
  return "?";
}

Value Simulation::NodeList(const std::vector<int>& nodes) const {
  std::vector<int> sorted = nodes;
  std::sort(sorted.begin(), sorted.end());
  Value::Array a;
  for (int i : sorted) a.push_back(Value::String(NodeName(node(i).id)));
  return Value::MakeArray(std::move(a));
}

void Simulation::NemesisStep() {
  if (healed_) return;
  uint64_t ms = 0;
  if (fault_ == FaultKind::kNone) {
    StartFault();
    ms = rng_.Range(faults_.fault_min_ms, faults_.fault_max_ms);
  } else {
    StopFault();
    ms = rng_.Range(faults_.quiet_min_ms, faults_.quiet_max_ms);
  }
  queue_.After(ms * kUsPerMs, EventKind::kNemesis, 0, 0, 0);
}

void Simulation::StartFault() {
  std::vector<FaultKind> kinds;
  if (faults_.partitions) {
    kinds.insert(kinds.end(), {FaultKind::kPartitionOne, FaultKind::kPartitionLeader,
                               FaultKind::kPartitionHalves});
    if (nodes_.size() >= 5) kinds.push_back(FaultKind::kPartitionBridge);
  }
  if (faults_.crashes) {
    kinds.insert(kinds.end(),
                 {FaultKind::kCrashOne, FaultKind::kCrashLeader, FaultKind::kCrashMajority});
  }
  if (kinds.empty()) return;
  fault_ = kinds[rng_.Uniform(kinds.size())];
  const size_t n = nodes_.size();
  // A random order of the node indexes (Fisher-Yates with our generator).
  std::vector<int> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.Uniform(i)]);
  const NodeId leader = CurrentLeader();
  if (leader != kNoNode &&
      (fault_ == FaultKind::kPartitionLeader || fault_ == FaultKind::kCrashLeader)) {
    auto it = std::find(order.begin(), order.end(), static_cast<int>(Index(leader)));
    std::iter_swap(order.begin(), it);  // the leader is the victim
  }

  if (fault_ == FaultKind::kCrashOne || fault_ == FaultKind::kCrashLeader ||
      fault_ == FaultKind::kCrashMajority) {
    const size_t count = fault_ == FaultKind::kCrashMajority ? n / 2 + 1 : 1;
    crashed_.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
    RecordNemesis("start-kill", NodeList(crashed_));
    for (int i : crashed_) {
      if (rng_.Chance(faults_.crash_mid_write_ppm)) {
        CrashMidWrite(i);
      } else {
        Crash(i);
      }
    }
    if (tracing()) Trace(std::string("kill ") + FaultName(fault_));
    return;
  }
  // Partitions: groups of node indexes; links between groups are cut.
  std::vector<std::vector<int>> groups;
  const auto half = static_cast<std::ptrdiff_t>(n / 2);
  switch (fault_) {
    case FaultKind::kPartitionOne:
    case FaultKind::kPartitionLeader:
      groups = {{order[0]}, std::vector<int>(order.begin() + 1, order.end())};
      break;
    case FaultKind::kPartitionHalves:
      groups = {std::vector<int>(order.begin(), order.begin() + half),
                std::vector<int>(order.begin() + half, order.end())};
      break;
    case FaultKind::kPartitionBridge:
      // Two minorities joined by one bridge node that sees both (the bridge sits in both).
      groups = {std::vector<int>(order.begin(), order.begin() + half + 1),
                std::vector<int>(order.begin() + half, order.end())};
      break;
    default:
      break;
  }
  CutLinks(groups);
  RecordNemesis("start-partition", Grudge());
  partitioned_ = true;
  ++result_.stats.partitions;
  if (tracing()) Trace(std::string("partition ") + FaultName(fault_));
}

void Simulation::StopFault() {
  if (fault_ == FaultKind::kNone) return;
  if (!crashed_.empty()) {
    const std::vector<int> victims = std::move(crashed_);
    crashed_.clear();
    RecordNemesis("stop-kill", NodeList(victims));
    for (int i : victims) Restart(i);
  } else if (partitioned_) {
    RecordNemesis("stop-partition", Value::Null());
    HealLinks();
    partitioned_ = false;
  }
  fault_ = FaultKind::kNone;
}

// The end of the safety phase: every fault stops, the network becomes reliable (delays stay),
// and every node is up.
void Simulation::Heal() {
  StopFault();
  if (partitioned_ || AnyLinkCut()) {
    RecordNemesis("stop-partition", Value::Null());
    HealLinks();
    partitioned_ = false;
  }
  healed_ = true;
  network_drop_ppm_ = 0;
  network_duplicate_ppm_ = 0;
  std::vector<int> down;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (!node(i).up() || node(i).dying) down.push_back(i);
  }
  if (!down.empty()) {
    RecordNemesis("stop-kill", NodeList(down));
    for (int i : down) Restart(i);
  }
  liveness_deadline_us_ = queue_.now_us() + options_.liveness_timeout_ms * kUsPerMs;
  if (tracing()) Trace("heal: liveness phase");
}

}  // namespace faultline::raft::sim
