// Booting, crashing and restarting the real replicas on their fault-injecting disks.
#include <utility>

#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

replica::Options Simulation::ReplicaOptions(const SimNode& n) const {
  replica::Options o;
  o.id = n.id;
  for (const auto& other : nodes_) o.voters.push_back(other->id);
  o.data_dir = n.data_dir;
  o.election_tick = faults_.election_tick;
  o.heartbeat_tick = faults_.heartbeat_tick;
  // Each incarnation draws its own election timeouts, all from the run's seed.
  o.seed = base::MixSeed(options_.seed, n.id * 1000003 + n.incarnation);
  o.max_entries_per_msg = faults_.max_entries_per_msg;
  o.max_inflight_msgs = faults_.max_inflight_msgs;
  o.snapshot_threshold = faults_.snapshot_every;
  o.snapshot_retain = faults_.snapshot_retain;
  // Far beyond any client's timeout: only bounds the table of a deposed leader.
  o.pending_write_limit_ms = 10 * faults_.client_timeout_ms;
  o.unsafe_stale_reads = options_.unsafe_stale_reads;
  o.unsafe_no_fsync = options_.unsafe_no_fsync;
  o.unsafe_commit_old_terms = options_.unsafe_commit_old_terms;
  o.mutation_send_first_ignores_hard_state = options_.mutation_send_first_ignores_hard_state;
  o.mutation_send_first_any_role = options_.mutation_send_first_any_role;
  return o;
}

// Opens (recovers) the node's replica from its disk: the first boot finds an empty directory.
void Simulation::Boot(int i) {
  SimNode& n = node(i);
  n.dying = false;
  auto opened = replica::Replica::Open(
      ReplicaOptions(n), &n.env, &n.clock, [this](Message m) { SendMessage(std::move(m)); },
      &n.observer);
  if (!opened.ok()) {
    Fail("node-stopped", NodeName(n.id) + " cannot restart (incarnation " +
                             std::to_string(n.incarnation) + "): " + opened.status().ToString());
    return;
  }
  n.replica = std::move(opened).value();
}

void Simulation::AccumulateStats(const replica::Replica& r) {
  const replica::ReplicaStats& s = r.stats();
  result_.stats.readies += s.readies;
  result_.stats.sent_first += s.sent_first;
  result_.stats.leader_hard_state_changes += s.leader_hard_state_changes;
  result_.stats.snapshots_taken += s.snapshots_taken;
  result_.stats.snapshots_installed += s.snapshots_installed;
}

// Power loss: the replica is gone with everything it buffered, and the disk keeps what it had
// synced -- plus, now and then, a torn prefix of the WAL's unsynced tail (a write that reached
// the platter part way). Clients waiting on the node time out (info).
void Simulation::Crash(int i) {
  SimNode& n = node(i);
  if (!n.up()) return;
  AccumulateStats(*n.replica);
  n.replica.reset();
  n.observer.ClearStep();
  const std::string wal = n.wal_path();
  const uint64_t unsynced = n.env.UnsyncedBytes(wal);
  uint64_t torn = 0;
  if (unsynced > 0 && rng_.Chance(faults_.torn_tail_ppm)) torn = rng_.Uniform(unsynced + 1);
  if (torn > 0 && torn < unsynced) ++result_.stats.torn_crashes;
  n.env.CrashKeepingTornPrefix(wal, torn);
  if (n.dying) ++result_.stats.crashes_mid_write;
  n.dying = false;
  ++result_.stats.crashes;
  if (tracing()) {
    Trace("crash " + NodeName(n.id) + " (unsynced WAL bytes " + std::to_string(unsynced) +
          ", kept " + std::to_string(torn) + ")");
  }
}

// The crash strikes inside one of the node's next storage operations (an append, an fsync, a
// rename...): the replica sees the failure, stops itself, and AfterStep crashes it in the same
// step. A leader's Ready that sent its messages before its fsync (send-first) is caught right in
// that window: the messages are out, the entries never became durable.
void Simulation::CrashMidWrite(int i) {
  SimNode& n = node(i);
  if (!n.up() || n.dying) return;
  n.dying = true;
  n.env.FailAfter(static_cast<int64_t>(rng_.Uniform(3)));
  if (tracing()) Trace("crash of " + NodeName(n.id) + " armed for its next writes");
}

void Simulation::Restart(int i) {
  SimNode& n = node(i);
  if (n.dying) Crash(i);  // it did no storage operation since: it dies now
  if (n.up()) return;
  ++n.incarnation;
  Boot(i);
  if (!n.up()) return;
  if (tracing()) Trace("restart " + NodeName(n.id));
  HandleReady(i);
}

void Simulation::HandleReady(int i) {
  SimNode& n = node(i);
  n.replica->HandleReady();
  if (tracing()) {
    for (const auto& [role, term] : n.observer.role_changes) {
      Trace(NodeName(n.id) + " is " + RoleName(role) + " in term " + std::to_string(term));
    }
  }
}

void Simulation::AfterStep() {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    SimNode& n = node(i);
    if (!n.up() || n.replica->fatal_error().empty()) continue;
    if (n.dying) {
      Crash(i);  // the injected disk failure: the crash we armed
      continue;
    }
    Fail("node-stopped", NodeName(n.id) + " stopped itself: " + n.replica->fatal_error());
    return;
  }
}

}  // namespace faultline::raft::sim
