#include "targets/raft/server/node.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace faultline::raft::server {
namespace {

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

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

void Answer(const Node::ReplyFn& reply, ClientReply r) { reply(std::move(r)); }

void Answer(const Node::ReplyFn& reply, ReplyCode code, NodeId leader = kNoNode) {
  ClientReply r;
  r.code = code;
  r.leader = leader;
  reply(std::move(r));
}

}  // namespace

Node::Node(const ServerOptions& options) : options_(options) {}

Node::~Node() {
  if (transport_) transport_->Stop();
}

std::unique_ptr<Node> Node::Create(const ServerOptions& options, std::string* error) {
  std::unique_ptr<Node> node(new Node(options));
  storage::Options so;
  so.buffered = options.unsafe_no_fsync;
  auto opened = storage::DiskStorage::Open(storage::Env::Posix(), options.data_dir, so);
  if (!opened.ok()) {
    *error = "cannot open data dir " + options.data_dir + ": " + opened.status().ToString();
    return nullptr;
  }
  node->storage_ = std::move(opened).value();
  const StorageView& view = node->storage_->recovered();

  Config config;
  config.id = options.id;
  for (const auto& [id, addr] : options.peers) config.voters.push_back(id);
  config.heartbeat_tick = 1;  // one tick is one heartbeat interval
  config.election_tick = options.election_timeout_ms / options.heartbeat_ms;
  // Not a simulation: nothing to replay, but distinct nodes and restarts must not share
  // election timeouts.
  config.seed = options.id * 0x9e3779b97f4a7c15ull ^
                static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  config.unsafe_commit_old_terms = options.unsafe_commit_old_terms;
  // A buffered WAL loses acknowledged writes on a crash; the core must then favour liveness
  // over its fail-stop guards (see Config::tolerate_lost_writes).
  config.tolerate_lost_writes = options.unsafe_no_fsync;
  if (std::string why = Raft::Validate(config, view); !why.empty()) {
    *error = "cannot start Raft: " + why;
    return nullptr;
  }
  if (!view.snapshot.empty() && !node->kv_.Restore(*view.snapshot.data)) {
    *error = "the recovered snapshot is not a state machine snapshot";
    return nullptr;
  }
  node->raft_ = std::make_unique<Raft>(config, view);
  node->persisted_term_ = view.hard_state.term;
  node->persisted_voted_for_ = view.hard_state.voted_for;

  Node* raw = node.get();
  node->transport_ = std::make_unique<PeerTransport>(
      options.id, options.peers, [raw](Message m) { raw->Deliver(std::move(m)); });
  if (std::string err = node->transport_->Start(options.host, options.peer_port); !err.empty()) {
    *error = err;
    return nullptr;
  }
  return node;
}

void Node::Deliver(Message m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || inbox_messages_.size() >= kMaxInboxMessages) return;  // dropped, like the wire
    inbox_messages_.push_back(std::move(m));
  }
  cv_.notify_one();
}

void Node::Submit(ClientRequest request, ReplyFn reply) {
  ReplyCode refused = ReplyCode::kOk;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || finished_) {
      refused = ReplyCode::kStopped;
    } else if (inbox_requests_.size() >= kMaxInboxRequests) {
      refused = ReplyCode::kBusy;
    } else {
      inbox_requests_.push_back(Incoming{std::move(request), std::move(reply)});
    }
  }
  if (refused != ReplyCode::kOk) {
    Answer(reply, refused);  // outside mu_: the callback may take its own locks
    return;
  }
  cv_.notify_one();
}

std::future<ClientReply> Node::Submit(ClientRequest request) {
  auto promise = std::make_shared<std::promise<ClientReply>>();
  std::future<ClientReply> f = promise->get_future();
  Submit(std::move(request), [promise](ClientReply r) { promise->set_value(std::move(r)); });
  return f;
}

void Node::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Node::Run() {
  const auto tick = std::chrono::milliseconds(options_.heartbeat_ms);
  auto next_tick = Clock::now() + tick;
  auto next_flush = Clock::now() + kNoFsyncFlushInterval;
  std::vector<Message> messages;
  std::vector<Incoming> requests;
  while (true) {
    messages.clear();
    requests.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_tick,
                     [&] { return stop_ || !inbox_messages_.empty() || !inbox_requests_.empty(); });
      if (stop_) break;
      messages.swap(inbox_messages_);
      requests.swap(inbox_requests_);
    }
    for (const Message& m : messages) raft_->Step(m);
    for (Incoming& in : requests) HandleRequest(std::move(in));
    const auto now = Clock::now();
    if (now >= next_tick) {
      raft_->Tick();
      // After a stall (SIGSTOP, a slow fsync) tick once, not once per missed interval: a burst
      // of ticks would fire an election the moment the node resumes.
      next_tick = std::max(next_tick + tick, now + tick / 2);
      ExpireWrites(now);
    }
    HandleReady();
    if (options_.unsafe_no_fsync && now >= next_flush) {
      if (base::Status s = storage_->Flush(); !s.ok()) Fatal("flush: " + s.ToString());
      next_flush = now + kNoFsyncFlushInterval;
    }
  }
  // Clean stop: nothing more goes out; what was proposed has an unknown fate.
  transport_->Stop();
  if (base::Status s = storage_->Flush(); !s.ok()) {
    std::fprintf(stderr, "raftkv %s: flush at stop: %s\n", NodeName(options_.id).c_str(),
                 s.ToString().c_str());
  }
  std::vector<Incoming> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    left.swap(inbox_requests_);
  }
  for (Incoming& in : left) Answer(in.reply, ReplyCode::kStopped);
  for (auto& [index, w] : writes_) Answer(w.reply, ReplyCode::kUnknown);
  writes_.clear();
  FailReads(ReplyCode::kStopped);
}

void Node::HandleRequest(Incoming in) {
  ClientRequest& req = in.request;
  if (req.kind == ClientRequest::Kind::kStatus) {
    Answer(in.reply, Status());
    return;
  }
  if (req.kind == ClientRequest::Kind::kRead && options_.unsafe_stale_reads) {
    ClientReply r;  // the bug: no ReadIndex, whatever this node's role
    r.value = kv_.Get(req.key);
    Answer(in.reply, std::move(r));
    return;
  }
  if (raft_->role() != Role::kLeader) {
    Answer(in.reply, ReplyCode::kNotLeader, raft_->leader());  // nothing proposed
    return;
  }
  if (req.kind == ClientRequest::Kind::kRead) {
    const uint64_t context = next_read_context_++;
    if (RequestError err = raft_->ReadIndex(context); err != RequestError::kOk) {
      Answer(in.reply, FromRequestError(err), raft_->leader());
      return;
    }
    reads_[context] = PendingRead{std::move(req.key), std::move(in.reply), false, 0};
    return;
  }
  req.command.time_ms = WallClockMs();
  const kv::Op op = req.command.op;
  const ProposeResult p = raft_->Propose(kv::Encode(req.command));
  if (p.error != RequestError::kOk) {
    Answer(in.reply, FromRequestError(p.error), raft_->leader());
    return;
  }
  if (auto it = writes_.find(p.index); it != writes_.end()) {
    // An earlier proposal at this index was truncated from our log, but a copy may survive on
    // another node and still commit under a later leader: its fate is unknown.
    Answer(it->second.reply, ReplyCode::kUnknown);
    writes_.erase(it);
  }
  writes_[p.index] =
      PendingWrite{p.term, op, std::move(in.reply), Clock::now() + kPendingWriteLimit};
}

void Node::HandleReady() {
  while (raft_->HasReady()) {
    Ready rd = raft_->GetReady();
    // Thesis §10.2.1: a leader may write new entries to its own disk in parallel with sending
    // them to followers, so the leader's fsync and the followers' overlap instead of adding up.
    // Safe because the core counts the leader's own copy towards commitment only once it is
    // stable (Advance after Save), and a follower acknowledges only what it has synced. It needs
    // the term and vote already durable (a leader's messages carry its term): they are, unless
    // this Ready changes them (then we keep the plain persist-then-send order). A leader that
    // crashes before its fsync merely loses an unacknowledged suffix that followers may hold;
    // Raft treats that like entries that reached only some followers.
    const bool send_first =
        raft_->role() == Role::kLeader && !rd.snapshot && !rd.reset &&
        (!rd.hard_state || (rd.hard_state->term == persisted_term_ &&
                            rd.hard_state->voted_for == persisted_voted_for_));
    if (send_first) {
      for (Message& m : rd.messages) transport_->Send(std::move(m));
      rd.messages.clear();
    }
    // 0. Only with --unsafe-no-fsync: our committed state diverged from the leader's log
    //    (lost writes); start over from an empty log and the initial state machine.
    if (rd.reset) {
      if (base::Status s = storage_->Reset(); !s.ok()) Fatal("reset: " + s.ToString());
      kv_ = kv::StateMachine();
    }
    // 1. Persist (synced when must_sync) before anything that depends on it leaves the node.
    if (rd.snapshot) {
      if (base::Status s = storage_->SaveSnapshot(*rd.snapshot, rd.snapshot->index + 1);
          !s.ok()) {
        Fatal("save snapshot: " + s.ToString());
      }
    }
    if (rd.hard_state || !rd.entries.empty()) {
      if (base::Status s = storage_->Save(rd.hard_state, rd.entries, rd.must_sync); !s.ok()) {
        Fatal("save: " + s.ToString());
      }
      if (rd.hard_state) {
        persisted_term_ = rd.hard_state->term;
        persisted_voted_for_ = rd.hard_state->voted_for;
      }
    }
    if (rd.soft_state && rd.soft_state->role != Role::kLeader) {
      FailReads(ReplyCode::kNotLeader);  // the core forgot them; a read has no effect to lose
    }
    // 2. Send.
    for (Message& m : rd.messages) transport_->Send(std::move(m));
    // 3. Apply.
    if (rd.snapshot) {
      if (!kv_.Restore(*rd.snapshot->data)) Fatal("corrupt snapshot received");
      // Requests proposed at covered indexes: their fate is inside the snapshot, unknown to us.
      const auto end = writes_.upper_bound(rd.snapshot->index);
      for (auto it = writes_.begin(); it != end; ++it)
        Answer(it->second.reply, ReplyCode::kUnknown);
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
  if (!raft_->fatal_error().empty()) Fatal("the Raft core stopped: " + raft_->fatal_error());
}

void Node::ApplyEntry(const Entry& e) {
  kv::Result res;
  if (e.type == EntryType::kNormal) res = kv_.Apply(e.data);
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
  Answer(w.reply, std::move(reply));
}

void Node::ServeReads() {
  const uint64_t applied = raft_->applied_index();
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.index_known && it->second.index <= applied) {
      // Thesis §6.4 step 4: the state machine has caught up with the read index.
      ClientReply r;
      r.value = kv_.Get(it->second.key);
      Answer(it->second.reply, std::move(r));
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

void Node::FailReads(ReplyCode code) {
  for (auto& [context, r] : reads_) Answer(r.reply, code, raft_->leader());
  reads_.clear();
}

void Node::MaybeSnapshot() {
  const uint64_t applied = raft_->applied_index();
  if (applied - std::min(applied, raft_->log().snapshot().index) <= options_.snapshot_threshold) {
    return;
  }
  auto data = std::make_shared<const std::string>(kv_.Snapshot());
  raft_->Compact(applied, data, kSnapshotRetainEntries);
  const uint64_t retain_from =
      applied > kSnapshotRetainEntries ? applied - kSnapshotRetainEntries + 1 : 1;
  if (base::Status s = storage_->SaveSnapshot(raft_->log().snapshot(), retain_from); !s.ok()) {
    Fatal("save snapshot: " + s.ToString());
  }
}

void Node::ExpireWrites(Clock::time_point now) {
  for (auto it = writes_.begin(); it != writes_.end();) {
    if (it->second.deadline <= now) {
      Answer(it->second.reply, ReplyCode::kUnknown);
      it = writes_.erase(it);
    } else {
      ++it;
    }
  }
}

ClientReply Node::Status() const {
  ClientReply r;
  r.id = options_.id;
  r.role = raft_->role();
  r.term = raft_->term();
  r.leader = raft_->leader();
  r.commit_index = raft_->commit_index();
  return r;
}

void Node::Fatal(const std::string& what) {
  // Storage failures and core fail-stops end the process at once, like a crash: carrying on
  // (or even flushing) could acknowledge what is not durable. Recovery happens on restart.
  std::fprintf(stderr, "raftkv %s: fatal: %s\n", NodeName(options_.id).c_str(), what.c_str());
  std::fflush(stderr);
  std::_Exit(255);  // DESIGN.md §5: internal error
}

}  // namespace faultline::raft::server
