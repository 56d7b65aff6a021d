// Node: the raftkv server's shell around one replica::Replica (targets/raft/replica, which holds
// every rule of the node: requests, the Ready loop, reads, snapshots). The shell adds what a
// process needs: the loop thread, the steady tick, the peer transport, the POSIX Env and the
// wall clock. A single thread (the one calling Run()) owns the replica, so it needs no lock.
// Everything else reaches the loop through its inbox: peer messages (from PeerTransport reader
// threads) and client requests (from the HTTP thread, answered through a callback run on the
// loop thread).
//
// Thread safety: Submit() and Stop() from any thread; Run() on exactly one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "targets/raft/replica/replica.h"
#include "targets/raft/server/flags.h"
#include "targets/raft/server/transport.h"

namespace faultline::raft::server {

using replica::ClientReply;
using replica::ClientRequest;
using replica::ReplyCode;

class Node {
 public:
  static constexpr size_t kMaxInboxMessages = 100000;
  static constexpr size_t kMaxInboxRequests = 10000;
  static constexpr uint64_t kSnapshotRetainEntries = 1000;
  static constexpr std::chrono::milliseconds kNoFsyncFlushInterval{300};
  static constexpr uint64_t kPendingWriteLimitMs = 60000;

  // Opens storage, recovers, builds the core and starts the peer transport.
  // Returns nullptr and sets *error on failure.
  static std::unique_ptr<Node> Create(const ServerOptions& options, std::string* error);
  ~Node();

  // Called exactly once with the answer to a submitted request: on the loop thread, or on the
  // submitting thread when the request is refused at once (stopped, busy). Must be quick and
  // must not call back into the Node (it runs inside the loop).
  using ReplyFn = std::function<void(ClientReply)>;

  void Submit(ClientRequest request, ReplyFn reply);
  // The same, answered through a future (tests, simple callers).
  std::future<ClientReply> Submit(ClientRequest request);
  // Runs the loop until Stop(); then flushes storage and stops the transport.
  void Run();
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;

  struct Incoming {
    ClientRequest request;
    ReplyFn reply;
  };
  explicit Node(const ServerOptions& options);

  void Deliver(Message m);
  [[noreturn]] void Fatal(const std::string& what);

  const ServerOptions options_;
  std::unique_ptr<replica::Clock> clock_;
  std::unique_ptr<replica::Replica> replica_;
  std::unique_ptr<PeerTransport> transport_;

  // The inbox, shared with other threads.
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> inbox_messages_;   // GUARDED_BY(mu_)
  std::vector<Incoming> inbox_requests_;  // GUARDED_BY(mu_)
  bool stop_ = false;                     // GUARDED_BY(mu_)
  bool finished_ = false;                 // GUARDED_BY(mu_): Run() returned
};

}  // namespace faultline::raft::server
