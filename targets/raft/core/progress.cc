#include "targets/raft/core/progress.h"

#include <algorithm>

#include "base/check.h"

namespace faultline::raft {

void Inflights::Add(uint64_t last_index) {
  FAULTLINE_CHECK(!Full(), "inflight window overflow");
  FAULTLINE_CHECK(in_flight_.empty() || last_index > in_flight_.back(),
                  "inflight indexes must increase");
  in_flight_.push_back(last_index);
}

void Inflights::FreeLE(uint64_t index) {
  while (!in_flight_.empty() && in_flight_.front() <= index) in_flight_.pop_front();
}

void Inflights::FreeFirst() {
  if (!in_flight_.empty()) in_flight_.pop_front();
}

bool Progress::IsPaused() const {
  switch (state) {
    case State::kProbe:
      return probe_sent;
    case State::kReplicate:
      return inflights.Full();
    case State::kSnapshot:
      return true;
  }
  return true;
}

void Progress::BecomeProbe() {
  // Leaving Snapshot: if the follower acknowledged the snapshot, match_index covers it;
  // otherwise probing from match_index + 1 makes the leader send the snapshot again.
  next_index = match_index + 1;
  state = State::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  snapshot_elapsed = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = State::kReplicate;
  next_index = match_index + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = State::kSnapshot;
  pending_snapshot = snapshot_index;
  snapshot_elapsed = 0;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t index) {
  bool updated = false;
  if (index > match_index) {
    match_index = index;
    updated = true;
    probe_sent = false;
  }
  next_index = std::max(next_index, index + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t hint) {
  // Entries up to match_index were acknowledged, so a rejection at or below it is an old message
  // overtaken by later ones -- or a follower that lost entries it acknowledged (a broken disk).
  // Retrying could not help either way, and answering every such rejection with another
  // AppendEntries would be a message storm.
  if (rejected <= match_index) return false;
  if (state == State::kReplicate) {
    next_index = match_index + 1;
    return true;
  }
  // Probe (or Snapshot): only the answer to the latest probe counts; an older one was sent for
  // a next_index we already moved away from.
  if (next_index == 0 || next_index - 1 != rejected) return false;
  next_index = std::max(std::min(rejected, hint + 1), match_index + 1);
  probe_sent = false;
  return true;
}

const char* ProgressStateName(Progress::State state) {
  switch (state) {
    case Progress::State::kProbe:
      return "probe";
    case Progress::State::kReplicate:
      return "replicate";
    case Progress::State::kSnapshot:
      return "snapshot";
  }
  return "?";
}

}  // namespace faultline::raft
