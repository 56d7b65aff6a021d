#include "harness/sim/storage_twin.h"

#include <utility>

#include "base/check.h"

namespace faultline::harness::sim {

void StorageTwin::Add(Write w, bool sync) {
  if (sync) {
    Apply(std::move(w));
  } else {
    buffer_.push_back(std::move(w));
  }
}

void StorageTwin::Persist(const raft::Ready& ready, bool sync) {
  if (ready.reset) {
    Write w;
    w.kind = Write::Kind::kReset;
    Add(std::move(w), sync);
  }
  if (ready.snapshot) {
    Write w;
    w.kind = Write::Kind::kInstallSnapshot;
    w.snapshot = *ready.snapshot;
    Add(std::move(w), sync);
  }
  if (!ready.entries.empty()) {
    Write w;
    w.kind = Write::Kind::kEntries;
    w.entries = ready.entries;
    Add(std::move(w), sync);
  }
  if (ready.hard_state) {
    Write w;
    w.kind = Write::Kind::kHardState;
    w.hard_state = *ready.hard_state;
    Add(std::move(w), sync);
  }
}

void StorageTwin::Compact(const raft::Snapshot& snapshot, uint64_t compact_to, bool sync) {
  Write w;
  w.kind = Write::Kind::kCompact;
  w.snapshot = snapshot;
  w.compact_to = compact_to;
  Add(std::move(w), sync);
}

void StorageTwin::Flush() {
  std::vector<Write> pending;
  pending.swap(buffer_);
  for (Write& w : pending) Apply(std::move(w));
}

void StorageTwin::Apply(Write w) {
  switch (w.kind) {
    case Write::Kind::kHardState:
      hard_state_ = w.hard_state;
      break;
    case Write::Kind::kEntries: {
      const uint64_t from = w.entries.front().index;
      // Drop the entries the new ones replace (a follower's log after a conflict, §5.3).
      while (!entries_.empty() && entries_.back().index >= from) entries_.pop_back();
      FAULTLINE_CHECK(
          entries_.empty() ? from <= snapshot_.index + 1 : entries_.back().index + 1 == from,
          "WAL append leaves a hole at " + std::to_string(from));
      for (raft::Entry& e : w.entries) entries_.push_back(std::move(e));
      break;
    }
    case Write::Kind::kReset:
      entries_.clear();
      snapshot_ = raft::Snapshot{};
      hard_state_.commit = 0;
      break;
    case Write::Kind::kInstallSnapshot:
      entries_.clear();
      snapshot_ = std::move(w.snapshot);
      break;
    case Write::Kind::kCompact: {
      size_t drop = 0;
      while (drop < entries_.size() && entries_[drop].index <= w.compact_to) ++drop;
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
      snapshot_ = std::move(w.snapshot);
      break;
    }
  }
}

raft::StorageView StorageTwin::View() const {
  raft::StorageView v;
  v.hard_state = hard_state_;
  v.snapshot = snapshot_;
  v.entries = entries_;
  return v;
}

uint64_t StorageTwin::durable_last_index() const {
  return entries_.empty() ? snapshot_.index : entries_.back().index;
}

}  // namespace faultline::harness::sim
