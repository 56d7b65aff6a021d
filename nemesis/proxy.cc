#include "nemesis/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace faultline::nemesis {
namespace {

constexpr const char* kLoopback = "127.0.0.1";
constexpr int kListenBacklog = 64;
// Bounds the work done for one listener per poll round, so a connect storm on one link cannot
// starve the others.
constexpr int kMaxAcceptsPerRound = 16;
// Cut/Heal wait this long for the relay thread to apply a cut; it never takes more than one
// poll round, so running out means the thread is wedged.
constexpr auto kApplyTimeout = std::chrono::seconds(5);

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// A listening TCP socket on 127.0.0.1 with a kernel-chosen free port.
Result<std::pair<int, int>> ListenOnFreePort(bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(ErrnoText("proxy: socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (listen && ::listen(fd, kListenBacklog) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Status s = Status::IoError(ErrnoText("proxy: cannot bind a loopback port"));
    ::close(fd);
    return s;
  }
  return std::make_pair(fd, static_cast<int>(ntohs(addr.sin_port)));
}

// Bytes waiting to be written to one side. Bounded by ProxyBackend::kBufferBytes: the reading
// side stops polling for input while its buffer is full, which passes TCP back-pressure through.
struct Pending {
  std::string data;
  size_t offset = 0;
  size_t size() const { return data.size() - offset; }
  bool empty() const { return size() == 0; }
};

}  // namespace

struct ProxyBackend::Impl {
  struct Link {
    std::string from;
    std::string to;
    int listen_fd = -1;
    int relay_port = 0;
    int target_port = 0;
    bool cut = false;  // relay thread only
    std::atomic<int> forwarding{0};
    std::atomic<int> blackholed{0};
  };

  // One accepted connection. `down` is the dialing node's side, `up` the connection to the
  // target node (-1 for a blackholed connection).
  struct Conn {
    size_t link = 0;
    int down = -1;
    int up = -1;
    bool blackhole = false;
    bool connecting = false;
    bool down_eof = false;  // the dialer shut down its writing side
    bool up_eof = false;
    bool up_shut = false;  // we passed the dialer's EOF on to the target
    bool down_shut = false;
    bool dead = false;
    Pending to_up;
    Pending to_down;
  };

  NetOptions options;
  std::vector<base::NodeAddress> nodes;
  std::map<std::string, size_t> node_index;
  std::vector<std::unique_ptr<Link>> links;
  std::map<std::pair<std::string, std::string>, size_t> link_index;

  // The relay thread owns `conns` and each Link::cut; everything else it reads is fixed after
  // Setup. Cut/Heal talk to it through the fields under `mu`.
  std::vector<std::unique_ptr<Conn>> conns;
  std::thread thread;
  int wake_read = -1;
  int wake_write = -1;

  std::mutex mu;
  std::condition_variable applied_cv;
  std::set<size_t> desired_cut;  // GUARDED_BY(mu)
  uint64_t requested_gen = 0;    // GUARDED_BY(mu)
  uint64_t applied_gen = 0;      // GUARDED_BY(mu)
  bool stop = false;             // GUARDED_BY(mu)

  void Wake() {
    const char b = 1;
    // A full pipe already holds a wake-up; nothing is lost by dropping this one.
    [[maybe_unused]] ssize_t r = ::write(wake_write, &b, 1);
  }

  void Loop();
  void ApplyCut(const std::set<size_t>& cut);
  void Accept(size_t link_idx);
  void Service(Conn& c, short down_revents, short up_revents);
  void Kill(Conn& c);
  void CloseAll();
};

void ProxyBackend::Impl::Kill(Conn& c) {
  if (c.dead) return;
  c.dead = true;
  Link& l = *links[c.link];
  (c.blackhole ? l.blackholed : l.forwarding).fetch_sub(1);
  CloseFd(&c.down);
  CloseFd(&c.up);
}

void ProxyBackend::Impl::ApplyCut(const std::set<size_t>& cut) {
  for (size_t i = 0; i < links.size(); ++i) links[i]->cut = cut.count(i) > 0;
  for (auto& c : conns) {
    if (c->dead) continue;
    const bool cut_now = links[c->link]->cut;
    // A forwarding connection on a cut link dies with the cut; a blackholed one dies with the
    // heal, so its sender notices and reconnects through the healed link.
    if (cut_now != c->blackhole) Kill(*c);
  }
}

void ProxyBackend::Impl::Accept(size_t link_idx) {
  Link& l = *links[link_idx];
  for (int i = 0; i < kMaxAcceptsPerRound; ++i) {
    const int fd = ::accept4(l.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an aborted handshake: nothing to do either way
    if (l.forwarding.load() + l.blackholed.load() >= kMaxConnsPerLink) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->link = link_idx;
    c->down = fd;
    if (l.cut) {
      c->blackhole = true;
      l.blackholed.fetch_add(1);
      conns.push_back(std::move(c));
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const int up = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (up < 0) {
      ::close(fd);
      continue;
    }
    ::setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(l.target_port));
    ::inet_pton(AF_INET, kLoopback, &addr.sin_addr);
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
        errno != EINPROGRESS) {
      // The target is down: the dialer sees its connection closed, as it would dialing directly.
      ::close(up);
      ::close(fd);
      continue;
    }
    c->up = up;
    c->connecting = true;
    l.forwarding.fetch_add(1);
    conns.push_back(std::move(c));
  }
}

namespace {

// Reads what fits into `out` from fd. Returns false on a hard error; sets *eof on end of stream.
bool ReadInto(int fd, Pending* out, size_t cap, bool* eof) {
  char buf[16 * 1024];
  while (out->size() < cap) {
    const size_t want = std::min(sizeof(buf), cap - out->size());
    const ssize_t r = ::read(fd, buf, want);
    if (r > 0) {
      if (out->offset > 0) {  // keep the string no longer than what is pending
        out->data.erase(0, out->offset);
        out->offset = 0;
      }
      out->data.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r == 0) {
      *eof = true;
      return true;
    }
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
  return true;
}

// Writes what the socket takes from `in`. Returns false on a hard error.
bool WriteFrom(int fd, Pending* in) {
  while (!in->empty()) {
    const ssize_t w = ::send(fd, in->data.data() + in->offset, in->size(), MSG_NOSIGNAL);
    if (w > 0) {
      in->offset += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  in->data.clear();
  in->offset = 0;
  return true;
}

}  // namespace

void ProxyBackend::Impl::Service(Conn& c, short down_revents, short up_revents) {
  if (c.blackhole) {
    if (down_revents == 0) return;
    char buf[16 * 1024];
    for (;;) {
      const ssize_t r = ::read(c.down, buf, sizeof(buf));
      if (r > 0) continue;  // discarded: nothing crosses a cut link
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      Kill(c);  // the dialer gave up on this connection
      return;
    }
  }
  if (c.connecting) {
    if (up_revents == 0) return;
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(c.up, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      Kill(c);
      return;
    }
    c.connecting = false;
  }
  if ((down_revents | up_revents) & POLLERR) {
    Kill(c);
    return;
  }
  if (!c.down_eof && (down_revents & (POLLIN | POLLHUP)) &&
      !ReadInto(c.down, &c.to_up, kBufferBytes, &c.down_eof)) {
    Kill(c);
    return;
  }
  if (!c.up_eof && (up_revents & (POLLIN | POLLHUP)) &&
      !ReadInto(c.up, &c.to_down, kBufferBytes, &c.up_eof)) {
    Kill(c);
    return;
  }
  if (!WriteFrom(c.up, &c.to_up) || !WriteFrom(c.down, &c.to_down)) {
    Kill(c);
    return;
  }
  // Half-closes pass through once everything before them has been delivered.
  if (c.down_eof && c.to_up.empty() && !c.up_shut) {
    ::shutdown(c.up, SHUT_WR);
    c.up_shut = true;
  }
  if (c.up_eof && c.to_down.empty() && !c.down_shut) {
    ::shutdown(c.down, SHUT_WR);
    c.down_shut = true;
  }
  const bool down_done = c.down_eof && c.down_shut;
  const bool up_done = c.up_eof && c.up_shut;
  // A hang-up on a side that is not finished both ways is a reset: nothing more can cross.
  if ((down_done && up_done) || ((down_revents & POLLHUP) && !down_done) ||
      ((up_revents & POLLHUP) && !up_done)) {
    Kill(c);
  }
}

void ProxyBackend::Impl::Loop() {
  std::vector<pollfd> fds;
  // For each pollfd after the wake pipe and listeners: the conn it belongs to and whether it is
  // that conn's `up` side.
  std::vector<std::pair<Conn*, bool>> owners;
  for (;;) {
    fds.clear();
    owners.clear();
    fds.push_back({wake_read, POLLIN, 0});
    for (const auto& l : links) fds.push_back({l->listen_fd, POLLIN, 0});
    for (const auto& cp : conns) {
      Conn& c = *cp;
      short down_events = 0;
      short up_events = 0;
      if (c.blackhole) {
        down_events = POLLIN;
      } else if (c.connecting) {
        up_events = POLLOUT;
      } else {
        if (!c.down_eof && c.to_up.size() < kBufferBytes) down_events |= POLLIN;
        if (!c.to_down.empty()) down_events |= POLLOUT;
        if (!c.up_eof && c.to_down.size() < kBufferBytes) up_events |= POLLIN;
        if (!c.to_up.empty()) up_events |= POLLOUT;
      }
      // Listed even with no events, so errors and hang-ups are reported; but not once finished
      // both ways, when poll would report a hang-up on every round.
      if (!(c.down_eof && c.down_shut)) {
        fds.push_back({c.down, down_events, 0});
        owners.emplace_back(&c, false);
      }
      if (c.up >= 0 && !(c.up_eof && c.up_shut)) {
        fds.push_back({c.up, up_events, 0});
        owners.emplace_back(&c, true);
      }
    }
    const int r = ::poll(fds.data(), fds.size(), -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid fds; Cut() reports the wedged thread by its timeout
    }
    if (fds[0].revents != 0) {
      char drain[64];
      while (::read(wake_read, drain, sizeof(drain)) > 0) {
      }
      std::lock_guard<std::mutex> lock(mu);
      if (stop) return;
      if (applied_gen != requested_gen) {
        ApplyCut(desired_cut);
        applied_gen = requested_gen;
        applied_cv.notify_all();
      }
    }
    // Conns first, so that a connection killed by the cut above is not serviced; they were
    // listed before any accept of this round.
    std::map<Conn*, std::pair<short, short>> revents;
    const size_t first_conn = 1 + links.size();
    for (size_t i = first_conn; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto [conn, is_up] = owners[i - first_conn];
      (is_up ? revents[conn].second : revents[conn].first) = fds[i].revents;
    }
    for (auto& [conn, ev] : revents) {
      if (!conn->dead) Service(*conn, ev.first, ev.second);
    }
    for (size_t i = 0; i < links.size(); ++i) {
      if (fds[1 + i].revents != 0) Accept(i);
    }
    std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->dead; });
  }
}

void ProxyBackend::Impl::CloseAll() {
  for (auto& c : conns) Kill(*c);
  conns.clear();
  for (auto& l : links) CloseFd(&l->listen_fd);
  CloseFd(&wake_read);
  CloseFd(&wake_write);
}

ProxyBackend::ProxyBackend(NetOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

ProxyBackend::~ProxyBackend() { Teardown(); }

Status ProxyBackend::Setup(const std::vector<std::string>& ids) {
  Impl& m = *impl_;
  if (!m.nodes.empty() || m.thread.joinable()) {
    return Status::InvalidArgument("proxy: Setup called twice");
  }
  if (ids.empty()) return Status::InvalidArgument("proxy: no nodes");
  for (const std::string& id : ids) {
    if (id.empty() || !m.node_index.emplace(id, m.node_index.size()).second) {
      m.node_index.clear();
      return Status::InvalidArgument("proxy: node ids must be unique and non-empty");
    }
  }
  // Node ports: bound all at once so no two get the same port, then released for the nodes to
  // bind. Another process could take one in between; nodes are started right after Setup.
  std::vector<int> probes;
  std::vector<base::NodeAddress> nodes;
  for (const std::string& id : ids) {
    base::NodeAddress n;
    n.id = id;
    n.host = kLoopback;
    for (int* port : {&n.client_port, &n.peer_port}) {
      auto p = ListenOnFreePort(/*listen=*/false);
      if (!p.ok()) {
        for (int fd : probes) ::close(fd);
        m.node_index.clear();
        return p.status();
      }
      probes.push_back(p->first);
      *port = p->second;
    }
    nodes.push_back(std::move(n));
  }
  for (int fd : probes) ::close(fd);

  // Relays keep their listeners for the whole run, so their ports cannot be taken.
  for (const base::NodeAddress& from : nodes) {
    for (const base::NodeAddress& to : nodes) {
      if (from.id == to.id) continue;
      auto p = ListenOnFreePort(/*listen=*/true);
      if (!p.ok()) {
        m.CloseAll();
        m.links.clear();
        m.link_index.clear();
        m.node_index.clear();
        return p.status();
      }
      auto l = std::make_unique<Impl::Link>();
      l->from = from.id;
      l->to = to.id;
      l->listen_fd = p->first;
      l->relay_port = p->second;
      l->target_port = to.peer_port;
      m.link_index[{from.id, to.id}] = m.links.size();
      m.links.push_back(std::move(l));
    }
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    Status s = Status::IoError(ErrnoText("proxy: pipe"));
    m.CloseAll();
    m.links.clear();
    m.link_index.clear();
    m.node_index.clear();
    return s;
  }
  m.wake_read = pipe_fds[0];
  m.wake_write = pipe_fds[1];
  m.nodes = std::move(nodes);
  m.thread = std::thread([&m] { m.Loop(); });
  return Status::Ok();
}

const std::vector<base::NodeAddress>& ProxyBackend::nodes() const { return impl_->nodes; }

std::string ProxyBackend::PeerAddress(const std::string& from, const std::string& to) const {
  const Impl& m = *impl_;
  if (from == to) {
    auto it = m.node_index.find(to);
    if (it == m.node_index.end() || m.nodes.empty()) return "";
    return std::string(kLoopback) + ":" + std::to_string(m.nodes[it->second].peer_port);
  }
  auto it = m.link_index.find({from, to});
  if (it == m.link_index.end()) return "";
  return std::string(kLoopback) + ":" + std::to_string(m.links[it->second]->relay_port);
}

std::vector<std::string> ProxyBackend::CommandPrefix(const std::string&) const { return {}; }

Status ProxyBackend::Cut(const Grudge& grudge) {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return Status::InvalidArgument("proxy: Cut before Setup");
  std::set<size_t> cut;
  for (const auto& [to, froms] : grudge) {
    if (!m.node_index.count(to)) return Status::InvalidArgument("proxy: unknown node " + to);
    for (const std::string& from : froms) {
      if (from == to) continue;
      auto it = m.link_index.find({from, to});
      if (it == m.link_index.end()) return Status::InvalidArgument("proxy: unknown node " + from);
      cut.insert(it->second);
    }
  }
  std::unique_lock<std::mutex> lock(m.mu);
  m.desired_cut = std::move(cut);
  const uint64_t gen = ++m.requested_gen;
  m.Wake();
  if (!m.applied_cv.wait_for(lock, kApplyTimeout, [&] { return m.applied_gen >= gen; })) {
    return Status::Internal("proxy: the relay thread did not apply the cut within 5 s");
  }
  return Status::Ok();
}

Status ProxyBackend::Heal() { return Cut({}); }

ProxyBackend::LinkCounts ProxyBackend::CountsForLink(const std::string& from,
                                                     const std::string& to) const {
  auto it = impl_->link_index.find({from, to});
  if (it == impl_->link_index.end()) return {};
  const Impl::Link& l = *impl_->links[it->second];
  return {l.forwarding.load(), l.blackholed.load()};
}

void ProxyBackend::Teardown() {
  Impl& m = *impl_;
  if (m.thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(m.mu);
      m.stop = true;
    }
    m.Wake();
    m.thread.join();
  }
  m.CloseAll();
}

}  // namespace faultline::nemesis
