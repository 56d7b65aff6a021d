// The clients, their requests to the replicas and the replies, and the history they make.
// Register clients invoke read / write / cas on independent keys "k0".."k{keys-1}"; lock clients
// are in lock_clients.cc. Each client has at most one operation outstanding (Jepsen's process).
#include <string>
#include <utility>

#include "base/check.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::EventType;
using checker::Value;

const char* FName(F f) {
  switch (f) {
    case F::kRead:
      return "read";
    case F::kWrite:
    case F::kGuardedWrite:
      return "write";
    case F::kCas:
      return "cas";
    case F::kAcquire:
      return "acquire";
    case F::kRelease:
      return "release";
  }
  return "?";
}

Value Simulation::HistoryKey(const ClientOp& op) const {
  switch (op.f) {
    case F::kAcquire:
    case F::kRelease:
      return Value::String("l" + std::to_string(op.key));
    case F::kGuardedWrite:
      return Value::String("r" + std::to_string(op.key));
    default:
      return Value::String("k" + std::to_string(op.key));
  }
}

void Simulation::Record(int64_t process, bool nemesis, EventType type, const std::string& f,
                        std::optional<Value> key, Value value, std::string error) {
  checker::Event e;
  e.index = static_cast<int64_t>(result_.history.events.size());
  e.time = static_cast<int64_t>(queue_.now_us() * 1000);
  e.process = process;
  e.nemesis = nemesis;
  e.type = type;
  e.f = f;
  if (key) {
    e.has_key = true;
    e.key = std::move(*key);
  }
  e.value = std::move(value);
  e.error = std::move(error);
  e.line = e.index + 1;
  result_.history.events.push_back(std::move(e));
}

void Simulation::RecordNemesis(const std::string& f, Value value) {
  Record(0, true, EventType::kInfo, f, std::nullopt, std::move(value), "");
}

void Simulation::ClientStart(int c) {
  Client& client = clients_[c];
  if (client.busy || failed_) return;
  if (client.lock) {
    StartLockOp(c);
  } else {
    StartRegisterOp(c);
  }
}

ClientOp& Simulation::Invoke(int c, F f, int key, Value value, bool final_read) {
  Client& client = clients_[c];
  ClientOp op;
  op.id = ops_.size();
  op.client = c;
  op.process = client.process;
  op.f = f;
  op.key = key;
  op.value = std::move(value);
  op.final_read = final_read;
  ++result_.stats.ops_invoked;
  Record(op.process, false, EventType::kInvoke, FName(f), HistoryKey(op), op.value, "");
  client.busy = true;
  client.op_id = op.id;
  queue_.After(faults_.client_timeout_ms * kUsPerMs, EventKind::kClientTimeout, 0, c, op.id);
  ops_.push_back(std::move(op));
  return ops_.back();
}

void Simulation::StartRegisterOp(int c) {
  int key = 0;
  F f = F::kRead;
  Value value;
  replica::ClientRequest req;
  if (!healed_) {
    if (ops_invoked_ >= static_cast<uint64_t>(options_.ops) || !options_.scenario.empty()) {
      return;  // done (or scripted): idle
    }
    ++ops_invoked_;
    key = static_cast<int>(rng_.Uniform(options_.keys));
    const uint64_t roll = rng_.Uniform(100);
    f = roll < 40 ? F::kRead : roll < 70 ? F::kWrite : F::kCas;
    const auto v = static_cast<int64_t>(rng_.Uniform(5));
    const auto from = static_cast<int64_t>(rng_.Uniform(5));
    const auto to = static_cast<int64_t>(rng_.Uniform(5));
    if (f == F::kWrite) value = Value::Int(v);
    if (f == F::kCas) value = Value::MakeArray({Value::Int(from), Value::Int(to)});
  } else {
    // Liveness phase: a final read of every key, retried until it succeeds.
    if (!final_reads_started_ || final_keys_todo_.empty()) return;
    key = final_keys_todo_.front();
    final_keys_todo_.pop_front();
  }
  const std::string wire_key = "k" + std::to_string(key);
  if (f == F::kRead) {
    req.kind = replica::ClientRequest::Kind::kRead;
    req.key = wire_key;
  } else {
    req.kind = replica::ClientRequest::Kind::kCommand;
    req.command.key = wire_key;
    if (f == F::kWrite) {
      req.command.op = kv::Op::kPut;
      req.command.value = value.ToJson();
    } else {
      req.command.op = kv::Op::kCas;
      req.command.from = value.as_array()[0].ToJson();
      req.command.to = value.as_array()[1].ToJson();
    }
  }
  Invoke(c, f, key, std::move(value), healed_);
  SendRequest(c, std::move(req));
}

// Sends to the leader the client heard of last; otherwise (and now and then anyway) to a random
// node.
void Simulation::SendRequest(int c, replica::ClientRequest request) {
  Client& client = clients_[c];
  NodeId target = client.leader_hint;
  if (target == kNoNode || rng_.Chance(100000)) {
    target = static_cast<NodeId>(rng_.Uniform(nodes_.size()) + 1);
  }
  client.request_id = next_request_id_++;
  const uint64_t slot = requests_.Put(Request{client.request_id, c, std::move(request)});
  queue_.After(rng_.Range(kClientDelayMinUs, kClientDelayMaxUs), EventKind::kRequest,
               static_cast<int>(Index(target)), c, slot);
}

void Simulation::HandleRequest(int i, uint64_t slot) {
  Request req = requests_.Take(slot);
  SimNode& n = node(i);
  if (tracing()) {
    Trace("request " +
          std::string(req.request.kind == replica::ClientRequest::Kind::kRead
                          ? "read"
                          : kv::OpName(req.request.command.op)) +
          " from client " + std::to_string(req.client) + " at " + NodeName(n.id));
  }
  if (!n.up()) return;  // lost with the node: the client times out
  const NodeId id = n.id;
  const int c = req.client;
  const uint64_t request_id = req.id;
  // The answer travels back over the client link; it may arrive after the client gave up.
  n.replica->Submit(std::move(req.request), [this, id, c, request_id](replica::ClientReply r) {
    const uint64_t reply_slot = replies_.Put(Reply{request_id, c, id, std::move(r)});
    queue_.After(rng_.Range(kClientDelayMinUs, kClientDelayMaxUs), EventKind::kReply, 0, c,
                 reply_slot);
  });
  HandleReady(i);
}

void Simulation::OnReply(const Reply& r) {
  Client& client = clients_[r.client];
  if (tracing()) {
    Trace("reply to client " + std::to_string(r.client) + " from " + NodeName(r.node) + ": " +
          replica::ReplyCodeName(r.reply.code));
  }
  if (!client.busy || client.request_id != r.request_id) return;  // after the timeout
  ClientOp& op = ops_[client.op_id];
  if (op.done) return;
  switch (r.reply.code) {
    case replica::ReplyCode::kOk:
    case replica::ReplyCode::kMismatch:
    case replica::ReplyCode::kHeld:
    case replica::ReplyCode::kNotHeld:
      client.leader_hint = r.node;  // answered by the leader, after applying
      break;
    default:
      client.leader_hint = r.reply.leader;
      break;
  }
  if (client.lock) {
    OnLockReply(client, op, r);
  } else {
    OnRegisterReply(client, op, r);
  }
}

void Simulation::OnRegisterReply(Client&, ClientOp& op, const Reply& r) {
  const replica::ClientReply& reply = r.reply;
  switch (reply.code) {
    case replica::ReplyCode::kOk: {
      Value value = op.value;
      if (op.f == F::kRead) {
        value = reply.value ? Value::Int(std::stoll(*reply.value)) : Value::Null();
      }
      Complete(op, EventType::kOk, std::move(value), "");
      return;
    }
    case replica::ReplyCode::kUnknown:
      // The replica cannot know the fate of the proposal (displaced, covered by a snapshot,
      // expired): indeterminate, as the server's 500 "unknown outcome" is.
      Complete(op, EventType::kInfo, op.value, "unknown");
      return;
    default:
      // Everything else certainly did not take effect (not-leader before proposing, a compare
      // that did not match, another entry committed at our index, ...).
      Complete(op, EventType::kFail, op.value, replica::ReplyCodeName(reply.code));
      return;
  }
}

void Simulation::OnClientTimeout(uint64_t op_id) {
  ClientOp& op = ops_[op_id];
  Client& client = clients_[op.client];
  if (op.done || !client.busy || client.op_id != op.id) return;
  if (client.lock && op.f == F::kGuardedWrite) client.phase = LockPhase::kRelease;
  if (client.lock && op.f == F::kRelease) client.phase = LockPhase::kAcquire;
  Complete(op, EventType::kInfo, op.value, "timeout");
}

void Simulation::Complete(ClientOp& op, EventType type, Value value, std::string error) {
  Client& client = clients_[op.client];
  op.done = true;
  client.busy = false;
  client.request_id = 0;
  Record(op.process, false, type, FName(op.f), HistoryKey(op), std::move(value), error);
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
    client.process += total_clients();
    client.leader_hint = kNoNode;
  }
  if (op.final_read) {
    if (type == EventType::kOk) {
      ++final_keys_done_;
    } else {
      final_keys_todo_.push_back(op.key);
    }
  }
  uint64_t think = rng_.Uniform(faults_.think_max_ms * kUsPerMs + 1);
  if (type == EventType::kFail && client.leader_hint == kNoNode) {
    // No leader known (an election is on): back off for up to an election timeout instead of
    // spending the run's operations on certain failures.
    think +=
        rng_.Uniform(faults_.tick_ms * static_cast<uint64_t>(faults_.election_tick) * kUsPerMs);
  }
  if (client.lock && client.phase == LockPhase::kWrite && client.pause) {
    // A GC pause of 1.5 leases before the write's invoke (not inside it: see workloads/lock.cc).
    think += options_.lease_ms * kUsPerMs * 3 / 2;
  }
  queue_.After(think, EventKind::kClientStart, 0, op.client, 0);
}

void Simulation::StartFinalReads() {
  final_reads_started_ = true;
  for (int k = 0; k < options_.keys; ++k) final_keys_todo_.push_back(k);
  for (int c = 0; c < options_.clients; ++c) ClientStart(c);
}

}  // namespace faultline::raft::sim
