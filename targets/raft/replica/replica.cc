#include "targets/raft/replica/replica.h"

#include <algorithm>
#include <utility>

namespace faultline::raft::replica {
namespace {

ReplyCode FromRequestError(RequestError e) {
  switch (e) {
    case RequestError::kOk:
      return ReplyCode::kOk;
    case RequestError::kNotLeader:
      return ReplyCode::kNotLeader;
    case RequestError::kBusy:
      return ReplyCode::kBusy;
    case RequestError::kStopped:
      return ReplyCode::kStopped;
  }
  return ReplyCode::kStopped;
}

ReplyCode FromOutcome(kv::Outcome o) {
  switch (o) {
    case kv::Outcome::kOk:
      return ReplyCode::kOk;
    case kv::Outcome::kMismatch:
      return ReplyCode::kMismatch;
    case kv::Outcome::kHeld:
      return ReplyCode::kHeld;
    case kv::Outcome::kNotHeld:
      return ReplyCode::kNotHeld;
    case kv::Outcome::kInvalid:
      return ReplyCode::kInvalid;
  }
  return ReplyCode::kInvalid;
}

void Answer(const Replica::ReplyFn& reply, ReplyCode code, NodeId leader = kNoNode) {
  ClientReply r;
  r.code = code;
  r.leader = leader;
  reply(std::move(r));
}

}  // namespace

const char* ReplyCodeName(ReplyCode code) {
  switch (code) {
    case ReplyCode::kOk:
      return "ok";
    case ReplyCode::kNotLeader:
      return "not-leader";
    case ReplyCode::kBusy:
      return "busy";
    case ReplyCode::kStopped:
      return "stopped";
    case ReplyCode::kMismatch:
      return "mismatch";
    case ReplyCode::kHeld:
      return "held";
    case ReplyCode::kNotHeld:
      return "not-held";
    case ReplyCode::kInvalid:
      return "invalid";
    case ReplyCode::kSuperseded:
      return "superseded";
    case ReplyCode::kUnknown:
      return "unknown";
  }
  return "?";
}

Replica::Replica(const Options& options, Clock* clock, SendFn send, Observer* observer)
    : options_(options), clock_(clock), send_(std::move(send)), observer_(observer) {}

base::Result<std::unique_ptr<Replica>> Replica::Open(const Options& options, storage::Env* env,
                                                     Clock* clock, SendFn send,
                                                     Observer* observer) {
  std::unique_ptr<Replica> r(new Replica(options, clock, std::move(send), observer));
  storage::Options so;
  so.buffered = options.unsafe_no_fsync;
  auto opened = storage::DiskStorage::Open(env, options.data_dir, so);
  if (!opened.ok()) {
    return base::Status::IoError("cannot open data dir " + options.data_dir + ": " +
                                 opened.status().ToString());
  }
  r->storage_ = std::move(opened).value();
  const StorageView& view = r->storage_->recovered();

  Config config;
  config.id = options.id;
  config.voters = options.voters;
  config.election_tick = options.election_tick;
  config.heartbeat_tick = options.heartbeat_tick;
  config.seed = options.seed;
  config.max_entries_per_msg = options.max_entries_per_msg;
  config.max_inflight_msgs = options.max_inflight_msgs;
  config.unsafe_commit_old_terms = options.unsafe_commit_old_terms;
  // A buffered WAL loses acknowledged writes on a crash; the core must then favour liveness
  // over its fail-stop guards (see Config::tolerate_lost_writes).
  config.tolerate_lost_writes = options.unsafe_no_fsync;
  if (std::string why = Raft::Validate(config, view); !why.empty()) {
    return base::Status::InvalidArgument("cannot start Raft: " + why);
  }
  if (!view.snapshot.empty() && !r->kv_.Restore(*view.snapshot.data)) {
    return base::Status::Corruption("the recovered snapshot is not a state machine snapshot");
  }
  r->raft_ = std::make_unique<Raft>(config, view);
  r->persisted_term_ = view.hard_state.term;
  r->persisted_voted_for_ = view.hard_state.voted_for;
  return r;
}

void Replica::Step(const Message& message) {
  if (stopped()) return;
  raft_->Step(message);
}

void Replica::Tick() {
  if (stopped()) return;
  raft_->Tick();
  ExpireWrites(clock_->NowMs());
}

void Replica::Campaign() {
  if (stopped()) return;
  raft_->Campaign();
}

void Replica::Submit(ClientRequest req, ReplyFn reply) {
  if (stopped()) {
    Answer(reply, ReplyCode::kStopped);
    return;
  }
  if (req.kind == ClientRequest::Kind::kStatus) {
    reply(Status());
    return;
  }
  if (req.kind == ClientRequest::Kind::kRead && options_.unsafe_stale_reads) {
    ClientReply r;  // the bug: no ReadIndex, whatever this node's role
    r.value = kv_.Get(req.key);
    reply(std::move(r));
    return;
  }
  if (raft_->role() != Role::kLeader) {
    Answer(reply, ReplyCode::kNotLeader, raft_->leader());  // nothing proposed
    return;
  }
  if (req.kind == ClientRequest::Kind::kRead) {
    const uint64_t context = next_read_context_++;
    if (RequestError err = raft_->ReadIndex(context); err != RequestError::kOk) {
      Answer(reply, FromRequestError(err), raft_->leader());
      return;
    }
    reads_[context] = PendingRead{std::move(req.key), std::move(reply), false, 0};
    return;
  }
  const uint64_t now_ms = clock_->NowMs();
  req.command.time_ms = now_ms;
  const ProposeResult p = raft_->Propose(kv::Encode(req.command));
  if (p.error != RequestError::kOk) {
    Answer(reply, FromRequestError(p.error), raft_->leader());
    return;
  }
  if (auto it = writes_.find(p.index); it != writes_.end()) {
    // An earlier proposal at this index was truncated from our log, but a copy may survive on
    // another node and still commit under a later leader: its fate is unknown.
    Answer(it->second.reply, ReplyCode::kUnknown);
    writes_.erase(it);
  }
  writes_[p.index] =
      PendingWrite{p.term, std::move(reply), now_ms + options_.pending_write_limit_ms};
}

void Replica::HandleReady() {
  while (!stopped() && raft_->HasReady()) HandleOneReady(raft_->GetReady());
  if (fatal_.empty() && raft_ && !raft_->fatal_error().empty()) {
    SetFatal("the Raft core stopped: " + raft_->fatal_error());
  }
}

void Replica::HandleOneReady(Ready rd) {
  ++stats_.readies;
  const bool leader = raft_->role() == Role::kLeader;
  const bool hard_state_changes =
      rd.hard_state &&
      (rd.hard_state->term != persisted_term_ || rd.hard_state->voted_for != persisted_voted_for_);
  if (leader && hard_state_changes) ++stats_.leader_hard_state_changes;
  // Thesis §10.2.1: a leader may write new entries to its own disk in parallel with sending
  // them to followers, so the leader's fsync and the followers' overlap instead of adding up.
  // Safe because the core counts the leader's own copy towards commitment only once it is
  // stable (Advance after Save), and a follower acknowledges only what it has synced. It needs
  // the term and vote already durable (a leader's messages carry its term): they are, unless
  // this Ready changes them (then we keep the plain persist-then-send order). A leader that
  // crashes before its fsync merely loses an unacknowledged suffix that followers may hold;
  // Raft treats that like entries that reached only some followers.
  const bool send_first = (leader || options_.mutation_send_first_any_role) && !rd.snapshot &&
                          !rd.reset &&
                          (!hard_state_changes || options_.mutation_send_first_ignores_hard_state ||
                           (!leader && options_.mutation_send_first_any_role));
  if (send_first && !rd.messages.empty()) {
    ++stats_.sent_first;
    for (Message& m : rd.messages) send_(std::move(m));
    rd.messages.clear();
  }
  // 0. Only with --unsafe-no-fsync: our committed state diverged from the leader's log (lost
  //    writes); start over from an empty log and the initial state machine.
  if (rd.reset) {
    if (base::Status s = storage_->Reset(); !s.ok()) return SetFatal("reset: " + s.ToString());
    kv_ = kv::StateMachine();
  }
  // 1. Persist (synced when must_sync) before anything that depends on it leaves the node.
  if (rd.snapshot) {
    if (base::Status s = storage_->SaveSnapshot(*rd.snapshot, rd.snapshot->index + 1); !s.ok()) {
      return SetFatal("save snapshot: " + s.ToString());
    }
  }
  if (rd.hard_state || !rd.entries.empty()) {
    if (base::Status s = storage_->Save(rd.hard_state, rd.entries, rd.must_sync); !s.ok()) {
      return SetFatal("save: " + s.ToString());
    }
    if (rd.hard_state) {
      persisted_term_ = rd.hard_state->term;
      persisted_voted_for_ = rd.hard_state->voted_for;
    }
  }
  if (observer_ && !rd.entries.empty()) observer_->Persisted(rd.entries);
  if (rd.soft_state) {
    if (rd.soft_state->role != Role::kLeader) {
      FailReads(ReplyCode::kNotLeader);  // the core forgot them; a read has no effect to lose
    }
    if (observer_) observer_->RoleChanged(rd.soft_state->role, raft_->term());
  }
  // 2. Send.
  for (Message& m : rd.messages) send_(std::move(m));
  // 3. Apply.
  if (rd.snapshot) {
    if (!kv_.Restore(*rd.snapshot->data)) return SetFatal("corrupt snapshot received");
    ++stats_.snapshots_installed;
    if (observer_) {
      observer_->Snapshotted(rd.snapshot->index, rd.snapshot->term, *rd.snapshot->data, true);
    }
    // Requests proposed at covered indexes: their fate is inside the snapshot, unknown to us.
    const auto end = writes_.upper_bound(rd.snapshot->index);
    for (auto it = writes_.begin(); it != end; ++it) Answer(it->second.reply, ReplyCode::kUnknown);
    writes_.erase(writes_.begin(), end);
  }
  for (const Entry& e : rd.committed_entries) ApplyEntry(e);
  for (const ReadState& rs : rd.read_states) {
    auto it = reads_.find(rs.context);
    if (it == reads_.end()) continue;
    it->second.index_known = true;
    it->second.index = rs.index;
  }
  raft_->Advance();
  ServeReads();
  MaybeSnapshot();
}

void Replica::ApplyEntry(const Entry& e) {
  kv::Result res;
  if (e.type == EntryType::kNormal) res = kv_.Apply(e.data);
  if (observer_) observer_->Applied(e);
  auto it = writes_.find(e.index);
  if (it == writes_.end()) return;
  PendingWrite w = std::move(it->second);
  writes_.erase(it);
  ClientReply reply;
  if (w.term != e.term) {
    // Another entry is committed at our index: entries are unique by (index, term) and
    // committed entries never change, so ours will never be applied.
    reply.code = ReplyCode::kSuperseded;
  } else {
    reply.code = FromOutcome(res.outcome);
    reply.token = res.token;
  }
  w.reply(std::move(reply));
}

void Replica::ServeReads() {
  const uint64_t applied = raft_->applied_index();
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.index_known && it->second.index <= applied) {
      // Thesis §6.4 step 4: the state machine has caught up with the read index.
      ClientReply r;
      r.value = kv_.Get(it->second.key);
      it->second.reply(std::move(r));
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

void Replica::FailReads(ReplyCode code) {
  const NodeId leader = raft_ ? raft_->leader() : kNoNode;
  auto reads = std::move(reads_);
  reads_.clear();
  for (auto& [context, r] : reads) Answer(r.reply, code, leader);
}

void Replica::MaybeSnapshot() {
  const uint64_t applied = raft_->applied_index();
  if (applied - std::min(applied, raft_->log().snapshot().index) <= options_.snapshot_threshold) {
    return;
  }
  auto data = std::make_shared<const std::string>(kv_.Snapshot());
  raft_->Compact(applied, data, options_.snapshot_retain);
  const uint64_t retain_from =
      applied > options_.snapshot_retain ? applied - options_.snapshot_retain + 1 : 1;
  if (base::Status s = storage_->SaveSnapshot(raft_->log().snapshot(), retain_from); !s.ok()) {
    return SetFatal("save snapshot: " + s.ToString());
  }
  ++stats_.snapshots_taken;
  if (observer_) observer_->Snapshotted(applied, raft_->log().snapshot().term, *data, false);
}

void Replica::ExpireWrites(uint64_t now_ms) {
  for (auto it = writes_.begin(); it != writes_.end();) {
    if (it->second.deadline_ms <= now_ms) {
      Answer(it->second.reply, ReplyCode::kUnknown);
      it = writes_.erase(it);
    } else {
      ++it;
    }
  }
}

void Replica::Flush() {
  if (stopped()) return;
  if (base::Status s = storage_->Flush(); !s.ok()) SetFatal("flush: " + s.ToString());
}

void Replica::Shutdown() {
  if (shut_down_) return;
  if (fatal_.empty()) {
    // What was proposed has an unknown fate; flushing keeps what a clean stop can keep.
    if (base::Status s = storage_->Flush(); !s.ok()) fatal_ = "flush at stop: " + s.ToString();
  }
  shut_down_ = true;
  auto writes = std::move(writes_);
  writes_.clear();
  for (auto& [index, w] : writes) Answer(w.reply, ReplyCode::kUnknown);
  FailReads(ReplyCode::kStopped);
}

void Replica::SetFatal(std::string what) {
  if (fatal_.empty()) fatal_ = std::move(what);
}

ClientReply Replica::Status() const {
  ClientReply r;
  r.id = options_.id;
  r.role = raft_->role();
  r.term = raft_->term();
  r.leader = raft_->leader();
  r.commit_index = raft_->commit_index();
  return r;
}

}  // namespace faultline::raft::replica
