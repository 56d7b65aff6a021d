// Lock clients: the harness's lock workload (workloads/lock.cc) in simulated time. Each cycles
//   acquire  lock "l0" for a lease of lease_ms (judged by the proposing leader's clock) -> token;
//   write    its token to the guarded resource "r0", which keeps {"token": t} of the last
//            accepted writer and turns a lower token away: read it; a higher token there fails
//            the write ("stale-token"); else cas(old, {"token": mine}), again after a definite
//            failure, up to kCasAttemptsMax reads;
//   release  the lock with its token.
// About one holder in five sleeps 1.5 leases before its write (a GC pause): its lease runs out,
// another client takes the lock with a higher token, and the sleeper's write must be refused.
// All lock clients share one lock, so it stays contended.
//
// Next step: acquire ok -> write; acquire fail/info -> acquire again; after the write, whatever
// its outcome -> release; after the release -> acquire. Judged by the fencing checker and the
// fencing-lock model (history_check.cc).
#include <string>
#include <utility>

#include "targets/raft/kv/command.h"
#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::EventType;
using checker::Value;

namespace {

constexpr uint64_t kPauseOneIn = 5;
constexpr int kLock = 0;

replica::ClientRequest LockCommand(kv::Op op, std::string owner, uint64_t ttl_ms, uint64_t token) {
  replica::ClientRequest req;
  req.kind = replica::ClientRequest::Kind::kCommand;
  req.command.op = op;
  req.command.key = "l" + std::to_string(kLock);
  req.command.owner = std::move(owner);
  req.command.ttl_ms = ttl_ms;
  req.command.token = token;
  return req;
}

std::string ResourceKey() { return "r" + std::to_string(kLock); }

}  // namespace

void Simulation::StartLockOp(int c) {
  Client& client = clients_[c];
  if (healed_ || ops_invoked_ >= static_cast<uint64_t>(options_.ops) ||
      !options_.scenario.empty()) {
    return;  // lock clients take no part in the liveness phase
  }
  ++ops_invoked_;
  switch (client.phase) {
    case LockPhase::kAcquire: {
      client.owner = "c" + std::to_string(c) + "-" + std::to_string(client.acquires++);
      client.pause = rng_.Uniform(kPauseOneIn) == 0;
      Invoke(c, F::kAcquire, kLock, Value::Null(), false);
      SendRequest(c, LockCommand(kv::Op::kAcquire, client.owner, options_.lease_ms, 0));
      return;
    }
    case LockPhase::kWrite:
      Invoke(c, F::kGuardedWrite, kLock, Value::Int(static_cast<int64_t>(client.token)), false);
      client.attempts = 0;
      client.last_error = "no-attempt";
      GuardedWriteRead(c);
      return;
    case LockPhase::kRelease:
      Invoke(c, F::kRelease, kLock, Value::Int(static_cast<int64_t>(client.token)), false);
      SendRequest(c, LockCommand(kv::Op::kRelease, client.owner, 0, client.token));
      return;
  }
}

void Simulation::GuardedWriteRead(int c) {
  Client& client = clients_[c];
  ClientOp& op = ops_[client.op_id];
  if (client.attempts >= kCasAttemptsMax) {
    client.phase = LockPhase::kRelease;
    Complete(op, EventType::kFail, op.value, "retries-exhausted: " + client.last_error);
    return;
  }
  ++client.attempts;
  client.cas_sent = false;
  replica::ClientRequest req;
  req.kind = replica::ClientRequest::Kind::kRead;
  req.key = ResourceKey();
  SendRequest(c, std::move(req));
}

void Simulation::OnLockReply(Client& client, ClientOp& op, const Reply& r) {
  const replica::ClientReply& reply = r.reply;
  const int c = op.client;
  const bool ok = reply.code == replica::ReplyCode::kOk;
  const bool unknown = reply.code == replica::ReplyCode::kUnknown;
  const std::string error = ok ? "" : unknown ? "unknown" : replica::ReplyCodeName(reply.code);
  switch (op.f) {
    case F::kAcquire:
      if (ok) {
        client.token = reply.token;
        client.phase = LockPhase::kWrite;
        ++result_.stats.lock_acquired;
        Complete(op, EventType::kOk, Value::Int(static_cast<int64_t>(reply.token)), "");
      } else {
        Complete(op, unknown ? EventType::kInfo : EventType::kFail, op.value, error);
      }
      return;
    case F::kRelease:
      client.phase = LockPhase::kAcquire;
      Complete(op,
               ok        ? EventType::kOk
               : unknown ? EventType::kInfo
                         : EventType::kFail,
               op.value, error);
      return;
    case F::kGuardedWrite:
      break;
    default:
      return;
  }
  if (client.cas_sent) {
    if (ok || unknown) {
      // An indeterminate cas may have been applied; retrying could not tell.
      client.phase = LockPhase::kRelease;
      if (ok) ++result_.stats.lock_writes_ok;
      Complete(op, ok ? EventType::kOk : EventType::kInfo, op.value, error);
    } else {
      client.last_error = error;  // a mismatch or a refusal: read again
      GuardedWriteRead(c);
    }
    return;
  }
  if (!ok) {
    client.last_error = error;  // a read changes nothing: read again
    GuardedWriteRead(c);
    return;
  }
  // The resource's current value: absent, or {"token": t}.
  std::string current = reply.value.value_or("null");
  uint64_t stored = 0;
  if (const size_t colon = current.find(':'); colon != std::string::npos) {
    stored = std::stoull(current.substr(colon + 1));
  }
  if (stored > client.token) {
    client.phase = LockPhase::kRelease;
    ++result_.stats.lock_writes_stale;
    Complete(op, EventType::kFail, op.value, "stale-token");
    return;
  }
  replica::ClientRequest req;
  req.kind = replica::ClientRequest::Kind::kCommand;
  req.command.op = kv::Op::kCas;
  req.command.key = ResourceKey();
  req.command.from = std::move(current);
  req.command.to = "{\"token\":" + std::to_string(client.token) + "}";
  client.cas_sent = true;
  SendRequest(c, std::move(req));
}

}  // namespace faultline::raft::sim
