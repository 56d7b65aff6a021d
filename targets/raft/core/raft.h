// Raft: one node of the consensus protocol as a pure, deterministic state machine (after
// etcd-io/raft's RawNode). It has no sockets, clocks, files or threads: a driver feeds it
//   Tick()          -- one unit of logical time (the driver decides how long a tick is),
//   Step(message)   -- a message from another node,
//   Propose(data)   -- a client command (leader only),
//   ReadIndex(id)   -- a linearizable read request (leader only, thesis §6.4),
//   Compact(...)    -- "the state machine was snapshotted at index i" (§7),
// and collects the consequences with GetReady() / Advance() (see Ready in types.h for the order
// in which the driver must persist, send and apply). The same seed and the same inputs always
// give the same outputs.
//
// Implemented: leader election with randomized timeouts (§5.2) and pre-vote (thesis §9.6); log
// replication with the consistency check (§5.3), fast backtracking of nextIndex by term, and
// pipelined, batched AppendEntries with per-follower flow control; commitment of current-term
// entries only, by counting replicas (§5.4.2, Figure 8); ReadIndex reads confirmed by a
// heartbeat round after the leader's no-op is committed (thesis §6.4); log compaction and
// InstallSnapshot (§7); CheckQuorum: a leader that has not heard from a quorum within an election
// timeout steps down, and followers that heard from a leader recently ignore vote requests
// (thesis §6.2 and §4.2.3). Membership is fixed at construction (no configuration changes).
//
// Ownership: the Raft owns its log, snapshot bytes are shared immutable buffers. Thread safety:
// none; one driver thread calls everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/rand.h"
#include "targets/raft/core/log.h"
#include "targets/raft/core/progress.h"
#include "targets/raft/core/types.h"

namespace faultline::raft {

struct Config {
  NodeId id = kNoNode;
  std::vector<NodeId> voters;  // every member, including `id`; fixed for the node's lifetime

  // A follower starts an election after a randomized timeout in
  // [election_tick, 2 * election_tick) ticks without hearing from a leader (§5.2); a leader
  // sends heartbeats every heartbeat_tick ticks. REQUIRES: 0 < heartbeat_tick < election_tick.
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint64_t seed = 0;  // seeds the election timeouts; mixed with `id`

  bool pre_vote = true;      // thesis §9.6
  bool check_quorum = true;  // thesis §6.2

  // AppendEntries batching and pipelining. Every bound below is a hard limit.
  uint64_t max_entries_per_msg = 64;
  uint64_t max_bytes_per_msg = 1 << 20;      // an entry larger than this is still sent, alone
  size_t max_inflight_msgs = 32;             // AppendEntries in flight per follower (Replicate)
  uint64_t max_uncommitted_entries = 10000;  // Propose refuses beyond this (back-pressure)
  size_t max_pending_reads = 10000;          // ReadIndex refuses beyond this
  uint64_t max_committed_entries_per_ready = 1024;

  // DELIBERATE BUG for validating the harness (issue 3): commit entries of earlier terms by
  // counting replicas, dropping the rule of §5.4.2. Figure 8 of the paper shows the resulting
  // loss of a committed entry.
  bool unsafe_commit_old_terms = false;

  // Storage that may forget what it acknowledged: set only by drivers whose disk loses synced
  // state on a crash (raftkv's --unsafe-no-fsync bug switch; never in a correct deployment).
  // Without it the core fail-stops or ignores such evidence, which is right for a correct disk;
  // with it, it trades those guards for liveness, so that after a crash the cluster keeps
  // electing leaders and committing (and the harness can observe the lost writes):
  //   - a leader re-probes a follower that rejects at or below its matchIndex (the follower lost
  //     entries it acknowledged) instead of ignoring the rejection as stale;
  //   - a follower verifies the leader's log below its own commitIndex instead of trusting it
  //     (Leader Completeness no longer holds), and acknowledges only what it checked;
  //   - a follower whose committed entries (or snapshot) conflict with the leader's log discards
  //     its whole log, snapshot and state machine (Ready::reset) and is caught up from scratch,
  //     instead of stopping;
  //   - a leader that meets another leader of its term (a vote forgotten in a crash) steps down
  //     instead of stopping.
  bool tolerate_lost_writes = false;
};

// Why a request was refused. Requests that return kOk may still be lost (a leader that steps
// down forgets its pending reads; a proposal may be overwritten by a later leader): the driver
// learns the outcome from what gets applied, or times out.
enum class RequestError : uint8_t {
  kOk,
  kNotLeader,  // ask leader() instead (may be kNoNode)
  kBusy,       // a bound was reached (uncommitted entries, pending reads)
  kStopped,    // the node stopped itself; see fatal_error()
};
const char* RequestErrorName(RequestError e);

struct ProposeResult {
  RequestError error = RequestError::kOk;
  // Where the entry went: it takes effect iff the entry applied at `index` has this `term`
  // (entries are unique by (index, term): §5.3, Log Matching).
  uint64_t index = 0;
  uint64_t term = 0;
};

class Raft {
 public:
  // Why a config or a recovered storage view cannot start a node; empty when they can.
  static std::string Validate(const Config& config, const StorageView& storage);

  // Starts a node from what its disk holds (an empty StorageView for a new node). The state
  // machine must be restored from storage.snapshot: applied_index() starts at its index and the
  // entries after it come back through Ready::committed_entries.
  // REQUIRES: Validate(config, storage).empty().
  Raft(const Config& config, const StorageView& storage);

  // --- Inputs. None may be called between GetReady() and Advance(). ---

  void Tick();
  void Step(const Message& message);
  // Appends `data` to the log. Leader only.
  ProposeResult Propose(std::string data);
  // Requests a linearizable read; a ReadState with `context` comes out of a later Ready once
  // leadership is confirmed. Leader only.
  RequestError ReadIndex(uint64_t context);
  // The application snapshotted its state machine at `index` (<= applied_index()): the log up to
  // index - retain_entries may be dropped. Entries kept below the snapshot let slightly lagging
  // followers catch up without a snapshot transfer. No-op if index <= snapshot().index.
  void Compact(uint64_t index, std::shared_ptr<const std::string> data,
               uint64_t retain_entries = 0);
  // Starts an election now (tests; a server's "campaign" admin call).
  void Campaign();

  // --- Output. ---

  // True when GetReady() may return something to do (it can be empty after all).
  bool HasReady() const;
  Ready GetReady();
  // The driver persisted, sent and applied the last Ready.
  void Advance();

  // --- Observers. ---

  NodeId id() const { return config_.id; }
  const Config& config() const { return config_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  uint64_t term() const { return term_; }
  NodeId voted_for() const { return voted_for_; }
  uint64_t commit_index() const { return commit_index_; }
  uint64_t applied_index() const { return applied_index_; }
  const RaftLog& log() const { return log_; }
  HardState hard_state() const { return {term_, voted_for_, commit_index_}; }
  // Progress of `peer` as this leader sees it; nullptr when not leader or unknown peer.
  const Progress* progress(NodeId peer) const;
  // Non-empty once the node has stopped itself because its input contradicted Raft's guarantees
  // (e.g. a second leader in its term); it then ignores every input (fail-stop).
  const std::string& fatal_error() const { return fatal_error_; }
  // The randomized election timeout currently in force, in ticks.
  int randomized_election_timeout() const { return randomized_election_timeout_; }

 private:
  struct PendingRead {
    uint64_t round;  // the heartbeat round that must be acknowledged by a quorum
    uint64_t index;  // commitIndex when the read arrived
    uint64_t context;
  };

  size_t Quorum() const { return config_.voters.size() / 2 + 1; }
  bool IsVoter(NodeId id) const;
  void Send(Message m);
  void Stop(std::string reason);

  void BecomeFollower(uint64_t term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetTerm(uint64_t term);
  void ResetTimers();
  void StartElection(bool pre_vote);
  void TallyVote(NodeId from, bool granted);

  void StepLeader(const Message& m);
  void StepCandidate(const Message& m);
  void StepFollower(const Message& m);
  void HandleVoteRequest(const Message& m);
  void HandleAppendEntries(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleInstallSnapshot(const Message& m);
  void HandleAppendEntriesResponse(const Message& m);
  // tolerate_lost_writes: drops the log, the snapshot and the state machine (see Ready::reset).
  void DiscardDivergedState();
  void HandleHeartbeatResponse(const Message& m);

  void TickElection();
  void TickLeader();
  bool QuorumActive();

  // Sends one AppendEntries (or InstallSnapshot) to `to` if its flow control allows; false when
  // nothing was sent. `send_if_empty` sends an entry-less AppendEntries (carrying leaderCommit,
  // or probing after a possible loss).
  bool SendAppend(NodeId to, bool send_if_empty);
  void SendSnapshot(NodeId to, Progress& pr);
  void SendHeartbeats();
  // Sends everything owed to followers since the last Ready: new entries (batched: all
  // proposals since the previous Ready go out together), commit updates, ReadIndex rounds.
  void FlushLeader();
  bool MaybeCommit();
  void CommitTo(uint64_t index);
  bool CommittedInCurrentTerm() const { return log_.TermAt(commit_index_) == term_; }
  void AdvanceReads();
  void ReleaseWaitingReads();
  void AppendNoop();

  Config config_;
  base::Rng rng_;
  RaftLog log_;

  uint64_t term_ = 0;
  NodeId voted_for_ = kNoNode;
  uint64_t commit_index_ = 0;
  uint64_t applied_index_ = 0;
  Role role_ = Role::kFollower;
  NodeId leader_ = kNoNode;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::map<NodeId, bool> votes_;  // (pre-)candidate: who answered and how

  // Leader state. std::map: iteration order is part of the deterministic output.
  std::map<NodeId, Progress> progress_;
  bool append_pending_ = false;  // new entries to send at the next GetReady
  bool commit_pending_ = false;  // commitIndex advanced: tell followers at the next GetReady
  uint64_t read_round_ = 0;      // last ReadIndex round started (sent in heartbeats)
  bool read_round_pending_ = false;
  std::deque<PendingRead> reads_;           // waiting for a quorum to confirm their round
  std::deque<uint64_t> reads_before_noop_;  // waiting for the leader's no-op to commit

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
  std::optional<Snapshot> pending_snapshot_;  // received, to hand out in the next Ready
  bool pending_reset_ = false;                // DiscardDivergedState, for the next Ready

  // What the last Ready reported, and what the one in flight promises.
  HardState prev_hard_state_;
  SoftState prev_soft_state_;
  bool ready_in_flight_ = false;
  uint64_t ready_stable_to_ = 0;
  uint64_t ready_applied_to_ = 0;

  std::string fatal_error_;
};

}  // namespace faultline::raft
