// Tests of the test kit's ports and HTTP client (tests/kit/), on loopback only. RaftkvCluster is
// exercised by the integration tests that use it (tests/raft, tests/targets).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/kit/http.h"
#include "tests/kit/ports.h"

namespace faultline::testkit {
namespace {

using std::chrono::milliseconds;

// bind() (and listen(), when `listen` is set) on 127.0.0.1:port; returns the fd or -1.
int BindLoopback(uint16_t port, bool reuse_addr, bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (reuse_addr) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (listen && ::listen(fd, 16) != 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(ReservedPortTest, neverHandsOutAPortTwice) {
  std::set<uint16_t> seen;
  std::vector<ReservedPort> held;
  for (int i = 0; i < 200; ++i) {
    ReservedPort p = ReservedPort::Reserve();
    ASSERT_NE(p.port(), 0) << p.error();
    EXPECT_TRUE(seen.insert(p.port()).second) << "port " << p.port() << " handed out twice";
    // Release half at once: a released port is free for the kernel to hand out again, but not
    // for this process.
    if (i % 2 == 0) {
      p.Release();
    } else {
      held.push_back(std::move(p));
    }
  }
}

TEST(ReservedPortTest, heldPortIsTakenForOthersButAReuseAddrServerCanListenOnIt) {
  ReservedPort p = ReservedPort::Reserve();
  ASSERT_NE(p.port(), 0) << p.error();
  EXPECT_TRUE(p.held());
  EXPECT_EQ(BindLoopback(p.port(), /*reuse_addr=*/false, /*listen=*/false), -1);
  // Nobody listens yet: a connection is refused.
  EXPECT_EQ(Http(p.port(), "GET", "/").error, "connect: Connection refused");
  // A server that sets SO_REUSEADDR (raftkv, etcd) binds and listens while the port is held.
  const int server = BindLoopback(p.port(), /*reuse_addr=*/true, /*listen=*/true);
  ASSERT_GE(server, 0) << "a SO_REUSEADDR listener could not bind a held port";
  ::close(server);
  p.Release();
  EXPECT_FALSE(p.held());
  EXPECT_NE(p.port(), 0);
}

// Answers each request on one connection with the next canned answer, then closes.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    port_ = ReservedPort::Reserve();
    fd_ = BindLoopback(port_.port(), true, true);
    thread_ = std::thread([this] { Run(); });
  }
  ~CannedServer() {
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_.port(); }
  int accepted() const { return accepted_; }

 private:
  void Run() {
    for (size_t next = 0; next < answers_.size();) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) return;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) return;
      ++accepted_;
      std::string in;
      char buf[4096];
      while (next < answers_.size()) {
        // One request: these tests send no bodies.
        while (in.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
          if (n <= 0) break;
          in.append(buf, static_cast<size_t>(n));
        }
        const size_t end = in.find("\r\n\r\n");
        if (end == std::string::npos) break;
        in.erase(0, end + 4);
        const std::string& a = answers_[next++];
        ::send(conn, a.data(), a.size(), MSG_NOSIGNAL);
        if (a.find("Content-Length") == std::string::npos &&
            a.find("content-length") == std::string::npos &&
            a.find("chunked") == std::string::npos) {
          break;  // an answer delimited by closing the connection
        }
      }
      ::close(conn);
    }
  }

  std::vector<std::string> answers_;
  ReservedPort port_;
  int fd_ = -1;
  int accepted_ = 0;
  std::thread thread_;
};

TEST(HttpTest, keepAliveContentLengthChunkedAndCloseDelimited) {
  CannedServer server({
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"value\":1}",
      "HTTP/1.1 412 Precondition Failed\r\ncontent-length: 20\r\n\r\n{\"error\":\"mismatch\"}",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
      "HTTP/1.1 503 Service Unavailable\r\n\r\n{\"error\":\"not-leader\"}",
  });
  HttpConnection conn(server.port(), milliseconds(3000));
  HttpResponse r = conn.Get("/kv/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"value\":1}");
  r = conn.Post("/kv/a/cas", R"({"from":1,"to":2})");
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(r.body, "{\"error\":\"mismatch\"}");
  r = conn.Get("/x");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"a\":1}");
  r = conn.Get("/y");
  EXPECT_EQ(r.status, 503) << r.error;
  EXPECT_EQ(r.body, "{\"error\":\"not-leader\"}");
  EXPECT_EQ(conn.connects(), 1u) << "keep-alive: one connection for all four";
}

TEST(HttpTest, silentServerTimesOutWithinTheDeadline) {
  ReservedPort p = ReservedPort::Reserve();
  const int fd = BindLoopback(p.port(), true, true);  // handshakes complete; nobody answers
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  const HttpResponse r = Http(p.port(), "GET", "/status", {}, milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "timeout");
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST(HttpTest, malformedAnswerIsNoAnswer) {
  CannedServer server({"garbage\r\n\r\n"});
  HttpConnection conn(server.port(), milliseconds(3000));
  const HttpResponse r = conn.Exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "malformed status line");
}

}  // namespace
}  // namespace faultline::testkit
