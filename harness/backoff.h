// How a client worker treats a node that is not there: it waits before its next attempt instead
// of spinning (issue 12: 64 workers retrying a killed node at full speed made 70% of a history
// "fail connection-refused"). The wait is exponential, from 100 ms to 1 s, and a success
// resets it.
//
// Thread safety: a Backoff belongs to one worker; the functions are pure.
#pragma once

#include <algorithm>
#include <chrono>
#include <string_view>

#include "checker/op.h"

namespace faultline::harness {

class Backoff {
 public:
  using Ms = std::chrono::milliseconds;
  explicit Backoff(Ms first = Ms(100), Ms max = Ms(1000)) : first_(first), max_(max) {}

  // One more attempt found the node unavailable: the wait before the next attempt (first, then
  // twice the previous one, up to max).
  Ms Failed() {
    next_ = next_.count() == 0 ? first_ : std::min(next_ * 2, max_);
    return next_;
  }
  // The node answered: no wait before the next attempt, and the next failure starts over.
  void Succeeded() { next_ = Ms(0); }
  Ms current() const { return next_; }

 private:
  Ms first_, max_;
  Ms next_{0};
};

// A fail's error without the CAS loop's "retries-exhausted: " (then: its last request's error).
inline std::string_view LastError(std::string_view error) {
  constexpr std::string_view kLoop = "retries-exhausted: ";
  if (error.starts_with(kLoop)) error.remove_prefix(kLoop.size());
  return error;
}

// Whether an operation that ended `type` with `error` certainly never reached the node: the
// connection was refused before anything was sent (a fail; or a CAS loop whose last request was
// refused the same way). Such an operation is tried again and does not count toward
// --ops-per-key.
inline bool NeverReachedNode(checker::EventType type, std::string_view error) {
  return type == checker::EventType::kFail && LastError(error) == "connection-refused";
}

// Whether the node could not serve the operation at all: it refused the connection, or it
// answered 503 for a reason that is about it, not about the operation: not the leader (with no
// leader to follow), busy, stopped. Any other answer, a definite one such as "mismatch"
// included, is the node serving.
inline bool NodeUnavailable(checker::EventType type, std::string_view error) {
  if (type != checker::EventType::kFail) return false;
  const std::string_view e = LastError(error);
  for (const std::string_view down : {"connection-refused", "not-leader", "no-leader", "busy",
                                      "stopped", "unavailable", "http-503"}) {
    if (e == down) return true;
  }
  return false;
}

inline bool NeverReachedNode(const checker::Completion& c) {
  return NeverReachedNode(c.type, c.error);
}
inline bool NodeUnavailable(const checker::Completion& c) {
  return NodeUnavailable(c.type, c.error);
}

}  // namespace faultline::harness
