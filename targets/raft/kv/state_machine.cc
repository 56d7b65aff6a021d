#include "targets/raft/kv/state_machine.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace faultline::raft::kv {
namespace {

constexpr std::string_view kSnapshotMagic = "FKVS1";
constexpr std::string_view kNull = "null";

uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kMismatch:
      return "mismatch";
    case Outcome::kHeld:
      return "held";
    case Outcome::kNotHeld:
      return "not-held";
    case Outcome::kInvalid:
      return "invalid";
  }
  return "?";
}

Result StateMachine::Apply(std::string_view command_bytes) {
  std::optional<Command> c = Decode(command_bytes);
  if (!c) return Result{Outcome::kInvalid, std::nullopt, 0};
  return Apply(*c);
}

Result StateMachine::Apply(const Command& c) {
  now_ms_ = std::max(now_ms_, c.time_ms);
  Result r;
  switch (c.op) {
    case Op::kGet:
      r.value = Get(c.key);
      break;
    case Op::kPut:
      if (c.value == kNull) {
        data_.erase(c.key);
      } else {
        data_.insert_or_assign(c.key, c.value);
      }
      break;
    case Op::kCas: {
      auto it = data_.find(c.key);
      const std::string_view current = it == data_.end() ? kNull : std::string_view(it->second);
      if (current != c.from) {
        r.outcome = Outcome::kMismatch;
      } else if (c.to == kNull) {
        if (it != data_.end()) data_.erase(it);
      } else if (it != data_.end()) {
        it->second = c.to;
      } else {
        data_.emplace(c.key, c.to);
      }
      break;
    }
    case Op::kDelete:
      data_.erase(c.key);
      break;
    case Op::kAcquire: {
      Lock& lock = locks_[c.key];
      if (lock.held && now_ms_ < lock.expires_ms) {
        r.outcome = Outcome::kHeld;
        break;
      }
      lock.held = true;
      lock.owner = c.owner;
      lock.token = ++lock.last_token;
      lock.expires_ms = SaturatingAdd(now_ms_, c.ttl_ms);
      r.token = lock.token;
      break;
    }
    case Op::kRelease: {
      auto it = locks_.find(c.key);
      if (it == locks_.end() || !it->second.held) {
        r.outcome = Outcome::kNotHeld;
        break;
      }
      Lock& lock = it->second;
      if (now_ms_ >= lock.expires_ms) {
        lock.held = false;  // the lease ran out: whoever held it lost it
        r.outcome = Outcome::kNotHeld;
      } else if (lock.owner != c.owner || lock.token != c.token) {
        r.outcome = Outcome::kNotHeld;
      } else {
        lock.held = false;
      }
      break;
    }
  }
  return r;
}

std::optional<std::string> StateMachine::Get(std::string_view key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

std::string StateMachine::Snapshot() const {
  std::string out(kSnapshotMagic);
  PutVarint(&out, now_ms_);
  PutVarint(&out, data_.size());
  for (const auto& [key, value] : data_) {
    PutString(&out, key);
    PutString(&out, value);
  }
  PutVarint(&out, locks_.size());
  for (const auto& [name, lock] : locks_) {
    PutString(&out, name);
    out.push_back(lock.held ? 1 : 0);
    PutString(&out, lock.owner);
    PutVarint(&out, lock.token);
    PutVarint(&out, lock.expires_ms);
    PutVarint(&out, lock.last_token);
  }
  const uint64_t sum = Fnv1a(out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return out;
}

bool StateMachine::Restore(std::string_view bytes) {
  if (bytes.size() < kSnapshotMagic.size() + 8 ||
      bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return false;
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) {
    sum |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[body.size() + i])) << (8 * i);
  }
  if (sum != Fnv1a(body)) return false;
  std::string_view in = body.substr(kSnapshotMagic.size());
  uint64_t now = 0;
  uint64_t count = 0;
  if (!GetVarint(&in, &now) || !GetVarint(&in, &count)) return false;
  std::map<std::string, std::string, std::less<>> data;
  for (uint64_t i = 0; i < count; ++i) {  // bounded by the input: each pair consumes bytes
    std::string key;
    std::string value;
    if (!GetString(&in, &key) || !GetString(&in, &value)) return false;
    data.insert_or_assign(std::move(key), std::move(value));
  }
  if (!GetVarint(&in, &count)) return false;
  std::map<std::string, Lock, std::less<>> locks;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    Lock lock;
    if (!GetString(&in, &name) || in.empty()) return false;
    lock.held = in.front() != 0;
    in.remove_prefix(1);
    if (!GetString(&in, &lock.owner) || !GetVarint(&in, &lock.token) ||
        !GetVarint(&in, &lock.expires_ms) || !GetVarint(&in, &lock.last_token)) {
      return false;
    }
    locks.insert_or_assign(std::move(name), std::move(lock));
  }
  if (!in.empty()) return false;
  data_ = std::move(data);
  locks_ = std::move(locks);
  now_ms_ = now;
  return true;
}

}  // namespace faultline::raft::kv
