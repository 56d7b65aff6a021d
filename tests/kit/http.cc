#include "tests/kit/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace faultline::testkit {
namespace {

using Clock = std::chrono::steady_clock;

// Bound on one answer (STYLE.md: a limit on everything); raftkv's largest is a 64 MiB value.
constexpr size_t kMaxResponseBytes = 80u << 20;

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, MillisLeft(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The value of header `name` (lower case, without the colon) in lower-cased `head`, or npos.
size_t HeaderValue(const std::string& head, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ":";
  size_t p = head.find(key);
  if (p == std::string::npos) return p;
  p += key.size();
  while (p < head.size() && head[p] == ' ') ++p;
  return p;
}

}  // namespace

HttpConnection::HttpConnection(uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

HttpResponse HttpConnection::Fail(std::string error) {
  Close();
  HttpResponse out;
  out.error = std::move(error);
  return out;
}

bool HttpConnection::Connect(Deadline deadline, std::string* error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  ++connects_;
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
  if (errno != EINPROGRESS) {
    *error = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  if (!WaitFor(fd_, POLLOUT, deadline)) {
    *error = "timeout";
    return false;
  }
  int so_error = 0;
  socklen_t len = sizeof(so_error);
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    *error = std::string("connect: ") + std::strerror(so_error);
    return false;
  }
  return true;
}

bool HttpConnection::Fill(Deadline deadline, std::string* error) {
  char tmp[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      if (buf_.size() > kMaxResponseBytes) {
        *error = "answer larger than " + std::to_string(kMaxResponseBytes) + " bytes";
        return false;
      }
      return true;
    }
    if (n == 0) {
      *error = "connection closed";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *error = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    if (!WaitFor(fd_, POLLIN, deadline)) {
      *error = "timeout";
      return false;
    }
  }
}

HttpResponse HttpConnection::Request(std::string_view method, std::string_view path,
                                     std::string_view body) {
  std::string req;
  req.reserve(128 + path.size() + body.size());
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!body.empty() || method == "PUT" || method == "POST") {
    req.append("Content-Type: application/json\r\nContent-Length: ")
        .append(std::to_string(body.size()))
        .append("\r\n");
  }
  req.append("\r\n").append(body);
  return Exchange(req);
}

HttpResponse HttpConnection::Exchange(std::string_view bytes) {
  const Deadline deadline = Clock::now() + timeout_;
  std::string error;
  if (fd_ < 0 && !Connect(deadline, &error)) return Fail(error);
  buf_.clear();  // nothing may be pending between requests; leftovers would be a stale answer

  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd_, POLLOUT, deadline)) return Fail("timeout");
    } else {
      return Fail(std::string("send: ") + std::strerror(errno));
    }
  }

  size_t split;
  while ((split = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline, &error)) return Fail(error);
  }
  const std::string head = Lower(std::string_view(buf_).substr(0, split));
  buf_.erase(0, split + 4);
  int status = 0;
  if (head.size() < 12 || head.rfind("http/1.", 0) != 0 ||
      std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc() ||
      status < 100) {
    return Fail("malformed status line");
  }
  const bool close_after = [&] {
    const size_t c = HeaderValue(head, "connection");
    return c != std::string::npos && head.compare(c, 5, "close") == 0;
  }();

  HttpResponse out;
  if (const size_t te = HeaderValue(head, "transfer-encoding");
      te != std::string::npos && head.compare(te, 7, "chunked") == 0) {
    for (;;) {
      size_t line_end;
      while ((line_end = buf_.find("\r\n")) == std::string::npos) {
        if (!Fill(deadline, &error)) return Fail(error);
      }
      size_t chunk = 0;
      const auto r = std::from_chars(buf_.data(), buf_.data() + line_end, chunk, 16);
      if (r.ec != std::errc() || chunk > kMaxResponseBytes) return Fail("malformed chunk size");
      while (buf_.size() < line_end + 2 + chunk + 2) {
        if (!Fill(deadline, &error)) return Fail(error);
      }
      out.body.append(buf_, line_end + 2, chunk);
      buf_.erase(0, line_end + 2 + chunk + 2);
      if (chunk == 0) break;  // trailers are not supported (raftkv and etcd send none)
    }
  } else if (const size_t cl = HeaderValue(head, "content-length"); cl != std::string::npos) {
    size_t length = 0;
    if (std::from_chars(head.data() + cl, head.data() + head.size(), length).ec != std::errc() ||
        length > kMaxResponseBytes) {
      return Fail("malformed content-length");
    }
    while (buf_.size() < length) {
      if (!Fill(deadline, &error)) return Fail(error);
    }
    out.body = buf_.substr(0, length);
    buf_.erase(0, length);
  } else if (status >= 200 && status != 204 && status != 304) {
    // No length: the body runs to the end of the connection.
    while (Fill(deadline, &error)) {
    }
    if (error != "connection closed") return Fail(error);
    out.body = std::move(buf_);
    Close();
  }
  out.status = status;
  if (close_after) Close();
  return out;
}

HttpResponse Http(uint16_t port, std::string_view method, std::string_view path,
                  std::string_view body, std::chrono::milliseconds timeout) {
  HttpConnection conn(port, timeout);
  return conn.Request(method, path, body);
}

}  // namespace faultline::testkit
