// A tiny deterministic harness for driving Raft cores message by message in unit tests: each
// node's Ready is persisted into an in-memory storage view, its messages go to an outbox that
// the test delivers (all, some, or none), committed entries and read states are collected.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "targets/raft/core/raft.h"

namespace faultline::raft::testing {

struct TestNode {
  std::unique_ptr<Raft> raft;
  StorageView storage;         // what has been persisted (Ready applied in order)
  std::vector<Entry> applied;  // committed entries handed out, in order
  std::vector<ReadState> read_states;
  std::vector<Snapshot> snapshots_restored;
  int resets = 0;  // Ready::reset seen (Config::tolerate_lost_writes)
};

class TestCluster {
 public:
  // Nodes 1..n, all voters; `tweak` adjusts each node's config.
  explicit TestCluster(int n, std::function<void(Config&)> tweak = nullptr) : tweak_(tweak) {
    for (int i = 1; i <= n; ++i) ids_.push_back(static_cast<NodeId>(i));
    nodes_.resize(n);
    for (int i = 1; i <= n; ++i) Start(static_cast<NodeId>(i));
  }

  Config MakeConfig(NodeId id) const {
    Config c;
    c.id = id;
    c.voters = ids_;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.seed = 42;
    if (tweak_) tweak_(c);
    return c;
  }

  // (Re)starts node `id` from its persisted storage.
  void Start(NodeId id) {
    TestNode& n = node(id);
    n.raft = std::make_unique<Raft>(MakeConfig(id), n.storage);
    n.applied.clear();
    n.read_states.clear();
  }

  TestNode& node(NodeId id) { return nodes_[id - 1]; }
  Raft& raft(NodeId id) { return *node(id).raft; }

  // Handles every pending Ready of `id`: persist, queue messages, collect the rest.
  void Drain(NodeId id) {
    TestNode& n = node(id);
    for (int round = 0; round < 64 && n.raft->HasReady(); ++round) {
      Ready rd = n.raft->GetReady();
      if (rd.reset) {  // the log, snapshot and state machine start over
        n.storage.entries.clear();
        n.storage.snapshot = Snapshot{};
        n.applied.clear();
        ++n.resets;
      }
      if (rd.hard_state) n.storage.hard_state = *rd.hard_state;
      if (rd.snapshot) {
        n.storage.snapshot = *rd.snapshot;
        n.storage.entries.clear();
        n.snapshots_restored.push_back(*rd.snapshot);
      }
      if (!rd.entries.empty()) {
        const uint64_t from = rd.entries.front().index;
        auto& es = n.storage.entries;
        while (!es.empty() && es.back().index >= from) es.pop_back();
        es.insert(es.end(), rd.entries.begin(), rd.entries.end());
      }
      for (Message& m : rd.messages) outbox_.push_back(std::move(m));
      for (Entry& e : rd.committed_entries) n.applied.push_back(std::move(e));
      for (ReadState& r : rd.read_states) n.read_states.push_back(r);
      n.raft->Advance();
    }
  }

  void DrainAll() {
    for (NodeId id : ids_) Drain(id);
  }

  // Takes every queued message (after draining every node).
  std::vector<Message> TakeMessages() {
    DrainAll();
    std::vector<Message> out;
    out.swap(outbox_);
    return out;
  }

  // Delivers one message and drains the receiver.
  void Deliver(const Message& m) {
    if (isolated(m.from) || isolated(m.to)) return;
    raft(m.to).Step(m);
    Drain(m.to);
  }

  // Delivers messages until none is left (or `max_rounds` rounds); `drop` filters.
  void Stabilize(std::function<bool(const Message&)> drop = nullptr, int max_rounds = 100) {
    for (int round = 0; round < max_rounds; ++round) {
      std::vector<Message> msgs = TakeMessages();
      if (msgs.empty()) return;
      for (const Message& m : msgs) {
        if (drop && drop(m)) continue;
        Deliver(m);
      }
    }
  }

  void Tick(NodeId id, int times = 1) {
    for (int i = 0; i < times; ++i) {
      raft(id).Tick();
      Drain(id);
    }
  }
  void TickAll(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (NodeId id : ids_) Tick(id);
    }
  }

  // Campaign at `id` and deliver everything: `id` should then be leader.
  void Elect(NodeId id) {
    raft(id).Campaign();
    Stabilize();
  }

  void Isolate(NodeId id) { isolated_.push_back(id); }
  void Heal() { isolated_.clear(); }
  bool isolated(NodeId id) const {
    return std::find(isolated_.begin(), isolated_.end(), id) != isolated_.end();
  }

  const std::vector<NodeId>& ids() const { return ids_; }

 private:
  std::function<void(Config&)> tweak_;
  std::vector<NodeId> ids_;
  std::vector<TestNode> nodes_;
  std::vector<Message> outbox_;
  std::vector<NodeId> isolated_;
};

inline Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "") {
  Entry e;
  e.index = index;
  e.term = term;
  e.data = std::move(data);
  return e;
}

inline std::vector<Message> Filter(const std::vector<Message>& msgs, MessageType type) {
  std::vector<Message> out;
  for (const Message& m : msgs) {
    if (m.type == type) out.push_back(m);
  }
  return out;
}

}  // namespace faultline::raft::testing
