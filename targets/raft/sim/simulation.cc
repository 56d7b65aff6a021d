// The run's phases, the event loop and the per-step invariant checks.
#include "targets/raft/sim/simulation.h"

#include <chrono>
#include <string>
#include <utility>

#include "base/check.h"

namespace faultline::raft::sim {

std::string NodeName(NodeId id) { return "n" + std::to_string(id); }

Simulation::Simulation(const SimOptions& options)
    : options_(options),
      faults_(DrawFaultSettings(options)),
      rng_(base::MixSeed(options.seed, 0x5eed)) {
  result_.seed = options.seed;
  result_.options = options;
  result_.faults = faults_;
  result_.history.source = "sim-seed-" + std::to_string(options.seed);
  network_drop_ppm_ = faults_.drop_ppm;
  network_duplicate_ppm_ = faults_.duplicate_ppm;
}

void Simulation::Process(const Event& ev) {
  switch (ev.kind) {
    case EventKind::kDeliver:
      Deliver(ev.node, ev.payload);
      break;
    case EventKind::kTick: {
      SimNode& n = node(ev.node);
      if (n.up()) {
        n.replica->Tick();
        HandleReady(ev.node);
      }
      queue_.After(faults_.tick_ms * kUsPerMs, EventKind::kTick, ev.node, 0, 0);
      break;
    }
    case EventKind::kClientStart:
      ClientStart(ev.client);
      break;
    case EventKind::kClientTimeout:
      OnClientTimeout(ev.payload);
      break;
    case EventKind::kRequest:
      HandleRequest(ev.node, ev.payload);
      break;
    case EventKind::kReply:
      OnReply(replies_.Take(ev.payload));
      break;
    case EventKind::kNemesis:
      NemesisStep();
      break;
    case EventKind::kFlush: {
      SimNode& n = node(ev.node);
      if (n.up()) n.replica->Flush();
      queue_.After(faults_.flush_interval_ms * kUsPerMs, EventKind::kFlush, ev.node, 0, 0);
      break;
    }
  }
}

// Safety phase: runs until the clients have invoked their operations (or the scenario ended, or
// the simulated time ran out); then heals.
bool Simulation::SafetyPhaseStep() {
  bool idle = ops_invoked_ >= static_cast<uint64_t>(options_.ops);
  for (const Client& c : clients_) idle = idle && !c.busy;
  if (options_.scenario == "figure8") idle = Figure8Step();
  if (failed_) return false;
  return idle || queue_.now_us() >= options_.max_sim_time_ms * kUsPerMs;
}

// Liveness phase: the healed cluster must converge and answer a final read of every key.
bool Simulation::LivenessPhaseStep() {
  if (!final_reads_started_ && Converged()) StartFinalReads();
  if (final_reads_started_ && final_keys_done_ == options_.keys) return true;
  if (queue_.now_us() < liveness_deadline_us_) return false;
  std::string why =
      final_reads_started_
          ? std::to_string(options_.keys - final_keys_done_) + " final reads still unanswered"
          : "the cluster did not converge (leader elected, all nodes applied everything)";
  const NodeId leader = CurrentLeader();
  why += "; leader: " + (leader == kNoNode ? std::string("none") : NodeName(leader));
  for (const auto& n : nodes_) {
    if (!n->up()) {
      why += "; " + NodeName(n->id) + " down";
      continue;
    }
    const Raft& r = n->replica->raft();
    why += "; " + NodeName(n->id) + " " + RoleName(r.role()) + " term " + std::to_string(r.term()) +
           " commit " + std::to_string(r.commit_index()) + " applied " +
           std::to_string(r.applied_index()) + " last " + std::to_string(r.log().last_index());
  }
  Fail("liveness",
       "within " + std::to_string(options_.liveness_timeout_ms) + " ms of healing: " + why);
  return true;
}

NodeId Simulation::CurrentLeader() const {
  NodeId leader = kNoNode;
  uint64_t term = 0;
  for (const auto& n : nodes_) {
    if (!n->up()) continue;
    const Raft& r = n->replica->raft();
    if (r.role() == Role::kLeader && r.term() >= term) {
      leader = n->id;
      term = r.term();
    }
  }
  return leader;
}

bool Simulation::Converged() const {
  const NodeId leader = CurrentLeader();
  if (leader == kNoNode) return false;
  const Raft& l = node(static_cast<int>(Index(leader))).replica->raft();
  if (l.log().TermAt(l.commit_index()) != l.term()) return false;  // its no-op is committed
  if (l.commit_index() != l.log().last_index()) return false;
  for (const auto& n : nodes_) {
    if (!n->up()) return false;
    const Raft& r = n->replica->raft();
    if (r.term() != l.term() || r.leader() != leader || r.applied_index() != l.commit_index()) {
      return false;
    }
  }
  return true;
}

void Simulation::Fail(std::string failure, std::string detail) {
  if (failed_) return;
  failed_ = true;
  result_.outcome = SimOutcome::kFail;
  result_.failure = std::move(failure);
  result_.detail = std::move(detail);
  result_.failed_at_step = result_.stats.steps;
  result_.failed_at_ms = queue_.now_us() / kUsPerMs;
}

void Simulation::Trace(const std::string& line) {
  const uint64_t ms = queue_.now_us() / kUsPerMs;
  std::string frac = std::to_string(queue_.now_us() % kUsPerMs);
  frac = std::string(3 - frac.size(), '0') + frac;
  trace_.push_back("t=" + std::to_string(ms) + "." + frac + "ms step " +
                   std::to_string(result_.stats.steps) + ": " + line);
  while (trace_.size() > options_.trace_lines) trace_.pop_front();
}

bool Simulation::CheckStep() {
  if (!options_.check_invariants) {
    for (auto& n : nodes_) n->observer.ClearStep();
    return true;
  }
  observations_.clear();
  for (const auto& n : nodes_) {
    NodeObservation o;
    if (n->up()) {
      o = ObserveNode(n->replica->raft(), n->incarnation);
      o.appended = n->observer.appended;
      o.applied = n->observer.applied;
      o.snapshots = n->observer.snapshots;
    } else {
      o.id = n->id;
      o.up = false;
    }
    observations_.push_back(o);
  }
  std::vector<Violation> v = invariants_.Check(observations_);
  if (v.empty() && options_.full_check_every > 0 &&
      result_.stats.steps % static_cast<uint64_t>(options_.full_check_every) == 0) {
    v = invariants_.CheckFull(observations_);
  }
  for (auto& n : nodes_) n->observer.ClearStep();
  if (v.empty()) return true;
  std::string detail = v.front().ToString();
  for (size_t k = 1; k < v.size() && k < 4; ++k) detail += "\n  also " + v[k].ToString();
  Fail("invariant", detail);
  return false;
}

SimResult Simulation::Run() {
  const auto wall_start = std::chrono::steady_clock::now();
  base::SetCheckContext("reproduce: " + ReproduceLine(options_));
  const int n = options_.nodes;
  cut_.assign(static_cast<size_t>(n), std::vector<bool>(static_cast<size_t>(n), false));
  for (int i = 0; i < n; ++i) {
    const uint64_t skew_ms = rng_.Uniform(50);
    nodes_.push_back(
        std::make_unique<SimNode>(static_cast<NodeId>(i + 1), queue_.now_us_ptr(), skew_ms));
    nodes_.back()->observer.leader_terms = &leader_terms_;
  }
  for (int i = 0; i < n; ++i) {
    Boot(i);
    // Nodes tick out of phase, as real processes would.
    queue_.Schedule(rng_.Uniform(faults_.tick_ms * kUsPerMs), EventKind::kTick, i, 0, 0);
    if (options_.unsafe_no_fsync) {
      queue_.Schedule(rng_.Uniform(faults_.flush_interval_ms * kUsPerMs) + 1, EventKind::kFlush, i,
                      0, 0);
    }
  }
  clients_.resize(static_cast<size_t>(total_clients()));
  for (int c = 0; c < total_clients(); ++c) {
    clients_[c].process = c;
    clients_[c].lock = c >= options_.clients;
    queue_.Schedule(rng_.Uniform(faults_.think_max_ms * kUsPerMs + 1), EventKind::kClientStart, 0,
                    c, 0);
  }
  if (faults_.partitions || faults_.crashes) {
    queue_.Schedule(rng_.Range(faults_.quiet_min_ms, faults_.quiet_max_ms) * kUsPerMs,
                    EventKind::kNemesis, 0, 0, 0);
  }
  ops_.reserve(static_cast<size_t>(options_.ops) + 64);

  while (!failed_ && !queue_.empty()) {
    Process(queue_.Pop());
    AfterStep();
    ++result_.stats.steps;
    if (failed_ || !CheckStep()) break;
    if (result_.stats.steps >= options_.max_steps) {
      Fail("liveness",
           "step limit of " + std::to_string(options_.max_steps) + " reached (a message storm?)");
      break;
    }
    if (!healed_) {
      if (SafetyPhaseStep()) Heal();
    } else if (LivenessPhaseStep()) {
      break;
    }
  }
  if (!failed_ && options_.check_invariants) {
    observations_.clear();
    for (const auto& node : nodes_) {
      if (node->up())
        observations_.push_back(ObserveNode(node->replica->raft(), node->incarnation));
    }
    std::vector<Violation> v = invariants_.CheckFull(observations_);
    if (!v.empty()) Fail("invariant", v.front().ToString());
  }
  for (const auto& node : nodes_) {
    if (node->up()) AccumulateStats(*node->replica);
    result_.stats.max_commit_index =
        std::max(result_.stats.max_commit_index, node->observer.max_applied_index);
  }
  result_.stats.sim_time_ms = queue_.now_us() / kUsPerMs;
  result_.stats.leaders_elected = leader_terms_.size();
  result_.trace.assign(trace_.begin(), trace_.end());
  result_.scenario_outcome = f8_.outcome;
  const auto wall_run = std::chrono::steady_clock::now();
  result_.stats.run_ms = std::chrono::duration<double, std::milli>(wall_run - wall_start).count();
  if (!failed_ && options_.check_history) CheckHistory();
  result_.stats.check_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_run)
          .count();
  base::SetCheckContext("");
  return std::move(result_);
}

}  // namespace faultline::raft::sim
