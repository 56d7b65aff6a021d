// An in-memory Env for tests that remembers what was made durable and can "crash" (after
// LevelDB's FaultInjectionTestEnv, but without a real disk underneath, so crashes are exact and
// tests are fast and deterministic).
//
// Model: each file has its current bytes and its synced bytes (set by WritableFile::Sync() and
// TruncateFile()). The namespace (which name points at which file) has a current and a durable
// version per directory; SyncDir(dir) makes the current names in `dir` durable. A crash rolls
// both back: names to the durable namespace, each file to its synced bytes -- optionally keeping
// a torn prefix of the unsynced bytes of one file, as a power loss in the middle of a write can.
// Directories themselves are created durably (tests always start from an existing parent).
//
// Thread safety: none; one test thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "targets/raft/storage/env.h"

namespace faultline::raft::storage {

class FaultInjectionEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Status ReadFile(const std::string& path, uint64_t max_bytes, std::string* out) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;

  // Power loss: drops every unsynced byte and every name change not made durable by SyncDir.
  // REQUIRES: no WritableFile of this env is used afterwards (the owner reopens everything).
  void Crash();
  // Like Crash(), but `path` (if it survives) keeps the first `torn_bytes` of its unsynced bytes
  // (clamped to what was written): a write torn part way. Only meaningful for an append-only
  // file whose current bytes extend its synced bytes.
  void CrashKeepingTornPrefix(const std::string& path, uint64_t torn_bytes);

  // After `ops` more mutating operations (create, append, sync, truncate, rename, remove, directory
  // sync) every mutating operation fails with an IoError, as if the machine died right there;
  // follow with Crash() to see what a restart finds. A negative value disables the limit.
  void FailAfter(int64_t ops) { ops_left_ = ops; }

  // Test access: the current bytes of `path` (empty if missing), and replacing them (also as
  // synced, to model corruption on the platter).
  std::string Contents(const std::string& path) const;
  void SetContents(const std::string& path, const std::string& data);
  // Bytes of `path` not yet synced.
  uint64_t UnsyncedBytes(const std::string& path) const;

 private:
  struct FileState {
    std::string data;
    std::string synced;
  };
  using Namespace = std::map<std::string, std::shared_ptr<FileState>>;

  static std::string Parent(const std::string& path);
  Status Tick();  // counts one mutating operation against FailAfter()

  Namespace files_;    // current names
  Namespace durable_;  // names as of the last SyncDir of their directory
  std::set<std::string> dirs_;
  int64_t ops_left_ = -1;
};

}  // namespace faultline::raft::storage
