// DiskStorage: one Raft node's durable state in one data directory -- a write-ahead log (WAL) of
// entries and hard states, plus snapshot files.
//
// Directory layout:
//   wal.log                      the WAL, append-only
//   wal.log.tmp                  a compacted WAL being written (ignored and removed on Open)
//   snap-<index, 20 digits>.snap  snapshots; the newest valid one wins
//   snap-....snap.tmp            a snapshot being written (ignored and removed on Open)
//
// WAL record format (after the LevelDB log format, minus its 32 KiB blocks: Raft batches are
// small and we only ever read the log front to back once, at startup):
//   [u32 length][u32 crc32c(type + payload)][u8 type][payload: `length` bytes]   little-endian
// Record types:
//   kEntries:   u32 count, then per entry u64 term, u64 index, u8 type, u32 size, data.
//               Entries are contiguous; a record whose first index is i replaces every entry
//               with index >= i -- that is how a conflicting suffix (Raft §5.3) is truncated
//               without rewriting the file. If i is past the end of the log, the log restarts
//               at i (the entries that follow an installed snapshot).
//   kHardState: u64 term, u64 voted_for, u64 commit.
// A torn write (kill -9 or power loss mid-append) leaves a short or checksum-failing record at
// the tail. Recovery stops at the first such record, truncates the file there (ftruncate +
// fsync) and carries on from the good prefix, so a later append does not land after garbage.
// Only unacknowledged data can be lost that way: Save(sync=true) returns after fsync.
//
// Snapshot file format: [u32 magic][u64 index][u64 term][u64 size][data][u32 crc32c(all before)].
// Written atomically: temp file, write, fsync, rename, fsync of the directory (the rename is
// not durable until the directory is synced).
//
// Ownership: DiskStorage owns its files; the Env is borrowed and must outlive it.
// Thread safety: none. One owner thread (the server's Raft loop) calls everything.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "targets/raft/core/types.h"
#include "targets/raft/storage/env.h"

namespace faultline::raft::storage {

// Bounds: a record or snapshot larger than this is treated as corruption, so a flipped length
// field cannot make recovery allocate gigabytes.
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;     // 64 MiB
inline constexpr uint64_t kMaxSnapshotBytes = 1ull << 30;  // 1 GiB
inline constexpr uint64_t kMaxWalBytes = 16ull << 30;      // refuse to load a WAL beyond this

struct Options {
  // The `--unsafe-no-fsync` bug switch: Save() only appends to an in-process buffer and returns
  // at once; Flush() writes and fsyncs it. Data handed to write() survives a process kill (it is
  // in the page cache), so to lose acknowledged writes on kill -9 -- the point of the switch --
  // the buffer must live in this process. Never use it outside harness validation.
  bool buffered = false;
  // In buffered mode, Save() flushes by itself once the buffer holds this many bytes (a bound).
  uint64_t buffered_max_bytes = 64ull << 20;
};

class DiskStorage {
 public:
  // Opens (creating if missing) the data directory `dir` and recovers from it: the newest valid
  // snapshot, then the WAL records after it, truncating a torn/corrupt WAL tail.
  // `env` must outlive the returned storage.
  static Result<std::unique_ptr<DiskStorage>> Open(Env* env, const std::string& dir,
                                                   const Options& options);

  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;
  ~DiskStorage() = default;  // does not Flush(): an unflushed buffer is lost, as on a crash

  // What Open() recovered, in the form the Raft constructor takes. Consistent by construction
  // (contiguous log, commit <= last index, log agrees with the snapshot): anything recovered
  // that is not is dropped (see disk_storage.cc, Sanitize).
  const raft::StorageView& recovered() const { return recovered_; }

  // Appends `hs` (if set) and `entries` (replacing entries >= entries.front().index) in one
  // write, hard state first. With `sync` (Ready::must_sync) they are durable when this returns
  // Ok, so the caller may then send messages that depend on them.
  // After any error the storage is failed: every later call returns that error (after a failed
  // fsync the page cache state is unknown; see "fsyncgate", PostgreSQL 2018).
  // REQUIRES: entries are contiguous.
  Status Save(const std::optional<raft::HardState>& hs, const std::vector<raft::Entry>& entries,
              bool sync);

  // Makes `s` the durable snapshot, then compacts the WAL to the current hard state plus the
  // entries with index >= retain_from_index (kept for lagging followers), and removes older
  // snapshot files. Entries <= s.index whose term disagrees with the snapshot are dropped (an
  // InstallSnapshot from the leader replaces such a log, Raft §7).
  // REQUIRES: s.index > 0, s.data set, retain_from_index <= s.index + 1.
  Status SaveSnapshot(const raft::Snapshot& s, uint64_t retain_from_index);

  // Ready::reset (Raft Config::tolerate_lost_writes, i.e. --unsafe-no-fsync only): drops every
  // entry, the snapshot files and anything still buffered; keeps the term and vote, with commit
  // 0. The WAL is rewritten first, then the snapshots are removed: a crash in between recovers
  // the old snapshot with an empty log, which is consistent (and discarded again if it diverges).
  Status Reset();

  // Buffered mode: writes and fsyncs everything Save() buffered. Otherwise a no-op.
  Status Flush();

  // The log, hard state and snapshot as they are now (after Saves). For tests and /status.
  const raft::StorageView& current() const { return state_; }
  uint64_t wal_bytes() const { return wal_bytes_; }

 private:
  DiskStorage(Env* env, std::string dir, const Options& options);

  Status Recover();
  Status LoadLatestSnapshot();
  Status ReplayWal();
  Status OpenWalForAppend();
  Status WriteWal(const std::string& bytes, bool sync);
  Status RewriteWal();
  Status Fail(Status s);

  std::string WalPath() const { return dir_ + "/wal.log"; }

  Env* const env_;
  const std::string dir_;
  const Options options_;

  raft::StorageView recovered_;  // as of Open()
  raft::StorageView state_;      // as of now (mirrors what is on disk or in buffer_)
  std::unique_ptr<WritableFile> wal_;
  uint64_t wal_bytes_ = 0;
  std::string buffer_;  // buffered mode only: records Save() has not written yet
  Status failed_;       // sticky error, see Save()
};

// Exposed for tests: the byte encodings of WAL records.
std::string EncodeHardStateRecord(const raft::HardState& hs);
std::string EncodeEntriesRecord(const std::vector<raft::Entry>& entries);

}  // namespace faultline::raft::storage
