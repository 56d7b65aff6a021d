#include "harness/sim/sim.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "checker/value.h"
#include "harness/sim/storage_twin.h"
#include "base/check.h"
#include "targets/raft/core/invariants.h"
#include "targets/raft/core/raft.h"
#include "base/rand.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/kv/state_machine.h"

namespace faultline::harness::sim {
namespace {

using checker::EventType;
using checker::Value;
using raft::NodeId;

constexpr uint64_t kUsPerMs = 1000;
// Client <-> node latency (the clients sit on the test controller, as in Jepsen; the nemesis
// does not cut these links).
constexpr uint64_t kClientDelayMinUs = 100;
constexpr uint64_t kClientDelayMaxUs = 2000;
constexpr int kMaxReadyRounds = 64;  // Ready -> Advance -> Ready ... per input; never reached

std::string NodeName(NodeId id) { return "n" + std::to_string(id); }

enum class F : uint8_t { kRead, kWrite, kCas };
const char* FName(F f) {
  switch (f) {
    case F::kRead:
      return "read";
    case F::kWrite:
      return "write";
    case F::kCas:
      return "cas";
  }
  return "?";
}

struct ClientOp {
  uint64_t id = 0;
  int client = 0;
  int64_t process = 0;
  F f = F::kRead;
  int key = 0;
  int64_t value = 0;  // write
  int64_t from = 0;   // cas
  int64_t to = 0;
  bool done = false;
  bool final_read = false;
};

struct Reply {
  uint64_t op_id = 0;
  bool ok = false;
  bool has_value = false;  // read result present (absent key: has_value with is_null)
  std::optional<int64_t> value;
  std::string error;
  NodeId node = raft::kNoNode;
  NodeId leader_hint = raft::kNoNode;
};

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
  uint64_t payload = 0;  // slab index (messages, replies) or op id

  bool operator>(const Event& o) const { return at_us != o.at_us ? at_us > o.at_us : seq > o.seq; }
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

struct PendingWrite {
  uint64_t op_id = 0;
  uint64_t term = 0;
};

struct PendingRead {
  uint64_t op_id = 0;
  bool index_known = false;
  uint64_t index = 0;
};

// One simulated server: the Raft core, raftkv's state machine, the disk twin and the server
// layer's bookkeeping of client requests in progress.
struct Node {
  NodeId id = raft::kNoNode;
  bool up = true;
  uint64_t incarnation = 0;
  std::unique_ptr<raft::Raft> raft;
  raft::kv::StateMachine kv;
  StorageTwin storage;
  uint64_t clock_skew_ms = 0;
  std::map<uint64_t, PendingWrite> writes;  // log index -> the request proposed there
  std::map<uint64_t, PendingRead> reads;    // ReadIndex context -> the request
  uint64_t next_read_context = 1;
  // What the current step changed, for the invariant checker.
  std::vector<raft::Entry> appended;
  std::vector<raft::Entry> applied;
  std::vector<raft::SnapshotRecord> snapshots;
};

struct Client {
  int64_t process = 0;
  bool busy = false;
  uint64_t op_id = 0;
  NodeId leader_hint = raft::kNoNode;
};

enum class FaultKind : uint8_t {
  kNone,
  kPartitionOne,
  kPartitionLeader,
  kPartitionHalves,
  kPartitionBridge,
  kCrashOne,
  kCrashLeader,
  kCrashMajority,
};

const char* FaultName(FaultKind k) {
  switch (k) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kPartitionOne:
      return "one";
    case FaultKind::kPartitionLeader:
      return "leader";
    case FaultKind::kPartitionHalves:
      return "halves";
    case FaultKind::kPartitionBridge:
      return "bridge";
    case FaultKind::kCrashOne:
      return "crash-one";
    case FaultKind::kCrashLeader:
      return "crash-leader";
    case FaultKind::kCrashMajority:
      return "crash-majority";
  }
  return "?";
}

class Simulation {
 public:
  explicit Simulation(const SimOptions& options)
      : options_(options),
        faults_(DrawFaultSettings(options)),
        rng_(base::MixSeed(options.seed, 0x5eed)) {
    result_.seed = options.seed;
    result_.options = options;
    result_.faults = faults_;
    result_.history.source = "sim-seed-" + std::to_string(options.seed);
    network_drop_ppm_ = faults_.drop_ppm;
    network_duplicate_ppm_ = faults_.duplicate_ppm;
  }

  SimResult Run();

 private:
  // --- scheduling
  void Schedule(uint64_t at_us, EventKind kind, int node, int client, uint64_t payload) {
    queue_.push(Event{at_us, next_seq_++, kind, node, client, payload});
  }
  void Process(const Event& ev);

  // --- network
  bool Linked(NodeId a, NodeId b) const { return !cut_[Index(a)][Index(b)]; }
  static size_t Index(NodeId id) { return static_cast<size_t>(id - 1); }
  void SendMessage(raft::Message m);
  void Deliver(int node, uint64_t slot);

  // --- nodes
  raft::Config NodeConfig(const Node& n) const;
  void Boot(int i);
  void Crash(int i);
  void Restart(int i);
  void HandleReady(int i);
  void ApplyEntry(Node& n, const raft::Entry& e);
  void ServeReads(Node& n);
  void MaybeSnapshot(Node& n);
  uint64_t ClockMs(const Node& n) const { return now_us_ / kUsPerMs + n.clock_skew_ms; }

  // --- server layer and clients
  void HandleRequest(int i, uint64_t op_id);
  void ReplyTo(const Node& n, uint64_t op_id, Reply r);
  void ReplyValue(const Node& n, uint64_t op_id, int key);
  void ClientStart(int c);
  void ClientReply(const Reply& r);
  void Complete(ClientOp& op, EventType type, const Reply* reply, const std::string& error);
  Value OpValue(const ClientOp& op) const;
  void Record(int64_t process, bool nemesis, EventType type, const std::string& f, int key,
              Value value, std::string error);

  // --- nemesis and phases
  void NemesisStep();
  void StartFault();
  void StopFault();
  void Heal();
  NodeId CurrentLeader() const;
  bool Converged() const;
  void StartFinalReads();

  // --- the scripted Figure 8 scenario
  bool Figure8Step();
  void Partition(const std::vector<std::vector<int>>& groups, const std::string& why);
  void InvokeScripted(int target, int key, int64_t value);
  int LeaderAmong(const std::vector<int>& group, uint64_t min_term) const;

  // --- checks
  bool CheckStep();
  void Fail(std::string failure, std::string detail);
  void Trace(const std::string& line);

  SimOptions options_;
  FaultSettings faults_;
  base::Rng rng_;
  SimResult result_;
  bool failed_ = false;

  uint64_t now_us_ = 0;
  uint64_t next_seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  Slab<raft::Message> messages_;
  Slab<Reply> replies_;

  std::vector<Node> nodes_;
  std::vector<std::vector<bool>> cut_;  // cut_[a][b]: messages from a to b are dropped
  uint64_t network_drop_ppm_ = 0;
  uint64_t network_duplicate_ppm_ = 0;

  std::vector<Client> clients_;
  std::vector<ClientOp> ops_;  // by id
  uint64_t ops_invoked_ = 0;   // safety-phase operations invoked

  bool healed_ = false;
  bool final_reads_started_ = false;
  std::deque<int> final_keys_todo_;
  int final_keys_done_ = 0;
  uint64_t liveness_deadline_us_ = 0;

  FaultKind fault_ = FaultKind::kNone;
  std::vector<int> crashed_;

  // Figure 8 scenario state: the paper's S1..S5 roles are node indexes a, b, c, d, e.
  struct Figure8 {
    int stage = 0;
    int a = -1, b = -1, c = -1, d = -1, e = -1, x = -1, y = -1;
    uint64_t index = 0;  // where the old-term entry sits
    uint64_t term_a = 0;
    bool b_has_entry = false;
    bool e_isolated = false;
    uint64_t deadline_us = 0;
    std::string outcome;  // how the script ended, for the report
  } f8_;

  raft::InvariantChecker invariants_;
  std::vector<raft::NodeObservation> observations_;
  std::set<uint64_t> leader_terms_;  // terms in which some node became leader
  std::deque<std::string> trace_;
};

// ---------------------------------------------------------------------------------------------

raft::Config Simulation::NodeConfig(const Node& n) const {
  raft::Config c;
  c.id = n.id;
  for (size_t i = 0; i < nodes_.size(); ++i) c.voters.push_back(nodes_[i].id);
  c.election_tick = faults_.election_tick;
  c.heartbeat_tick = faults_.heartbeat_tick;
  // Each incarnation draws its own election timeouts, all from the run's seed.
  c.seed = base::MixSeed(options_.seed, n.id * 1000003 + n.incarnation);
  c.max_entries_per_msg = faults_.max_entries_per_msg;
  c.max_inflight_msgs = faults_.max_inflight_msgs;
  c.unsafe_commit_old_terms = options_.unsafe_commit_old_terms;
  // As raftkv does: a disk that loses acknowledged writes needs the core's lost-write recovery.
  c.tolerate_lost_writes = options_.unsafe_no_fsync;
  return c;
}

void Simulation::Boot(int i) {
  Node& n = nodes_[i];
  const raft::StorageView view = n.storage.View();
  const raft::Config config = NodeConfig(n);
  const std::string problem = raft::Raft::Validate(config, view);
  FAULTLINE_CHECK(problem.empty(), "restart of " + NodeName(n.id) + ": " + problem);
  n.raft = std::make_unique<raft::Raft>(config, view);
  n.kv = raft::kv::StateMachine();
  if (!view.snapshot.empty()) {
    FAULTLINE_CHECK(n.kv.Restore(*view.snapshot.data), "corrupt snapshot on restart");
  }
  n.up = true;
  n.writes.clear();
  n.reads.clear();
}

void Simulation::Crash(int i) {
  Node& n = nodes_[i];
  if (!n.up) return;
  n.up = false;
  n.raft.reset();
  n.storage.Crash();  // everything not yet synced is gone
  n.writes.clear();   // the clients waiting on it will time out (info)
  n.reads.clear();
  n.appended.clear();
  n.applied.clear();
  n.snapshots.clear();
  ++result_.stats.crashes;
  if (options_.trace_lines > 0) Trace("crash " + NodeName(n.id));
}

void Simulation::Restart(int i) {
  Node& n = nodes_[i];
  if (n.up) return;
  ++n.incarnation;
  Boot(i);
  if (options_.trace_lines > 0) Trace("restart " + NodeName(n.id));
  HandleReady(i);
}

void Simulation::SendMessage(raft::Message m) {
  ++result_.stats.messages_sent;
  const NodeId from = m.from;
  const NodeId to = m.to;
  if (!Linked(from, to) || rng_.Chance(network_drop_ppm_)) {
    ++result_.stats.messages_dropped;
    return;
  }
  const int copies = rng_.Chance(network_duplicate_ppm_) ? 2 : 1;
  if (copies == 2) ++result_.stats.messages_duplicated;
  for (int k = 0; k < copies; ++k) {
    uint64_t delay = rng_.Range(faults_.delay_min_us, faults_.delay_max_us);
    if (rng_.Chance(faults_.reorder_ppm)) delay += rng_.Uniform(faults_.reorder_delay_max_us + 1);
    const uint64_t slot = messages_.Put(k + 1 < copies ? m : std::move(m));
    Schedule(now_us_ + delay, EventKind::kDeliver, static_cast<int>(Index(to)), 0, slot);
  }
}

void Simulation::Deliver(int i, uint64_t slot) {
  raft::Message m = messages_.Take(slot);
  Node& n = nodes_[i];
  // A partition also cuts what is already on the wire.
  if (!n.up || !Linked(m.from, m.to)) {
    ++result_.stats.messages_dropped;
    return;
  }
  ++result_.stats.messages_delivered;
  if (options_.trace_lines > 0) Trace("deliver " + raft::DescribeMessage(m));
  n.raft->Step(m);
  HandleReady(i);
}

void Simulation::HandleReady(int i) {
  Node& n = nodes_[i];
  raft::Raft& r = *n.raft;
  const bool sync = !options_.unsafe_no_fsync;
  for (int round = 0; r.HasReady(); ++round) {
    FAULTLINE_CHECK(round < kMaxReadyRounds, "Ready loop does not settle");
    raft::Ready rd = r.GetReady();
    // 0. --unsafe-no-fsync only: the node's committed state diverged from the leader's log.
    if (rd.reset) n.kv = raft::kv::StateMachine();
    // 1. Persist (or, with --unsafe-no-fsync, only buffer) before anything leaves the node.
    n.storage.Persist(rd, sync);
    n.appended.insert(n.appended.end(), rd.entries.begin(), rd.entries.end());
    if (rd.soft_state) {
      if (rd.soft_state->role != raft::Role::kLeader) n.reads.clear();  // the core forgot them
      if (rd.soft_state->role == raft::Role::kLeader) leader_terms_.insert(r.term());
      if (options_.trace_lines > 0) {
        Trace(NodeName(n.id) + " is " + raft::RoleName(rd.soft_state->role) + " in term " +
              std::to_string(r.term()));
      }
    }
    // 2. Send.
    for (raft::Message& m : rd.messages) SendMessage(std::move(m));
    // 3. Apply.
    if (rd.snapshot) {
      FAULTLINE_CHECK(n.kv.Restore(*rd.snapshot->data), "corrupt snapshot received");
      n.snapshots.push_back(raft::SnapshotRecord{rd.snapshot->index, rd.snapshot->term,
                                                 raft::DataHash(*rd.snapshot->data)});
      ++result_.stats.snapshots_installed;
      // Requests proposed at covered indexes: their fate is in the snapshot, unknown to us.
      n.writes.erase(n.writes.begin(), n.writes.upper_bound(rd.snapshot->index));
    }
    for (const raft::Entry& e : rd.committed_entries) ApplyEntry(n, e);
    for (const raft::ReadState& rs : rd.read_states) {
      auto it = n.reads.find(rs.context);
      if (it == n.reads.end()) continue;
      it->second.index_known = true;
      it->second.index = rs.index;
    }
    r.Advance();
    ServeReads(n);
    MaybeSnapshot(n);
  }
  if (!r.fatal_error().empty() && !failed_) {
    Fail("node-stopped", NodeName(n.id) + " stopped itself: " + r.fatal_error());
  }
}

void Simulation::ApplyEntry(Node& n, const raft::Entry& e) {
  n.applied.push_back(e);
  result_.stats.max_commit_index = std::max(result_.stats.max_commit_index, e.index);
  raft::kv::Result res;
  if (e.type == raft::EntryType::kNormal) res = n.kv.Apply(e.data);
  auto it = n.writes.find(e.index);
  if (it == n.writes.end()) return;
  const PendingWrite w = it->second;
  n.writes.erase(it);
  Reply reply;
  if (w.term != e.term) {
    // Another entry is committed at the index our request got: entries are unique by
    // (index, term) and committed entries never change, so ours will never be applied.
    reply.error = "superseded";
  } else if (res.outcome == raft::kv::Outcome::kOk) {
    reply.ok = true;
  } else {
    reply.error = raft::kv::OutcomeName(res.outcome);  // "mismatch": the compare executed
  }
  ReplyTo(n, w.op_id, std::move(reply));
}

void Simulation::ServeReads(Node& n) {
  const uint64_t applied = n.raft->applied_index();
  for (auto it = n.reads.begin(); it != n.reads.end();) {
    if (it->second.index_known && it->second.index <= applied) {
      // Thesis §6.4 step 4: the state machine has caught up with the read index.
      ReplyValue(n, it->second.op_id, ops_[it->second.op_id].key);
      it = n.reads.erase(it);
    } else {
      ++it;
    }
  }
}

void Simulation::MaybeSnapshot(Node& n) {
  raft::Raft& r = *n.raft;
  const uint64_t applied = r.applied_index();
  if (applied < r.log().snapshot().index + faults_.snapshot_every) return;
  auto data = std::make_shared<const std::string>(n.kv.Snapshot());
  const uint64_t hash = raft::DataHash(*data);
  r.Compact(applied, data, faults_.snapshot_retain);
  const uint64_t compact_to =
      applied > faults_.snapshot_retain ? applied - faults_.snapshot_retain : 0;
  n.storage.Compact(r.log().snapshot(), compact_to, !options_.unsafe_no_fsync);
  n.snapshots.push_back(raft::SnapshotRecord{applied, r.log().snapshot().term, hash});
  ++result_.stats.snapshots_taken;
}

// ---------------------------------------------------------------------------------------------
// The server layer (DESIGN.md section 6) and the clients.

void Simulation::HandleRequest(int i, uint64_t op_id) {
  Node& n = nodes_[i];
  if (!n.up) return;  // lost with the node: the client times out
  const ClientOp& op = ops_[op_id];
  raft::Raft& r = *n.raft;
  if (op.f == F::kRead && options_.unsafe_stale_reads) {
    ReplyValue(n, op_id, op.key);  // the bug: no ReadIndex, whatever this node's role
    return;
  }
  if (r.role() != raft::Role::kLeader) {
    Reply reply;
    reply.error = "not-leader";  // nothing was proposed: a definite failure
    reply.leader_hint = r.leader();
    ReplyTo(n, op_id, std::move(reply));
    return;
  }
  if (op.f == F::kRead) {
    const uint64_t context = n.next_read_context++;
    const raft::RequestError err = r.ReadIndex(context);
    if (err != raft::RequestError::kOk) {
      Reply reply;
      reply.error = raft::RequestErrorName(err);
      ReplyTo(n, op_id, std::move(reply));
      return;
    }
    n.reads[context] = PendingRead{op_id, false, 0};
  } else {
    raft::kv::Command c;
    c.key = "k" + std::to_string(op.key);
    c.time_ms = ClockMs(n);
    if (op.f == F::kWrite) {
      c.op = raft::kv::Op::kPut;
      c.value = std::to_string(op.value);
    } else {
      c.op = raft::kv::Op::kCas;
      c.from = std::to_string(op.from);
      c.to = std::to_string(op.to);
    }
    const raft::ProposeResult p = r.Propose(raft::kv::Encode(c));
    if (p.error != raft::RequestError::kOk) {
      Reply reply;
      reply.error = raft::RequestErrorName(p.error);
      ReplyTo(n, op_id, std::move(reply));
      return;
    }
    n.writes[p.index] = PendingWrite{op_id, p.term};
  }
  HandleReady(i);
}

void Simulation::ReplyValue(const Node& n, uint64_t op_id, int key) {
  Reply reply;
  reply.ok = true;
  reply.has_value = true;
  const std::optional<std::string> text = n.kv.Get("k" + std::to_string(key));
  if (text) reply.value = std::stoll(*text);
  ReplyTo(n, op_id, std::move(reply));
}

void Simulation::ReplyTo(const Node& n, uint64_t op_id, Reply r) {
  r.op_id = op_id;
  r.node = n.id;
  if (r.ok) r.leader_hint = n.id;
  const uint64_t slot = replies_.Put(std::move(r));
  Schedule(now_us_ + rng_.Range(kClientDelayMinUs, kClientDelayMaxUs), EventKind::kReply, 0,
           ops_[op_id].client, slot);
}

Value Simulation::OpValue(const ClientOp& op) const {
  switch (op.f) {
    case F::kRead:
      return Value::Null();
    case F::kWrite:
      return Value::Int(op.value);
    case F::kCas:
      return Value::MakeArray({Value::Int(op.from), Value::Int(op.to)});
  }
  return Value::Null();
}

void Simulation::Record(int64_t process, bool nemesis, EventType type, const std::string& f,
                        int key, Value value, std::string error) {
  checker::Event e;
  e.index = static_cast<int64_t>(result_.history.events.size());
  e.time = static_cast<int64_t>(now_us_ * 1000);
  e.process = process;
  e.nemesis = nemesis;
  e.type = type;
  e.f = f;
  if (key >= 0) {
    e.has_key = true;
    e.key = Value::String("k" + std::to_string(key));
  }
  e.value = std::move(value);
  e.error = std::move(error);
  e.line = e.index + 1;
  result_.history.events.push_back(std::move(e));
}

void Simulation::ClientStart(int c) {
  Client& client = clients_[c];
  if (client.busy || failed_) return;
  ClientOp op;
  op.id = ops_.size();
  op.client = c;
  op.process = client.process;
  if (!healed_) {
    if (ops_invoked_ >= static_cast<uint64_t>(options_.ops) || !options_.scenario.empty()) {
      return;  // done (or scripted): idle
    }
    ++ops_invoked_;
    op.key = static_cast<int>(rng_.Uniform(options_.keys));
    const uint64_t roll = rng_.Uniform(100);
    op.f = roll < 40 ? F::kRead : roll < 70 ? F::kWrite : F::kCas;
    op.value = static_cast<int64_t>(rng_.Uniform(5));
    op.from = static_cast<int64_t>(rng_.Uniform(5));
    op.to = static_cast<int64_t>(rng_.Uniform(5));
  } else {
    // Liveness phase: a final read of every key, retried until it succeeds.
    if (!final_reads_started_ || final_keys_todo_.empty()) return;
    op.key = final_keys_todo_.front();
    final_keys_todo_.pop_front();
    op.f = F::kRead;
    op.final_read = true;
  }
  ++result_.stats.ops_invoked;
  Record(op.process, false, EventType::kInvoke, FName(op.f), op.key, OpValue(op), "");
  client.busy = true;
  client.op_id = op.id;
  // Send to the leader we heard of last; otherwise (and now and then anyway) to a random node.
  NodeId target = client.leader_hint;
  if (target == raft::kNoNode || rng_.Chance(100000)) {
    target = static_cast<NodeId>(rng_.Uniform(nodes_.size()) + 1);
  }
  ops_.push_back(op);
  Schedule(now_us_ + rng_.Range(kClientDelayMinUs, kClientDelayMaxUs), EventKind::kRequest,
           static_cast<int>(Index(target)), c, op.id);
  Schedule(now_us_ + faults_.client_timeout_ms * kUsPerMs, EventKind::kClientTimeout, 0, c, op.id);
}

void Simulation::ClientReply(const Reply& r) {
  ClientOp& op = ops_[r.op_id];
  Client& client = clients_[op.client];
  if (op.done || !client.busy || client.op_id != op.id) return;  // answered after the timeout
  client.leader_hint = r.leader_hint;
  if (r.ok) {
    Complete(op, EventType::kOk, &r, "");
  } else {
    Complete(op, EventType::kFail, &r, r.error);
  }
}

void Simulation::Complete(ClientOp& op, EventType type, const Reply* reply,
                          const std::string& error) {
  Client& client = clients_[op.client];
  op.done = true;
  client.busy = false;
  Value value = OpValue(op);
  if (type == EventType::kOk && op.f == F::kRead) {
    value = reply->value ? Value::Int(*reply->value) : Value::Null();
  }
  Record(op.process, false, type, FName(op.f), op.key, std::move(value), error);
  switch (type) {
    case EventType::kOk:
      ++result_.stats.ops_ok;
      break;
    case EventType::kFail:
      ++result_.stats.ops_fail;
      break;
    default:
      ++result_.stats.ops_info;
      break;
  }
  if (type == EventType::kInfo) {
    // Jepsen: after an indeterminate result the process is retired; the worker goes on as a
    // new process.
    client.process += options_.clients;
    client.leader_hint = raft::kNoNode;
  }
  if (op.final_read) {
    if (type == EventType::kOk) {
      ++final_keys_done_;
    } else {
      final_keys_todo_.push_back(op.key);
    }
  }
  uint64_t think = rng_.Uniform(faults_.think_max_ms * kUsPerMs + 1);
  if (type == EventType::kFail && client.leader_hint == raft::kNoNode) {
    // No leader known (an election is on): back off for up to an election timeout instead of
    // spending the run's operations on certain failures.
    think +=
        rng_.Uniform(faults_.tick_ms * static_cast<uint64_t>(faults_.election_tick) * kUsPerMs);
  }
  Schedule(now_us_ + think, EventKind::kClientStart, 0, op.client, 0);
}

// ---------------------------------------------------------------------------------------------
// Nemesis.

NodeId Simulation::CurrentLeader() const {
  NodeId leader = raft::kNoNode;
  uint64_t term = 0;
  for (const Node& n : nodes_) {
    if (n.up && n.raft->role() == raft::Role::kLeader && n.raft->term() >= term) {
      leader = n.id;
      term = n.raft->term();
    }
  }
  return leader;
}

void Simulation::NemesisStep() {
  if (healed_) return;
  if (fault_ == FaultKind::kNone) {
    StartFault();
    const uint64_t ms = rng_.Range(faults_.fault_min_ms, faults_.fault_max_ms);
    Schedule(now_us_ + ms * kUsPerMs, EventKind::kNemesis, 0, 0, 0);
  } else {
    StopFault();
    const uint64_t ms = rng_.Range(faults_.quiet_min_ms, faults_.quiet_max_ms);
    Schedule(now_us_ + ms * kUsPerMs, EventKind::kNemesis, 0, 0, 0);
  }
}

void Simulation::StartFault() {
  std::vector<FaultKind> kinds;
  if (faults_.partitions) {
    kinds.insert(kinds.end(), {FaultKind::kPartitionOne, FaultKind::kPartitionLeader,
                               FaultKind::kPartitionHalves});
    if (nodes_.size() >= 5) kinds.push_back(FaultKind::kPartitionBridge);
  }
  if (faults_.crashes) {
    kinds.insert(kinds.end(),
                 {FaultKind::kCrashOne, FaultKind::kCrashLeader, FaultKind::kCrashMajority});
  }
  if (kinds.empty()) return;
  fault_ = kinds[rng_.Uniform(kinds.size())];
  const size_t n = nodes_.size();
  // A random order of the node indexes (Fisher-Yates with our generator).
  std::vector<int> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.Uniform(i)]);
  const NodeId leader = CurrentLeader();
  if (leader != raft::kNoNode &&
      (fault_ == FaultKind::kPartitionLeader || fault_ == FaultKind::kCrashLeader)) {
    auto it = std::find(order.begin(), order.end(), static_cast<int>(Index(leader)));
    std::iter_swap(order.begin(), it);  // the leader is the victim
  }

  auto names = [&](const std::vector<int>& group) {
    Value::Array a;
    for (int i : group) a.push_back(Value::String(NodeName(nodes_[i].id)));
    return Value::MakeArray(std::move(a));
  };
  if (fault_ == FaultKind::kCrashOne || fault_ == FaultKind::kCrashLeader ||
      fault_ == FaultKind::kCrashMajority) {
    const size_t count = fault_ == FaultKind::kCrashMajority ? n / 2 + 1 : 1;
    crashed_.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
    Record(0, true, EventType::kInfo, "kill", -1,
           Value::MakeObject(
               {{"fault", Value::String(FaultName(fault_))}, {"nodes", names(crashed_)}}),
           "");
    for (int i : crashed_) Crash(i);
    return;
  }
  // Partitions: groups of node indexes; links between groups are cut.
  std::vector<std::vector<int>> groups;
  switch (fault_) {
    case FaultKind::kPartitionOne:
    case FaultKind::kPartitionLeader:
      groups = {{order[0]}, std::vector<int>(order.begin() + 1, order.end())};
      break;
    case FaultKind::kPartitionHalves: {
      const auto half = static_cast<std::ptrdiff_t>(n / 2);
      groups = {std::vector<int>(order.begin(), order.begin() + half),
                std::vector<int>(order.begin() + half, order.end())};
      break;
    }
    case FaultKind::kPartitionBridge: {
      // Two minorities joined by one bridge node that sees both (the bridge sits in both).
      const auto half = static_cast<std::ptrdiff_t>(n / 2);
      groups = {std::vector<int>(order.begin(), order.begin() + half + 1),
                std::vector<int>(order.begin() + half, order.end())};
      break;
    }
    default:
      break;
  }
  for (auto& row : cut_) std::fill(row.begin(), row.end(), true);
  for (const auto& g : groups) {
    for (int a : g) {
      for (int b : g) cut_[a][b] = false;
    }
  }
  Value::Array desc;
  for (const auto& g : groups) desc.push_back(names(g));
  Record(0, true, EventType::kInfo, "start-partition", -1,
         Value::MakeObject({{"shape", Value::String(FaultName(fault_))},
                            {"groups", Value::MakeArray(std::move(desc))}}),
         "");
  ++result_.stats.partitions;
  if (options_.trace_lines > 0) Trace(std::string("partition ") + FaultName(fault_));
}

void Simulation::StopFault() {
  if (fault_ == FaultKind::kNone) return;
  if (!crashed_.empty()) {
    auto names = Value::Array();
    for (int i : crashed_) names.push_back(Value::String(NodeName(nodes_[i].id)));
    Record(0, true, EventType::kInfo, "restart", -1, Value::MakeArray(std::move(names)), "");
    const std::vector<int> victims = std::move(crashed_);
    crashed_.clear();
    for (int i : victims) Restart(i);
  } else {
    for (auto& row : cut_) std::fill(row.begin(), row.end(), false);
    Record(0, true, EventType::kInfo, "stop-partition", -1, Value::Null(), "");
  }
  fault_ = FaultKind::kNone;
}

void Simulation::Heal() {
  StopFault();
  bool cut = false;
  for (auto& row : cut_) {
    for (size_t k = 0; k < row.size(); ++k) cut = cut || row[k];
    std::fill(row.begin(), row.end(), false);
  }
  if (cut) Record(0, true, EventType::kInfo, "stop-partition", -1, Value::Null(), "");
  healed_ = true;
  network_drop_ppm_ = 0;
  network_duplicate_ppm_ = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) Restart(static_cast<int>(i));
  Record(0, true, EventType::kInfo, "heal", -1, Value::Null(), "");
  liveness_deadline_us_ = now_us_ + options_.liveness_timeout_ms * kUsPerMs;
  if (options_.trace_lines > 0) Trace("heal: liveness phase");
}

bool Simulation::Converged() const {
  const NodeId leader = CurrentLeader();
  if (leader == raft::kNoNode) return false;
  const raft::Raft& l = *nodes_[Index(leader)].raft;
  if (l.log().TermAt(l.commit_index()) != l.term()) return false;  // its no-op is committed
  if (l.commit_index() != l.log().last_index()) return false;
  for (const Node& n : nodes_) {
    if (!n.up || n.raft->term() != l.term() || n.raft->leader() != leader ||
        n.raft->applied_index() != l.commit_index()) {
      return false;
    }
  }
  return true;
}

void Simulation::StartFinalReads() {
  final_reads_started_ = true;
  for (int k = 0; k < options_.keys; ++k) final_keys_todo_.push_back(k);
  for (int c = 0; c < options_.clients; ++c) ClientStart(c);
}

// ---------------------------------------------------------------------------------------------
// The Figure 8 scenario (paper §5.4.2). Random faults rarely produce it: a leader must commit an
// entry of an earlier term by counting replicas and then lose contact before its next message
// (the entry of its own term) reaches anyone -- a window of one network delay. The script forces
// it with partitions alone, on 5 nodes, with one entry per AppendEntries and one in flight:
//   1. leader a is cut off with b ({a,b} | {c,d,e}); a write to a reaches b only: entry
//      `index` of a's term;
//   2. c, d, e elect a leader, called e; e is isolated at once, so its own no-op (also at
//      `index`, from a later term) stays on e alone;
//   3. {a,b,c} | {d} | {e}: a or b becomes leader (x) in a newer term and replicates the old
//      entry to c, one entry per message. With unsafe_commit_old_terms x counts {a,b,c} and
//      commits it; x is isolated in that very step, before its own no-op reaches c;
//   4. {c,d,e}: e's last term beats c's and d's, so e wins -- and overwrites the committed
//      entry (Leader Completeness breaks; the write acknowledged by x is lost).
// Without the bug x commits nothing before its no-op is on a majority including c, and e cannot
// win in step 4: the run must pass.

int Simulation::LeaderAmong(const std::vector<int>& group, uint64_t min_term) const {
  for (int i : group) {
    const Node& n = nodes_[i];
    if (n.up && n.raft->role() == raft::Role::kLeader && n.raft->term() > min_term) return i;
  }
  return -1;
}

void Simulation::Partition(const std::vector<std::vector<int>>& groups, const std::string& why) {
  for (auto& row : cut_) std::fill(row.begin(), row.end(), true);
  Value::Array desc;
  for (const auto& g : groups) {
    Value::Array names;
    for (int a : g) {
      names.push_back(Value::String(NodeName(nodes_[a].id)));
      for (int b : g) cut_[a][b] = false;
    }
    desc.push_back(Value::MakeArray(std::move(names)));
  }
  Record(0, true, EventType::kInfo, "start-partition", -1,
         Value::MakeObject(
             {{"shape", Value::String(why)}, {"groups", Value::MakeArray(std::move(desc))}}),
         "");
  ++result_.stats.partitions;
  if (options_.trace_lines > 0) Trace("figure8: partition for " + why);
}

void Simulation::InvokeScripted(int target, int key, int64_t value) {
  Client& client = clients_[0];
  FAULTLINE_CHECK(!client.busy, "scripted client busy");
  ClientOp op;
  op.id = ops_.size();
  op.client = 0;
  op.process = client.process;
  op.f = F::kWrite;
  op.key = key;
  op.value = value;
  ++result_.stats.ops_invoked;
  Record(op.process, false, EventType::kInvoke, FName(op.f), op.key, OpValue(op), "");
  client.busy = true;
  client.op_id = op.id;
  ops_.push_back(op);
  // Delivered at once: the script needs the entry in the log before anything else happens.
  HandleRequest(target, op.id);
  Schedule(now_us_ + faults_.client_timeout_ms * kUsPerMs, EventKind::kClientTimeout, 0, 0, op.id);
}

bool Simulation::Figure8Step() {
  Figure8& f = f8_;
  if (f.stage == 0) f.deadline_us = now_us_ + 20000 * kUsPerMs;
  if (now_us_ > f.deadline_us && f.stage < 5) {
    f.outcome = "stopped at stage " + std::to_string(f.stage) + " (setup did not happen)";
    return true;
  }
  switch (f.stage) {
    case 0: {  // a stable leader with its no-op committed everywhere
      if (!Converged()) return false;
      f.a = static_cast<int>(Index(CurrentLeader()));
      std::vector<int> others;
      for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
        if (i != f.a) others.push_back(i);
      }
      f.b = others[0];
      f.c = others[1];
      f.d = others[2];
      f.e = others[3];
      f.term_a = nodes_[f.a].raft->term();
      Partition({{f.a, f.b}, {f.c, f.d, f.e}}, "figure8-1");
      InvokeScripted(f.a, 0, 1);
      f.index = nodes_[f.a].raft->log().last_index();
      f.stage = 1;
      return false;
    }
    case 1: {  // the write reaches b; c, d, e elect a leader, isolated as soon as it exists
      const raft::Raft& b = *nodes_[f.b].raft;
      if (b.log().TermAt(f.index) == f.term_a) f.b_has_entry = true;
      if (!f.e_isolated) {
        const int leader = LeaderAmong({f.c, f.d, f.e}, f.term_a);
        if (leader >= 0) {
          if (leader != f.e) std::swap(leader == f.c ? f.c : f.d, f.e);
          f.e_isolated = true;
          Partition({{f.a, f.b}, {f.c, f.d}, {f.e}}, "figure8-2");
        }
      }
      if (!f.b_has_entry || !f.e_isolated) return false;
      const raft::Raft& e = *nodes_[f.e].raft;
      if (e.log().last_index() != f.index || e.log().last_term() <= f.term_a) {
        f.outcome = "stopped: the isolated leader's log does not end at the entry's index";
        return true;
      }
      Partition({{f.a, f.b, f.c}, {f.d}, {f.e}}, "figure8-3");
      f.stage = 3;
      return false;
    }
    case 3: {  // a or b leads a newer term; the moment it commits `index`, cut it off
      const int x = LeaderAmong({f.a, f.b}, nodes_[f.e].raft->term());
      if (x < 0 || nodes_[x].raft->commit_index() < f.index) return false;
      f.x = x;
      f.y = x == f.a ? f.b : f.a;
      Partition({{f.x}, {f.y}, {f.c, f.d, f.e}}, "figure8-4");
      f.stage = 4;
      f.deadline_us = now_us_ + 3000 * kUsPerMs;
      return false;
    }
    case 4: {  // c, d, e: does e win?
      const int winner = LeaderAmong({f.c, f.d, f.e}, nodes_[f.x].raft->term());
      if (winner == f.e) {
        f.outcome = "e (" + NodeName(nodes_[f.e].id) + ") won with the conflicting entry";
      } else if (winner >= 0) {
        f.outcome =
            "a node holding x's entry (" + NodeName(nodes_[winner].id) + ") won; e could not";
      } else if (now_us_ < f.deadline_us) {
        return false;
      } else {
        f.outcome = "no leader among c, d, e (the old-term entry was safe)";
      }
      f.stage = 5;
      return true;
    }
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Checks.

void Simulation::Fail(std::string failure, std::string detail) {
  if (failed_) return;
  failed_ = true;
  result_.outcome = SimOutcome::kFail;
  result_.failure = std::move(failure);
  result_.detail = std::move(detail);
  result_.failed_at_step = result_.stats.steps;
  result_.failed_at_ms = now_us_ / kUsPerMs;
}

void Simulation::Trace(const std::string& line) {
  const uint64_t ms = now_us_ / kUsPerMs;
  const uint64_t frac = now_us_ % kUsPerMs;
  std::string t = std::to_string(frac);
  t = std::string(3 - t.size(), '0') + t;
  trace_.push_back("t=" + std::to_string(ms) + "." + t + "ms step " +
                   std::to_string(result_.stats.steps) + ": " + line);
  while (trace_.size() > options_.trace_lines) trace_.pop_front();
}

bool Simulation::CheckStep() {
  if (!options_.check_invariants) {
    for (Node& n : nodes_) {
      n.appended.clear();
      n.applied.clear();
      n.snapshots.clear();
    }
    return true;
  }
  observations_.clear();
  for (const Node& n : nodes_) {
    raft::NodeObservation o;
    if (n.up) {
      o = raft::ObserveNode(*n.raft, n.incarnation);
      o.appended = n.appended;
      o.applied = n.applied;
      o.snapshots = n.snapshots;
    } else {
      o.id = n.id;
      o.up = false;
    }
    observations_.push_back(o);
  }
  std::vector<raft::Violation> v = invariants_.Check(observations_);
  if (v.empty() && options_.full_check_every > 0 &&
      result_.stats.steps % static_cast<uint64_t>(options_.full_check_every) == 0) {
    v = invariants_.CheckFull(observations_);
  }
  for (Node& n : nodes_) {
    n.appended.clear();
    n.applied.clear();
    n.snapshots.clear();
  }
  if (v.empty()) return true;
  std::string detail = v.front().ToString();
  for (size_t k = 1; k < v.size() && k < 4; ++k) detail += "\n  also " + v[k].ToString();
  Fail("invariant", detail);
  return false;
}

void Simulation::Process(const Event& ev) {
  switch (ev.kind) {
    case EventKind::kDeliver:
      Deliver(ev.node, ev.payload);
      break;
    case EventKind::kTick: {
      Node& n = nodes_[ev.node];
      if (n.up) {
        n.raft->Tick();
        HandleReady(ev.node);
      }
      Schedule(now_us_ + faults_.tick_ms * kUsPerMs, EventKind::kTick, ev.node, 0, 0);
      break;
    }
    case EventKind::kClientStart:
      ClientStart(ev.client);
      break;
    case EventKind::kClientTimeout: {
      ClientOp& op = ops_[ev.payload];
      Client& client = clients_[op.client];
      if (!op.done && client.busy && client.op_id == op.id) {
        Complete(op, EventType::kInfo, nullptr, "timeout");
      }
      break;
    }
    case EventKind::kRequest:
      if (options_.trace_lines > 0) {
        const ClientOp& op = ops_[ev.payload];
        Trace("request " + std::string(FName(op.f)) + " k" + std::to_string(op.key) +
              " from process " + std::to_string(op.process) + " at " +
              NodeName(nodes_[ev.node].id));
      }
      HandleRequest(ev.node, ev.payload);
      break;
    case EventKind::kReply: {
      const Reply r = replies_.Take(ev.payload);
      if (options_.trace_lines > 0) {
        Trace("reply to process " + std::to_string(ops_[r.op_id].process) + " from " +
              NodeName(r.node) + ": " + (r.ok ? "ok" : "fail " + r.error));
      }
      ClientReply(r);
      break;
    }
    case EventKind::kNemesis:
      NemesisStep();
      break;
    case EventKind::kFlush:
      nodes_[ev.node].storage.Flush();
      Schedule(now_us_ + faults_.flush_interval_ms * kUsPerMs, EventKind::kFlush, ev.node, 0, 0);
      break;
  }
}

SimResult Simulation::Run() {
  const auto wall_start = std::chrono::steady_clock::now();
  base::SetCheckContext("reproduce: " + ReproduceLine(options_));
  const size_t n = static_cast<size_t>(options_.nodes);
  nodes_.resize(n);
  cut_.assign(n, std::vector<bool>(n, false));
  for (size_t i = 0; i < n; ++i) nodes_[i].id = static_cast<NodeId>(i + 1);
  for (size_t i = 0; i < n; ++i) {
    nodes_[i].clock_skew_ms = rng_.Uniform(50);
    Boot(static_cast<int>(i));
    // Nodes tick out of phase, as real processes would.
    Schedule(rng_.Uniform(faults_.tick_ms * kUsPerMs), EventKind::kTick, static_cast<int>(i), 0, 0);
    if (options_.unsafe_no_fsync) {
      Schedule(rng_.Uniform(faults_.flush_interval_ms * kUsPerMs) + 1, EventKind::kFlush,
               static_cast<int>(i), 0, 0);
    }
  }
  clients_.resize(static_cast<size_t>(options_.clients));
  for (int c = 0; c < options_.clients; ++c) {
    clients_[c].process = c;
    Schedule(rng_.Uniform(faults_.think_max_ms * kUsPerMs + 1), EventKind::kClientStart, 0, c, 0);
  }
  if (faults_.partitions || faults_.crashes) {
    Schedule(rng_.Range(faults_.quiet_min_ms, faults_.quiet_max_ms) * kUsPerMs, EventKind::kNemesis,
             0, 0, 0);
  }
  ops_.reserve(static_cast<size_t>(options_.ops) + 64);

  const uint64_t safety_deadline_us = options_.max_sim_time_ms * kUsPerMs;
  while (!failed_ && !queue_.empty()) {
    const Event ev = queue_.top();
    queue_.pop();
    now_us_ = ev.at_us;
    Process(ev);
    ++result_.stats.steps;
    if (failed_ || !CheckStep()) break;
    if (result_.stats.steps >= options_.max_steps) {
      Fail("liveness",
           "step limit of " + std::to_string(options_.max_steps) + " reached (a message storm?)");
      break;
    }
    if (!healed_) {
      bool idle = ops_invoked_ >= static_cast<uint64_t>(options_.ops);
      for (const Client& c : clients_) idle = idle && !c.busy;
      if (options_.scenario == "figure8") idle = Figure8Step();
      if (failed_) break;
      if (idle || now_us_ >= safety_deadline_us) Heal();
      continue;
    }
    if (!final_reads_started_ && Converged()) StartFinalReads();
    if (final_reads_started_ && final_keys_done_ == options_.keys) break;
    if (now_us_ >= liveness_deadline_us_) {
      std::string why =
          final_reads_started_
              ? std::to_string(options_.keys - final_keys_done_) + " final reads still unanswered"
              : "the cluster did not converge (leader elected, all nodes applied "
                "everything)";
      const NodeId leader = CurrentLeader();
      why += "; leader: " + (leader == raft::kNoNode ? std::string("none") : NodeName(leader));
      for (const Node& node : nodes_) {
        const raft::Raft& r = *node.raft;
        why += "; " + NodeName(node.id) + " " + raft::RoleName(r.role()) + " term " +
               std::to_string(r.term()) + " commit " + std::to_string(r.commit_index()) +
               " applied " + std::to_string(r.applied_index()) + " last " +
               std::to_string(r.log().last_index());
      }
      Fail("liveness",
           "within " + std::to_string(options_.liveness_timeout_ms) + " ms of healing: " + why);
    }
  }
  if (!failed_ && options_.check_invariants) {
    observations_.clear();
    for (const Node& node : nodes_) {
      observations_.push_back(raft::ObserveNode(*node.raft, node.incarnation));
    }
    std::vector<raft::Violation> v = invariants_.CheckFull(observations_);
    if (!v.empty()) Fail("invariant", v.front().ToString());
  }
  result_.stats.sim_time_ms = now_us_ / kUsPerMs;
  result_.stats.leaders_elected = leader_terms_.size();
  result_.trace.assign(trace_.begin(), trace_.end());
  result_.scenario_outcome = f8_.outcome;
  const auto wall_run = std::chrono::steady_clock::now();
  result_.stats.run_ms = std::chrono::duration<double, std::milli>(wall_run - wall_start).count();

  if (!failed_ && options_.check_history) {
    checker::CheckOptions co;
    co.model = "cas-register";
    co.initial = Value::Null();
    co.timeout_s = options_.check_timeout_s;
    co.threads = 1;  // one core per seed; a sweep parallelizes across seeds
    base::Result<checker::CheckResult> check = checker::CheckHistory(result_.history, co);
    result_.stats.check_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_run)
            .count();
    if (!check.ok()) {
      Fail("checker-error", check.status().message());
    } else {
      result_.check = std::move(check.value());
      if (result_.check->verdict == checker::Verdict::kInvalid) {
        Fail("history", "not linearizable: " + result_.check->cause);
      } else if (result_.check->verdict == checker::Verdict::kUnknown) {
        result_.outcome = SimOutcome::kUnknown;
        result_.failure = "checker-unknown";
        result_.detail = result_.check->cause;
      }
    }
  }
  base::SetCheckContext("");
  return std::move(result_);
}

std::string JsonString(const std::string& s) { return Value::String(s).ToJson(); }

}  // namespace

// ---------------------------------------------------------------------------------------------

const char* SimOutcomeName(SimOutcome outcome) {
  switch (outcome) {
    case SimOutcome::kPass:
      return "pass";
    case SimOutcome::kFail:
      return "fail";
    case SimOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

FaultSettings DrawFaultSettings(const SimOptions& options) {
  // A generator of its own: the settings do not depend on how the run consumes randomness.
  base::Rng rng(base::MixSeed(options.seed, 0xfa017));
  FaultSettings f;
  auto pick = [&rng](std::initializer_list<uint64_t> choices) {
    return *(choices.begin() + rng.Uniform(choices.size()));
  };
  f.drop_ppm = pick({0, 10000, 50000, 100000});
  f.duplicate_ppm = pick({0, 10000, 50000});
  f.reorder_ppm = pick({0, 20000, 100000});
  f.delay_min_us = pick({100, 500});
  f.delay_max_us = f.delay_min_us + pick({1000, 3000, 10000});
  f.reorder_delay_max_us = pick({20000, 60000});
  const uint64_t mix = rng.Uniform(4);  // partitions and crashes, or one of them
  f.partitions = mix != 2;
  f.crashes = mix != 1;
  f.quiet_min_ms = pick({20, 100});
  f.quiet_max_ms = f.quiet_min_ms + pick({200, 1000});
  f.fault_min_ms = pick({50, 200});
  f.fault_max_ms = f.fault_min_ms + pick({300, 1500});
  f.max_entries_per_msg = pick({1, 4, 64});
  f.max_inflight_msgs = pick({1, 4, 32});
  f.snapshot_every = pick({16, 64, 256});
  f.snapshot_retain = pick({0, 0, 8});
  f.client_timeout_ms = pick({300, 1000});
  f.think_max_ms = pick({2, 20, 50});
  f.flush_interval_ms = options.unsafe_no_fsync ? pick({100, 300}) : 0;
  if (options.scenario == "figure8") {
    // Figure 8 needs the old entry and the new leader's own entry in separate messages.
    f.max_entries_per_msg = 1;
    f.max_inflight_msgs = 1;
    f.snapshot_every = 1u << 30;
    f.client_timeout_ms = 1000;
  }
  if (!options.faults || !options.scenario.empty()) {
    f.drop_ppm = f.duplicate_ppm = f.reorder_ppm = 0;
    f.partitions = f.crashes = false;
  }
  return f;
}

std::string FaultSettings::Describe() const {
  std::string s;
  auto add = [&s](const std::string& k, uint64_t v) {
    if (!s.empty()) s += ' ';
    s += k + "=" + std::to_string(v);
  };
  add("drop_ppm", drop_ppm);
  add("duplicate_ppm", duplicate_ppm);
  add("reorder_ppm", reorder_ppm);
  add("delay_us", delay_min_us);
  s += ".." + std::to_string(delay_max_us);
  add("reorder_delay_max_us", reorder_delay_max_us);
  add("partitions", partitions);
  add("crashes", crashes);
  add("quiet_ms", quiet_min_ms);
  s += ".." + std::to_string(quiet_max_ms);
  add("fault_ms", fault_min_ms);
  s += ".." + std::to_string(fault_max_ms);
  add("tick_ms", tick_ms);
  add("election_tick", static_cast<uint64_t>(election_tick));
  add("heartbeat_tick", static_cast<uint64_t>(heartbeat_tick));
  add("max_entries_per_msg", max_entries_per_msg);
  add("max_inflight_msgs", max_inflight_msgs);
  add("snapshot_every", snapshot_every);
  add("snapshot_retain", snapshot_retain);
  add("client_timeout_ms", client_timeout_ms);
  add("think_max_ms", think_max_ms);
  if (flush_interval_ms > 0) add("flush_interval_ms", flush_interval_ms);
  return s;
}

SimResult RunSim(const SimOptions& options) {
  FAULTLINE_CHECK(options.nodes >= 1 && options.nodes <= 9, "nodes must be 1..9");
  FAULTLINE_CHECK(options.clients >= 1 && options.keys >= 1 && options.ops >= 0,
                       "clients and keys must be positive");
  FAULTLINE_CHECK(
      options.scenario.empty() || (options.scenario == "figure8" && options.nodes == 5),
      "unknown scenario (\"figure8\" needs 5 nodes): " + options.scenario);
  Simulation sim(options);
  return sim.Run();
}

std::string HistoryToJsonl(const checker::History& history) {
  std::string out;
  out.reserve(history.events.size() * 96);
  for (const checker::Event& e : history.events) {
    out += "{\"index\":" + std::to_string(e.index) + ",\"time\":" + std::to_string(e.time) +
           ",\"process\":" + (e.nemesis ? std::string("\"nemesis\"") : std::to_string(e.process)) +
           ",\"type\":\"" + checker::EventTypeName(e.type) + "\",\"f\":" + JsonString(e.f);
    if (e.has_key) out += ",\"key\":" + e.key.ToJson();
    if (!e.value.is_null() || e.type != EventType::kInvoke) out += ",\"value\":" + e.value.ToJson();
    if (!e.error.empty()) out += ",\"error\":" + JsonString(e.error);
    out += "}\n";
  }
  return out;
}

std::string ReproduceLine(const SimOptions& o) {
  std::string line = "faultline sim --seed " + std::to_string(o.seed) + " --nodes " +
                     std::to_string(o.nodes) + " --ops " + std::to_string(o.ops) + " --clients " +
                     std::to_string(o.clients) + " --keys " + std::to_string(o.keys);
  if (o.unsafe_stale_reads) line += " --raft-opt unsafe-stale-reads";
  if (o.unsafe_no_fsync) line += " --raft-opt unsafe-no-fsync";
  if (o.unsafe_commit_old_terms) line += " --raft-opt unsafe-commit-old-terms";
  if (!o.faults) line += " --no-faults";
  if (!o.check_invariants) line += " --no-invariants";
  if (!o.scenario.empty()) line += " --scenario " + o.scenario;
  return line;
}

std::string DescribeResult(const SimResult& r) {
  const SimOptions& o = r.options;
  std::string s = "sim seed " + std::to_string(r.seed) + ": " + SimOutcomeName(r.outcome);
  if (!r.failure.empty()) s += " (" + r.failure + ")";
  s += "\n";
  s += "  reproduce: " + ReproduceLine(o) + "\n";
  s += "  settings: " + r.faults.Describe() + "\n";
  if (!r.scenario_outcome.empty())
    s += "  scenario " + o.scenario + ": " + r.scenario_outcome + "\n";
  if (r.outcome != SimOutcome::kPass) {
    if (r.failure == "history" || r.failure == "checker-error" || r.failure == "checker-unknown") {
      s += "  " + r.failure + " (the whole history, " + std::to_string(r.history.events.size()) +
           " events): " + r.detail + "\n";
    } else {
      s += "  " + r.failure + " at step " + std::to_string(r.failed_at_step) +
           " (t=" + std::to_string(r.failed_at_ms) + " ms): " + r.detail + "\n";
    }
  }

  if (r.check && r.check->verdict == checker::Verdict::kInvalid) {
    for (const checker::KeyResult& k : r.check->keys) {
      if (k.verdict != checker::Verdict::kInvalid || !k.counterexample) continue;
      const checker::Counterexample& c = *k.counterexample;
      s += "  key " + k.key.ToJson() + ": cannot linearize process " +
           std::to_string(c.op.process) + " " + c.op.text + " (history index " +
           std::to_string(c.op.index()) + "): " + c.reason + "\n";
      for (const std::string& state : c.states)
        s += "    possible state before it: " + state + "\n";
      size_t shown = 0;
      for (const checker::OpRef& op : c.concurrent) {
        if (++shown > 8) {
          s += "    ...\n";
          break;
        }
        s += "    concurrent: process " + std::to_string(op.process) + " " + op.text + "\n";
      }
    }
  }
  const SimStats& st = r.stats;
  s += "  stats: steps=" + std::to_string(st.steps) + " sim_ms=" + std::to_string(st.sim_time_ms) +
       " msgs=" + std::to_string(st.messages_sent) +
       " dropped=" + std::to_string(st.messages_dropped) +
       " duplicated=" + std::to_string(st.messages_duplicated) +
       " leaders=" + std::to_string(st.leaders_elected) + " crashes=" + std::to_string(st.crashes) +
       " partitions=" + std::to_string(st.partitions) +
       " snapshots=" + std::to_string(st.snapshots_taken) + "/" +
       std::to_string(st.snapshots_installed) + " installed ops=" + std::to_string(st.ops_invoked) +
       " ok=" + std::to_string(st.ops_ok) + " fail=" + std::to_string(st.ops_fail) +
       " info=" + std::to_string(st.ops_info) + " commit=" + std::to_string(st.max_commit_index) +
       "\n";
  if (!r.trace.empty()) {
    s += "  last " + std::to_string(r.trace.size()) + " steps:\n";
    for (const std::string& line : r.trace) s += "    " + line + "\n";
  }
  return s;
}

}  // namespace faultline::harness::sim
