#include "targets/raft/server/http_api.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace faultline::raft::server {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kListenId = 0;  // epoll tags; connections count from kFirstConnId
constexpr uint64_t kWakeId = 1;
constexpr uint64_t kFirstConnId = 2;
constexpr int kMaxEvents = 256;
constexpr int kTimeoutScanMs = 50;
constexpr size_t kMaxPendingOutputBytes = 1 << 20;  // per connection, see Process()

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
  }
  return "Unknown";
}

struct Answer {
  int status = 200;
  std::string body;
};

Answer JsonAnswer(int status, const json& body) { return Answer{status, body.dump()}; }
Answer ErrorAnswer(int status, const std::string& error) {
  return JsonAnswer(status, json{{"error", error}});
}

json LeaderJson(NodeId id) { return id == kNoNode ? json(nullptr) : json(NodeName(id)); }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IContains(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded ('+' is left alone in paths, as cpp-httplib did); a malformed escape is
// kept literally.
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// Parses a request body as a JSON object; sets *error and returns false when it is not one.
bool ParseBody(const std::string& body, json* out, Answer* error) {
  *out = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    *error = ErrorAnswer(400, "body must be a JSON object");
    return false;
  }
  return true;
}

// The HTTP answer to a loop reply, as the API table of docs/PROTOCOL.md says.
Answer FormatReply(ClientRequest::Kind kind, kv::Op op, const ClientReply& r) {
  if (kind == ClientRequest::Kind::kStatus) {
    if (r.code != ReplyCode::kOk) return ErrorAnswer(503, "stopped");
    // docs/PROTOCOL.md knows three roles; a pre-candidate is a candidate that has not bumped its
    // term.
    const char* role = r.role == Role::kLeader     ? "leader"
                       : r.role == Role::kFollower ? "follower"
                                                   : "candidate";
    return JsonAnswer(200, json{{"id", NodeName(r.id)},
                                {"role", role},
                                {"term", r.term},
                                {"leader", LeaderJson(r.leader)},
                                {"commit_index", r.commit_index}});
  }
  switch (r.code) {
    case ReplyCode::kOk:
      if (kind == ClientRequest::Kind::kRead) {
        json value = r.value ? json::parse(*r.value, nullptr, false) : json(nullptr);
        if (value.is_discarded()) return ErrorAnswer(500, "corrupt stored value");
        return JsonAnswer(200, json{{"value", std::move(value)}});
      }
      if (op == kv::Op::kAcquire) return JsonAnswer(200, json{{"token", r.token}});
      return Answer{200, "{}"};
    case ReplyCode::kNotLeader:
      return JsonAnswer(503, json{{"error", "not-leader"}, {"leader", LeaderJson(r.leader)}});
    case ReplyCode::kBusy:
      return ErrorAnswer(503, "busy");
    case ReplyCode::kStopped:
      return ErrorAnswer(503, "stopped");
    case ReplyCode::kMismatch:
      return ErrorAnswer(412, "mismatch");
    case ReplyCode::kHeld:
      return ErrorAnswer(409, "held");
    case ReplyCode::kNotHeld:
      return ErrorAnswer(409, "not-held");
    case ReplyCode::kInvalid:
      return ErrorAnswer(503, "invalid");  // applied with no effect on every replica
    case ReplyCode::kSuperseded:
      return ErrorAnswer(503, "superseded");
    case ReplyCode::kUnknown:
      return ErrorAnswer(500, "unknown outcome");
  }
  return ErrorAnswer(500, "unknown outcome");
}

// Either an answer to send at once or a request for the loop.
struct Routed {
  bool to_loop = false;
  ClientRequest request;
  Answer answer;
};

Routed Route(std::string_view method, const std::string& path, const std::string& body) {
  Routed out;
  auto answer = [&out](Answer a) {
    out.answer = std::move(a);
    return std::move(out);
  };
  auto to_loop = [&out](ClientRequest c) {
    out.to_loop = true;
    out.request = std::move(c);
    return std::move(out);
  };
  std::string_view rest = path;
  if (path == "/status") {
    if (method != "GET") return answer(ErrorAnswer(404, "not found"));
    ClientRequest c;
    c.kind = ClientRequest::Kind::kStatus;
    return to_loop(std::move(c));
  }
  json b;
  Answer bad;
  if (ConsumePrefix(&rest, "/kv/") && !rest.empty()) {
    ClientRequest c;
    if (method == "GET") {
      c.kind = ClientRequest::Kind::kRead;
      c.key = std::string(rest);
      return to_loop(std::move(c));
    }
    c.kind = ClientRequest::Kind::kCommand;
    if (method == "DELETE") {
      c.command.op = kv::Op::kDelete;
      c.command.key = std::string(rest);
      return to_loop(std::move(c));
    }
    if (method == "PUT") {
      if (!ParseBody(body, &b, &bad)) return answer(std::move(bad));
      if (!b.contains("value")) return answer(ErrorAnswer(400, "missing \"value\""));
      c.command.op = kv::Op::kPut;
      c.command.key = std::string(rest);
      c.command.value = b["value"].dump();  // canonical JSON text
      return to_loop(std::move(c));
    }
    if (method == "POST" && ConsumeSuffix(&rest, "/cas") && !rest.empty()) {
      if (!ParseBody(body, &b, &bad)) return answer(std::move(bad));
      if (!b.contains("from") || !b.contains("to")) {
        return answer(ErrorAnswer(400, "missing \"from\" or \"to\""));
      }
      c.command.op = kv::Op::kCas;
      c.command.key = std::string(rest);
      c.command.from = b["from"].dump();
      c.command.to = b["to"].dump();
      return to_loop(std::move(c));
    }
    return answer(ErrorAnswer(404, "not found"));
  }
  rest = path;
  if (method == "POST" && ConsumePrefix(&rest, "/lock/")) {
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    std::string_view name = rest;
    if (ConsumeSuffix(&name, "/acquire") && !name.empty()) {
      if (!ParseBody(body, &b, &bad)) return answer(std::move(bad));
      if (!b.contains("owner") || !b["owner"].is_string() || !b.contains("ttl_ms") ||
          !b["ttl_ms"].is_number_unsigned()) {
        return answer(ErrorAnswer(400, "want {\"owner\": string, \"ttl_ms\": n}"));
      }
      c.command.op = kv::Op::kAcquire;
      c.command.key = std::string(name);
      c.command.owner = b["owner"].get<std::string>();
      c.command.ttl_ms = b["ttl_ms"].get<uint64_t>();
      return to_loop(std::move(c));
    }
    name = rest;
    if (ConsumeSuffix(&name, "/release") && !name.empty()) {
      if (!ParseBody(body, &b, &bad)) return answer(std::move(bad));
      if (!b.contains("owner") || !b["owner"].is_string() || !b.contains("token") ||
          !b["token"].is_number_unsigned()) {
        return answer(ErrorAnswer(400, "want {\"owner\": string, \"token\": n}"));
      }
      c.command.op = kv::Op::kRelease;
      c.command.key = std::string(name);
      c.command.owner = b["owner"].get<std::string>();
      c.command.token = b["token"].get<uint64_t>();
      return to_loop(std::move(c));
    }
  }
  return answer(ErrorAnswer(404, "not found"));
}

}  // namespace

struct HttpApi::Impl {
  // One client connection; touched by the I/O thread only.
  struct Conn {
    uint64_t id = 0;
    int fd = -1;
    std::string in;   // received, not yet parsed
    std::string out;  // to send, from out_sent on
    size_t out_sent = 0;
    bool want_write = false;  // EPOLLOUT registered
    bool close_after_write = false;
    bool continue_sent = false;  // "100 Continue" sent for the request being received
    // The request with the loop, if any: answered when a Completion with this seq arrives, or
    // with 504 at the deadline (then seq moves on and the late answer is dropped).
    bool busy = false;
    uint64_t seq = 0;
    Clock::time_point deadline;
    ClientRequest::Kind kind = ClientRequest::Kind::kStatus;
    kv::Op op = kv::Op::kPut;
    bool keep_alive = true;
  };
  struct Completion {
    uint64_t conn_id;
    uint64_t seq;
    ClientReply reply;
  };

  explicit Impl(Node* n) : node(n) {}
  ~Impl() {
    for (auto& [id, c] : conns) ::close(c->fd);
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd, &one, sizeof(one));
  }

  // Runs on the loop thread (or inside Submit): queue only, wake the I/O thread once per batch.
  void Complete(uint64_t conn_id, uint64_t seq, ClientReply reply) {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu);
      was_empty = completions.empty();
      completions.push_back(Completion{conn_id, seq, std::move(reply)});
    }
    if (was_empty) Wake();
  }

  Conn* Find(uint64_t id) {
    auto it = conns.find(id);
    return it == conns.end() ? nullptr : it->second.get();
  }

  void Close(Conn* c) {
    ::close(c->fd);  // also removes it from the epoll set
    conns.erase(c->id);
  }

  void SetWantWrite(Conn* c, bool want) {
    if (c->want_write == want) return;
    c->want_write = want;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = c->id;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void AcceptAll() {
    while (true) {
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN, or out of fds: try again at the next event
      }
      if (conns.size() >= static_cast<size_t>(kMaxConnections)) {
        ::close(fd);
        continue;
      }
      // The answer goes out in one send(); without TCP_NODELAY a second request on the
      // connection could still wait for the client's delayed ACK.
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      auto c = std::make_unique<Conn>();
      c->id = next_conn_id++;
      c->fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = c->id;
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        continue;
      }
      conns.emplace(c->id, std::move(c));
    }
  }

  // Reads what the socket has; false when the connection was closed.
  bool Read(Conn* c) {
    char buf[64 << 10];
    while (true) {
      const ssize_t n = ::recv(c->fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c->in.append(buf, static_cast<size_t>(n));
        // Bound: at most one maximal request may be buffered beyond the one being served.
        if (c->in.size() > kMaxHeaderBytes + kMaxBodyBytes) {
          Close(c);
          return false;
        }
        // A short read drained the socket: skip the recv() that would only say EAGAIN (epoll
        // is level-triggered, so anything that arrives later is reported again).
        if (static_cast<size_t>(n) < sizeof(buf)) return true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      Close(c);  // EOF or error: an answer still owed is dropped (the client left)
      return false;
    }
  }

  // Sends what is queued; false when the connection was closed.
  bool Flush(Conn* c) {
    while (c->out_sent < c->out.size()) {
      const ssize_t n = ::send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c->out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetWantWrite(c, true);
        return true;
      }
      Close(c);
      return false;
    }
    c->out.clear();
    c->out_sent = 0;
    SetWantWrite(c, false);
    if (c->close_after_write) {
      Close(c);
      return false;
    }
    return true;
  }

  void Respond(Conn* c, const Answer& a, bool keep_alive) {
    std::string& o = c->out;
    o += "HTTP/1.1 ";
    o += std::to_string(a.status);
    o += ' ';
    o += Reason(a.status);
    o += "\r\nContent-Type: application/json\r\nContent-Length: ";
    o += std::to_string(a.body.size());
    o += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    o += a.body;
    if (!keep_alive) {
      c->close_after_write = true;
      c->in.clear();  // nothing after this request is served
    }
  }

  // Parses and dispatches buffered requests while none is with the loop. Returns true when it
  // stopped only because kMaxPendingOutputBytes of answers are waiting to be sent (a pipelining
  // client that does not read): call again once they are.
  bool Process(Conn* c) {
    while (!c->busy && !c->close_after_write) {
      if (c->out.size() - c->out_sent >= kMaxPendingOutputBytes) return true;
      const size_t head_end = c->in.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (c->in.size() > kMaxHeaderBytes) Respond(c, ErrorAnswer(431, "header too large"), false);
        return false;
      }
      if (head_end > kMaxHeaderBytes) {
        Respond(c, ErrorAnswer(431, "header too large"), false);
        return false;
      }
      const std::string_view head(c->in.data(), head_end);
      const size_t line_end = head.find("\r\n");
      const std::string_view line = head.substr(0, line_end);
      const size_t sp1 = line.find(' ');
      const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos) {
        Respond(c, ErrorAnswer(400, "bad request line"), false);
        return false;
      }
      const std::string_view method = line.substr(0, sp1);
      std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string_view version = line.substr(sp2 + 1);
      if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        Respond(c, ErrorAnswer(400, "unsupported HTTP version"), false);
        return false;
      }
      bool keep_alive = version == "HTTP/1.1";
      size_t content_length = 0;
      bool expect_continue = false;
      bool chunked = false;
      bool bad_length = false;
      size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos) eol = head.size();
        const std::string_view h = head.substr(pos, eol - pos);
        pos = eol + 2;
        const size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = Trim(h.substr(0, colon));
        const std::string_view value = Trim(h.substr(colon + 1));
        if (IEquals(name, "content-length")) {
          const auto [p, ec] =
              std::from_chars(value.data(), value.data() + value.size(), content_length);
          bad_length = ec != std::errc() || p != value.data() + value.size();
        } else if (IEquals(name, "connection")) {
          if (IContains(value, "close")) keep_alive = false;
          if (IContains(value, "keep-alive")) keep_alive = true;
        } else if (IEquals(name, "transfer-encoding")) {
          chunked = !IEquals(value, "identity");
        } else if (IEquals(name, "expect")) {
          expect_continue = IEquals(value, "100-continue");
        }
      }
      if (bad_length) {
        Respond(c, ErrorAnswer(400, "bad Content-Length"), false);
        return false;
      }
      if (chunked) {
        Respond(c, ErrorAnswer(501, "chunked request bodies are not supported"), false);
        return false;
      }
      if (content_length > kMaxBodyBytes) {
        Respond(c, ErrorAnswer(413, "body too large"), false);
        return false;
      }
      const size_t total = head_end + 4 + content_length;
      if (c->in.size() < total) {
        if (expect_continue && !c->continue_sent) {
          c->out += "HTTP/1.1 100 Continue\r\n\r\n";
          c->continue_sent = true;
        }
        return false;
      }
      c->continue_sent = false;
      if (target.substr(0, 7) == "http://") {  // absolute-form: keep the path
        const size_t slash = target.find('/', 7);
        target = slash == std::string_view::npos ? "/" : target.substr(slash);
      }
      if (const size_t q = target.find('?'); q != std::string_view::npos) {
        target = target.substr(0, q);
      }
      const std::string path = PercentDecode(target);
      const std::string body = c->in.substr(head_end + 4, content_length);
      Routed r = Route(method, path, body);
      c->in.erase(0, total);
      if (!r.to_loop) {
        Respond(c, r.answer, keep_alive);
        continue;
      }
      c->busy = true;
      const uint64_t seq = ++c->seq;
      c->deadline = Clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
      c->kind = r.request.kind;
      c->op = r.request.command.op;
      c->keep_alive = keep_alive;
      node->Submit(std::move(r.request), [this, id = c->id, seq](ClientReply reply) {
        Complete(id, seq, std::move(reply));
      });
    }
    return false;
  }

  // Serves what can be served on `c` and sends it; false when the connection was closed.
  bool Pump(Conn* c) {
    while (true) {
      const bool backpressure = Process(c);
      if (!Flush(c)) return false;
      if (!backpressure || !c->out.empty()) return true;  // EPOLLOUT resumes it
    }
  }

  void DrainCompletions() {
    uint64_t counter;
    [[maybe_unused]] ssize_t n = ::read(wake_fd, &counter, sizeof(counter));
    std::vector<Completion> batch;
    {
      std::lock_guard<std::mutex> lock(mu);
      batch.swap(completions);
    }
    for (Completion& done : batch) {
      Conn* c = Find(done.conn_id);
      if (c == nullptr || !c->busy || c->seq != done.seq) continue;  // gone or timed out
      c->busy = false;
      Respond(c, FormatReply(c->kind, c->op, done.reply), c->keep_alive);
      Pump(c);
    }
  }

  void ExpireRequests(Clock::time_point now) {
    std::vector<uint64_t> expired;
    for (auto& [id, c] : conns) {
      if (c->busy && c->deadline <= now) expired.push_back(id);
    }
    for (uint64_t id : expired) {
      Conn* c = Find(id);
      c->busy = false;
      ++c->seq;  // the loop's answer, if it ever comes, is dropped
      Respond(c, ErrorAnswer(504, "timeout"), c->keep_alive);  // may still happen: indeterminate
      Pump(c);
    }
  }

  void Serve() {
    epoll_event events[kMaxEvents];
    auto next_scan = Clock::now() + std::chrono::milliseconds(kTimeoutScanMs);
    while (!stopping.load()) {
      const int n = ::epoll_wait(epoll_fd, events, kMaxEvents, kTimeoutScanMs);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kListenId) {
          AcceptAll();
          continue;
        }
        if (id == kWakeId) {
          DrainCompletions();
          continue;
        }
        Conn* c = Find(id);
        if (c == nullptr) continue;
        const uint32_t ev = events[i].events;
        if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !Read(c)) continue;
        Pump(c);
      }
      const auto now = Clock::now();
      if (now >= next_scan) {
        ExpireRequests(now);
        next_scan = now + std::chrono::milliseconds(kTimeoutScanMs);
      }
    }
  }

  Node* node;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;  // I/O thread only
  uint64_t next_conn_id = kFirstConnId;
  std::mutex mu;
  std::vector<Completion> completions;  // GUARDED_BY(mu)
};

HttpApi::HttpApi(Node* node) : impl_(std::make_unique<Impl>(node)) {
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

HttpApi::~HttpApi() = default;

std::string HttpApi::Bind(const std::string& host, uint16_t port) {
  Impl& m = *impl_;
  if (m.epoll_fd < 0 || m.wake_fd < 0) return std::string("epoll/eventfd: ") + std::strerror(errno);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string where = "client port " + host + ":" + std::to_string(port);
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return "cannot resolve " + where;
  }
  m.listen_fd =
      ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
  const int one = 1;
  if (m.listen_fd >= 0) ::setsockopt(m.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // A deep backlog: 64 clients connecting at once must not overflow it and wait out TCP's 1 s
  // SYN retransmission (cpp-httplib's compiled-in backlog was 5).
  const bool ok = m.listen_fd >= 0 && ::bind(m.listen_fd, res->ai_addr, res->ai_addrlen) == 0 &&
                  ::listen(m.listen_fd, kListenBacklog) == 0;
  ::freeaddrinfo(res);
  if (!ok) {
    const std::string err = std::strerror(errno);
    if (m.listen_fd >= 0) ::close(m.listen_fd);
    m.listen_fd = -1;
    return "cannot listen on " + where + ": " + err;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  ::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.listen_fd, &ev);
  ev.data.u64 = kWakeId;
  ::epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.wake_fd, &ev);
  return "";
}

void HttpApi::Serve() { impl_->Serve(); }

void HttpApi::Stop() {
  impl_->stopping.store(true);
  impl_->Wake();
}

}  // namespace faultline::raft::server
