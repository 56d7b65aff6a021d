// Node: one raftkv server's Raft loop. A single thread (the one calling Run()) owns the Raft
// core, the DiskStorage and the kv state machine, so none of them needs a lock. Everything else
// reaches the loop through its inbox: peer messages (from PeerTransport reader threads) and
// client requests (from the HTTP thread, answered through a callback run on the loop thread).
//
// Server-layer rules (the same as the deterministic simulation's, harness/sim/sim.cc, which
// models this loop; the two are kept in step by hand -- see the note in CMakeLists.txt):
//   - a request that reaches a non-leader is refused before anything is proposed (not-leader:
//     a definite failure);
//   - a write is answered when the entry at its log index is applied: ok/mismatch/held/not-held
//     if that entry is ours (same term), "superseded" if another entry was committed there
//     (entries are unique by (index, term), so ours can never apply);
//   - a read goes through ReadIndex (thesis §6.4) and is served once applied_index reaches the
//     read index; with --unsafe-stale-reads it is served from local state at once, on any node;
//   - anything whose fate cannot be known (displaced from the pending table, covered by an
//     installed snapshot, still pending at shutdown) is answered kUnknown: indeterminate.
//
// Thread safety: Submit() and Stop() from any thread; Run() on exactly one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "targets/raft/core/raft.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/kv/state_machine.h"
#include "targets/raft/server/flags.h"
#include "targets/raft/server/transport.h"
#include "targets/raft/storage/disk_storage.h"

namespace faultline::raft::server {

enum class ReplyCode : uint8_t {
  kOk,
  kNotLeader,   // refused before proposing; `leader` is a hint (may be kNoNode)
  kBusy,        // a bound was reached; nothing proposed
  kStopped,     // the node is stopping; nothing proposed
  kMismatch,    // cas: compare executed, no match
  kHeld,        // acquire: the lock is held
  kNotHeld,     // release: not the holder / stale token / lease expired
  kInvalid,     // the command applied with no effect (undecodable)
  kSuperseded,  // another entry committed at our index: ours never applies
  kUnknown,     // proposed, fate unknown: indeterminate
};

struct ClientRequest {
  enum class Kind : uint8_t { kRead, kCommand, kStatus };
  Kind kind = Kind::kStatus;
  std::string key;      // kRead
  kv::Command command;  // kCommand; time_ms is stamped by the loop (the leader's clock)
};

struct ClientReply {
  ReplyCode code = ReplyCode::kOk;
  std::optional<std::string> value;  // kRead: JSON text, nullopt when absent
  uint64_t token = 0;                // acquire
  NodeId leader = kNoNode;           // kNotLeader hint, and kStatus
  // kStatus
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  uint64_t term = 0;
  uint64_t commit_index = 0;
};

class Node {
 public:
  static constexpr size_t kMaxInboxMessages = 100000;
  static constexpr size_t kMaxInboxRequests = 10000;
  static constexpr uint64_t kSnapshotRetainEntries = 1000;
  static constexpr std::chrono::milliseconds kNoFsyncFlushInterval{300};
  // A proposed write not resolved by then is answered kUnknown (its HTTP handler gave up long
  // before); bounds the pending table when a deposed leader never learns its entries' fate.
  static constexpr std::chrono::seconds kPendingWriteLimit{60};

  // Opens storage, recovers, builds the core and starts the peer transport.
  // Returns nullptr and sets *error on failure.
  static std::unique_ptr<Node> Create(const ServerOptions& options, std::string* error);
  ~Node();

  // Called exactly once with the answer to a submitted request: on the loop thread, or on the
  // submitting thread when the request is refused at once (stopped, busy). Must be quick and
  // must not call back into the Node (it runs inside the loop).
  using ReplyFn = std::function<void(ClientReply)>;

  void Submit(ClientRequest request, ReplyFn reply);
  // The same, answered through a future (tests, simple callers).
  std::future<ClientReply> Submit(ClientRequest request);
  // Runs the loop until Stop(); then flushes storage and stops the transport.
  void Run();
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;

  struct Incoming {
    ClientRequest request;
    ReplyFn reply;
  };
  struct PendingWrite {
    uint64_t term = 0;
    kv::Op op = kv::Op::kPut;
    ReplyFn reply;
    Clock::time_point deadline;
  };
  struct PendingRead {
    std::string key;
    ReplyFn reply;
    bool index_known = false;
    uint64_t index = 0;
  };

  explicit Node(const ServerOptions& options);

  void Deliver(Message m);
  void HandleRequest(Incoming in);
  void HandleReady();
  void ApplyEntry(const Entry& e);
  void ServeReads();
  void FailReads(ReplyCode code);
  void MaybeSnapshot();
  void ExpireWrites(Clock::time_point now);
  ClientReply Status() const;
  [[noreturn]] void Fatal(const std::string& what);

  const ServerOptions options_;
  std::unique_ptr<storage::DiskStorage> storage_;
  std::unique_ptr<Raft> raft_;
  kv::StateMachine kv_;
  std::unique_ptr<PeerTransport> transport_;

  // Loop-thread state.
  std::map<uint64_t, PendingWrite> writes_;  // log index -> the request proposed there
  std::map<uint64_t, PendingRead> reads_;    // ReadIndex context -> the request
  uint64_t next_read_context_ = 1;
  uint64_t persisted_term_ = 0;  // the term and vote last written to storage
  NodeId persisted_voted_for_ = kNoNode;

  // The inbox, shared with other threads.
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> inbox_messages_;   // GUARDED_BY(mu_)
  std::vector<Incoming> inbox_requests_;  // GUARDED_BY(mu_)
  bool stop_ = false;                     // GUARDED_BY(mu_)
  bool finished_ = false;                 // GUARDED_BY(mu_): Run() returned
};

}  // namespace faultline::raft::server
