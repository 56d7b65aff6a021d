// Integration test of the raftkv binary (issue 3, "Evidence it works"): three real processes on
// loopback; writes through the leader; SIGKILL of the leader; every acknowledged write read back
// from the new leader; the killed node restarted on its data dir catches up.
//
// Every child is SIGKILLed and reaped in TearDown (and by the fixture on any failure path);
// only PIDs this test started are signalled. All traffic goes to 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct HttpResponse {
  int status = 0;  // 0: no answer (connection failed or timed out)
  std::string body;
};

// A minimal HTTP/1.1 client (Connection: close) for 127.0.0.1, with a receive timeout.
HttpResponse Http(uint16_t port, const std::string& method, const std::string& path,
                  const std::string& body = "") {
  HttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return out;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return out;
  }
  std::string resp;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (resp.rfind("HTTP/1.1 ", 0) != 0 || resp.size() < 12) return out;
  out.status = std::stoi(resp.substr(9, 3));
  const size_t split = resp.find("\r\n\r\n");
  if (split != std::string::npos) out.body = resp.substr(split + 4);
  return out;
}

// The value of "field" in a flat JSON object, as raw text (good enough for /status).
std::string JsonField(const std::string& json, const std::string& field) {
  const std::string key = "\"" + field + "\":";
  size_t p = json.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  size_t e = p;
  while (e < json.size() && json[e] != ',' && json[e] != '}') ++e;
  return json.substr(p, e - p);
}

uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct NodeProc {
  std::string id;
  uint16_t client_port = 0;
  uint16_t peer_port = 0;
  std::string data_dir;
  pid_t pid = -1;
};

class RaftkvIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("raftkv_integration_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    for (int i = 1; i <= 3; ++i) {
      NodeProc n;
      n.id = "n" + std::to_string(i);
      n.client_port = FreePort();
      n.peer_port = FreePort();
      ASSERT_NE(n.client_port, 0);
      ASSERT_NE(n.peer_port, 0);
      n.data_dir = (root_ / n.id).string();
      nodes_.push_back(n);
    }
    for (const NodeProc& n : nodes_) {
      if (!peers_.empty()) peers_ += ",";
      peers_ += n.id + "=127.0.0.1:" + std::to_string(n.peer_port);
    }
  }

  void TearDown() override {
    for (NodeProc& n : nodes_) Kill(n);
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void Start(NodeProc& n) {
    const std::string binary = FAULTLINE_BINARY_DIR "/bin/raftkv";
    std::vector<std::string> args = {binary,
                                     "--id",
                                     n.id,
                                     "--host",
                                     "127.0.0.1",
                                     "--client-port",
                                     std::to_string(n.client_port),
                                     "--peer-port",
                                     std::to_string(n.peer_port),
                                     "--peers",
                                     peers_,
                                     "--data",
                                     n.data_dir,
                                     "--election-timeout-ms",
                                     "500",
                                     "--heartbeat-ms",
                                     "50"};
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    n.pid = pid;
  }

  static void Kill(NodeProc& n) {
    if (n.pid <= 0) return;
    ::kill(n.pid, SIGKILL);
    int status = 0;
    ::waitpid(n.pid, &status, 0);
    n.pid = -1;
  }

  // The index of the node that is leader according to its own /status and agreed by a
  // majority of the running nodes, or -1 once `timeout` passes.
  int WaitForLeader(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].pid <= 0) continue;
        const HttpResponse r = Http(nodes_[i].client_port, "GET", "/status");
        if (r.status == 200 && JsonField(r.body, "role") == "\"leader\"") {
          return static_cast<int>(i);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  std::filesystem::path root_;
  std::vector<NodeProc> nodes_;
  std::string peers_;
};

TEST_F(RaftkvIntegrationTest, AcknowledgedWritesSurviveLeaderKill) {
  for (NodeProc& n : nodes_) ASSERT_NO_FATAL_FAILURE(Start(n));
  const int leader = WaitForLeader(std::chrono::seconds(10));
  ASSERT_GE(leader, 0) << "no leader within 10 s";

  // A non-leader refuses, naming the leader.
  const int follower = (leader + 1) % 3;
  const HttpResponse refused =
      Http(nodes_[follower].client_port, "PUT", "/kv/x", R"({"value": 1})");
  if (refused.status == 503) {
    EXPECT_NE(refused.body.find("not-leader"), std::string::npos) << refused.body;
  }

  // Writes through the leader; only acknowledged ones must survive.
  std::map<std::string, std::string> acked;
  const auto write_start = Clock::now();
  for (int i = 0; i < 50; ++i) {
    const std::string key = "key" + std::to_string(i);
    const std::string value = std::to_string(i * 7);
    const HttpResponse r =
        Http(nodes_[leader].client_port, "PUT", "/kv/" + key, "{\"value\": " + value + "}");
    if (r.status == 200) acked[key] = value;
  }
  const double write_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - write_start).count();
  std::printf("50 sequential PUTs: %.1f ms (%.2f ms each)\n", write_ms, write_ms / 50);
  EXPECT_EQ(acked.size(), 50u) << "the leader refused writes in a healthy cluster";

  // A lock round trip on the leader (DESIGN.md §6).
  const HttpResponse acq = Http(nodes_[leader].client_port, "POST", "/lock/l/acquire",
                                R"({"owner": "p1", "ttl_ms": 60000})");
  EXPECT_EQ(acq.status, 200) << acq.body;
  EXPECT_EQ(Http(nodes_[leader].client_port, "POST", "/lock/l/acquire",
                 R"({"owner": "p2", "ttl_ms": 60000})")
                .status,
            409);

  Kill(nodes_[leader]);
  const auto kill_time = Clock::now();
  const int new_leader = WaitForLeader(std::chrono::seconds(10));
  ASSERT_GE(new_leader, 0) << "no new leader within 10 s of the kill";
  ASSERT_NE(new_leader, leader);
  std::printf("new leader %s after %.0f ms\n", nodes_[new_leader].id.c_str(),
              std::chrono::duration<double, std::milli>(Clock::now() - kill_time).count());

  for (const auto& [key, value] : acked) {
    HttpResponse r;
    // The new leader serves ReadIndex reads once its no-op commits; retry briefly until then.
    for (int attempt = 0; attempt < 50; ++attempt) {
      r = Http(nodes_[new_leader].client_port, "GET", "/kv/" + key);
      if (r.status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(r.status, 200) << key << ": " << r.body;
    EXPECT_EQ(r.body, "{\"value\":" + value + "}") << key;
  }

  // One more write under the new leader, then the killed node comes back and catches up.
  ASSERT_EQ(Http(nodes_[new_leader].client_port, "PUT", "/kv/after", R"({"value": "x"})").status,
            200);
  const HttpResponse st = Http(nodes_[new_leader].client_port, "GET", "/status");
  ASSERT_EQ(st.status, 200);
  const uint64_t target = std::stoull(JsonField(st.body, "commit_index"));

  ASSERT_NO_FATAL_FAILURE(Start(nodes_[leader]));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  uint64_t caught_up = 0;
  while (Clock::now() < deadline) {
    const HttpResponse r = Http(nodes_[leader].client_port, "GET", "/status");
    if (r.status == 200) {
      const std::string ci = JsonField(r.body, "commit_index");
      if (!ci.empty()) caught_up = std::stoull(ci);
      if (caught_up >= target) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(caught_up, target) << "the restarted node did not catch up";
}

}  // namespace
