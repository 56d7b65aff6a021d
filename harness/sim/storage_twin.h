// StorageTwin: the in-memory twin of one node's disk in the simulation (LevelDB's
// FaultInjectionTestEnv idea): writes are either durable at once (the correct server fsyncs
// before it sends a message) or sit in an unsynced buffer that a crash throws away
// (--unsafe-no-fsync: the server acknowledges while its WAL is still in a process buffer).
//
// Durable state is always a prefix of the writes in order, so a restart sees what a real disk
// would after kill -9: everything synced, nothing after.
//
// Owned by the simulation's node slot; survives the node's crashes. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "targets/raft/core/types.h"

namespace faultline::harness::sim {

class StorageTwin {
 public:
  struct Write {
    // kReset: Ready::reset, the log and snapshot are discarded (the hard state is kept).
    enum class Kind : uint8_t { kHardState, kEntries, kInstallSnapshot, kCompact, kReset };
    Kind kind = Kind::kHardState;
    raft::HardState hard_state;        // kHardState
    std::vector<raft::Entry> entries;  // kEntries: replace the log from entries.front().index
    raft::Snapshot snapshot;           // kInstallSnapshot, kCompact
    uint64_t compact_to = 0;           // kCompact: drop entries <= compact_to
  };

  // Records the writes a Ready asks for, in the order a WAL would hold them: reset, snapshot,
  // entries, then the hard state (whose commit index may point into those entries).
  void Persist(const raft::Ready& ready, bool sync);
  // The application snapshotted at snapshot.index and dropped entries <= compact_to.
  void Compact(const raft::Snapshot& snapshot, uint64_t compact_to, bool sync);

  // Makes every buffered write durable (the periodic flush of --unsafe-no-fsync).
  void Flush();
  // Loses every buffered write.
  void Crash() { buffer_.clear(); }

  // What a restarted node reads back.
  raft::StorageView View() const;

  size_t buffered() const { return buffer_.size(); }
  uint64_t durable_last_index() const;

 private:
  void Apply(Write w);
  void Add(Write w, bool sync);

  raft::HardState hard_state_;
  raft::Snapshot snapshot_;
  std::vector<raft::Entry> entries_;
  std::vector<Write> buffer_;
};

}  // namespace faultline::harness::sim
