// The deterministic simulation (DESIGN.md section 9; after TigerBeetle's VOPR and FoundationDB's
// simulator): 3 or 5 REAL raftkv replicas (targets/raft/replica: the code the server runs, over
// the real DiskStorage and WAL) in one process, each on its own fault-injecting in-memory disk
// (storage::FaultInjectionEnv) with its own skewed clock, joined by a simulated network, with
// several concurrent clients, all driven by ONE seeded generator. The same options give the same
// run, bit for bit: the same history text, the same verdict.
//
// A run has two phases:
//   safety   -- clients invoke `ops` operations (read / write / cas on a few independent keys;
//               lock clients acquire a lock with a lease, write their fencing token to a guarded
//               resource and release) while the nemesis partitions the network, crashes and
//               restarts nodes, and the network drops, delays, reorders and duplicates messages.
//               A crash drops everything the node's disk had not synced and may leave a torn
//               WAL tail (the tear point drawn from the seed); some crashes strike in the middle
//               of a write (the disk fails the node's next few operations), i.e. after a Ready's
//               messages left and before its fsync returned. A restart is Replica::Open on the
//               same disk. Raft's safety properties (targets/raft/core/invariants.h) are checked
//               after every step.
//   liveness -- everything is healed; the cluster must elect a leader, bring every node up to
//               date and serve a final read of every key within `liveness_timeout_ms`.
// Finally the history is checked: the registers for linearizability (model cas-register, initial
// null), the lock for the fencing property (checker/fencing_checker.h) and its acquires and
// releases with the fencing-lock model, as the harness's lock workload is judged.
//
// The server rules are the replica's own (docs/PROTOCOL.md): a non-leader answers not-leader
// before proposing (a definite `fail`); reads go through ReadIndex; a write is answered when its
// entry is applied; an outcome the replica cannot know is `info`. A client that hears nothing
// within its timeout records `info` and continues as a new process (old + all clients).
// A replica that stops itself (fatal_error(): the core refused input contradicting Raft's
// guarantees, or storage failed other than by an injected crash) fails the run: "node-stopped".
//
// Deliberate bugs (issue 3), each expected to make some seed fail:
//   unsafe_stale_reads      any node answers reads from its local state machine, no ReadIndex;
//   unsafe_no_fsync         nodes acknowledge before their writes are durable; the buffer is
//                           flushed every flush_interval_ms and lost on a crash;
//   unsafe_commit_old_terms the core commits earlier-term entries by counting (Figure 8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/check.h"
#include "checker/fencing_checker.h"
#include "checker/history.h"

namespace faultline::raft::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;    // 1..9
  int ops = 1000;   // client operations invoked in the safety phase
  int clients = 5;  // concurrent simulated clients
  int keys = 3;     // independent registers "k0".."k{keys-1}"
  // Clients that cycle acquire (lease on the simulated clock) -> guarded write of the fencing
  // token -> release on one contended lock, in addition to `clients`; they share `ops`.
  int lock_clients = 2;
  uint64_t lease_ms = 200;

  bool unsafe_stale_reads = false;
  bool unsafe_no_fsync = false;
  bool unsafe_commit_old_terms = false;

  // TEST-ONLY mutations of the replica's send-before-fsync rule (replica::Options; issue 11).
  // Not flags of `faultline sim`; the reproduction line names them for the test that sets them.
  bool mutation_send_first_ignores_hard_state = false;
  bool mutation_send_first_any_role = false;

  bool faults = true;  // false: a healthy network and no nemesis (a baseline)
  // A scripted run instead of random faults: "figure8" forces the pattern of the paper's
  // Figure 8 on 5 nodes (see RunFigure8 in sim.cc); "" = random.
  std::string scenario;

  bool check_history = true;  // run the linearizability checker at the end
  // Check Raft's safety properties after every step. Off, only the history can reveal a bug:
  // what a black-box test of real processes would see.
  bool check_invariants = true;
  double check_timeout_s = 60;
  uint64_t liveness_timeout_ms = 30000;  // simulated time for the healed cluster to converge
  uint64_t max_sim_time_ms = 600000;     // bound on the safety phase's simulated time
  uint64_t max_steps = 20000000;         // hard bound on the whole run (a message storm fails)
  int full_check_every = 64;             // steps between full invariant rescans
  size_t trace_lines = 0;                // keep the last N steps as text for the report
};

// Every fault and tuning setting of a run, drawn from the seed (printed before the run: a
// failing seed's report says exactly what it exercised).
struct FaultSettings {
  // Network between nodes. Probabilities are in parts per million.
  uint64_t drop_ppm = 0;
  uint64_t duplicate_ppm = 0;
  uint64_t reorder_ppm = 0;  // chance of an extra delay up to reorder_delay_max_us
  uint64_t delay_min_us = 0;
  uint64_t delay_max_us = 0;
  uint64_t reorder_delay_max_us = 0;
  // Nemesis: a fault starts after a quiet period and lasts a while, one at a time.
  bool partitions = false;
  bool crashes = false;
  // Of the crashes, the share (ppm) that strike in the middle of a write: the node's disk fails
  // one of its next few operations and the node dies there (messages a Ready sent before its
  // fsync are out; the fsync never happened). The rest strike between two steps.
  uint64_t crash_mid_write_ppm = 0;
  // On a crash, the chance that the WAL keeps a torn prefix of its unsynced bytes.
  uint64_t torn_tail_ppm = 0;
  uint64_t quiet_min_ms = 0;
  uint64_t quiet_max_ms = 0;
  uint64_t fault_min_ms = 0;
  uint64_t fault_max_ms = 0;
  // Raft and server tuning.
  uint64_t tick_ms = 10;
  int election_tick = 10;
  int heartbeat_tick = 2;
  uint64_t max_entries_per_msg = 64;
  uint64_t max_inflight_msgs = 32;
  uint64_t snapshot_every = 100;  // applied entries between state machine snapshots
  uint64_t snapshot_retain = 0;   // entries kept below a snapshot for lagging followers
  // Clients.
  uint64_t client_timeout_ms = 500;
  uint64_t think_max_ms = 20;
  // --unsafe-no-fsync: how often a node's write buffer reaches the disk.
  uint64_t flush_interval_ms = 0;

  std::string Describe() const;  // one line, "key=value ..."
};

// The settings RunSim will use for these options.
FaultSettings DrawFaultSettings(const SimOptions& options);

struct SimStats {
  uint64_t steps = 0;
  uint64_t sim_time_ms = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;
  uint64_t messages_duplicated = 0;
  uint64_t leaders_elected = 0;  // terms in which a node became leader
  uint64_t crashes = 0;
  uint64_t crashes_mid_write = 0;  // crashes inside a storage operation (see FaultSettings)
  uint64_t torn_crashes = 0;       // crashes that left the WAL with a partial unsynced tail
  uint64_t partitions = 0;
  uint64_t snapshots_taken = 0;
  uint64_t snapshots_installed = 0;
  uint64_t ops_invoked = 0;
  uint64_t ops_ok = 0;
  uint64_t ops_fail = 0;
  uint64_t ops_info = 0;
  uint64_t lock_acquired = 0;      // acquires answered ok
  uint64_t lock_writes_ok = 0;     // guarded writes accepted
  uint64_t lock_writes_stale = 0;  // guarded writes refused: a higher token was there
  uint64_t max_commit_index = 0;
  // Summed over every incarnation of every replica (replica::ReplicaStats).
  uint64_t readies = 0;
  uint64_t sent_first = 0;
  uint64_t leader_hard_state_changes = 0;
  // Wall-clock figures: the only fields that differ between two runs of one seed.
  double run_ms = 0;
  double check_ms = 0;
};

enum class SimOutcome { kPass, kFail, kUnknown };
const char* SimOutcomeName(SimOutcome outcome);  // "pass", "fail", "unknown"

struct SimResult {
  uint64_t seed = 0;
  SimOutcome outcome = SimOutcome::kPass;
  bool ok() const { return outcome == SimOutcome::kPass; }
  // For a failure: "invariant" (a Raft safety property), "node-stopped" (a node refused input
  // that contradicts Raft's guarantees), "liveness" (no convergence after healing), "history"
  // (the registers or the lock are not linearizable), "fencing" (a stale token's write was
  // accepted, or one token granted twice), "checker-error". For unknown: "checker-unknown".
  std::string failure;
  std::string detail;  // the violated property and its message, or the checker's summary
  uint64_t failed_at_step = 0;
  uint64_t failed_at_ms = 0;  // simulated time
  SimOptions options;
  FaultSettings faults;
  checker::History history;
  std::optional<checker::CheckResult> check;       // the registers (cas-register)
  std::optional<checker::CheckResult> lock_check;  // acquire/release (fencing-lock)
  std::optional<checker::FencingCheckResult> fencing;
  SimStats stats;
  std::vector<std::string> trace;  // the last options.trace_lines steps, oldest first
  std::string scenario_outcome;    // how a scripted scenario went (empty for random runs)
};

SimResult RunSim(const SimOptions& options);

// The command line that reruns these options, e.g.
// "faultline sim --seed 7 --nodes 5 --ops 1000 --clients 5 --keys 3 --raft-opt unsafe-no-fsync".
std::string ReproduceLine(const SimOptions& options);

// A report for people: the outcome, the seed and its reproduction line, the fault settings, the
// violated property or the checker's counterexample, statistics, and the trace if kept.
std::string DescribeResult(const SimResult& result);

// The history as JSON Lines (DESIGN.md section 2), by the writer the harness's recorder uses
// (checker/io/jsonl_writer.h). Deterministic: equal runs give equal text.
std::string HistoryToJsonl(const checker::History& history);

}  // namespace faultline::raft::sim
