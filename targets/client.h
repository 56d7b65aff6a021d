// Client: one connection's worth of the KV protocol (docs/PROTOCOL.md) to one node, as a
// target implements it. A worker thread owns one Client; a Client is not thread-safe and keeps
// its connection open between calls.
//
// Every call returns how the request ended, mapped exactly as section 6 says: kOk (applied;
// `value` is the result), kFail (definitely not applied: 503, 412 mismatch, 409, or the request
// was never sent because the connection was refused), kInfo (anything else: a timeout, a dropped
// connection, another status). `error` names the reason ("mismatch", "not-leader", "timeout",
// "connection-refused", "http-500", ...). `node` is the node this client talks to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "checker/op.h"

namespace faultline::targets {

using checker::Completion;
using checker::Value;

// GET /status, when the target offers it.
struct NodeStatus {
  std::string id;
  std::string role;  // "leader", "follower", "candidate"
  int64_t term = 0;
  std::string leader;  // empty when none is known
  int64_t commit_index = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  virtual const std::string& node() const = 0;

  virtual Completion Get(const std::string& key) = 0;  // ok: value (null if absent)
  virtual Completion Put(const std::string& key, const Value& value) = 0;
  virtual Completion Cas(const std::string& key, const Value& from, const Value& to) = 0;
  virtual Completion Delete(const std::string& key) = 0;
  // ok: value is the fencing token (an integer). fail "held" when another owner holds it.
  virtual Completion Acquire(const std::string& name, const std::string& owner, int64_t ttl_ms) = 0;
  virtual Completion Release(const std::string& name, const std::string& owner, int64_t token) = 0;

  // nullopt when the node does not answer or the target has no /status.
  virtual std::optional<NodeStatus> Status() = 0;
};

}  // namespace faultline::targets
