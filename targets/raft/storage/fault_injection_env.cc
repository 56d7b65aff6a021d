#include "targets/raft/storage/fault_injection_env.h"

#include <algorithm>
#include <functional>

namespace faultline::raft::storage {
namespace {

class MemWritableFile final : public WritableFile {
 public:
  // A template so the env's private FileState need not be named here.
  template <typename State>
  MemWritableFile(std::shared_ptr<State> state, std::function<Status()> tick)
      : append_([state](std::string_view d) { state->data.append(d); }),
        sync_([state] { state->synced = state->data; }),
        tick_(std::move(tick)) {}

  Status Append(std::string_view data) override {
    if (Status s = tick_(); !s.ok()) return s;
    append_(data);
    return Status::Ok();
  }
  Status Sync() override {
    if (Status s = tick_(); !s.ok()) return s;
    sync_();
    return Status::Ok();
  }

 private:
  std::function<void(std::string_view)> append_;
  std::function<void()> sync_;
  std::function<Status()> tick_;
};

}  // namespace

std::string FaultInjectionEnv::Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

Status FaultInjectionEnv::Tick() {
  if (ops_left_ < 0) return Status::Ok();
  if (ops_left_ == 0) return Status::IoError("injected fault");
  --ops_left_;
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  if (Status s = Tick(); !s.ok()) return s;
  if (!dirs_.count(Parent(path))) return Status::IoError("no directory for " + path);
  // O_TRUNC on an existing name truncates that same file (its synced bytes are the old ones
  // until the next Sync); a new name gets a new, empty file.
  auto& state = files_[path];
  if (!state) state = std::make_shared<FileState>();
  state->data.clear();
  return std::unique_ptr<WritableFile>(
      std::make_unique<MemWritableFile>(state, [this] { return Tick(); }));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  if (Status s = Tick(); !s.ok()) return s;
  if (!dirs_.count(Parent(path))) return Status::IoError("no directory for " + path);
  auto& state = files_[path];
  if (!state) state = std::make_shared<FileState>();
  return std::unique_ptr<WritableFile>(
      std::make_unique<MemWritableFile>(state, [this] { return Tick(); }));
}

Status FaultInjectionEnv::ReadFile(const std::string& path, uint64_t max_bytes, std::string* out) {
  auto it = files_.find(path);
  if (it == files_.end()) return Status::IoError(path + ": no such file");
  if (it->second->data.size() > max_bytes) return Status::IoError(path + " is too large");
  *out = it->second->data;
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  if (Status s = Tick(); !s.ok()) return s;
  auto it = files_.find(path);
  if (it == files_.end()) return Status::IoError(path + ": no such file");
  it->second->data.resize(std::min<uint64_t>(size, it->second->data.size()));
  it->second->synced = it->second->data;
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (Status s = Tick(); !s.ok()) return s;
  auto it = files_.find(from);
  if (it == files_.end()) return Status::IoError(from + ": no such file");
  std::shared_ptr<FileState> state = it->second;
  files_.erase(it);
  files_[to] = std::move(state);
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (Status s = Tick(); !s.ok()) return s;
  if (files_.erase(path) == 0) return Status::IoError(path + ": no such file");
  return Status::Ok();
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  dirs_.insert(dir);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  if (Status s = Tick(); !s.ok()) return s;
  // Syncing a directory this env never created (the parent of a data directory) is a no-op:
  // directories are modelled as always durable.
  for (auto it = durable_.begin(); it != durable_.end();) {
    it = Parent(it->first) == dir ? durable_.erase(it) : std::next(it);
  }
  for (const auto& [path, state] : files_) {
    if (Parent(path) == dir) durable_[path] = state;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  if (!dirs_.count(dir)) return Status::IoError(dir + ": no such directory");
  for (const auto& [path, state] : files_) {
    if (Parent(path) == dir) names->push_back(path.substr(dir.size() + 1));
  }
  return Status::Ok();
}

void FaultInjectionEnv::Crash() { CrashKeepingTornPrefix("", 0); }

void FaultInjectionEnv::CrashKeepingTornPrefix(const std::string& path, uint64_t torn_bytes) {
  ops_left_ = -1;  // the machine restarts healthy
  files_ = durable_;
  for (auto& [name, state] : files_) {
    std::string kept = state->synced;
    if (name == path && state->data.size() > kept.size() &&
        state->data.compare(0, kept.size(), kept) == 0) {
      uint64_t extra = std::min<uint64_t>(torn_bytes, state->data.size() - kept.size());
      kept = state->data.substr(0, kept.size() + extra);
    }
    // Fresh state objects: writers still holding the old ones can no longer reach the disk.
    auto fresh = std::make_shared<FileState>();
    fresh->data = kept;
    fresh->synced = kept;
    state = fresh;
  }
  durable_ = files_;
}

std::string FaultInjectionEnv::Contents(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second->data;
}

void FaultInjectionEnv::SetContents(const std::string& path, const std::string& data) {
  auto& state = files_[path];
  if (!state) state = std::make_shared<FileState>();
  state->data = data;
  state->synced = data;
  durable_[path] = state;
}

uint64_t FaultInjectionEnv::UnsyncedBytes(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return 0;
  const FileState& s = *it->second;
  return s.data.size() > s.synced.size() ? s.data.size() - s.synced.size() : 0;
}

}  // namespace faultline::raft::storage
