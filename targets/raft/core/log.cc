#include "targets/raft/core/log.h"

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace faultline::raft {

RaftLog::RaftLog(const StorageView& storage) : snapshot_(storage.snapshot) {
  if (storage.entries.empty()) {
    offset_ = snapshot_.index + 1;
  } else {
    offset_ = storage.entries.front().index;
    entries_ = storage.entries;
  }
  stable_index_ = last_index();
}

std::optional<uint64_t> RaftLog::TermAt(uint64_t index) const {
  if (index == snapshot_.index) return snapshot_.term;
  if (index < offset_ || index > last_index()) return std::nullopt;
  return entries_[index - offset_].term;
}

const Entry& RaftLog::At(uint64_t index) const {
  FAULTLINE_CHECK(index >= offset_ && index <= last_index(),
                  "entry " + std::to_string(index) + " outside [" + std::to_string(offset_) + ", " +
                      std::to_string(last_index()) + "]");
  return entries_[index - offset_];
}

std::vector<Entry> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_count,
                                  uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (lo > hi) return out;
  FAULTLINE_CHECK(lo >= offset_ && hi <= last_index(), "slice outside the log");
  uint64_t bytes = 0;
  for (uint64_t i = lo; i <= hi && out.size() < max_count; ++i) {
    const Entry& e = entries_[i - offset_];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  index = std::min(index, last_index());
  for (;;) {
    std::optional<uint64_t> t = TermAt(index);
    if (!t) return {index, 0};  // compacted: every entry there is committed, so it matches
    if (*t <= term || index == 0) return {index, *t};
    --index;  // bounded: TermAt fails below first_index() unless index hits the snapshot
  }
}

void RaftLog::TruncateAndAppend(std::vector<Entry> entries) {
  FAULTLINE_CHECK(!entries.empty(), "nothing to append");
  const uint64_t from = entries.front().index;
  FAULTLINE_CHECK(from >= offset_ && from <= last_index() + 1,
                  "append at " + std::to_string(from) + " outside [" + std::to_string(offset_) +
                      ", " + std::to_string(last_index() + 1) + "]");
  entries_.resize(from - offset_);
  // A truncated suffix must be rewritten to disk: everything from `from` on is unstable again.
  stable_index_ = std::min(stable_index_, from - 1);
  for (Entry& e : entries) {
    FAULTLINE_CHECK(e.index == last_index() + 1, "entries not contiguous");
    entries_.push_back(std::move(e));
  }
}

void RaftLog::Append(Entry entry) {
  FAULTLINE_CHECK(entry.index == last_index() + 1, "append must extend the log");
  entries_.push_back(std::move(entry));
}

void RaftLog::Restore(Snapshot snapshot) {
  entries_.clear();
  offset_ = snapshot.index + 1;
  stable_index_ = snapshot.index;  // persisted with the snapshot itself (Ready::snapshot)
  snapshot_ = std::move(snapshot);
}

void RaftLog::Compact(Snapshot snapshot, uint64_t compact_to) {
  FAULTLINE_CHECK(snapshot.index > snapshot_.index && compact_to <= snapshot.index,
                  "compaction must move forward");
  FAULTLINE_CHECK(TermAt(snapshot.index) == snapshot.term, "snapshot term mismatch");
  compact_to = std::max(compact_to, offset_ - 1);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(compact_to + 1 - offset_));
  offset_ = compact_to + 1;
  snapshot_ = std::move(snapshot);
}

std::vector<Entry> RaftLog::UnstableEntries() const {
  if (stable_index_ >= last_index()) return {};
  const uint64_t from = std::max(stable_index_ + 1, offset_);
  return std::vector<Entry>(entries_.begin() + static_cast<std::ptrdiff_t>(from - offset_),
                            entries_.end());
}

std::optional<std::string> RaftLog::CheckInvariants() const {
  if (offset_ > snapshot_.index + 1) return "hole between the snapshot and the first entry";
  if (entries_.empty() && offset_ != snapshot_.index + 1) return "empty log not at its snapshot";
  for (size_t k = 0; k < entries_.size(); ++k) {
    if (entries_[k].index != offset_ + k) return "entry indexes not contiguous";
    if (k > 0 && entries_[k].term < entries_[k - 1].term) return "terms decrease along the log";
    if (entries_[k].index == snapshot_.index && entries_[k].term != snapshot_.term) {
      return "retained entry disagrees with the snapshot";
    }
  }
  if (!entries_.empty() && entries_.front().index > snapshot_.index + 1) {
    return "hole after the snapshot";
  }
  if (stable_index_ > last_index()) return "stable index beyond the log";
  return std::nullopt;
}

}  // namespace faultline::raft
