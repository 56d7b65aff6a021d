// The simulation's time line: events ordered by (simulated time, scheduling order), and a
// free-list arena for the payloads they carry. Internal to sim/.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace faultline::raft::sim {

inline constexpr uint64_t kUsPerMs = 1000;

enum class EventKind : uint8_t {
  kDeliver,        // a Raft message reaches its node
  kTick,           // a node's logical clock ticks
  kClientStart,    // a client invokes its next operation
  kClientTimeout,  // a client gives up on an operation
  kRequest,        // a client request reaches a node
  kReply,          // a node's answer reaches its client
  kNemesis,        // start or stop a fault
  kFlush,          // --unsafe-no-fsync: a node's write buffer reaches its disk
};

struct Event {
  uint64_t at_us = 0;
  uint64_t seq = 0;  // ties broken by scheduling order: a total, reproducible order
  EventKind kind = EventKind::kTick;
  int node = 0;
  int client = 0;
  uint64_t payload = 0;  // slab index (messages, requests, replies) or op id

  bool operator>(const Event& o) const { return at_us != o.at_us ? at_us > o.at_us : seq > o.seq; }
};

// Owns the pending events and the simulated clock (the time of the event being processed).
class EventQueue {
 public:
  void Schedule(uint64_t at_us, EventKind kind, int node, int client, uint64_t payload) {
    queue_.push(Event{at_us, next_seq_++, kind, node, client, payload});
  }
  void After(uint64_t delay_us, EventKind kind, int node, int client, uint64_t payload) {
    Schedule(now_us_ + delay_us, kind, node, client, payload);
  }
  bool empty() const { return queue_.empty(); }
  // Removes the next event and advances the clock to it.
  Event Pop() {
    Event ev = queue_.top();
    queue_.pop();
    now_us_ = ev.at_us;
    return ev;
  }
  uint64_t now_us() const { return now_us_; }
  const uint64_t* now_us_ptr() const { return &now_us_; }

 private:
  uint64_t now_us_ = 0;
  uint64_t next_seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
};

// A free-list arena for payloads in flight; indexes stay valid until Take.
template <typename T>
class Slab {
 public:
  uint64_t Put(T v) {
    if (!free_.empty()) {
      const uint64_t i = free_.back();
      free_.pop_back();
      items_[i] = std::move(v);
      return i;
    }
    items_.push_back(std::move(v));
    return items_.size() - 1;
  }
  T Take(uint64_t i) {
    T v = std::move(items_[i]);
    items_[i] = T();
    free_.push_back(i);
    return v;
  }

 private:
  std::vector<T> items_;
  std::vector<uint64_t> free_;
};

}  // namespace faultline::raft::sim
