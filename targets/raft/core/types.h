// The Raft core's value types: log entries, persistent state, messages, and the Ready batch the
// core hands to its driver (after etcd-io/raft). Names follow the Raft paper (Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm", Figure 2) where the paper has one.
//
// Everything here is a plain value: no sockets, clocks, files or threads. A driver (the raftkv
// server, the deterministic simulation, a unit test) moves these between nodes and to disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faultline::raft {

// Node ids are small positive integers; the server maps "n1" to 1. Zero means "nobody".
using NodeId = uint64_t;
inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal,  // carries the application's command in `data`
  kNoop,    // appended by every new leader (§8: commits an entry of its term at once)
};

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// The state Figure 2 calls "persistent on all servers", minus the log (persisted as entries), plus
// the commit index, which may be persisted lazily (it is recomputed if lost; it never has to be
// synced before a message is sent).
struct HardState {
  uint64_t term = 0;           // currentTerm
  NodeId voted_for = kNoNode;  // votedFor in `term`
  uint64_t commit = 0;         // commitIndex as last known

  friend bool operator==(const HardState&, const HardState&) = default;
};

// A snapshot of the state machine covering every entry up to and including `index` (§7).
// `data` is immutable and shared: the leader hands the same bytes to every InstallSnapshot.
struct Snapshot {
  uint64_t index = 0;  // lastIncludedIndex; 0 = no snapshot
  uint64_t term = 0;   // lastIncludedTerm
  std::shared_ptr<const std::string> data;

  bool empty() const { return index == 0; }
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);  // "follower", "pre-candidate", "candidate", "leader"

enum class MessageType : uint8_t {
  kPreVote,  // thesis §9.6: "would you vote for me in term+1?" (no term change)
  kPreVoteResponse,
  kRequestVote,  // §5.2
  kRequestVoteResponse,
  kAppendEntries,  // §5.3
  kAppendEntriesResponse,
  kHeartbeat,  // empty AppendEntries without the log check; carries ReadIndex rounds
  kHeartbeatResponse,
  kInstallSnapshot,  // §7; answered with kAppendEntriesResponse
};
const char* MessageTypeName(MessageType type);

// One message between two nodes. A single struct for all types (as in etcd-io/raft) keeps the
// transport trivial; each field's meaning per type is listed here.
struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  // The sender's currentTerm, except: a PreVote carries the term the sender would campaign in
  // (its term + 1), and a granted PreVoteResponse echoes that term.
  uint64_t term = 0;
  // AppendEntries: prevLogIndex. RequestVote/PreVote: lastLogIndex. Heartbeat: the leader's
  // lastLogIndex with Config::tolerate_lost_writes, else 0.
  // AppendEntriesResponse: success -> the highest index known to match the leader's log;
  //                        reject  -> the rejected prevLogIndex.
  // HeartbeatResponse reject (Config::tolerate_lost_writes only): the follower's last index,
  //                        below the commit the leader sent (it lost entries it acknowledged).
  uint64_t index = 0;
  // AppendEntries: prevLogTerm. RequestVote/PreVote: lastLogTerm.
  // AppendEntriesResponse reject: the term of the follower's entry at reject_hint (0 if unknown).
  uint64_t log_term = 0;
  // AppendEntries and Heartbeat: leaderCommit (for heartbeats capped at the follower's
  // matchIndex, so a follower never commits an entry it has not been shown to match).
  uint64_t commit = 0;
  std::vector<Entry> entries;  // AppendEntries only
  // AppendEntriesResponse / vote responses: the request was refused (success = false,
  // voteGranted = false).
  bool reject = false;
  // AppendEntriesResponse reject: the largest index <= prevLogIndex whose term is <= prevLogTerm
  // in the follower's log; lets the leader skip a whole term per round trip (fast backtracking).
  uint64_t reject_hint = 0;
  // Heartbeat/HeartbeatResponse: the leader's ReadIndex round number (thesis §6.4), echoed back.
  uint64_t context = 0;
  Snapshot snapshot;  // InstallSnapshot only
};

// One line of a message for traces and test failures, e.g.
// "2->3 AppendEntries term=4 index=7 log_term=3 commit=6 entries=[8@4 9@4]".
std::string DescribeMessage(const Message& m);

// A ReadIndex request whose index is known (thesis §6.4): the application may serve the read
// once it has applied every entry up to `index`.
struct ReadState {
  uint64_t index = 0;
  uint64_t context = 0;  // the caller's request id, as passed to Raft::ReadIndex
};

// Volatile state the driver may want to show (e.g. on /status).
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader = kNoNode;

  friend bool operator==(const SoftState&, const SoftState&) = default;
};

// Everything the driver must do after feeding the core some input, in this order:
//   0. if `reset`: discard the persisted log and snapshot and reset the state machine to its
//      initial state (Config::tolerate_lost_writes only);
//   1. persist `hard_state`, `snapshot` and `entries` (entries replace the log from
//      entries.front().index on) -- synced to disk when `must_sync`;
//   2. send `messages` (they may depend on 1: a vote, an acknowledgement);
//   3. restore the state machine from `snapshot` if present, then apply `committed_entries` in
//      order, then serve `read_states` once the applied index reaches their index;
//   4. call Raft::Advance().
struct Ready {
  std::optional<SoftState> soft_state;  // set when role or leader changed
  std::optional<HardState> hard_state;  // set when term, vote or commit changed
  std::vector<Entry> entries;
  std::optional<Snapshot> snapshot;  // received from the leader (InstallSnapshot)
  std::vector<Message> messages;
  std::vector<Entry> committed_entries;
  std::vector<ReadState> read_states;
  bool must_sync = false;  // term, vote or entries changed: fsync before sending any message
  // Only with Config::tolerate_lost_writes: this node's committed entries or snapshot conflict
  // with the leader's log (writes the cluster acknowledged were lost in a crash), so its log,
  // snapshot and state machine were discarded; the node starts over from an empty log (keeping
  // its term and vote) and is caught up by the leader. Handled before everything else here.
  bool reset = false;

  bool empty() const {
    return !reset && !soft_state && !hard_state && entries.empty() && !snapshot &&
           messages.empty() && committed_entries.empty() && read_states.empty();
  }
};

// What a restarted node recovered from its disk (passed to the Raft constructor).
struct StorageView {
  HardState hard_state;
  Snapshot snapshot;
  // The log as persisted: contiguous, starting at or before snapshot.index + 1 (entries covered
  // by the snapshot may be retained for lagging followers). Empty for a fresh node.
  std::vector<Entry> entries;
};

}  // namespace faultline::raft
