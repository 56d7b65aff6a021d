#include "nemesis/proxy.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

namespace faultline::nemesis {
namespace {

// How long a test waits for bytes it expects not to arrive. Silence cannot be observed in less
// than some time; this is the one place the proxy tests wait on the clock.
constexpr int kSilenceMs = 300;
constexpr int kExpectMs = 5000;

int ThreadCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

int PortOf(const std::string& host_port) {
  return std::stoi(host_port.substr(host_port.rfind(':') + 1));
}

// A node's peer port stand-in: accepts connections and echoes every byte back. One thread,
// polling, stopped by the destructor.
class EchoServer {
 public:
  explicit EchoServer(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && ::listen(fd_, 16) == 0;
    ::pipe2(stop_, O_CLOEXEC);
    thread_ = std::thread([this] { Run(); });
  }
  ~EchoServer() {
    [[maybe_unused]] ssize_t w = ::write(stop_[1], "x", 1);
    thread_.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }
  bool ok() const { return ok_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Run() {
    for (;;) {
      std::vector<pollfd> fds = {{stop_[0], POLLIN, 0}, {fd_, POLLIN, 0}};
      for (int c : conns_) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents) return;
      if (fds[1].revents) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          conns_.insert(c);
          ++accepted_;
        }
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        char buf[4096];
        const ssize_t r = ::read(fds[i].fd, buf, sizeof(buf));
        if (r <= 0) {
          ::close(fds[i].fd);
          conns_.erase(fds[i].fd);
        } else {
          [[maybe_unused]] ssize_t w = ::write(fds[i].fd, buf, static_cast<size_t>(r));
        }
      }
    }
  }
  int fd_ = -1;
  int stop_[2] = {-1, -1};
  bool ok_ = false;
  std::set<int> conns_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A client socket with helpers; closes on destruction.
struct Client {
  int fd = -1;
  explicit Client(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Client() {
    if (fd >= 0) ::close(fd);
  }
  bool Send(const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads up to n bytes within timeout_ms. "" on silence; "<eof>" when the stream ended
  // (closed or reset).
  std::string Recv(size_t n, int timeout_ms) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      const ssize_t r = ::recv(fd, buf, std::min(sizeof(buf), n - got.size()), 0);
      if (r <= 0) return got + "<eof>";
      got.append(buf, static_cast<size_t>(r));
    }
    return got;
  }
};

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(proxy_.Setup({"n1", "n2", "n3"}).ok()); }
  void TearDown() override { proxy_.Teardown(); }
  int PeerPort(int i) const { return proxy_.nodes()[static_cast<size_t>(i)].peer_port; }
  int Relay(const std::string& from, const std::string& to) const {
    return PortOf(proxy_.PeerAddress(from, to));
  }

  ProxyBackend proxy_{NetOptions{"pt1"}};
};

TEST_F(ProxyTest, setup_laysOutDistinctLoopbackPorts) {
  std::set<int> ports;
  ASSERT_EQ(proxy_.nodes().size(), 3u);
  for (const base::NodeAddress& n : proxy_.nodes()) {
    EXPECT_EQ(n.host, "127.0.0.1");
    EXPECT_TRUE(ports.insert(n.client_port).second);
    EXPECT_TRUE(ports.insert(n.peer_port).second);
    EXPECT_TRUE(proxy_.CommandPrefix(n.id).empty());
  }
  for (const char* from : {"n1", "n2", "n3"}) {
    for (const char* to : {"n1", "n2", "n3"}) {
      const std::string addr = proxy_.PeerAddress(from, to);
      ASSERT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
      if (std::string(from) == to) {
        EXPECT_EQ(PortOf(addr), proxy_.nodes()[static_cast<size_t>(from[1] - '1')].peer_port);
      } else {
        EXPECT_TRUE(ports.insert(PortOf(addr)).second) << "relay " << from << "->" << to;
      }
    }
  }
  EXPECT_EQ(proxy_.PeerAddress("n1", "n9"), "");
  EXPECT_STREQ(proxy_.name(), "proxy");
}

TEST_F(ProxyTest, relay_pipesBytesBothWays) {
  EchoServer n2(PeerPort(1));
  ASSERT_TRUE(n2.ok());
  Client c(Relay("n1", "n2"));
  ASSERT_GE(c.fd, 0);
  ASSERT_TRUE(c.Send("hello"));
  EXPECT_EQ(c.Recv(5, kExpectMs), "hello");
  const std::string big(300 * 1024, 'x');  // more than the relay buffers at once
  std::thread writer([&] { c.Send(big); });
  const std::string back = c.Recv(big.size(), kExpectMs * 2);
  writer.join();
  EXPECT_EQ(back.size(), big.size());
  EXPECT_EQ(proxy_.CountsForLink("n1", "n2").forwarding, 1);
}

TEST_F(ProxyTest, cut_closesOpenConnectionsAndBlackholesNewOnes) {
  EchoServer n2(PeerPort(1));
  ASSERT_TRUE(n2.ok());
  Client open(Relay("n1", "n2"));
  ASSERT_TRUE(open.Send("a"));
  ASSERT_EQ(open.Recv(1, kExpectMs), "a");

  ASSERT_TRUE(proxy_.Cut({{"n2", {"n1"}}, {"n1", {"n2"}}}).ok());
  EXPECT_EQ(open.Recv(1, kExpectMs), "<eof>") << "the open connection is closed by the cut";
  EXPECT_EQ(proxy_.CountsForLink("n1", "n2").forwarding, 0);

  const int accepted_before = n2.accepted();
  Client during(Relay("n1", "n2"));
  ASSERT_GE(during.fd, 0);
  ASSERT_TRUE(during.Send("b"));
  EXPECT_EQ(during.Recv(1, kSilenceMs), "") << "nothing crosses a cut link, not even a close";
  EXPECT_EQ(n2.accepted(), accepted_before) << "the target never hears of it";
  EXPECT_EQ(proxy_.CountsForLink("n1", "n2").blackholed, 1);

  ASSERT_TRUE(proxy_.Heal().ok());
  EXPECT_EQ(during.Recv(1, kExpectMs), "<eof>") << "heal closes blackholed connections";
  Client after(Relay("n1", "n2"));
  ASSERT_TRUE(after.Send("c"));
  EXPECT_EQ(after.Recv(1, kExpectMs), "c");
  EXPECT_EQ(proxy_.CountsForLink("n1", "n2").blackholed, 0);
}

TEST_F(ProxyTest, cut_ofOneDirectionLeavesTheOtherWorking) {
  EchoServer n1(PeerPort(0));
  EchoServer n2(PeerPort(1));
  ASSERT_TRUE(n1.ok() && n2.ok());
  // n2 drops n1's traffic: link n1->n2 is cut, n2->n1 is not.
  ASSERT_TRUE(proxy_.Cut({{"n2", {"n1"}}}).ok());
  Client n2_to_n1(Relay("n2", "n1"));
  ASSERT_TRUE(n2_to_n1.Send("up"));
  EXPECT_EQ(n2_to_n1.Recv(2, kExpectMs), "up");
  Client n1_to_n2(Relay("n1", "n2"));
  ASSERT_TRUE(n1_to_n2.Send("down"));
  EXPECT_EQ(n1_to_n2.Recv(4, kSilenceMs), "");
  // Links not involved are untouched.
  Client n3_to_n2(Relay("n3", "n2"));
  ASSERT_TRUE(n3_to_n2.Send("side"));
  EXPECT_EQ(n3_to_n2.Recv(4, kExpectMs), "side");
}

TEST_F(ProxyTest, cut_replacesThePreviousCut) {
  EchoServer n2(PeerPort(1));
  ASSERT_TRUE(proxy_.Cut({{"n2", {"n1"}}}).ok());
  ASSERT_TRUE(proxy_.Cut({{"n2", {"n3"}}}).ok());
  Client n1_to_n2(Relay("n1", "n2"));
  ASSERT_TRUE(n1_to_n2.Send("ok"));
  EXPECT_EQ(n1_to_n2.Recv(2, kExpectMs), "ok");
  Client n3_to_n2(Relay("n3", "n2"));
  ASSERT_TRUE(n3_to_n2.Send("no"));
  EXPECT_EQ(n3_to_n2.Recv(2, kSilenceMs), "");
}

TEST_F(ProxyTest, relay_toADownNodeClosesTheConnection) {
  Client c(Relay("n1", "n3"));  // nothing listens on n3's peer port
  ASSERT_GE(c.fd, 0);
  EXPECT_EQ(c.Recv(1, kExpectMs), "<eof>");
}

TEST_F(ProxyTest, cut_withAnUnknownNodeIsAnError) {
  const Status s = proxy_.Cut({{"n9", {"n1"}}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

TEST(ProxyBackend, teardown_leavesNoThreadAndIsIdempotent) {
  const int before = ThreadCount();
  {
    ProxyBackend proxy(NetOptions{"pt2"});
    ASSERT_TRUE(proxy.Setup({"n1", "n2", "n3", "n4", "n5"}).ok());
    EXPECT_EQ(ThreadCount(), before + 1) << "one relay thread for all 20 links";
    const int relay = PortOf(proxy.PeerAddress("n1", "n2"));
    proxy.Teardown();
    proxy.Teardown();
    EXPECT_EQ(ThreadCount(), before);
    Client c(relay);
    EXPECT_LT(c.fd, 0) << "relay listeners are closed";
    EXPECT_FALSE(proxy.Cut({}).ok());
  }
  EXPECT_EQ(ThreadCount(), before);
}

TEST(MakeNetBackend, proxyAndUnknownKinds) {
  std::string why;
  auto b = MakeNetBackend("proxy", NetOptions{"pt3"}, &why);
  ASSERT_TRUE(b.ok());
  EXPECT_STREQ((*b)->name(), "proxy");
  EXPECT_FALSE(why.empty());
  auto bad = MakeNetBackend("carrier-pigeon", NetOptions{"pt3"}, &why);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find('\n'), std::string::npos);
  EXPECT_NE(bad.status().message().find("carrier-pigeon"), std::string::npos);
}

}  // namespace
}  // namespace faultline::nemesis
