#include "harness/readiness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "checker/value.h"

namespace faultline::harness {

namespace {

using Clock = std::chrono::steady_clock;

// Bound on what one probe reads: the status line, headers and the start of the body.
constexpr size_t kMaxAnswerBytes = 4096;

// "198.18.0.2:8080", "[::1]:8080": the address a connect failure names, so that a user can see
// which address the harness dialled (under netns a node must listen on its namespace's address).
std::string HostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// A socket connected to host:port, or -1 with *why set.
int Connect(const std::string& host, int port, Clock::time_point deadline, std::string* why) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    *why = "bad address " + host;
    return -1;
  }
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    *why = (errno == ECONNREFUSED ? "connection refused" : std::strerror(errno)) +
           std::string(" at ") + HostPort(host, port);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, RemainingMs(deadline)) <= 0) {
    *why = "connect timeout at " + HostPort(host, port);
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    *why = (err == ECONNREFUSED ? "connection refused" : std::strerror(err)) + std::string(" at ") +
           HostPort(host, port);
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string Seconds(std::chrono::milliseconds ms) {
  const long long whole = ms.count() / 1000;
  const long long tenths = ms.count() % 1000 / 100;
  return std::to_string(whole) + (tenths != 0 ? "." + std::to_string(tenths) : "") + " s";
}

}  // namespace

std::string Excerpt(std::string_view bytes, size_t max) {
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (bytes.size() > max ? "...\"" : "\"");
}

std::string DescribeAnswer(std::string_view bytes) {
  if (bytes.empty()) return "closed the connection without answering";
  if (bytes.substr(0, 5) != "HTTP/") return "not HTTP: answered " + Excerpt(bytes);
  const size_t space = bytes.find(' ');
  int status = 0;
  for (size_t i = space + 1; space != std::string_view::npos && i < bytes.size() && i < space + 4;
       ++i) {
    if (bytes[i] < '0' || bytes[i] > '9') {
      status = 0;
      break;
    }
    status = status * 10 + (bytes[i] - '0');
  }
  if (status < 100) return "not HTTP: answered " + Excerpt(bytes);
  const size_t header_end = bytes.find("\r\n\r\n");
  const std::string_view body =
      header_end == std::string_view::npos ? std::string_view() : bytes.substr(header_end + 4);
  const std::string http = "HTTP " + std::to_string(status);
  base::Result<checker::Value> json = checker::ParseJson(body);
  if (!json.ok() || !json->is_object()) {
    if (body.empty()) return http + " with an empty body";
    return http + " with a body that is not JSON: " + Excerpt(body);
  }
  if (status == 200) {
    if (json->find("value") == nullptr) return http + " without \"value\" in " + Excerpt(body);
    return "";
  }
  const checker::Value* error = json->find("error");
  if (status == 503) return "";  // up and speaking the protocol; not serving yet
  return http + (error != nullptr && error->is_string() ? " " + error->as_string() : "") + ": " +
         Excerpt(body);
}

std::string ProbeNode(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string why;
  const int fd = Connect(host, port, deadline, &why);
  if (fd < 0) return why;
  const std::string request = "GET /kv/faultline-probe HTTP/1.1\r\nHost: " + host + ":" +
                              std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    pollfd p{fd, POLLOUT, 0};
    if (n < 0 && errno == EAGAIN && ::poll(&p, 1, RemainingMs(deadline)) > 0) continue;
    // A node that closes before reading the request (or answers first) still answered.
    break;
  }
  std::string answer;
  bool closed = false;
  while (answer.size() < kMaxAnswerBytes) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;  // the deadline
    char buf[1024];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      closed = true;
      break;
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (answer.empty() && !closed)
    return "no answer within " + Seconds(timeout) + " (request timeout)";
  return DescribeAnswer(answer);
}

std::vector<std::string> LastLines(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 16384 ? size - 16384 : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<std::string> lines;
  size_t end = text.size();
  while (end > 0 && lines.size() < n) {
    size_t start = text.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.insert(lines.begin(), std::move(line));
    end = start == 0 ? 0 : start - 1;
  }
  return lines;
}

}  // namespace faultline::harness
