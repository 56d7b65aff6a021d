// Replica: one raftkv node's logic, exactly as the server runs it and as the deterministic
// simulation runs it (issue 11). It owns the Raft core, the node's DiskStorage and the kv state
// machine, and it holds the server-layer rules (docs/PROTOCOL.md):
//   - a request that reaches a non-leader is refused before anything is proposed (not-leader:
//     a definite failure);
//   - a write is answered when the entry at its log index is applied: ok/mismatch/held/not-held
//     if that entry is ours (same term), "superseded" if another entry was committed there
//     (entries are unique by (index, term), so ours can never apply);
//   - a read goes through ReadIndex (thesis §6.4) and is served once applied_index reaches the
//     read index; with the unsafe stale-reads switch it is served from local state at once, on
//     any node;
//   - anything whose fate cannot be known (displaced from the pending table by a proposal at the
//     same index, covered by an installed snapshot, expired, still pending at shutdown) is
//     answered kUnknown: indeterminate;
//   - pending reads of a node that stops being leader fail with kNotLeader (a read has no effect
//     to lose).
//
// No sockets, threads or clocks inside: storage goes through the injected Env, messages leave
// through the injected SendFn, time comes from the injected Clock, and randomness (election
// timeouts) from Options::seed. So the same inputs give the same outputs, bit for bit.
//
// Driving it (the host's loop, server/node.cc or sim/):
//   feed inputs -- Step(message), Submit(request, reply), Tick() -- in any number, then call
//   HandleReady() once; it persists, sends, applies and answers. Batching several inputs into one
//   HandleReady() is what lets one fsync cover many requests.
// After a fatal error (a storage failure, or the core stopping itself on input that contradicts
// Raft's guarantees) every input is ignored and fatal_error() says why: the host must stop the
// node at once, like a crash (carrying on, even flushing, could acknowledge what is not durable).
//
// Thread safety: none. One thread calls everything; callbacks (SendFn, ReplyFn, Observer) run on
// that thread, inside the call that caused them, and must not call back into the Replica.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "targets/raft/core/raft.h"
#include "targets/raft/core/types.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/kv/state_machine.h"
#include "targets/raft/storage/disk_storage.h"
#include "targets/raft/storage/env.h"

namespace faultline::raft::replica {

enum class ReplyCode : uint8_t {
  kOk,
  kNotLeader,   // refused before proposing, or a read pending when leadership was lost
  kBusy,        // a bound was reached; nothing proposed
  kStopped,     // the node is stopping; nothing proposed
  kMismatch,    // cas: compare executed, no match
  kHeld,        // acquire: the lock is held
  kNotHeld,     // release: not the holder / stale token / lease expired
  kInvalid,     // the command applied with no effect (undecodable)
  kSuperseded,  // another entry committed at our index: ours never applies
  kUnknown,     // proposed, fate unknown: indeterminate
};
const char* ReplyCodeName(ReplyCode code);  // "ok", "not-leader", ...

struct ClientRequest {
  enum class Kind : uint8_t { kRead, kCommand, kStatus };
  Kind kind = Kind::kStatus;
  std::string key;      // kRead
  kv::Command command;  // kCommand; time_ms is stamped by the replica (the leader's clock)
};

struct ClientReply {
  ReplyCode code = ReplyCode::kOk;
  std::optional<std::string> value;  // kRead: the stored text, nullopt when absent
  uint64_t token = 0;                // acquire
  NodeId leader = kNoNode;           // kNotLeader hint, and kStatus
  // kStatus
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  uint64_t term = 0;
  uint64_t commit_index = 0;
};

// The node's clock in milliseconds: stamped into commands as the leader's time (lock leases are
// judged against it when the command applies) and used for the pending-write deadline.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowMs() = 0;
};

// What a driver that checks Raft's invariants needs to see (the simulation; the server passes
// none). Called synchronously from HandleReady().
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void Persisted(const std::vector<Entry>& entries) { (void)entries; }
  virtual void Applied(const Entry& entry) { (void)entry; }
  // A state machine snapshot taken locally (installed = false) or received from the leader.
  virtual void Snapshotted(uint64_t index, uint64_t term, const std::string& data, bool installed) {
    (void)index, (void)term, (void)data, (void)installed;
  }
  virtual void RoleChanged(Role role, uint64_t term) { (void)role, (void)term; }
};

struct Options {
  NodeId id = kNoNode;
  std::vector<NodeId> voters;  // every member, including `id`
  std::string data_dir;
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint64_t seed = 0;  // election timeouts; distinct per node and per incarnation
  uint64_t max_entries_per_msg = 64;
  size_t max_inflight_msgs = 32;
  // A snapshot is taken once this many entries are applied beyond the last one; the log keeps
  // `snapshot_retain` entries below it for followers that lag a little.
  uint64_t snapshot_threshold = 10000;
  uint64_t snapshot_retain = 1000;
  // A proposed write not resolved by then is answered kUnknown (the client gave up long before);
  // bounds the pending table when a deposed leader never learns its entries' fate.
  uint64_t pending_write_limit_ms = 60000;

  // Deliberate bugs for validating the harness (issue 3); all off by default.
  bool unsafe_stale_reads = false;
  bool unsafe_no_fsync = false;  // the WAL is buffered; the host calls Flush() now and then
  bool unsafe_commit_old_terms = false;

  // TEST-ONLY mutation (issue 11): a leader sends a Ready's messages before persisting it even
  // when the Ready changes the term or vote. Used to show what the simulation can reach.
  bool mutation_send_first_ignores_hard_state = false;
  // TEST-ONLY mutation (issue 11): followers and candidates send first too -- a follower
  // acknowledges entries (and grants votes) before they are durable, a candidate asks for votes
  // before its own vote is. Unsafe on a crash; the simulation must catch it.
  bool mutation_send_first_any_role = false;
};

struct ReplicaStats {
  uint64_t readies = 0;
  uint64_t sent_first = 0;                 // Readies whose messages left before the fsync
  uint64_t leader_hard_state_changes = 0;  // leader Readies that changed the term or vote
  uint64_t snapshots_taken = 0;
  uint64_t snapshots_installed = 0;
};

class Replica {
 public:
  using SendFn = std::function<void(Message)>;
  using ReplyFn = std::function<void(ClientReply)>;

  // Opens (recovers) the storage in options.data_dir through `env` and builds the core.
  // `env`, `clock` and `observer` (may be null) must outlive the replica.
  static base::Result<std::unique_ptr<Replica>> Open(const Options& options, storage::Env* env,
                                                     Clock* clock, SendFn send,
                                                     Observer* observer = nullptr);

  // Inputs. None of them persists or sends anything by itself; call HandleReady() afterwards.
  // (Submit answers at once, through `reply`, what it can refuse without the core.)
  void Step(const Message& message);
  void Submit(ClientRequest request, ReplyFn reply);
  void Tick();      // one Raft tick; also expires pending writes past their deadline
  void Campaign();  // start an election now (tests, scripted scenarios)

  // Persists, sends, applies and answers until the core has nothing more to do.
  void HandleReady();

  // --unsafe-no-fsync: makes the buffered WAL durable (the host's periodic flush).
  void Flush();

  // A clean stop: flushes storage; every pending write is answered kUnknown and every pending
  // read kStopped. Nothing more is sent. The replica ignores input afterwards.
  void Shutdown();

  // Empty unless the replica stopped itself (see the file comment).
  const std::string& fatal_error() const { return fatal_; }

  ClientReply Status() const;
  const Raft& raft() const { return *raft_; }
  const kv::StateMachine& state_machine() const { return kv_; }
  const storage::DiskStorage& storage() const { return *storage_; }
  const ReplicaStats& stats() const { return stats_; }
  size_t pending_writes() const { return writes_.size(); }
  size_t pending_reads() const { return reads_.size(); }

 private:
  struct PendingWrite {
    uint64_t term = 0;
    ReplyFn reply;
    uint64_t deadline_ms = 0;
  };
  struct PendingRead {
    std::string key;
    ReplyFn reply;
    bool index_known = false;
    uint64_t index = 0;
  };

  Replica(const Options& options, Clock* clock, SendFn send, Observer* observer);

  void HandleOneReady(Ready rd);
  void ApplyEntry(const Entry& e);
  void ServeReads();
  void FailReads(ReplyCode code);
  void MaybeSnapshot();
  void ExpireWrites(uint64_t now_ms);
  void SetFatal(std::string what);
  bool stopped() const { return !fatal_.empty() || shut_down_; }

  const Options options_;
  Clock* const clock_;
  const SendFn send_;
  Observer* const observer_;

  std::unique_ptr<storage::DiskStorage> storage_;
  std::unique_ptr<Raft> raft_;
  kv::StateMachine kv_;

  std::map<uint64_t, PendingWrite> writes_;  // log index -> the request proposed there
  std::map<uint64_t, PendingRead> reads_;    // ReadIndex context -> the request
  uint64_t next_read_context_ = 1;
  uint64_t persisted_term_ = 0;  // the term and vote last handed to storage
  NodeId persisted_voted_for_ = kNoNode;

  std::string fatal_;
  bool shut_down_ = false;
  ReplicaStats stats_;
};

}  // namespace faultline::raft::replica
