#include "targets/raft/storage/disk_storage.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "targets/raft/storage/crc32c.h"

namespace faultline::raft::storage {
namespace {

using raft::Entry;
using raft::EntryType;
using raft::HardState;
using raft::Snapshot;
using raft::StorageView;

enum RecordType : uint8_t { kEntries = 1, kHardState = 2 };

constexpr size_t kHeaderBytes = 4 + 4 + 1;  // length, crc, type
constexpr size_t kEntryHeaderBytes = 8 + 8 + 1 + 4;
constexpr uint32_t kSnapshotMagic = 0x50414e53;  // "SNAP"
constexpr char kWalName[] = "wal.log";
constexpr char kTmpSuffix[] = ".tmp";

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Bounds-checked little-endian reader over a byte string.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.size() < 1) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (data_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    data_.remove_prefix(8);
    return true;
  }
  bool Bytes(size_t n, std::string_view* v) {
    if (data_.size() < n) return false;
    *v = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return data_.size(); }

 private:
  std::string_view data_;
};

std::string FrameRecord(RecordType type, const std::string& payload) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  char t = static_cast<char>(type);
  PutU32(&out, crc32c::Extend(crc32c::Extend(0, &t, 1), payload.data(), payload.size()));
  out.push_back(t);
  out += payload;
  return out;
}

size_t EncodedSize(const Entry& e) { return kEntryHeaderBytes + e.data.size(); }

std::string EncodeEntriesPayload(const Entry* begin, const Entry* end) {
  std::string p;
  PutU32(&p, static_cast<uint32_t>(end - begin));
  for (const Entry* e = begin; e != end; ++e) {
    PutU64(&p, e->term);
    PutU64(&p, e->index);
    p.push_back(static_cast<char>(e->type));
    PutU32(&p, static_cast<uint32_t>(e->data.size()));
    p += e->data;
  }
  return p;
}

// Encodes `entries` as as many kEntries records as needed to keep each under kMaxRecordBytes.
// Replay applies them one after the other, and since each record's first index follows the
// previous record's last, splitting does not change what the replacement rule truncates.
Status EncodeEntries(const std::vector<Entry>& entries, std::string* out) {
  size_t start = 0;
  while (start < entries.size()) {
    size_t end = start;
    size_t bytes = 4;
    while (end < entries.size() && bytes + EncodedSize(entries[end]) <= kMaxRecordBytes) {
      bytes += EncodedSize(entries[end]);
      ++end;
    }
    if (end == start) {
      return Status::InvalidArgument("entry " + std::to_string(entries[start].index) +
                                     " is larger than the maximum record size");
    }
    *out += FrameRecord(kEntries, EncodeEntriesPayload(&entries[start], &entries[0] + end));
    start = end;
  }
  return Status::Ok();
}

bool DecodeEntries(std::string_view payload, std::vector<Entry>* out) {
  Reader r(payload);
  uint32_t count = 0;
  if (!r.U32(&count) || count > r.remaining() / kEntryHeaderBytes) return false;
  out->clear();
  out->reserve(count);
  for (uint32_t k = 0; k < count; ++k) {
    Entry e;
    uint8_t type = 0;
    uint32_t size = 0;
    std::string_view data;
    if (!r.U64(&e.term) || !r.U64(&e.index) || !r.U8(&type) || !r.U32(&size) ||
        !r.Bytes(size, &data)) {
      return false;
    }
    if (type > static_cast<uint8_t>(EntryType::kNoop) || e.index == 0) return false;
    if (!out->empty() && e.index != out->back().index + 1) return false;
    e.type = static_cast<EntryType>(type);
    e.data.assign(data);
    out->push_back(std::move(e));
  }
  return r.remaining() == 0 && !out->empty();
}

bool DecodeHardState(std::string_view payload, HardState* hs) {
  Reader r(payload);
  return r.U64(&hs->term) && r.U64(&hs->voted_for) && r.U64(&hs->commit) && r.remaining() == 0;
}

// The replacement rule of kEntries records (see disk_storage.h), used both by Save() and by
// recovery so that the in-memory log always equals what replaying the WAL yields.
void ApplyEntries(std::vector<Entry>* log, const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  uint64_t first = entries.front().index;
  if (log->empty() || first <= log->front().index || first > log->back().index + 1) {
    log->clear();  // replaces the whole log, or restarts it after a gap (installed snapshot)
  } else {
    log->resize(first - log->front().index);
  }
  log->insert(log->end(), entries.begin(), entries.end());
}

// Raises the term to `term` if below it. The vote is cleared on a raise: a vote is persisted
// before it is sent, so a hard state below `term` proves no vote in `term` left this node.
void RaiseTerm(HardState* hs, uint64_t term) {
  if (term > hs->term) {
    hs->term = term;
    hs->voted_for = raft::kNoNode;
  }
}

// Makes a recovered view satisfy what Raft::Validate requires. Crashes between the steps of
// SaveSnapshot, or a torn tail, can leave combinations no single moment of the running node had:
// an old WAL next to a newer snapshot, a commit index whose entries were torn away. Dropping
// entries here only drops entries that were superseded or never acknowledged.
void Sanitize(StorageView* v) {
  std::vector<Entry>& log = v->entries;
  const Snapshot& snap = v->snapshot;
  if (!log.empty()) {
    bool hole = log.front().index > snap.index + 1;
    bool behind = log.back().index < snap.index;
    bool disagrees = false;
    if (!snap.empty() && !hole && !behind && log.front().index <= snap.index) {
      disagrees = log[snap.index - log.front().index].term != snap.term;
    }
    if (hole || behind || disagrees) log.clear();
  }
  RaiseTerm(&v->hard_state, snap.term);
  if (!log.empty()) RaiseTerm(&v->hard_state, log.back().term);
  uint64_t last = log.empty() ? snap.index : log.back().index;
  // commit is persisted lazily (types.h): recompute-able, so clamping it is safe.
  v->hard_state.commit = std::min(std::max(v->hard_state.commit, snap.index), last);
}

std::string SnapshotName(uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "snap-%020llu.snap", static_cast<unsigned long long>(index));
  return buf;
}

bool IsSnapshotName(const std::string& name) {
  return name.size() == SnapshotName(0).size() && name.rfind("snap-", 0) == 0 &&
         name.compare(name.size() - 5, 5, ".snap") == 0;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string EncodeSnapshotFile(const Snapshot& s) {
  std::string out;
  PutU32(&out, kSnapshotMagic);
  PutU64(&out, s.index);
  PutU64(&out, s.term);
  PutU64(&out, s.data->size());
  out += *s.data;
  PutU32(&out, crc32c::Value(out));
  return out;
}

bool DecodeSnapshotFile(const std::string& bytes, Snapshot* s) {
  if (bytes.size() < 4 + 8 + 8 + 8 + 4) return false;
  Reader trailer(std::string_view(bytes).substr(bytes.size() - 4));
  uint32_t crc = 0;
  trailer.U32(&crc);
  if (crc != crc32c::Value(std::string_view(bytes).substr(0, bytes.size() - 4))) return false;
  Reader r(std::string_view(bytes).substr(0, bytes.size() - 4));
  uint32_t magic = 0;
  uint64_t size = 0;
  std::string_view data;
  if (!r.U32(&magic) || magic != kSnapshotMagic || !r.U64(&s->index) || !r.U64(&s->term) ||
      !r.U64(&size) || size != r.remaining() || !r.Bytes(size, &data)) {
    return false;
  }
  if (s->index == 0 || s->term == 0) return false;
  s->data = std::make_shared<const std::string>(data);
  return true;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string EncodeHardStateRecord(const HardState& hs) {
  std::string p;
  PutU64(&p, hs.term);
  PutU64(&p, hs.voted_for);
  PutU64(&p, hs.commit);
  return FrameRecord(kHardState, p);
}

std::string EncodeEntriesRecord(const std::vector<Entry>& entries) {
  std::string out;
  EncodeEntries(entries, &out);
  return out;
}

DiskStorage::DiskStorage(Env* env, std::string dir, const Options& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<DiskStorage>> DiskStorage::Open(Env* env, const std::string& dir,
                                                       const Options& options) {
  std::unique_ptr<DiskStorage> storage(new DiskStorage(env, dir, options));
  Status s = storage->Recover();
  if (!s.ok()) return s;
  return storage;
}

Status DiskStorage::Recover() {
  bool existed = env_->FileExists(dir_);
  Status s = env_->CreateDir(dir_);
  // A new directory's own name must be durable too, or a power loss could take the whole data
  // directory (and every fsynced record in it) away.
  if (s.ok() && !existed) s = env_->SyncDir(ParentDir(dir_));
  if (!s.ok()) return s;
  // Temp files are half-written snapshots or WALs from a crash; the rename never happened, so
  // they were never part of the durable state.
  std::vector<std::string> names;
  if (s = env_->GetChildren(dir_, &names); !s.ok()) return s;
  for (const std::string& name : names) {
    if (EndsWith(name, kTmpSuffix)) {
      if (s = env_->RemoveFile(dir_ + "/" + name); !s.ok()) return s;
    }
  }
  if (s = LoadLatestSnapshot(); !s.ok()) return s;
  if (s = ReplayWal(); !s.ok()) return s;
  Sanitize(&state_);
  recovered_ = state_;
  return OpenWalForAppend();
}

Status DiskStorage::LoadLatestSnapshot() {
  std::vector<std::string> names;
  if (Status s = env_->GetChildren(dir_, &names); !s.ok()) return s;
  std::vector<std::string> snaps;
  for (const std::string& name : names) {
    if (IsSnapshotName(name)) snaps.push_back(name);
  }
  std::sort(snaps.rbegin(), snaps.rend());  // zero-padded: newest first
  for (const std::string& name : snaps) {
    std::string bytes;
    if (Status s = env_->ReadFile(dir_ + "/" + name, kMaxSnapshotBytes, &bytes); !s.ok()) {
      continue;  // unreadable or oversized: try an older one
    }
    Snapshot snap;
    // A renamed snapshot was fsynced first, so a bad one is media corruption; an older snapshot
    // plus the WAL may still be a consistent state, so fall back rather than refuse to start.
    if (DecodeSnapshotFile(bytes, &snap)) {
      state_.snapshot = std::move(snap);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status DiskStorage::ReplayWal() {
  const std::string path = WalPath();
  if (!env_->FileExists(path)) return Status::Ok();
  std::string wal;
  if (Status s = env_->ReadFile(path, kMaxWalBytes, &wal); !s.ok()) return s;
  size_t off = 0;
  std::vector<Entry> batch;
  while (wal.size() - off >= kHeaderBytes) {
    Reader h(std::string_view(wal).substr(off, kHeaderBytes));
    uint32_t length = 0, crc = 0;
    uint8_t type = 0;
    h.U32(&length);
    h.U32(&crc);
    h.U8(&type);
    if (length > kMaxRecordBytes || length > wal.size() - off - kHeaderBytes) break;  // torn
    if (crc != crc32c::Value(std::string_view(wal).substr(off + 8, 1 + length))) break;
    std::string_view payload = std::string_view(wal).substr(off + kHeaderBytes, length);
    HardState hs;
    if (type == kEntries && DecodeEntries(payload, &batch)) {
      ApplyEntries(&state_.entries, batch);
    } else if (type == kHardState && DecodeHardState(payload, &hs)) {
      state_.hard_state = hs;
    } else {
      break;  // a checksummed record we cannot parse: treat like corruption, stop here
    }
    off += kHeaderBytes + length;
  }
  wal_bytes_ = off;
  if (off < wal.size()) {
    // Cut the torn/corrupt tail so new records follow the good prefix directly; otherwise the
    // next recovery would stop at the old garbage and lose everything appended after it.
    return env_->TruncateFile(path, off);
  }
  return Status::Ok();
}

Status DiskStorage::OpenWalForAppend() {
  bool existed = env_->FileExists(WalPath());
  auto file = env_->NewAppendableFile(WalPath());
  if (!file.ok()) return file.status();
  wal_ = std::move(file).value();
  if (!existed) return env_->SyncDir(dir_);
  return Status::Ok();
}

Status DiskStorage::Fail(Status s) {
  if (!s.ok() && failed_.ok()) failed_ = s;
  return s;
}

Status DiskStorage::WriteWal(const std::string& bytes, bool sync) {
  Status s = wal_->Append(bytes);
  if (s.ok()) wal_bytes_ += bytes.size();
  if (s.ok() && sync) s = wal_->Sync();
  return Fail(s);
}

Status DiskStorage::Save(const std::optional<HardState>& hs, const std::vector<Entry>& entries,
                         bool sync) {
  if (!failed_.ok()) return failed_;
  // Checked here, not only at recovery: a malformed record would be taken for a corrupt tail on
  // the next Open, and everything appended after it would be truncated away with it.
  for (size_t k = 0; k < entries.size(); ++k) {
    if (entries[k].index == 0 || (k > 0 && entries[k].index != entries[k - 1].index + 1)) {
      return Status::InvalidArgument("entries must be contiguous and start above index 0");
    }
  }
  std::string bytes;
  // Hard state first: if the append is torn, we may keep the new term/vote without the entries
  // (harmless: they were not acknowledged), never entries of a term above the persisted term.
  if (hs) bytes += EncodeHardStateRecord(*hs);
  if (Status s = EncodeEntries(entries, &bytes); !s.ok()) return s;
  if (bytes.empty()) return Status::Ok();
  if (hs) state_.hard_state = *hs;
  ApplyEntries(&state_.entries, entries);
  if (options_.buffered) {
    buffer_ += bytes;
    if (buffer_.size() >= options_.buffered_max_bytes) return Flush();
    return Status::Ok();
  }
  return WriteWal(bytes, sync);
}

Status DiskStorage::Flush() {
  if (!failed_.ok()) return failed_;
  if (buffer_.empty()) return Status::Ok();
  std::string bytes;
  bytes.swap(buffer_);
  return WriteWal(bytes, /*sync=*/true);
}

Status DiskStorage::SaveSnapshot(const Snapshot& snap, uint64_t retain_from_index) {
  if (!failed_.ok()) return failed_;
  if (snap.index == 0 || snap.term == 0 || !snap.data || retain_from_index > snap.index + 1) {
    return Status::InvalidArgument("bad snapshot or retain_from_index");
  }
  if (snap.data->size() > kMaxSnapshotBytes - 64) {
    return Status::InvalidArgument("snapshot larger than kMaxSnapshotBytes");
  }
  // Buffered records go out first: the compacted WAL is built from state_, which includes them.
  if (Status s = Flush(); !s.ok()) return s;

  // 1. The snapshot file, atomically: a crash before the rename leaves only a .tmp (removed on
  //    Open), a crash after the directory fsync leaves the complete file.
  const std::string name = SnapshotName(snap.index);
  const std::string final_path = dir_ + "/" + name;
  const std::string tmp_path = final_path + kTmpSuffix;
  {
    auto file = env_->NewWritableFile(tmp_path);
    if (!file.ok()) return Fail(file.status());
    Status s = file.value()->Append(EncodeSnapshotFile(snap));
    if (s.ok()) s = file.value()->Sync();
    if (!s.ok()) return Fail(s);
  }
  if (Status s = env_->RenameFile(tmp_path, final_path); !s.ok()) return Fail(s);
  if (Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);

  // 2. The in-memory view, with the same rules recovery applies (Sanitize) plus the retention.
  state_.snapshot = snap;
  std::vector<Entry>& log = state_.entries;
  if (!log.empty() && log.front().index <= snap.index && log.back().index >= snap.index &&
      log[snap.index - log.front().index].term != snap.term) {
    log.clear();  // InstallSnapshot over a conflicting log (§7): the log is discarded
  }
  if (!log.empty() && log.front().index < retain_from_index) {
    uint64_t drop = std::min<uint64_t>(retain_from_index - log.front().index, log.size());
    log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  Sanitize(&state_);

  // 3. The compacted WAL; 4. older snapshots. A crash between 1 and 3 leaves the new snapshot
  //    and the old WAL, which recovery reconciles (Sanitize).
  if (Status s = RewriteWal(); !s.ok()) return Fail(s);
  std::vector<std::string> names;
  if (Status s = env_->GetChildren(dir_, &names); !s.ok()) return Fail(s);
  for (const std::string& other : names) {
    if (IsSnapshotName(other) && other < name) {
      if (Status s = env_->RemoveFile(dir_ + "/" + other); !s.ok()) return Fail(s);
    }
  }
  // Not needed for correctness (recovery picks the newest valid snapshot), but without it a
  // crash can resurrect the removed files and disk use is no longer bounded by one snapshot.
  return Fail(env_->SyncDir(dir_));
}

Status DiskStorage::Reset() {
  if (!failed_.ok()) return failed_;
  // The buffer's hard state is already in state_; its entries are superseded by the reset.
  buffer_.clear();
  state_.entries.clear();
  state_.snapshot = Snapshot{};
  state_.hard_state.commit = 0;
  if (Status s = RewriteWal(); !s.ok()) return Fail(s);
  std::vector<std::string> names;
  if (Status s = env_->GetChildren(dir_, &names); !s.ok()) return Fail(s);
  for (const std::string& name : names) {
    if (IsSnapshotName(name)) {
      if (Status s = env_->RemoveFile(dir_ + "/" + name); !s.ok()) return Fail(s);
    }
  }
  return Fail(env_->SyncDir(dir_));
}

Status DiskStorage::RewriteWal() {
  // state_ already holds exactly the retained entries and the current hard state.
  std::string bytes = EncodeHardStateRecord(state_.hard_state);
  if (Status s = EncodeEntries(state_.entries, &bytes); !s.ok()) return s;
  const std::string tmp_path = WalPath() + kTmpSuffix;
  {
    auto file = env_->NewWritableFile(tmp_path);
    if (!file.ok()) return file.status();
    Status s = file.value()->Append(bytes);
    if (s.ok()) s = file.value()->Sync();
    if (!s.ok()) return s;
  }
  wal_.reset();
  if (Status s = env_->RenameFile(tmp_path, WalPath()); !s.ok()) return s;
  // Until the directory is synced, a power loss may bring back the old WAL; that is still a
  // consistent state (old WAL + new snapshot), but new appends must go to the durable name.
  if (Status s = env_->SyncDir(dir_); !s.ok()) return s;
  wal_bytes_ = bytes.size();
  return OpenWalForAppend();
}

}  // namespace faultline::raft::storage
