// Progress: what a leader knows about one follower's log (Figure 2's nextIndex and matchIndex)
// plus the flow control that lets it pipeline AppendEntries without flooding a follower that is
// behind or unreachable (after etcd-io/raft's tracker).
//
// Owned by Raft (one per peer, only meaningful while leader); not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace faultline::raft {

// The last index of each AppendEntries in flight to one follower, oldest first. Bounded by
// `capacity` (Config::max_inflight_msgs).
class Inflights {
 public:
  explicit Inflights(size_t capacity) : capacity_(capacity) {}

  bool Full() const { return in_flight_.size() >= capacity_; }
  size_t count() const { return in_flight_.size(); }
  // REQUIRES: !Full() and last_index greater than every index already in flight.
  void Add(uint64_t last_index);
  // An acknowledgement up to `index` frees every message ending at or before it.
  void FreeLE(uint64_t index);
  // Frees the oldest slot (used when a heartbeat response shows the follower alive but messages
  // may have been lost: without it a full window would never reopen).
  void FreeFirst();
  void Reset() { in_flight_.clear(); }

 private:
  size_t capacity_;
  std::deque<uint64_t> in_flight_;
};

struct Progress {
  // Probe: one AppendEntries at a time until the follower's log position is known (after an
  //   election or a rejection). Replicate: optimistic pipelining; next_index advances as soon
  //   as entries are sent. Snapshot: an InstallSnapshot is in flight; nothing else is sent.
  enum class State : uint8_t { kProbe, kReplicate, kSnapshot };

  explicit Progress(size_t max_inflight) : inflights(max_inflight) {}

  uint64_t match_index = 0;  // highest index known to be replicated on the follower
  uint64_t next_index = 1;   // index of the next entry to send
  State state = State::kProbe;
  bool probe_sent = false;        // Probe: an AppendEntries is outstanding; wait for an answer
  uint64_t pending_snapshot = 0;  // Snapshot: index of the snapshot in flight
  int snapshot_elapsed = 0;       // Snapshot: ticks since it was sent (resent after a timeout)
  bool recent_active = false;     // heard from since the last CheckQuorum round (thesis §6.2)
  uint64_t read_ack = 0;          // highest ReadIndex round acknowledged (thesis §6.4)
  uint64_t commit_sent = 0;       // highest leaderCommit sent to it (AppendEntries, heartbeat)
  Inflights inflights;

  bool IsPaused() const;
  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // A successful AppendEntriesResponse up to `index`; false when it tells nothing new.
  bool MaybeUpdate(uint64_t index);
  // A rejection of prevLogIndex `rejected` with the follower's hint; moves next_index back to
  // at most hint + 1 (never below match_index + 1). False when the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint);
};

const char* ProgressStateName(Progress::State state);

}  // namespace faultline::raft
