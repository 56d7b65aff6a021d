// All file-system access of the storage module, behind an injectable interface (LevelDB's Env):
// PosixEnv talks to the real disk; FaultInjectionEnv (fault_injection_env.h) keeps files in
// memory, remembers what was synced, and can simulate a crash. Paths are plain strings; a
// directory's children are named "<dir>/<name>".
//
// Durability contract (what DiskStorage relies on, and what FaultInjectionEnv simulates):
//   - bytes appended to a WritableFile are durable once its Sync() returned Ok;
//   - a file's *name* (creation, rename, removal) is durable once SyncDir() of its directory
//     returned Ok -- on ext4/xfs a synced file that was never linked durably can vanish after a
//     power loss, which is why every create and rename is followed by a directory fsync.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline::raft::storage {

// Storage reports through base's error type (issue 11 merged storage's own copy into it).
using base::Result;
using base::Status;

// A file open for sequential writing. Thread safety: none. Closed by its destructor.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fsync).
  virtual Status Sync() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates or truncates `path`.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending at its end, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // Reads the whole file (up to `max_bytes`; larger files are an error).
  virtual Status ReadFile(const std::string& path, uint64_t max_bytes, std::string* out) = 0;
  // Cuts `path` to `size` bytes and syncs it.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Creates `dir` (not its parents) if missing.
  virtual Status CreateDir(const std::string& dir) = 0;
  // fsync of the directory itself: makes creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;

  // The process-wide real file system. Never deleted.
  static Env* Posix();
};

}  // namespace faultline::raft::storage
