#include "targets/raft/server/transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "targets/raft/server/codec.h"

namespace faultline::raft::server {
namespace {

constexpr int kBackoffMinMs = 20;
constexpr int kBackoffMaxMs = 1000;
constexpr int kSendTimeoutMs = 2000;  // a stalled peer costs its sender thread at most this

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, data, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int Connect(const PeerAddress& a) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    fd = ::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, p->ai_addr, p->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{kSendTimeoutMs / 1000, (kSendTimeoutMs % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

}  // namespace

PeerTransport::PeerTransport(NodeId self, std::map<NodeId, PeerAddress> peers, DeliverFn deliver)
    : self_(self), deliver_(std::move(deliver)) {
  for (auto& [id, addr] : peers) {
    if (id == self_) continue;
    auto p = std::make_unique<Peer>();
    p->id = id;
    p->address = addr;
    peers_[id] = std::move(p);
  }
}

PeerTransport::~PeerTransport() { Stop(); }

std::string PeerTransport::Start(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return "cannot resolve peer host " + host;
  }
  listen_fd_ = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  const int one = 1;
  if (listen_fd_ >= 0) ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool ok = listen_fd_ >= 0 && ::bind(listen_fd_, res->ai_addr, res->ai_addrlen) == 0 &&
                  ::listen(listen_fd_, 64) == 0;
  ::freeaddrinfo(res);
  if (!ok) {
    const std::string err = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return "cannot listen on peer port " + host + ":" + std::to_string(port) + ": " + err;
  }
  started_ = true;
  listener_ = std::thread([this] { ListenLoop(); });
  for (auto& [id, p] : peers_) {
    Peer* peer = p.get();
    peer->thread = std::thread([this, peer] { SenderLoop(peer); });
  }
  return "";
}

void PeerTransport::Send(Message m) {
  auto it = peers_.find(m.to);
  if (it == peers_.end() || stopping_) return;
  Peer& p = *it->second;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.queue.size() >= kMaxQueuedMessages) {
      dropped_.fetch_add(1, std::memory_order_relaxed);  // Raft retransmits what matters
      return;
    }
    p.queue.push_back(std::move(m));
  }
  p.cv.notify_one();
}

void PeerTransport::SenderLoop(Peer* p) {
  int backoff_ms = kBackoffMinMs;
  std::string buf;
  while (!stopping_) {
    int fd;
    {
      std::unique_lock<std::mutex> lock(p->mu);
      fd = p->fd;
    }
    if (fd < 0) {
      fd = Connect(p->address);
      if (fd < 0) {
        // While disconnected, queued messages go stale: drop them rather than deliver a burst of
        // old traffic later (Raft resends what still matters).
        std::unique_lock<std::mutex> lock(p->mu);
        dropped_.fetch_add(p->queue.size(), std::memory_order_relaxed);
        p->queue.clear();
        p->cv.wait_for(lock, std::chrono::milliseconds(backoff_ms),
                       [this] { return stopping_.load(); });
        backoff_ms = std::min(backoff_ms * 2, kBackoffMaxMs);
        continue;
      }
      backoff_ms = kBackoffMinMs;
      std::unique_lock<std::mutex> lock(p->mu);
      if (stopping_) {
        ::close(fd);
        return;
      }
      p->fd = fd;
    }
    std::deque<Message> batch;
    {
      std::unique_lock<std::mutex> lock(p->mu);
      p->cv.wait(lock, [&] { return stopping_ || !p->queue.empty(); });
      if (stopping_) break;
      batch.swap(p->queue);
    }
    buf.clear();
    for (const Message& m : batch) AppendFrame(m, &buf);
    if (!WriteAll(fd, buf.data(), buf.size())) {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      std::unique_lock<std::mutex> lock(p->mu);
      if (p->fd >= 0) ::close(p->fd);
      p->fd = -1;
    }
  }
}

void PeerTransport::ListenLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, 100);
    if (r <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (stopping_ || active_readers_ >= kMaxInboundConnections) {
      ::close(fd);
      continue;
    }
    // Detached: a reader ends with its connection; Stop() waits for active_readers_ == 0.
    ++active_readers_;
    reader_fds_.push_back(fd);
    std::thread([this, fd] { ReaderLoop(fd); }).detach();
  }
}

void PeerTransport::ReaderLoop(int fd) {
  std::string payload;
  while (!stopping_) {
    unsigned char len[4];
    if (!ReadAll(fd, reinterpret_cast<char*>(len), 4)) break;
    const uint32_t n = static_cast<uint32_t>(len[0]) | (static_cast<uint32_t>(len[1]) << 8) |
                       (static_cast<uint32_t>(len[2]) << 16) |
                       (static_cast<uint32_t>(len[3]) << 24);
    if (n > kMaxFrameBytes) break;
    payload.resize(n);
    if (!ReadAll(fd, payload.data(), n)) break;
    std::optional<Message> m = DecodeMessage(payload);
    if (!m || m->to != self_) break;  // a corrupt or misdirected stream: drop the connection
    deliver_(std::move(*m));
  }
  std::lock_guard<std::mutex> lock(readers_mu_);
  // Closed here unless Stop() owns it now (it shuts down the fds it finds in reader_fds_).
  auto it = std::find(reader_fds_.begin(), reader_fds_.end(), fd);
  if (it != reader_fds_.end()) {
    reader_fds_.erase(it);
    ::close(fd);
  }
  --active_readers_;
  readers_done_.notify_all();
}

void PeerTransport::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  if (!started_) return;
  for (auto& [id, p] : peers_) {
    {
      // Under the peer's lock, so a sender between its predicate check and its wait cannot
      // miss the wake-up.
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->fd >= 0) ::shutdown(p->fd, SHUT_RDWR);
    }
    p->cv.notify_all();
  }
  for (auto& [id, p] : peers_) {
    if (p->thread.joinable()) p->thread.join();
    if (p->fd >= 0) ::close(p->fd);
    p->fd = -1;
  }
  if (listener_.joinable()) listener_.join();
  {
    std::unique_lock<std::mutex> lock(readers_mu_);
    for (int fd : reader_fds_) ::shutdown(fd, SHUT_RDWR);
    readers_done_.wait(lock, [this] { return active_readers_ == 0; });
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

}  // namespace faultline::raft::server
