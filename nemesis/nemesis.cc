#include "nemesis/nemesis.h"

#include <algorithm>
#include <sstream>
#include <utility>

namespace faultline::nemesis {

using base::Result;
using base::Status;

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kKill:
      return "kill";
  }
  return "?";
}

Result<std::vector<FaultKind>> ParseFaultKinds(const std::string& spec) {
  std::vector<FaultKind> kinds;
  if (spec == "none" || spec.empty()) return kinds;
  if (spec == "all")
    return std::vector<FaultKind>{FaultKind::kPartition, FaultKind::kPause, FaultKind::kKill};
  std::stringstream in(spec);
  std::string word;
  while (std::getline(in, word, ',')) {
    FaultKind kind;
    if (word == "partition") {
      kind = FaultKind::kPartition;
    } else if (word == "pause") {
      kind = FaultKind::kPause;
    } else if (word == "kill") {
      kind = FaultKind::kKill;
    } else {
      return Status::InvalidArgument(
          "unknown nemesis '" + word +
          "' (use none, all, or a comma list of partition, pause, kill)");
    }
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  return kinds;
}

namespace {

// Draws that do not depend on the standard library's distributions, so that a seed replays the
// same fault schedule whichever library built faultline (as partition.cc does).
size_t Below(base::Rng& rng, size_t n) { return n <= 1 ? 0 : static_cast<size_t>(rng.Uniform(n)); }

template <typename T>
void Shuffle(std::vector<T>& v, base::Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(rng, i)]);
}

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : " ") + id;
  return out;
}

}  // namespace

Nemesis::Nemesis(NodeControl* nodes, NetBackend* net, std::vector<FaultKind> kinds, uint64_t seed,
                 EventSink sink)
    : nodes_(nodes),
      net_(net),
      kinds_(std::move(kinds)),
      rng_(seed ^ 0x6e656d65736973ull),
      sink_(std::move(sink)) {
  // Partitions need a net backend; without one they are simply never chosen.
  if (net_ == nullptr) std::erase(kinds_, FaultKind::kPartition);
}

void Nemesis::Report(NemesisEvent event) {
  if (sink_) sink_(std::move(event));
}

void Nemesis::SetActive(std::string s) {
  std::lock_guard<std::mutex> lock(summary_mu_);
  summary_ = std::move(s);
}

std::string Nemesis::ActiveSummary() const {
  std::lock_guard<std::mutex> lock(summary_mu_);
  return summary_;
}

// Jepsen's node targets: one node, a minority, a majority, all of them, or the leader.
std::vector<std::string> Nemesis::PickTargets(bool leader_aim_ok) {
  std::vector<std::string> all = nodes_->Nodes();
  const size_t n = all.size();
  enum { kOne, kMinority, kMajority, kAll, kLeader };
  const int aim = static_cast<int>(Below(rng_, leader_aim_ok ? kLeader + 1 : kAll + 1));
  // Shuffle whatever the aim, so that the generator's draws, and with them the rest of the
  // schedule, do not depend on whether a leader happened to answer.
  Shuffle(all, rng_);
  if (aim == kLeader) {
    if (std::optional<std::string> leader = nodes_->Leader()) return {*leader};
    // No leader known right now (an election is under way): aim at one node instead.
  }
  size_t count = 1;
  if (aim == kMinority) count = std::max<size_t>(1, (n - 1) / 2);
  if (aim == kMajority) count = n / 2 + 1;
  if (aim == kAll) count = n;
  all.resize(std::min(count, n));
  std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return all;
}

Status Nemesis::StartNext() {
  if (Status s = StopCurrent(); !s.ok()) return s;
  if (kinds_.empty()) return Status::Ok();
  const FaultKind kind = kinds_[Below(rng_, kinds_.size())];
  ++faults_started_;
  active_ = kind;
  switch (kind) {
    case FaultKind::kPartition: {
      std::vector<PartitionShape> shapes = AllPartitionShapes();
      if (nodes_->Nodes().size() < 3) {
        // With two nodes a bridge or a ring of majorities cuts nothing at all.
        std::erase(shapes, PartitionShape::kBridge);
        std::erase(shapes, PartitionShape::kMajoritiesRing);
      }
      const PartitionShape shape = shapes[Below(rng_, shapes.size())];
      std::optional<std::string> leader;
      if (shape == PartitionShape::kLeader) leader = nodes_->Leader();
      const Grudge grudge = MakeGrudge(shape, nodes_->Nodes(), rng_, leader);
      Report({"start-partition", grudge, std::nullopt});
      SetActive(std::string("partition ") + PartitionShapeName(shape));
      cut_ = true;
      return net_->Cut(grudge);
    }
    case FaultKind::kPause: {
      active_targets_ = PickTargets(true);
      Report({"start-pause", std::nullopt, active_targets_});
      SetActive("pause " + Join(active_targets_));
      for (const std::string& id : active_targets_) {
        paused_.insert(id);
        if (Status s = nodes_->Pause(id); !s.ok()) return s;
      }
      return Status::Ok();
    }
    case FaultKind::kKill: {
      active_targets_ = PickTargets(true);
      Report({"start-kill", std::nullopt, active_targets_});
      SetActive("kill " + Join(active_targets_));
      for (const std::string& id : active_targets_) {
        killed_.insert(id);
        if (Status s = nodes_->Kill(id); !s.ok()) return s;
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status Nemesis::StopCurrent() {
  if (!active_) return Status::Ok();
  const FaultKind kind = *active_;
  active_.reset();
  SetActive("");
  Status first;
  switch (kind) {
    case FaultKind::kPartition:
      cut_ = false;
      first = net_->Heal();
      Report({"stop-partition", std::nullopt, std::nullopt});
      break;
    case FaultKind::kPause:
      for (const std::string& id : active_targets_) {
        Status s = nodes_->Resume(id);
        if (s.ok()) paused_.erase(id);
        if (!s.ok() && first.ok()) first = s;
      }
      Report({"stop-pause", std::nullopt, active_targets_});
      break;
    case FaultKind::kKill:
      for (const std::string& id : active_targets_) {
        Status s = nodes_->Restart(id);
        if (s.ok()) killed_.erase(id);
        if (!s.ok() && first.ok()) first = s;
      }
      Report({"stop-kill", std::nullopt, active_targets_});
      break;
  }
  active_targets_.clear();
  return first;
}

Status Nemesis::HealAll() {
  Status first = StopCurrent();
  // Whatever StopCurrent could not undo (a failed restart, a resume that errored) is retried.
  if (net_ != nullptr && cut_) {
    Status s = net_->Heal();
    if (s.ok()) cut_ = false;
    if (!s.ok() && first.ok()) first = s;
  }
  for (auto it = paused_.begin(); it != paused_.end();) {
    Status s = nodes_->Resume(*it);
    if (!s.ok() && first.ok()) first = s;
    it = s.ok() ? paused_.erase(it) : std::next(it);
  }
  for (auto it = killed_.begin(); it != killed_.end();) {
    Status s = nodes_->Restart(*it);
    if (!s.ok() && first.ok()) first = s;
    it = s.ok() ? killed_.erase(it) : std::next(it);
  }
  return first;
}

}  // namespace faultline::nemesis
