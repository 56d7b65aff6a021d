#include "targets/raft/server/node.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace faultline::raft::server {
namespace {

// The leader's clock, stamped into commands: lock leases are judged against it when a command
// applies, on every node, so it must mean the same on all of them (the wall clock does, on one
// host or a synchronized LAN; a steady clock differs per machine).
class WallClock final : public replica::Clock {
 public:
  uint64_t NowMs() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

void Refuse(const Node::ReplyFn& reply, ReplyCode code) {
  ClientReply r;
  r.code = code;
  reply(std::move(r));
}

}  // namespace

Node::Node(const ServerOptions& options) : options_(options) {}

Node::~Node() {
  if (transport_) transport_->Stop();
}

std::unique_ptr<Node> Node::Create(const ServerOptions& options, std::string* error) {
  std::unique_ptr<Node> node(new Node(options));
  replica::Options ro;
  ro.id = options.id;
  for (const auto& [id, addr] : options.peers) ro.voters.push_back(id);
  ro.data_dir = options.data_dir;
  ro.heartbeat_tick = 1;  // one tick is one heartbeat interval
  ro.election_tick = options.election_timeout_ms / options.heartbeat_ms;
  // Not a simulation: nothing to replay, but distinct nodes and restarts must not share
  // election timeouts.
  ro.seed = options.id * 0x9e3779b97f4a7c15ull ^
            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  ro.snapshot_threshold = options.snapshot_threshold;
  ro.snapshot_retain = kSnapshotRetainEntries;
  ro.pending_write_limit_ms = kPendingWriteLimitMs;
  ro.unsafe_stale_reads = options.unsafe_stale_reads;
  ro.unsafe_no_fsync = options.unsafe_no_fsync;
  ro.unsafe_commit_old_terms = options.unsafe_commit_old_terms;

  node->clock_ = std::make_unique<WallClock>();
  Node* raw = node.get();
  auto opened = replica::Replica::Open(ro, storage::Env::Posix(), node->clock_.get(),
                                       [raw](Message m) { raw->transport_->Send(std::move(m)); });
  if (!opened.ok()) {
    *error = opened.status().message();
    return nullptr;
  }
  node->replica_ = std::move(opened).value();
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
    Refuse(reply, refused);  // outside mu_: the callback may take its own locks
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
  using SteadyClock = std::chrono::steady_clock;
  const auto tick = std::chrono::milliseconds(options_.heartbeat_ms);
  auto next_tick = SteadyClock::now() + tick;
  auto next_flush = SteadyClock::now() + kNoFsyncFlushInterval;
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
    // Every input of this round first, then one HandleReady: one fsync covers them all.
    for (const Message& m : messages) replica_->Step(m);
    for (Incoming& in : requests) replica_->Submit(std::move(in.request), std::move(in.reply));
    const auto now = SteadyClock::now();
    if (now >= next_tick) {
      replica_->Tick();
      // After a stall (SIGSTOP, a slow fsync) tick once, not once per missed interval: a burst
      // of ticks would fire an election the moment the node resumes.
      next_tick = std::max(next_tick + tick, now + tick / 2);
    }
    replica_->HandleReady();
    if (options_.unsafe_no_fsync && now >= next_flush) {
      replica_->Flush();
      next_flush = now + kNoFsyncFlushInterval;
    }
    if (!replica_->fatal_error().empty()) Fatal(replica_->fatal_error());
  }
  // Clean stop: nothing more goes out; what was proposed has an unknown fate.
  transport_->Stop();
  std::vector<Incoming> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    left.swap(inbox_requests_);
  }
  for (Incoming& in : left) Refuse(in.reply, ReplyCode::kStopped);
  replica_->Shutdown();
  if (!replica_->fatal_error().empty()) {
    std::fprintf(stderr, "raftkv %s: %s\n", NodeName(options_.id).c_str(),
                 replica_->fatal_error().c_str());
  }
}

void Node::Fatal(const std::string& what) {
  // Storage failures and core fail-stops end the process at once, like a crash: carrying on
  // (or even flushing) could acknowledge what is not durable. Recovery happens on restart.
  std::fprintf(stderr, "raftkv %s: fatal: %s\n", NodeName(options_.id).c_str(), what.c_str());
  std::fflush(stderr);
  std::_Exit(255);  // DESIGN.md §5: internal error
}

}  // namespace faultline::raft::server
