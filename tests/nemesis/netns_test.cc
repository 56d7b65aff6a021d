// Integration test of the netns backend: real namespaces, veths, a bridge and nftables rules.
// Skipped unless root with ip and nft. The "nodes" are this test binary re-executed inside a
// namespace (FL_NETNS_HELPER selects the role before gtest starts), so nothing beyond the
// binary itself is needed. All traffic stays on the namespaces this test creates.
#include "nemesis/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace faultline::nemesis {
namespace {

constexpr int kDialTimeoutMs = 1000;

// Connects to host:port within timeout_ms; the fd, or -1.
int Dial(const std::string& host, int port, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof(err);
  if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The greeting a listener sends ("pid N\n"), or "" if none arrives within timeout_ms.
std::string Greeting(const std::string& host, int port, int timeout_ms) {
  const int fd = Dial(host, port, timeout_ms);
  if (fd < 0) return "";
  std::string got;
  pollfd p{fd, POLLIN, 0};
  while (got.find('\n') == std::string::npos && ::poll(&p, 1, timeout_ms) == 1) {
    char buf[64];
    const ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r <= 0) break;
    got.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return got.substr(0, got.find('\n'));
}

// Helper roles, run in place of the tests when FL_NETNS_HELPER is set:
//   listen:PORT                 accept forever, greeting each connection with "pid N\n"
//   dial:HOST:PORT              exit 0 if a greeting arrives within kDialTimeoutMs, else 1
int RunHelper(const std::string& role) {
  if (role.rfind("listen:", 0) == 0) {
    const int port = std::atoi(role.c_str() + 7);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd, 16) != 0) {
      return 2;
    }
    const std::string hello = "pid " + std::to_string(::getpid()) + "\n";
    for (;;) {
      const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      [[maybe_unused]] ssize_t w = ::write(c, hello.data(), hello.size());
      ::close(c);
    }
  }
  if (role.rfind("dial:", 0) == 0) {
    const std::string rest = role.substr(5);
    const size_t colon = rest.rfind(':');
    const std::string g =
        Greeting(rest.substr(0, colon), std::atoi(rest.c_str() + colon + 1), kDialTimeoutMs);
    return g.rfind("pid ", 0) == 0 ? 0 : 1;
  }
  return 3;
}

const int kHelperDispatch = [] {
  if (const char* role = std::getenv("FL_NETNS_HELPER")) std::_Exit(RunHelper(role));
  return 0;
}();

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Spawns prefix + [this binary] with FL_NETNS_HELPER=role; the pid, or -1.
pid_t SpawnHelper(const std::vector<std::string>& prefix, const std::string& role) {
  std::vector<std::string> argv = prefix;
  argv.push_back(SelfExe());
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings = {"FL_NETNS_HELPER=" + role};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("FL_NETNS_HELPER=", 0) != 0) env_strings.push_back(*e);
  }
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), env.data()) != 0) return -1;
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string CommandOutput(const std::string& cmd) {
  std::string out;
  // popen runs a shell, which is fine for a read-only listing in a test.
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    ::pclose(f);
  }
  return out;
}

// Namespaces and links whose names start with `prefix`, one per line.
std::string Leftovers(const std::string& prefix) {
  return CommandOutput(
      "(ip netns list; ip -o link show | cut -d: -f2 | cut -d@ -f1) 2>/dev/null"
      " | tr -d ' ' | cut -d'(' -f1 | grep '^" +
      prefix + "' || true");
}

bool Usable(std::string* why) {
  const Status s = NetnsBackend::Probe();
  *why = s.message();
  return s.ok();
}

// Owns the backend and the helpers started in it: kills (by pid) and reaps the helpers, then
// tears the network down, whichever way the test ends.
struct Cluster {
  NetnsBackend net;
  std::vector<pid_t> helpers;
  explicit Cluster(const std::string& run_id) : net(NetOptions{run_id}) {}
  ~Cluster() {
    for (pid_t p : helpers) {
      ::kill(p, SIGKILL);
      WaitExit(p);
    }
    net.Teardown();
  }
  pid_t StartListener(const std::string& id, int port) {
    const pid_t pid = SpawnHelper(net.CommandPrefix(id), "listen:" + std::to_string(port));
    if (pid > 0) helpers.push_back(pid);
    return pid;
  }
  // Whether node `from` reaches node `to`'s client port.
  bool Reaches(const std::string& from, const base::NodeAddress& to) {
    const pid_t pid = SpawnHelper(net.CommandPrefix(from),
                                  "dial:" + to.host + ":" + std::to_string(to.client_port));
    return pid > 0 && WaitExit(pid) == 0;
  }
};

// Polls until `host:port` greets, within timeout_ms (a freshly started listener needs a moment).
std::string AwaitGreeting(const std::string& host, int port, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string g = Greeting(host, port, 200);
    if (!g.empty()) return g;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

TEST(NetnsBackend, cutBlocksNodeToNodeButNotControllerAndHealRestores) {
  std::string why;
  if (!Usable(&why)) GTEST_SKIP() << "netns unusable here: " << why;
  const std::string run = "ntt" + std::to_string(::getpid() % 10000);
  {
    Cluster c(run);
    const Status s = c.net.Setup({"n1", "n2", "n3"});
    ASSERT_TRUE(s.ok()) << s.message();
    const auto& nodes = c.net.nodes();
    ASSERT_EQ(nodes.size(), 3u);
    for (const base::NodeAddress& n : nodes) {
      EXPECT_EQ(n.host.rfind("198.1", 0), 0u) << n.host;
      EXPECT_EQ(n.client_port, NetnsBackend::kClientPort);
    }
    EXPECT_EQ(c.net.PeerAddress("n1", "n2"), nodes[1].host + ":7000");
    const auto prefix = c.net.CommandPrefix("n1");
    ASSERT_EQ(prefix.size(), 4u);
    EXPECT_EQ(prefix[3], run + "-n1");
    EXPECT_NE(Leftovers(run + "-").find(run + "-n1"), std::string::npos);

    pid_t pids[3];
    for (int i = 0; i < 3; ++i) {
      pids[i] = c.StartListener(nodes[static_cast<size_t>(i)].id, nodes[0].client_port);
      ASSERT_GT(pids[i], 0);
    }
    // Controller -> every node, and the pid `ip netns exec` started is the listener's own.
    for (int i = 0; i < 3; ++i) {
      const base::NodeAddress& n = nodes[static_cast<size_t>(i)];
      EXPECT_EQ(AwaitGreeting(n.host, n.client_port, 5000), "pid " + std::to_string(pids[i]))
          << "ip netns exec must exec in place";
    }
    EXPECT_TRUE(c.Reaches("n1", nodes[1]));
    EXPECT_TRUE(c.Reaches("n2", nodes[0]));

    // n1 and n2 drop each other; n3 is untouched.
    ASSERT_TRUE(c.net.Cut({{"n1", {"n2"}}, {"n2", {"n1"}}}).ok());
    EXPECT_FALSE(c.Reaches("n1", nodes[1]));
    EXPECT_FALSE(c.Reaches("n2", nodes[0]));
    EXPECT_TRUE(c.Reaches("n1", nodes[2]));
    EXPECT_TRUE(c.Reaches("n3", nodes[1]));
    for (const base::NodeAddress& n : nodes) {
      EXPECT_FALSE(Greeting(n.host, n.client_port, kDialTimeoutMs).empty())
          << "controller traffic never passes a cut: " << n.id;
    }

    // A new cut replaces the old one.
    ASSERT_TRUE(c.net.Cut({{"n3", {"n1"}}, {"n1", {"n3"}}}).ok());
    EXPECT_TRUE(c.Reaches("n1", nodes[1]));
    EXPECT_FALSE(c.Reaches("n1", nodes[2]));

    ASSERT_TRUE(c.net.Heal().ok());
    EXPECT_TRUE(c.Reaches("n1", nodes[1]));
    EXPECT_TRUE(c.Reaches("n1", nodes[2]));
    EXPECT_TRUE(c.Reaches("n3", nodes[0]));

    const pid_t janitor = c.net.janitor_pid();
    EXPECT_GT(janitor, 0);
    c.net.Teardown();
    EXPECT_NE(::kill(janitor, 0), 0) << "the janitor has exited and been reaped";
  }
  EXPECT_EQ(Leftovers(run + "-"), "");
}

TEST(NetnsBackend, janitorCleansUpAfterTheControllerDies) {
  std::string why;
  if (!Usable(&why)) GTEST_SKIP() << "netns unusable here: " << why;
  const std::string run = "ntj" + std::to_string(::getpid() % 10000);
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  const pid_t controller = ::fork();
  ASSERT_GE(controller, 0);
  if (controller == 0) {
    // The "controller": sets up and then waits to be killed, never calling Teardown.
    ::close(ready[0]);
    NetnsBackend net(NetOptions{run});
    const char ok = net.Setup({"n1", "n2"}).ok() ? 'y' : 'n';
    [[maybe_unused]] ssize_t w = ::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char ok = 0;
  const bool got = ::read(ready[0], &ok, 1) == 1;
  ::close(ready[0]);
  const std::string before = Leftovers(run + "-");
  ::kill(controller, SIGKILL);  // our own child
  WaitExit(controller);
  ASSERT_TRUE(got && ok == 'y');
  EXPECT_NE(before.find(run + "-n1"), std::string::npos);
  EXPECT_NE(before.find(run + "-br"), std::string::npos);
  std::string left;
  for (int i = 0; i < 100; ++i) {  // the janitor needs a few ip invocations
    left = Leftovers(run + "-");
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(left, "") << "the janitor removes everything with the run prefix";
}

TEST(NetnsBackend, setup_rejectsALongRunIdWithoutCreatingAnything) {
  NetnsBackend net(NetOptions{"much-too-long-run"});
  const Status s = net.Setup({"n1"});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  EXPECT_EQ(net.janitor_pid(), -1);
}

TEST(MakeNetBackend, autoPicksNetnsWhenUsable) {
  std::string why;
  const bool usable = Usable(&why);
  auto b = MakeNetBackend("auto", NetOptions{"nta"}, &why);
  ASSERT_TRUE(b.ok());
  EXPECT_STREQ((*b)->name(), usable ? "netns" : "proxy");
  EXPECT_EQ(why.rfind(usable ? "netns:" : "proxy:", 0), 0u) << why;
  EXPECT_EQ(Leftovers("flprobe"), "") << "the probe namespace is gone";
}

}  // namespace
}  // namespace faultline::nemesis
