// Raft's safety properties (paper Figure 3, §5.2-§5.4) as executable checks over what a set of
// nodes exposes, step after step (after LogCabin's checkBasic()/checkDelta()):
//
//   Election Safety       at most one leader per term, ever (§5.2);
//   Leader Append-Only    a leader never overwrites or deletes entries in its log (§5.3);
//   Log Matching          two logs holding an entry with the same index and term hold the same
//                         entries up through that index (§5.3);
//   Leader Completeness   an entry committed in a term is in the log of the leader of every
//                         later term (§5.4);
//   State Machine Safety  no two nodes apply different entries at the same index (§5.4.3).
//
// plus the persistent-state rules they rest on (reported under "Persistent State"): currentTerm
// never decreases and a node votes at most once per term, across restarts; and volatile
// sanity: commit and applied indexes never move back within one incarnation.
//
// The checker only observes. It keeps, across the whole run, every (index, term) entry ever
// seen with its content and predecessor's term, every leader per term, every committed and
// applied entry; so a violation is found at the step that causes it, even if the offending
// node has crashed since. Log Matching is checked inductively: an entry's identity includes the
// term of the entry before it, so equal (index, term) pairs everywhere imply equal prefixes.
//
// Cost per Check: O(nodes + entries appended/committed/applied in the step), plus
// O(committed entries) when a node becomes leader. CheckFull rescans every log (use it
// periodically and at the end: it also catches log changes a driver failed to report).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "targets/raft/core/raft.h"
#include "targets/raft/core/types.h"

namespace faultline::raft {

struct Violation {
  std::string property;  // e.g. "Election Safety"
  std::string message;   // names nodes, terms and indexes

  std::string ToString() const { return property + ": " + message; }
};

// A state machine snapshot taken or installed by a node in this step.
struct SnapshotRecord {
  uint64_t index = 0;
  uint64_t term = 0;
  uint64_t data_hash = 0;  // of the state machine bytes: replicas at one index must agree
};

// What the checker sees of one node after a step. Spans point into the caller's memory and
// need to stay valid only during the call.
struct NodeObservation {
  NodeId id = kNoNode;
  bool up = true;            // false while crashed: nothing else is read
  uint64_t incarnation = 0;  // +1 at every restart: volatile state may start over

  Role role = Role::kFollower;
  uint64_t term = 0;
  NodeId voted_for = kNoNode;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  uint64_t snapshot_index = 0;
  uint64_t snapshot_term = 0;
  uint64_t first_index = 1;        // index of entries.front()
  std::span<const Entry> entries;  // the log after compaction

  // What the step changed (from the Ready objects the driver handled).
  std::span<const Entry> appended;            // Ready::entries, as persisted
  std::span<const Entry> applied;             // Ready::committed_entries, as applied
  std::span<const SnapshotRecord> snapshots;  // taken (Compact) or installed
};

// Fills the state fields of an observation from a live node (the step fields stay empty).
NodeObservation ObserveNode(const Raft& raft, uint64_t incarnation);

// 64-bit FNV-1a of an entry's type and data (its identity, together with index and term).
uint64_t EntryHash(const Entry& e);
uint64_t DataHash(std::string_view data);

class InvariantChecker {
 public:
  // checkBasic on every node plus checkDelta against each node's previous observation. Call
  // after every step with all nodes (crashed ones with up = false).
  std::vector<Violation> Check(std::span<const NodeObservation> nodes);

  // Rescans every entry of every log against everything seen so far.
  std::vector<Violation> CheckFull(std::span<const NodeObservation> nodes);

  uint64_t leaders_seen() const { return leaders_.size(); }
  uint64_t committed_seen() const { return committed_.size(); }

 private:
  struct EntryRecord {
    uint64_t hash = 0;
    uint64_t prev_term = 0;  // term of the entry before it in the log that first held it
    NodeId seen_on = kNoNode;
  };
  struct CommitRecord {
    uint64_t term = 0;
    uint64_t hash = 0;
    uint64_t observer_term = 0;  // an upper bound on the term in which it was committed
    NodeId observer = kNoNode;
  };
  struct AppliedRecord {
    uint64_t term = 0;
    uint64_t hash = 0;
    NodeId node = kNoNode;
  };
  struct Prev {
    uint64_t incarnation = 0;
    Role role = Role::kFollower;
    uint64_t term = 0;
    NodeId voted_for = kNoNode;
    uint64_t commit_index = 0;
    uint64_t applied_index = 0;
    uint64_t last_index = 0;
    uint64_t last_term = 0;
    uint64_t commit_recorded = 0;  // committed entries up to here were recorded
  };
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9e3779b97f4a7c15ULL ^ p.second);
    }
  };

  void CheckEntry(const NodeObservation& n, const Entry& e, std::vector<Violation>* out);
  void CheckLeaderHasCommitted(const NodeObservation& leader, uint64_t index,
                               const CommitRecord& rec, std::vector<Violation>* out) const;

  // Lookups only; iteration order never affects a result.
  std::unordered_map<std::pair<uint64_t, uint64_t>, EntryRecord, PairHash> entries_;
  std::map<uint64_t, NodeId> leaders_;          // term -> the leader of that term
  std::map<uint64_t, CommitRecord> committed_;  // index -> the entry committed there
  std::unordered_map<uint64_t, AppliedRecord> applied_;
  std::unordered_map<uint64_t, SnapshotRecord> snapshots_;
  std::map<NodeId, Prev> prev_;
};

}  // namespace faultline::raft
