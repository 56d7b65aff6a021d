// RaftLog: one node's log in memory -- the latest snapshot (the compacted prefix, §7), the
// retained entries after it, and the mark up to which the entries are known to be persisted.
//
// Owned by Raft; not thread-safe. Invariants (checked by CheckInvariants in tests):
//   - entries_[k].index == first_index() + k, terms never decrease along the log;
//   - first_index() <= snapshot.index + 1 (no hole between the snapshot and the entries; entries
//     at or below snapshot.index may be retained so that a slightly lagging follower can be
//     caught up without a snapshot);
//   - stable_index() <= last_index().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "targets/raft/core/types.h"

namespace faultline::raft {

class RaftLog {
 public:
  // REQUIRES: the storage view passed Raft::Validate. Everything in it counts as persisted.
  explicit RaftLog(const StorageView& storage);

  uint64_t first_index() const { return offset_; }
  uint64_t last_index() const { return offset_ + entries_.size() - 1; }
  uint64_t last_term() const { return entries_.empty() ? snapshot_.term : entries_.back().term; }
  const Snapshot& snapshot() const { return snapshot_; }
  std::span<const Entry> entries() const { return entries_; }

  // The term of the entry at `index`, or nullopt when the entry is compacted away (below
  // first_index() and not the snapshot's last included entry) or beyond last_index().
  // TermAt(0) == 0: the empty prefix matches everything.
  std::optional<uint64_t> TermAt(uint64_t index) const;

  // REQUIRES: first_index() <= index <= last_index().
  const Entry& At(uint64_t index) const;

  // Entries [lo, hi] capped at max_count entries and max_bytes of data, but never empty when
  // lo <= hi (one oversized entry must still make progress).
  // REQUIRES: first_index() <= lo, hi <= last_index().
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi, uint64_t max_count, uint64_t max_bytes) const;

  // §5.4.1: is a log ending at (last_index, last_term) at least as up-to-date as this one?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const {
    return last_term > this->last_term() ||
           (last_term == this->last_term() && last_index >= this->last_index());
  }

  // The largest index <= `index` whose term is <= `term`, with that term, searching no lower
  // than the compacted prefix (where the search stops and returns term 0 if the term there is
  // unknown). Used on both sides of fast backtracking: the follower picks a hint, the leader
  // picks the next index to probe. At most (index - first_index() + 1) steps.
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index, uint64_t term) const;

  // Appends `entries`, first dropping every entry at or after entries.front().index (a conflict
  // found by the caller, §5.3). REQUIRES: entries non-empty, contiguous, with
  // first_index() <= entries.front().index <= last_index() + 1.
  void TruncateAndAppend(std::vector<Entry> entries);
  void Append(Entry entry);  // REQUIRES: entry.index == last_index() + 1

  // Replaces the whole log by `snapshot` (InstallSnapshot whose last entry this log lacks).
  void Restore(Snapshot snapshot);

  // Log compaction (§7): records `snapshot` as the new compacted prefix and drops entries with
  // index <= compact_to. REQUIRES: snapshot.index > snapshot().index, compact_to <=
  // snapshot.index, and TermAt(snapshot.index) == snapshot.term.
  void Compact(Snapshot snapshot, uint64_t compact_to);

  // Entries not yet reported as persisted, i.e. those after stable_index().
  uint64_t stable_index() const { return stable_index_; }
  std::vector<Entry> UnstableEntries() const;
  void StableTo(uint64_t index) { stable_index_ = index; }

  // Checks the invariants listed above; returns a description of the first one broken.
  std::optional<std::string> CheckInvariants() const;

 private:
  Snapshot snapshot_;
  uint64_t offset_ = 1;  // index of entries_.front(), or snapshot_.index + 1 when empty
  std::vector<Entry> entries_;
  uint64_t stable_index_ = 0;
};

}  // namespace faultline::raft
