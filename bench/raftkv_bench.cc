// Benchmark of real raftkv processes on 127.0.0.1 (DESIGN.md section 9: speed is measured here,
// never asserted). For 3 and 5 nodes with default flags (fsync on) it drives 1, 16 and 64
// concurrent keep-alive HTTP clients against the leader with the mixed workload of DESIGN.md
// section 6 (50% GET, 30% PUT, 20% CAS over keys k0..k99) and prints throughput, p50/p99 latency
// and outcome counts; then it SIGKILLs the leader while one client writes and reports the time
// from the kill to the next PUT committed (200) through the new leader.
//
// Every child is SIGKILLed and reaped on every exit path (normal, error, SIGINT/SIGTERM); only
// PIDs this program started are signalled. All traffic goes to 127.0.0.1.
//
// With --etcd it also starts 3 real etcd processes (Debian etcd-server, /usr/bin/etcd) on
// 127.0.0.1 with their own temporary data directories, drives the same client counts against
// the etcd leader with the equivalent mix through etcd's v3 HTTP/JSON gateway (GET: linearizable
// POST /v3/kv/range; PUT: /v3/kv/put; CAS: /v3/kv/txn comparing the value), and prints both
// 3-node results side by side. etcd nodes are stopped with SIGTERM, waited for (bounded), then
// SIGKILLed if need be, and reaped.
//
// Usage: raftkv_bench [--seconds N] [--nodes 3|5] [--quick] [--etcd]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// ---- Child registry: every PID we forked, killed and reaped on every exit path. ----------------

constexpr int kMaxChildren = 16;
volatile sig_atomic_t g_children[kMaxChildren] = {};

void RegisterChild(pid_t pid) {
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] == 0) {
      g_children[i] = pid;
      return;
    }
  }
  // Should not happen (at most 5 nodes alive); never leave a child unreaped.
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  throw std::runtime_error("child registry full");
}

// Kills and reaps one child we started. Async-signal-safe.
void KillChild(pid_t pid) {
  if (pid <= 0) return;
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] == pid) {
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      g_children[i] = 0;
      return;
    }
  }
}

void KillAllChildren() {
  for (int i = 0; i < kMaxChildren; ++i) {
    const pid_t pid = static_cast<pid_t>(g_children[i]);
    if (pid > 0) KillChild(pid);
  }
}

// SIGTERM, then up to `grace` for the child to exit, then SIGKILL; always reaped.
void TerminateChild(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  for (int i = 0; i < kMaxChildren; ++i) {
    if (g_children[i] != pid) continue;
    ::kill(pid, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
      const pid_t r = ::waitpid(pid, nullptr, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) {
        g_children[i] = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    KillChild(pid);  // SIGKILL and reap
    return;
  }
}

std::filesystem::path g_root;  // removed at exit

// SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken here: kill and reap the children,
// remove the data directories, exit.
void SignalThread(sigset_t set) {
  int sig = 0;
  if (::sigwait(&set, &sig) != 0) return;
  KillAllChildren();
  std::error_code ec;
  if (!g_root.empty()) std::filesystem::remove_all(g_root, ec);
  std::fflush(stdout);
  ::_exit(128 + sig);
}

// ---- A minimal keep-alive HTTP/1.1 client for 127.0.0.1. ---------------------------------------

struct HttpResponse {
  int status = 0;  // 0: no answer (connection failed, closed or timed out)
  std::string body;
};

class HttpConn {
 public:
  explicit HttpConn(uint16_t port, int timeout_s = 5) : port_(port), timeout_s_(timeout_s) {}
  ~HttpConn() { Close(); }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }

  HttpResponse Request(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    HttpResponse out;
    if (fd_ < 0 && !Connect()) return out;
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.empty() || method == "PUT" || method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    size_t sent = 0;
    while (sent < req.size()) {
      const ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        Close();
        return out;
      }
      sent += static_cast<size_t>(n);
    }
    // Headers.
    size_t split;
    while ((split = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return out;
    }
    const std::string head = buf_.substr(0, split);
    buf_.erase(0, split + 4);
    if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 12) {
      Close();
      return out;
    }
    int status = 0;
    std::from_chars(head.data() + 9, head.data() + 12, status);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t length = 0;
    if (const size_t p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
      size_t q = p + 17;
      while (q < lower.size() && lower[q] == ' ') ++q;
      std::from_chars(lower.data() + q, lower.data() + lower.size(), length);
    }
    const bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
    while (buf_.size() < length) {
      if (!Fill()) return out;
    }
    out.status = status;
    out.body = buf_.substr(0, length);
    buf_.erase(0, length);
    if (close_after) Close();
    return out;
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    ++connects;
    timeval tv{timeout_s_, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close();
      return false;
    }
    return true;
  }

  bool Fill() {
    char tmp[8192];
    const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      Close();
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  uint16_t port_;
  int timeout_s_;
  int fd_ = -1;
  std::string buf_;

 public:
  uint64_t connects = 0;  // TCP connections opened (the server closes keep-alive ones after a few)
};

HttpResponse Http(uint16_t port, const std::string& method, const std::string& path,
                  const std::string& body = "", int timeout_s = 2) {
  HttpConn c(port, timeout_s);
  return c.Request(method, path, body);
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

// ---- Cluster. -----------------------------------------------------------------------------------

struct NodeProc {
  std::string id;
  uint16_t client_port = 0;
  uint16_t peer_port = 0;
  std::string data_dir;
  pid_t pid = -1;
};

class Cluster {
 public:
  Cluster(int n, const std::filesystem::path& root) {
    std::vector<uint16_t> used;
    auto port = [&used] {
      for (int attempt = 0; attempt < 100; ++attempt) {
        const uint16_t p = FreePort();
        if (p != 0 && std::find(used.begin(), used.end(), p) == used.end()) {
          used.push_back(p);
          return p;
        }
      }
      throw std::runtime_error("no free port");
    };
    for (int i = 1; i <= n; ++i) {
      NodeProc node;
      node.id = "n" + std::to_string(i);
      node.client_port = port();
      node.peer_port = port();
      node.data_dir = (root / node.id).string();
      nodes_.push_back(node);
    }
    for (const NodeProc& node : nodes_) {
      if (!peers_.empty()) peers_ += ",";
      peers_ += node.id + "=127.0.0.1:" + std::to_string(node.peer_port);
    }
  }
  ~Cluster() {
    for (NodeProc& n : nodes_) Kill(n);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  void StartAll() {
    for (NodeProc& n : nodes_) Start(n);
  }

  void Start(NodeProc& n) {
    const std::string binary = FAULTLINE_BINARY_DIR "/bin/raftkv";
    std::vector<std::string> args = {binary,        "--id",   n.id,   "--host",
                                     "127.0.0.1",   "--client-port", std::to_string(n.client_port),
                                     "--peer-port", std::to_string(n.peer_port), "--peers",
                                     peers_,        "--data", n.data_dir};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the benchmark blocks some; raftkv must not
      // Keep the benchmark's output readable: the servers' logs go nowhere.
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    n.pid = pid;
    RegisterChild(pid);
  }

  static void Kill(NodeProc& n) {
    if (n.pid <= 0) return;
    KillChild(n.pid);
    n.pid = -1;
  }

  // The index of a running node that says it is leader, or -1 once `timeout` passes.
  int WaitForLeader(std::chrono::milliseconds timeout, int poll_ms = 50) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].pid <= 0) continue;
        const HttpResponse r = Http(nodes_[i].client_port, "GET", "/status", "", 1);
        if (r.status == 200 && JsonField(r.body, "role") == "\"leader\"") {
          return static_cast<int>(i);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
    return -1;
  }

  std::vector<NodeProc>& nodes() { return nodes_; }

 private:
  std::vector<NodeProc> nodes_;
  std::string peers_;
};

// ---- Load. --------------------------------------------------------------------------------------

struct WorkerResult {
  uint64_t ok = 0;           // 200, or 412 mismatch on CAS: completed
  uint64_t definite_fail = 0;  // 503 / 4xx: definitely not applied
  uint64_t other = 0;        // 0 (no answer), 504 timeout, 500 unknown: indeterminate
  uint64_t connects = 0;
  std::vector<double> latencies_ms;  // of completed operations
};

// The system under load: raftkv's own API (DESIGN.md section 6) or etcd's v3 JSON gateway.
enum class Protocol { kRaftkv, kEtcd };

std::string Base64(const std::string& in) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// One operation of the mix. p < 50: read; p < 80: write `a`; else compare-and-set `a` -> `b`.
// Values are the JSON texts raftkv stores; etcd gets the same bytes, base64-encoded.
HttpResponse DoOp(HttpConn& conn, Protocol proto, int p, const std::string& key, int a, int b) {
  if (proto == Protocol::kRaftkv) {
    const std::string path = "/kv/" + key;
    if (p < 50) return conn.Request("GET", path);
    if (p < 80) return conn.Request("PUT", path, "{\"value\":" + std::to_string(a) + "}");
    return conn.Request("POST", path + "/cas",
                        "{\"from\":" + std::to_string(a) + ",\"to\":" + std::to_string(b) + "}");
  }
  const std::string k = "\"" + Base64(key) + "\"";
  if (p < 50) {
    // Linearizable by default (serializable: false), like raftkv's ReadIndex reads.
    return conn.Request("POST", "/v3/kv/range", "{\"key\":" + k + "}");
  }
  if (p < 80) {
    return conn.Request("POST", "/v3/kv/put",
                        "{\"key\":" + k + ",\"value\":\"" + Base64(std::to_string(a)) + "\"}");
  }
  // A missing key has no value to compare: like raftkv's cas on an absent key, no match.
  return conn.Request(
      "POST", "/v3/kv/txn",
      "{\"compare\":[{\"key\":" + k + ",\"result\":\"EQUAL\",\"target\":\"VALUE\",\"value\":\"" +
          Base64(std::to_string(a)) + "\"}],\"success\":[{\"request_put\":{\"key\":" + k +
          ",\"value\":\"" + Base64(std::to_string(b)) + "\"}}]}");
}

void Worker(Protocol proto, uint16_t port, Clock::time_point end, uint32_t seed,
            WorkerResult* out) {
  HttpConn conn(port);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pct(0, 99);
  std::uniform_int_distribution<int> key(0, 99);
  std::uniform_int_distribution<int> val(0, 9);
  out->latencies_ms.reserve(1 << 16);
  while (Clock::now() < end) {
    const int p = pct(rng);
    const std::string k = "k" + std::to_string(key(rng));
    const int a = val(rng);
    const int b = val(rng);
    const auto t0 = Clock::now();
    const HttpResponse r = DoOp(conn, proto, p, k, a, b);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    // etcd answers a txn whose compare failed with 200 ("succeeded" absent): completed, like
    // raftkv's 412.
    if (r.status == 200 || (proto == Protocol::kRaftkv && r.status == 412)) {
      ++out->ok;
      out->latencies_ms.push_back(ms);
    } else if (r.status == 503 || (r.status >= 400 && r.status < 500)) {
      ++out->definite_fail;
    } else {
      ++out->other;
      if (r.status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  out->connects = conn.connects;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t idx = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

struct PointResult {
  int clients = 0;
  double ops_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

PointResult RunPoint(Protocol proto, int nodes, int clients, uint16_t port, int seconds) {
  std::vector<WorkerResult> results(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back(Worker, proto, port, end, static_cast<uint32_t>(1000 * nodes + i),
                         &results[static_cast<size_t>(i)]);
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  WorkerResult total;
  for (WorkerResult& r : results) {
    total.ok += r.ok;
    total.definite_fail += r.definite_fail;
    total.other += r.other;
    total.connects += r.connects;
    total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(),
                              r.latencies_ms.end());
  }
  const double p50 = Percentile(total.latencies_ms, 0.50);
  const double p99 = Percentile(total.latencies_ms, 0.99);
  const double rate = static_cast<double>(total.ok) / elapsed;
  std::printf(
      "%snodes=%d clients=%-2d  %9.1f ops/s  p50=%7.2f ms  p99=%7.2f ms  ok=%llu definite-fail=%llu "
      "other=%llu  (tcp connects=%llu)\n",
      proto == Protocol::kEtcd ? "etcd " : "", nodes, clients, rate, p50, p99,
      static_cast<unsigned long long>(total.ok),
      static_cast<unsigned long long>(total.definite_fail),
      static_cast<unsigned long long>(total.other),
      static_cast<unsigned long long>(total.connects));
  std::fflush(stdout);
  return PointResult{clients, rate, p50, p99};
}

// SIGKILLs the leader while one client writes; returns 0 on success.
int Failover(Cluster& cluster, int leader, int nodes) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  const uint16_t old_port = cluster.nodes()[static_cast<size_t>(leader)].client_port;
  std::thread writer([&] {
    HttpConn conn(old_port, 2);
    uint64_t i = 0;
    while (!stop.load()) {
      const HttpResponse r = conn.Request("PUT", "/kv/fo", "{\"value\":" + std::to_string(i++) + "}");
      if (r.status == 200) {
        writes.fetch_add(1);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t before = writes.load();
  const std::string old_id = cluster.nodes()[static_cast<size_t>(leader)].id;
  Cluster::Kill(cluster.nodes()[static_cast<size_t>(leader)]);
  const auto kill_time = Clock::now();

  // Poll the survivors until one leads, then PUT until one commits.
  const auto deadline = kill_time + std::chrono::seconds(20);
  int new_leader = -1;
  double leader_ms = 0;
  double commit_ms = -1;
  std::string new_id;
  while (Clock::now() < deadline && commit_ms < 0) {
    const int l = cluster.WaitForLeader(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()), 5);
    if (l < 0) break;
    if (l != new_leader) {
      new_leader = l;
      new_id = cluster.nodes()[static_cast<size_t>(l)].id;
      leader_ms = std::chrono::duration<double, std::milli>(Clock::now() - kill_time).count();
    }
    HttpConn conn(cluster.nodes()[static_cast<size_t>(l)].client_port, 3);
    for (int attempt = 0; attempt < 200 && Clock::now() < deadline; ++attempt) {
      const HttpResponse r = conn.Request("PUT", "/kv/fo", "{\"value\":-1}");
      if (r.status == 200) {
        commit_ms = std::chrono::duration<double, std::milli>(Clock::now() - kill_time).count();
        break;
      }
      if (r.status == 503 && r.body.find("not-leader") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  stop.store(true);
  writer.join();
  if (commit_ms < 0) {
    std::printf("nodes=%d failover: FAILED, no PUT committed within 20 s of killing leader %s\n",
                nodes, old_id.c_str());
    std::fflush(stdout);
    return 1;
  }
  std::printf(
      "nodes=%d failover: killed leader %s (%llu PUTs acked before kill); new leader %s seen "
      "after %.0f ms; first committed PUT %.0f ms after the kill\n",
      nodes, old_id.c_str(), static_cast<unsigned long long>(before), new_id.c_str(), leader_ms,
      commit_ms);
  std::fflush(stdout);
  return 0;
}

int RunCluster(int nodes, int seconds, std::vector<PointResult>* points) {
  const std::filesystem::path dir = g_root / ("c" + std::to_string(nodes));
  std::filesystem::create_directories(dir);
  Cluster cluster(nodes, dir);
  cluster.StartAll();
  const int leader = cluster.WaitForLeader(std::chrono::seconds(15));
  if (leader < 0) {
    std::fprintf(stderr, "raftkv_bench: no leader among %d nodes within 15 s\n", nodes);
    return 1;
  }
  const uint16_t port = cluster.nodes()[static_cast<size_t>(leader)].client_port;
  // Wait until the leader serves writes (its no-op has committed).
  const auto ready_deadline = Clock::now() + std::chrono::seconds(10);
  while (Http(port, "PUT", "/kv/warmup", "{\"value\":0}").status != 200) {
    if (Clock::now() > ready_deadline) {
      std::fprintf(stderr, "raftkv_bench: leader does not accept writes\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string term_before = JsonField(Http(port, "GET", "/status").body, "term");
  for (const int clients : {1, 16, 64}) {
    points->push_back(RunPoint(Protocol::kRaftkv, nodes, clients, port, seconds));
  }
  // A spurious election under load (a follower timing out while the leader is busy) shows as a
  // new term; the election timeout must leave room for the loaded loop (flags.h).
  const HttpResponse st = Http(port, "GET", "/status");
  std::printf("nodes=%d term before load %s, after %s (%s)\n", nodes, term_before.c_str(),
              JsonField(st.body, "term").c_str(),
              JsonField(st.body, "term") == term_before && JsonField(st.body, "role") == "\"leader\""
                  ? "no election under load"
                  : "LEADERSHIP CHANGED under load");
  return Failover(cluster, leader, nodes);
}

// ---- etcd (--etcd): the reference system, measured in the same run. ---------------------------

constexpr const char* kEtcdBinary = "/usr/bin/etcd";

class EtcdCluster {
 public:
  EtcdCluster(int n, const std::filesystem::path& root) : root_(root) {
    std::vector<uint16_t> used;
    for (int i = 1; i <= n; ++i) {
      NodeProc node;
      node.id = "e" + std::to_string(i);
      node.client_port = UniquePort(&used);
      node.peer_port = UniquePort(&used);
      node.data_dir = (root / node.id).string();
      nodes_.push_back(node);
    }
    for (const NodeProc& node : nodes_) {
      if (!initial_cluster_.empty()) initial_cluster_ += ",";
      initial_cluster_ += node.id + "=http://127.0.0.1:" + std::to_string(node.peer_port);
    }
  }
  ~EtcdCluster() { StopAll(); }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  void StartAll() {
    for (NodeProc& n : nodes_) Start(n);
  }

  // SIGTERM every node, wait up to 5 s each, then SIGKILL; all reaped.
  void StopAll() {
    for (NodeProc& n : nodes_) {
      if (n.pid > 0) ::kill(n.pid, SIGTERM);
    }
    for (NodeProc& n : nodes_) {
      TerminateChild(n.pid, std::chrono::seconds(5));  // SIGTERM again is harmless
      n.pid = -1;
    }
  }

  // The index of the node that reports itself as the leader, or -1 once `timeout` passes.
  int WaitForLeader(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        const HttpResponse r = Http(nodes_[i].client_port, "POST", "/v3/maintenance/status", "{}", 1);
        if (r.status != 200) continue;
        const std::string leader = JsonField(r.body, "leader");
        if (!leader.empty() && leader == JsonField(r.body, "member_id")) return static_cast<int>(i);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  std::vector<NodeProc>& nodes() { return nodes_; }

 private:
  static uint16_t UniquePort(std::vector<uint16_t>* used) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const uint16_t p = FreePort();
      if (p != 0 && std::find(used->begin(), used->end(), p) == used->end()) {
        used->push_back(p);
        return p;
      }
    }
    throw std::runtime_error("no free port");
  }

  void Start(NodeProc& n) {
    const std::string client = "http://127.0.0.1:" + std::to_string(n.client_port);
    const std::string peer = "http://127.0.0.1:" + std::to_string(n.peer_port);
    std::vector<std::string> args = {kEtcdBinary,
                                     "--name", n.id,
                                     "--data-dir", n.data_dir,
                                     "--listen-client-urls", client,
                                     "--advertise-client-urls", client,
                                     "--listen-peer-urls", peer,
                                     "--initial-advertise-peer-urls", peer,
                                     "--initial-cluster", initial_cluster_,
                                     "--initial-cluster-state", "new",
                                     "--initial-cluster-token",
                                     "raftkv-bench-" + std::to_string(::getpid()),
                                     "--logger", "zap",
                                     "--log-level", "error"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execv(kEtcdBinary, argv.data());
      ::_exit(127);
    }
    n.pid = pid;
    RegisterChild(pid);
  }

  std::filesystem::path root_;
  std::vector<NodeProc> nodes_;
  std::string initial_cluster_;
};

int RunEtcd(int seconds, std::vector<PointResult>* points) {
  if (::access(kEtcdBinary, X_OK) != 0) {
    std::fprintf(stderr, "raftkv_bench: %s not found (apt-get install -y etcd-server)\n",
                 kEtcdBinary);
    return 1;
  }
  const std::filesystem::path dir = g_root / "etcd";
  std::filesystem::create_directories(dir);
  EtcdCluster cluster(3, dir);
  cluster.StartAll();
  const int leader = cluster.WaitForLeader(std::chrono::seconds(20));
  if (leader < 0) {
    std::fprintf(stderr, "raftkv_bench: no etcd leader within 20 s\n");
    return 1;
  }
  const uint16_t port = cluster.nodes()[static_cast<size_t>(leader)].client_port;
  const auto ready_deadline = Clock::now() + std::chrono::seconds(10);
  const std::string warmup = "{\"key\":\"" + Base64("warmup") + "\",\"value\":\"" + Base64("0") + "\"}";
  while (Http(port, "POST", "/v3/kv/put", warmup).status != 200) {
    if (Clock::now() > ready_deadline) {
      std::fprintf(stderr, "raftkv_bench: the etcd leader does not accept writes\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const int clients : {1, 16, 64}) {
    points->push_back(RunPoint(Protocol::kEtcd, 3, clients, port, seconds));
  }
  cluster.StopAll();
  return 0;
}

void PrintSideBySide(const std::vector<PointResult>& raftkv, const std::vector<PointResult>& etcd) {
  std::printf("\n3 nodes, fsync on, same mix   %-34s %-34s\n", "raftkv", "etcd (v3 JSON gateway)");
  for (size_t i = 0; i < raftkv.size() && i < etcd.size(); ++i) {
    const PointResult& r = raftkv[i];
    const PointResult& e = etcd[i];
    std::printf("clients=%-2d                    %8.1f ops/s p50=%6.2f p99=%6.2f   "
                "%8.1f ops/s p50=%6.2f p99=%6.2f\n",
                r.clients, r.ops_per_s, r.p50_ms, r.p99_ms, e.ops_per_s, e.p50_ms, e.p99_ms);
  }
  std::fflush(stdout);
}

[[noreturn]] void BadFlag(const std::string& msg) {
  std::fprintf(stderr, "raftkv_bench: %s (usage: raftkv_bench [--seconds N] [--nodes 3|5] "
               "[--quick] [--etcd])\n", msg.c_str());
  std::exit(254);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  bool quick = false;
  bool etcd = false;
  bool seconds_set = false;
  std::vector<int> sizes = {3, 5};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--etcd") {
      etcd = true;
    } else if (a == "--seconds" || a == "--nodes") {
      if (i + 1 >= argc) BadFlag("missing value for " + a);
      const std::string v = argv[++i];
      int n = 0;
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
        BadFlag("bad value for " + a + ": '" + v + "'");
      }
      if (a == "--seconds") {
        if (n <= 0 || n > 3600) BadFlag("--seconds must be 1..3600");
        seconds = n;
        seconds_set = true;
      } else {
        if (n != 3 && n != 5) BadFlag("--nodes must be 3 or 5");
        sizes = {n};
      }
    } else {
      BadFlag("unknown flag '" + a + "'");
    }
  }
  if (quick && !seconds_set) seconds = 1;

  sigset_t set;
  ::sigemptyset(&set);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&set, sig);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: all inherit it
  g_root = std::filesystem::temp_directory_path() / ("raftkv_bench_" + std::to_string(::getpid()));
  std::thread(SignalThread, set).detach();

  int rc = 0;
  try {
    std::filesystem::remove_all(g_root);
    std::filesystem::create_directories(g_root);
    std::printf("raftkv_bench: %d s per point, fsync on, workload 50%% GET / 30%% PUT / 20%% CAS "
                "over k0..k99; latency over completed ops\n", seconds);
    std::fflush(stdout);
    std::vector<PointResult> raftkv3;
    for (const int n : sizes) {
      std::vector<PointResult> points;
      if (RunCluster(n, seconds, &points) != 0) rc = 1;
      if (n == 3) raftkv3 = points;
    }
    if (etcd) {
      std::vector<PointResult> etcd_points;
      if (RunEtcd(seconds, &etcd_points) != 0) rc = 1;
      if (raftkv3.empty()) {
        std::printf("(--etcd compares with 3 raftkv nodes; run without --nodes 5 for the table)\n");
      } else {
        PrintSideBySide(raftkv3, etcd_points);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raftkv_bench: error: %s\n", e.what());
    rc = 1;
  }
  KillAllChildren();
  std::error_code ec;
  if (!g_root.empty()) std::filesystem::remove_all(g_root, ec);
  return rc;
}
