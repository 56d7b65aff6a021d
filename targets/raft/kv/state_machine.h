// StateMachine: raftkv's replicated state -- a map from keys to JSON texts, and locks with
// fencing tokens and leases -- as a deterministic function of the applied commands. Every
// replica applying the same log reaches the same state and the same results, byte for byte
// (including its snapshot), which is what State Machine Safety needs from it.
//
// Owned by its node's driver; not thread-safe. Standard library only.
//
// Results follow docs/PROTOCOL.md: kOk (with the value for a get, the token for an
// acquire), kMismatch (a cas whose compare executed and failed), kHeld (acquire of a lock with
// an unexpired lease, whoever holds it), kNotHeld (release by a non-holder, with a stale token,
// or after the lease expired), kInvalid (undecodable command: no effect, same on every replica).
//
// Time: leases are judged by Command::time_ms, stamped by the proposing leader. Leaders' clocks
// may disagree, so the machine keeps the highest time it has applied and never lets time run
// backwards: a lease never lasts longer, as seen by the log, than ttl_ms after the acquire.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "targets/raft/kv/command.h"

namespace faultline::raft::kv {

enum class Outcome : uint8_t { kOk, kMismatch, kHeld, kNotHeld, kInvalid };
const char* OutcomeName(Outcome outcome);  // "ok", "mismatch", "held", "not-held", "invalid"

struct Result {
  Outcome outcome = Outcome::kOk;
  std::optional<std::string> value;  // get: the JSON text, nullopt when absent
  uint64_t token = 0;                // acquire: the fencing token

  friend bool operator==(const Result&, const Result&) = default;
};

class StateMachine {
 public:
  // Applies one log entry's payload.
  Result Apply(std::string_view command_bytes);
  Result Apply(const Command& command);

  // The value of `key` as of the last applied command; nullopt when absent. For reads served
  // after ReadIndex (or, unsafely, straight from a replica's local state).
  std::optional<std::string> Get(std::string_view key) const;

  // The whole state as bytes, and back. Restore returns false (leaving the state unchanged) for
  // bytes that are not a snapshot of this format.
  std::string Snapshot() const;
  bool Restore(std::string_view bytes);

  size_t key_count() const { return data_.size(); }
  uint64_t time_ms() const { return now_ms_; }

 private:
  struct Lock {
    bool held = false;
    std::string owner;
    uint64_t token = 0;       // the holder's token
    uint64_t expires_ms = 0;  // lease end, in log time
    uint64_t last_token = 0;  // fencing tokens of this lock only ever increase
  };

  // std::map: the snapshot iterates in key order, so equal states give equal bytes.
  std::map<std::string, std::string, std::less<>> data_;
  std::map<std::string, Lock, std::less<>> locks_;
  uint64_t now_ms_ = 0;
};

}  // namespace faultline::raft::kv
