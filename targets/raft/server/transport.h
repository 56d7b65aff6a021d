// PeerTransport: raft::Message delivery between raftkv nodes over plain TCP (POSIX sockets).
//
// Outbound: one sender thread per peer with a bounded queue. Send() never blocks the Raft loop:
// when a peer's queue is full (the peer is dead or slow) the message is dropped -- Raft
// tolerates loss and retransmits. The sender connects with exponential backoff, drains its whole
// queue into one write (frames from kv-encoded messages, see codec.h), and on any error closes
// the connection and drops what it was writing.
// Inbound: one listener thread on the peer port; one reader thread per accepted connection
// (bounded by kMaxInboundConnections) hands each decoded message to the `deliver` callback.
//
// Thread safety: Send() and Stop() may be called from any thread; `deliver` is called from
// reader threads. Owns its sockets and threads; Stop() (also run by the destructor) closes every
// socket and joins every thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/raft/core/types.h"
#include "targets/raft/server/flags.h"

namespace faultline::raft::server {

class PeerTransport {
 public:
  static constexpr size_t kMaxQueuedMessages = 4096;  // per peer
  static constexpr size_t kMaxInboundConnections = 64;

  using DeliverFn = std::function<void(Message)>;

  PeerTransport(NodeId self, std::map<NodeId, PeerAddress> peers, DeliverFn deliver);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds and listens on host:port and starts the threads. Returns an error text or "".
  std::string Start(const std::string& host, uint16_t port);
  // Queues `m` for m.to; drops it when that peer's queue is full or the peer is unknown.
  void Send(Message m);
  void Stop();

  // Messages Send() dropped because the peer's queue was full or the connection failed (for
  // tests and diagnostics).
  uint64_t dropped_messages() const { return dropped_.load(); }

 private:
  struct Peer {
    NodeId id = kNoNode;
    PeerAddress address;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Message> queue;  // GUARDED_BY(mu)
    int fd = -1;                // GUARDED_BY(mu) for close on Stop
    std::thread thread;
  };

  void SenderLoop(Peer* peer);
  void ListenLoop();
  void ReaderLoop(int fd);

  const NodeId self_;
  DeliverFn deliver_;
  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> dropped_{0};
  int listen_fd_ = -1;
  std::thread listener_;
  std::mutex readers_mu_;
  std::condition_variable readers_done_;
  std::vector<int> reader_fds_;  // GUARDED_BY(readers_mu_): open inbound connections
  size_t active_readers_ = 0;    // GUARDED_BY(readers_mu_): detached reader threads running
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace faultline::raft::server
