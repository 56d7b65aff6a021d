// Tests of raftkv's durable storage: WAL round trips, conflict truncation, torn and corrupt
// tails, snapshots and compaction, the --unsafe-no-fsync buffer, and a real kill -9 loop.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "targets/raft/core/raft.h"
#include "targets/raft/storage/crc32c.h"
#include "targets/raft/storage/disk_storage.h"
#include "targets/raft/storage/fault_injection_env.h"

namespace faultline::raft::storage {
namespace {

constexpr char kDir[] = "db";
constexpr char kWal[] = "db/wal.log";

std::string Payload(uint64_t index, uint64_t term) {
  // Varying sizes so record boundaries fall at different offsets.
  return "v" + std::to_string(index) + "t" + std::to_string(term) +
         std::string(index % 13, static_cast<char>('a' + index % 26));
}

std::vector<Entry> MakeEntries(uint64_t first, uint64_t last, uint64_t term) {
  std::vector<Entry> es;
  for (uint64_t i = first; i <= last; ++i) {
    es.push_back(
        Entry{term, i, i % 7 == 0 ? EntryType::kNoop : EntryType::kNormal, Payload(i, term)});
  }
  return es;
}

Snapshot MakeSnapshot(uint64_t index, uint64_t term) {
  return Snapshot{index, term,
                  std::make_shared<const std::string>("state@" + std::to_string(index))};
}

// Every recovered view must be one the Raft core accepts, whatever crash produced it.
void ExpectValidForRaft(const StorageView& view) {
  Config config;
  config.id = 1;
  config.voters = {1, 2, 3};
  EXPECT_EQ(Raft::Validate(config, view), "");
}

std::unique_ptr<DiskStorage> MustOpen(Env* env, const std::string& dir, Options options = {}) {
  auto r = DiskStorage::Open(env, dir, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  ExpectValidForRaft(r.value()->recovered());
  return std::move(r).value();
}

void ExpectSameView(const StorageView& got, const StorageView& want) {
  EXPECT_EQ(got.hard_state, want.hard_state);
  EXPECT_EQ(got.snapshot.index, want.snapshot.index);
  EXPECT_EQ(got.snapshot.term, want.snapshot.term);
  if (!want.snapshot.empty()) {
    ASSERT_TRUE(got.snapshot.data);
    EXPECT_EQ(*got.snapshot.data, *want.snapshot.data);
  }
  EXPECT_EQ(got.entries, want.entries);
}

// A unique directory under the system temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ =
        std::filesystem::temp_directory_path() /
        ("faultline-storage-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);            // the standard CRC-32C check value
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c::Extend(crc32c::Value("1234"), "56789", 5), 0xE3069283u);
}

TEST(DiskStorage, FreshDirectoryRecoversEmpty) {
  FaultInjectionEnv env;
  auto st = MustOpen(&env, kDir);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->recovered().hard_state, HardState{});
  EXPECT_TRUE(st->recovered().snapshot.empty());
  EXPECT_TRUE(st->recovered().entries.empty());
}

TEST(DiskStorage, RoundTripAcrossReopen) {
  FaultInjectionEnv env;
  StorageView want;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 2, 0}, MakeEntries(1, 5, 1), true).ok());
    ASSERT_TRUE(st->Save(HardState{2, 0, 4}, MakeEntries(6, 9, 2), true).ok());
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(4, 1), 3).ok());
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(10, 10, 2), true).ok());
    want = st->current();
  }
  env.Crash();  // everything was synced: nothing may be lost
  auto st = MustOpen(&env, kDir);
  ExpectSameView(st->recovered(), want);
  EXPECT_EQ(st->recovered().hard_state, (HardState{2, 0, 4}));
  ASSERT_EQ(st->recovered().entries.size(), 8u);  // 3..10
  EXPECT_EQ(st->recovered().entries.front().index, 3u);
}

TEST(DiskStorage, RoundTripOnRealFiles) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/node";
  StorageView want;
  {
    auto st = MustOpen(Env::Posix(), dir);
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Save(HardState{3, 1, 2}, MakeEntries(1, 20, 3), true).ok());
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(10, 3), 6).ok());
    ASSERT_TRUE(st->Save(HardState{3, 1, 15}, MakeEntries(21, 25, 3), true).ok());
    want = st->current();
  }
  auto st = MustOpen(Env::Posix(), dir);
  ExpectSameView(st->recovered(), want);
  EXPECT_EQ(st->recovered().entries.front().index, 6u);
  EXPECT_EQ(st->recovered().entries.back().index, 25u);
}

TEST(DiskStorage, ConflictingSuffixIsTruncated) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 5, 1), true).ok());
    // A new leader of term 2 overwrites 4..5 and appends 6 (Raft §5.3).
    ASSERT_TRUE(st->Save(HardState{2, 0, 0}, MakeEntries(4, 6, 2), true).ok());
  }
  auto st = MustOpen(&env, kDir);
  std::vector<Entry> want = MakeEntries(1, 3, 1);
  for (Entry& e : MakeEntries(4, 6, 2)) want.push_back(e);
  EXPECT_EQ(st->recovered().entries, want);
}

// Power loss part way through the last record, at every byte offset: recovery keeps exactly
// the synced prefix, truncates the garbage, and later appends are readable after it.
TEST(DiskStorage, TornTailAtEveryByteOffsetRecoversGoodPrefix) {
  const std::vector<Entry> last = MakeEntries(6, 9, 2);
  const size_t record_bytes = EncodeEntriesRecord(last).size();
  for (size_t keep = 0; keep <= record_bytes; ++keep) {
    SCOPED_TRACE("torn bytes kept: " + std::to_string(keep));
    FaultInjectionEnv env;
    StorageView before;
    uint64_t synced_size = 0;
    {
      auto st = MustOpen(&env, kDir);
      ASSERT_TRUE(st->Save(HardState{2, 1, 3}, MakeEntries(1, 5, 1), true).ok());
      before = st->current();
      synced_size = env.Contents(kWal).size();
      ASSERT_TRUE(st->Save(std::nullopt, last, /*sync=*/false).ok());
      ASSERT_EQ(env.UnsyncedBytes(kWal), record_bytes);
    }
    env.CrashKeepingTornPrefix(kWal, keep);
    auto st = MustOpen(&env, kDir);
    if (keep == record_bytes) {  // the whole record made it
      std::vector<Entry> want = before.entries;
      want.insert(want.end(), last.begin(), last.end());
      EXPECT_EQ(st->recovered().entries, want);
      continue;
    }
    ExpectSameView(st->recovered(), before);
    EXPECT_EQ(env.Contents(kWal).size(), synced_size) << "torn tail not truncated";
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(6, 7, 3), true).ok());
    st.reset();
    env.Crash();
    st = MustOpen(&env, kDir);
    std::vector<Entry> want = before.entries;
    for (Entry& e : MakeEntries(6, 7, 3)) want.push_back(e);
    EXPECT_EQ(st->recovered().entries, want);
  }
}

TEST(DiskStorage, FlippedBitInLastRecordIsDetectedAndDropped) {
  const std::vector<Entry> last = MakeEntries(4, 5, 1);
  const size_t record_bytes = EncodeEntriesRecord(last).size();
  for (size_t byte = 0; byte < record_bytes; ++byte) {
    SCOPED_TRACE("flipped byte " + std::to_string(byte));
    FaultInjectionEnv env;
    StorageView before;
    {
      auto st = MustOpen(&env, kDir);
      ASSERT_TRUE(st->Save(HardState{1, 1, 2}, MakeEntries(1, 3, 1), true).ok());
      before = st->current();
      ASSERT_TRUE(st->Save(std::nullopt, last, true).ok());
    }
    std::string wal = env.Contents(kWal);
    wal[wal.size() - record_bytes + byte] ^= static_cast<char>(1 << (byte % 8));
    env.SetContents(kWal, wal);
    auto st = MustOpen(&env, kDir);
    ExpectSameView(st->recovered(), before);
  }
}

TEST(DiskStorage, ImplausibleRecordLengthIsCorruption) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 2, 1), true).ok());
  }
  std::string good = env.Contents(kWal);
  std::string bad = good;
  bad += std::string("\xff\xff\xff\x7f", 4) + std::string(16, 'x');  // length 2 GiB
  env.SetContents(kWal, bad);
  auto st = MustOpen(&env, kDir);
  EXPECT_EQ(st->recovered().entries, MakeEntries(1, 2, 1));
  EXPECT_EQ(env.Contents(kWal), good);
}

TEST(DiskStorage, CorruptSnapshotTempFileIsIgnored) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 5}, MakeEntries(1, 8, 1), true).ok());
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(5, 1), 4).ok());
  }
  // A crash while writing a newer snapshot: a half-written temp file, never renamed.
  const std::string tmp = "db/snap-00000000000000000008.snap.tmp";
  env.SetContents(tmp, "SNAP-half-written");
  // And bit rot in a complete, newer snapshot: must fall back to the older valid one.
  env.SetContents("db/snap-00000000000000000007.snap", std::string(64, '\x01'));
  auto st = MustOpen(&env, kDir);
  EXPECT_EQ(st->recovered().snapshot.index, 5u);
  EXPECT_EQ(*st->recovered().snapshot.data, "state@5");
  EXPECT_EQ(st->recovered().entries.front().index, 4u);
  EXPECT_EQ(st->recovered().entries.back().index, 8u);
  EXPECT_FALSE(env.FileExists(tmp));
}

TEST(DiskStorage, CompactionKeepsRetainedEntriesAndDropsOldSnapshots) {
  FaultInjectionEnv env;
  uint64_t wal_before = 0;
  {
    auto st = MustOpen(&env, kDir);
    for (uint64_t i = 1; i <= 100; i += 10) {
      ASSERT_TRUE(st->Save(HardState{1, 1, i - 1}, MakeEntries(i, i + 9, 1), true).ok());
    }
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(40, 1), 31).ok());
    wal_before = env.Contents(kWal).size();
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(80, 1), 71).ok());
    EXPECT_LT(env.Contents(kWal).size(), wal_before);
    EXPECT_EQ(st->current().entries.front().index, 71u);
    EXPECT_EQ(st->current().entries.back().index, 100u);
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(101, 101, 1), true).ok());
  }
  env.Crash();
  auto st = MustOpen(&env, kDir);
  const StorageView& v = st->recovered();
  EXPECT_EQ(v.snapshot.index, 80u);
  EXPECT_EQ(v.hard_state, (HardState{1, 1, 90}));
  std::vector<Entry> want = MakeEntries(71, 101, 1);
  EXPECT_EQ(v.entries, want);
  std::vector<std::string> names;
  ASSERT_TRUE(env.GetChildren(kDir, &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"snap-00000000000000000080.snap", "wal.log"}));
}

TEST(DiskStorage, InstalledSnapshotReplacesConflictingLog) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 2}, MakeEntries(1, 10, 1), true).ok());
    // The leader of term 3 sends a snapshot at 8 whose term disagrees with our entry 8 (§7).
    ASSERT_TRUE(st->Save(HardState{3, 0, 2}, {}, true).ok());
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(8, 3), 9).ok());
    EXPECT_TRUE(st->current().entries.empty());
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(9, 9, 3), true).ok());
  }
  auto st = MustOpen(&env, kDir);
  EXPECT_EQ(st->recovered().snapshot.index, 8u);
  EXPECT_EQ(st->recovered().entries, MakeEntries(9, 9, 3));
  EXPECT_EQ(st->recovered().hard_state, (HardState{3, 0, 8}));
}

// SaveSnapshot is several steps (snapshot temp file, rename, directory sync, WAL rewrite,
// removal of old snapshots). Whichever step the machine dies at, a restart must find every
// synced entry either in the log or covered by a snapshot, and a view Raft accepts.
TEST(DiskStorage, CrashAtEveryStepOfSaveSnapshotLosesNothing) {
  bool completed = false;
  for (int64_t ops = 0; !completed; ++ops) {
    ASSERT_LT(ops, 100) << "SaveSnapshot never completed";
    SCOPED_TRACE("crash after " + std::to_string(ops) + " operations");
    FaultInjectionEnv env;
    {
      auto st = MustOpen(&env, kDir);
      ASSERT_TRUE(st->Save(HardState{1, 1, 3}, MakeEntries(1, 6, 1), true).ok());
      ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(3, 1), 2).ok());
      ASSERT_TRUE(st->Save(HardState{1, 1, 8}, MakeEntries(7, 10, 1), true).ok());
      env.FailAfter(ops);
      completed = st->SaveSnapshot(MakeSnapshot(8, 1), 6).ok();
      // After a failure the storage refuses further work instead of guessing.
      if (!completed) {
        EXPECT_FALSE(st->Save(std::nullopt, MakeEntries(11, 11, 1), true).ok());
      }
    }
    env.Crash();
    auto st = MustOpen(&env, kDir);
    const StorageView& v = st->recovered();
    ASSERT_TRUE(v.snapshot.index == 3 || v.snapshot.index == 8) << v.snapshot.index;
    EXPECT_EQ(*v.snapshot.data, "state@" + std::to_string(v.snapshot.index));
    ASSERT_FALSE(v.entries.empty());
    EXPECT_LE(v.entries.front().index, v.snapshot.index + 1);
    EXPECT_EQ(v.entries.back(), MakeEntries(10, 10, 1).front());
    for (const Entry& e : v.entries) EXPECT_EQ(e, MakeEntries(e.index, e.index, 1).front());
    if (completed) {
      EXPECT_EQ(v.snapshot.index, 8u);
    }
  }
}

// The same sweep for a synced Save: until it returns Ok, the batch may or may not be there, but
// the earlier synced state always is, and a batch is never half there.
TEST(DiskStorage, CrashAtEveryStepOfSaveKeepsEarlierState) {
  bool completed = false;
  for (int64_t ops = 0; !completed; ++ops) {
    ASSERT_LT(ops, 100);
    SCOPED_TRACE("crash after " + std::to_string(ops) + " operations");
    FaultInjectionEnv env;
    {
      auto st = MustOpen(&env, kDir);
      ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 4, 1), true).ok());
      env.FailAfter(ops);
      completed = st->Save(HardState{2, 3, 4}, MakeEntries(3, 6, 2), true).ok();
    }
    env.Crash();
    auto st = MustOpen(&env, kDir);
    std::vector<Entry> after = MakeEntries(1, 2, 1);
    for (Entry& e : MakeEntries(3, 6, 2)) after.push_back(e);
    if (completed) {
      EXPECT_EQ(st->recovered().entries, after);
      EXPECT_EQ(st->recovered().hard_state, (HardState{2, 3, 4}));
    } else {
      EXPECT_EQ(st->recovered().entries, MakeEntries(1, 4, 1));
    }
  }
}

// A crash after the new snapshot is durable but before the compacted WAL replaced the old one:
// recovery sees the new snapshot next to the full old WAL.
TEST(DiskStorage, NewSnapshotWithOldWalIsReconciled) {
  FaultInjectionEnv env;
  std::string old_wal;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 2}, MakeEntries(1, 10, 1), true).ok());
    old_wal = env.Contents(kWal);
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(8, 1), 6).ok());
  }
  env.SetContents(kWal, old_wal);
  {
    auto st = MustOpen(&env, kDir);
    EXPECT_EQ(st->recovered().snapshot.index, 8u);
    EXPECT_EQ(st->recovered().entries, MakeEntries(1, 10, 1));
    EXPECT_EQ(st->recovered().hard_state, (HardState{1, 1, 8}));  // a snapshot is committed
  }
  // Same, but the snapshot was installed from a leader of term 3 and disagrees with the log.
  FaultInjectionEnv env2;
  {
    auto st = MustOpen(&env2, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 2}, MakeEntries(1, 10, 1), true).ok());
    old_wal = env2.Contents(kWal);
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(8, 3), 9).ok());
  }
  env2.SetContents(kWal, old_wal);
  auto st = MustOpen(&env2, kDir);
  EXPECT_EQ(st->recovered().snapshot.index, 8u);
  EXPECT_TRUE(st->recovered().entries.empty());
  EXPECT_EQ(st->recovered().hard_state, (HardState{3, 0, 8}));  // term raised, vote cleared
}

TEST(DiskStorage, OversizedEntryIsRejected) {
  FaultInjectionEnv env;
  auto st = MustOpen(&env, kDir);
  std::vector<Entry> big = {Entry{1, 1, EntryType::kNormal, std::string(kMaxRecordBytes, 'x')}};
  EXPECT_TRUE(st->Save(std::nullopt, big, true).IsInvalidArgument());
  EXPECT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 1, 1), true).ok());  // not failed
  std::vector<Entry> gap = MakeEntries(2, 2, 1);
  gap.push_back(MakeEntries(4, 4, 1).front());
  EXPECT_TRUE(st->Save(std::nullopt, gap, true).IsInvalidArgument());
  EXPECT_EQ(st->current().entries, MakeEntries(1, 1, 1));
}

TEST(DiskStorage, UnsyncedSaveSurvivesProcessExitButNotPowerLoss) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 2, 1), true).ok());
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(3, 4, 1), false).ok());
  }
  EXPECT_EQ(MustOpen(&env, kDir)->recovered().entries, MakeEntries(1, 4, 1));
  env.Crash();
  EXPECT_EQ(MustOpen(&env, kDir)->recovered().entries, MakeEntries(1, 2, 1));
}

TEST(DiskStorage, BufferedModeLosesUnflushedEntriesAndKeepsFlushedOnes) {
  FaultInjectionEnv env;
  Options buffered;
  buffered.buffered = true;
  {
    auto st = MustOpen(&env, kDir, buffered);
    ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 5, 1), true).ok());
    EXPECT_EQ(env.Contents(kWal), "") << "buffered mode must not write() before Flush()";
    ASSERT_TRUE(st->Flush().ok());
    ASSERT_TRUE(st->Save(std::nullopt, MakeEntries(6, 8, 1), true).ok());
    EXPECT_EQ(st->current().entries.back().index, 8u);
    // The process dies here: the in-process buffer goes with it.
  }
  env.Crash();
  auto st = MustOpen(&env, kDir, buffered);
  EXPECT_EQ(st->recovered().entries, MakeEntries(1, 5, 1));
  EXPECT_TRUE(st->Flush().ok());  // nothing buffered: a no-op
}

// Ready::reset (--unsafe-no-fsync only): the node's committed state diverged from the leader's
// after lost writes; log, snapshots and buffer go, the term and vote stay.
TEST(DiskStorage, ResetDropsLogSnapshotsAndBufferButKeepsTermAndVote) {
  FaultInjectionEnv env;
  Options buffered;
  buffered.buffered = true;
  {
    auto st = MustOpen(&env, kDir, buffered);
    ASSERT_TRUE(st->Save(HardState{2, 3, 20}, MakeEntries(1, 20, 2), true).ok());
    ASSERT_TRUE(st->SaveSnapshot(MakeSnapshot(10, 2), 11).ok());
    ASSERT_TRUE(st->Save(HardState{4, 1, 20}, MakeEntries(21, 22, 4), true).ok());  // buffered
    ASSERT_TRUE(st->Reset().ok());
    EXPECT_TRUE(st->current().entries.empty());
    EXPECT_TRUE(st->current().snapshot.empty());
    EXPECT_EQ(st->current().hard_state, (HardState{4, 1, 0}));
  }
  env.Crash();
  auto st = MustOpen(&env, kDir, buffered);
  EXPECT_TRUE(st->recovered().entries.empty());
  EXPECT_TRUE(st->recovered().snapshot.empty());
  EXPECT_EQ(st->recovered().hard_state, (HardState{4, 1, 0}));
  std::vector<std::string> names;
  ASSERT_TRUE(env.GetChildren(kDir, &names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"wal.log"}));
}

TEST(DiskStorage, FlushWithoutBufferedIsNoop) {
  FaultInjectionEnv env;
  auto st = MustOpen(&env, kDir);
  ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 1, 1), false).ok());
  EXPECT_TRUE(st->Flush().ok());
  EXPECT_GT(env.UnsyncedBytes(kWal), 0u);
}

TEST(DiskStorage, RecoveryClampsCommitToTheRecoveredLog) {
  FaultInjectionEnv env;
  {
    auto st = MustOpen(&env, kDir);
    ASSERT_TRUE(st->Save(HardState{1, 1, 0}, MakeEntries(1, 3, 1), true).ok());
    ASSERT_TRUE(st->Save(HardState{1, 1, 5}, MakeEntries(4, 5, 1), false).ok());
  }
  // Keep the hard-state record (written first) but tear the entries record after it.
  env.CrashKeepingTornPrefix(kWal, EncodeHardStateRecord(HardState{1, 1, 5}).size() + 3);
  auto st = MustOpen(&env, kDir);
  EXPECT_EQ(st->recovered().entries, MakeEntries(1, 3, 1));
  EXPECT_EQ(st->recovered().hard_state, (HardState{1, 1, 3}));
}

// The real thing: a child process appends with fsync and acknowledges each index over a pipe;
// we SIGKILL it at a random moment and check every acknowledged entry survived intact.
TEST(DiskStorage, KillNineLosesNothingAcknowledged) {
  TempDir tmp;
  std::mt19937_64 rng(20261122);  // seeded: the kill schedule is reproducible
  uint64_t total_acked = 0;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const int delay_ms = std::uniform_int_distribution<int>(5, 50)(rng);
    SCOPED_TRACE("round " + std::to_string(round) + " delay_ms " + std::to_string(delay_ms));
    const std::string dir = tmp.path() + "/node";  // reused: later rounds recover and continue
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto r = DiskStorage::Open(Env::Posix(), dir, Options{});
      if (!r.ok()) ::_exit(2);
      DiskStorage& st = *r.value();
      uint64_t next = st.recovered().entries.empty() ? 1 : st.recovered().entries.back().index + 1;
      for (uint64_t n = 0;; ++n) {
        uint64_t last = next + n % 3;  // batches of 1..3 entries
        if (!st.Save(HardState{1, 1, next - 1}, MakeEntries(next, last, 1), true).ok()) {
          ::_exit(3);
        }
        if (::write(fds[1], &last, sizeof last) != sizeof last) ::_exit(4);
        next = last + 1;
      }
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "child exited on its own, status " << wstatus;
    uint64_t acked = 0, value = 0;
    while (::read(fds[0], &value, sizeof value) == sizeof value) acked = value;
    ::close(fds[0]);
    total_acked += acked;

    auto st = MustOpen(Env::Posix(), dir);
    ASSERT_TRUE(st);
    const std::vector<Entry>& log = st->recovered().entries;
    ASSERT_GE(log.empty() ? 0 : log.back().index, acked);
    for (size_t k = 0; k < log.size(); ++k) {
      ASSERT_EQ(log[k].index, k + 1);
      ASSERT_EQ(log[k], MakeEntries(k + 1, k + 1, 1).front()) << "entry " << k + 1 << " damaged";
    }
  }
  RecordProperty("total_acked", std::to_string(total_acked));
  EXPECT_GT(total_acked, 0u) << "the child never acknowledged anything: test proves nothing";
}

}  // namespace
}  // namespace faultline::raft::storage
