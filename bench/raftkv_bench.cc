// Benchmark of real raftkv processes on 127.0.0.1 (DESIGN.md section 9: speed is measured here,
// never asserted). For 3 and 5 nodes with default flags (fsync on) it drives 1, 16 and 64
// concurrent keep-alive HTTP clients against the leader with the mixed workload of DESIGN.md
// section 6 (50% GET, 30% PUT, 20% CAS over keys k0..k99) and prints throughput, p50/p99 latency
// and outcome counts; then it SIGKILLs the leader while one client writes and reports the time
// from the kill to the next PUT committed (200) through the new leader.
//
// Nodes run through the test kit (tests/kit/): raftkv clusters are testkit::RaftkvCluster, etcd
// nodes harness::NodeProcess children on testkit ports. Every child is SIGKILLed (or stopped) and
// reaped on every exit path (normal, error, SIGINT/SIGTERM); only PIDs this program started are
// signalled. All traffic goes to 127.0.0.1.
//
// With --etcd it also starts 3 real etcd processes (Debian etcd-server, /usr/bin/etcd) on
// 127.0.0.1 with their own temporary data directories, drives the same client counts against
// the etcd leader with the equivalent mix through etcd's v3 HTTP/JSON gateway (GET: linearizable
// POST /v3/kv/range; PUT: /v3/kv/put; CAS: /v3/kv/txn comparing the value), and prints both
// 3-node results side by side. etcd nodes are stopped with SIGTERM, waited for (bounded), then
// SIGKILLed if need be, and reaped.
//
// With --zookeeper it also starts 3 real ZooKeeper servers (Debian zookeeper 3.8, java) on
// 127.0.0.1, configured as `faultline test --target zookeeper` configures them (targets/zookeeper:
// zoo.cfg with tickTime 500, one JVM of -Xmx256m each), and drives the same client counts against
// the ZooKeeper leader through the harness's own ZooKeeper client (the C library's synchronous
// API): GET = sync + getData (the default --zk-reads sync), PUT = setData, CAS = getData + setData
// with the version read, after 2 s of unmeasured warm-up load for the JVMs. Results are printed
// beside raftkv's and etcd's.
//
// Usage: raftkv_bench [--seconds N] [--nodes 3|5] [--quick] [--etcd] [--zookeeper]
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "checker/value.h"
#include "harness/node_process.h"
#include "targets/target.h"
#include "targets/zookeeper/zk_client.h"
#include "tests/kit/http.h"
#include "tests/kit/ports.h"
#include "tests/kit/raftkv_cluster.h"

namespace {

using Clock = std::chrono::steady_clock;

// Nodes are harness::NodeProcess children (tests/kit/raftkv_cluster.h for raftkv): their own
// process groups, SIGKILLed and reaped by their owners' destructors, and by KillAllNodes() on a
// signal. HTTP goes through the test kit's loopback client (tests/kit/http.h).
using faultline::testkit::Http;
using faultline::testkit::HttpConnection;
using faultline::testkit::HttpResponse;
using faultline::testkit::RaftkvCluster;
using faultline::testkit::RaftkvClusterOptions;
using faultline::testkit::ReservedPort;
using std::chrono::milliseconds;

std::filesystem::path g_root;  // removed at exit

// SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken here: kill the nodes (they are
// reaped by the kernel's init once this process exits), remove the data directories, exit.
void SignalThread(sigset_t set) {
  int sig = 0;
  if (::sigwait(&set, &sig) != 0) return;
  faultline::harness::KillAllNodes();
  std::error_code ec;
  if (!g_root.empty()) std::filesystem::remove_all(g_root, ec);
  std::fflush(stdout);
  ::_exit(128 + sig);
}

// ---- Load. --------------------------------------------------------------------------------------

struct WorkerResult {
  uint64_t ok = 0;             // 200, or 412 mismatch on CAS: completed
  uint64_t definite_fail = 0;  // 503 / 4xx: definitely not applied
  uint64_t other = 0;          // 0 (no answer), 504 timeout, 500 unknown: indeterminate
  uint64_t connects = 0;
  std::vector<double> latencies_ms;  // of completed operations
};

// The system under load: raftkv's own API (docs/PROTOCOL.md) or etcd's v3 JSON gateway.
enum class Protocol { kRaftkv, kEtcd };

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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
HttpResponse DoOp(HttpConnection& conn, Protocol proto, int p, const std::string& key, int a,
                  int b) {
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
  HttpConnection conn(port);
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
  out->connects = conn.connects();
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
      "%snodes=%d clients=%-2d  %9.1f ops/s  p50=%7.2f ms  p99=%7.2f ms  ok=%llu "
      "definite-fail=%llu "
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
int Failover(RaftkvCluster& cluster, int leader, int nodes) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  const uint16_t old_port = cluster.client_port(leader);
  std::thread writer([&] {
    HttpConnection conn(old_port, milliseconds(2000));
    uint64_t i = 0;
    while (!stop.load()) {
      const HttpResponse r =
          conn.Request("PUT", "/kv/fo", "{\"value\":" + std::to_string(i++) + "}");
      if (r.status == 200) {
        writes.fetch_add(1);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t before = writes.load();
  const std::string old_id = cluster.id(leader);
  (void)cluster.Kill(leader);
  const auto kill_time = Clock::now();

  // Poll the survivors until one leads, then PUT until one commits.
  const auto deadline = kill_time + std::chrono::seconds(20);
  int new_leader = -1;
  double leader_ms = 0;
  double commit_ms = -1;
  std::string new_id;
  while (Clock::now() < deadline && commit_ms < 0) {
    const int l = cluster.WaitForLeader(
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now()), milliseconds(5));
    if (l < 0) break;
    if (l != new_leader) {
      new_leader = l;
      new_id = cluster.id(l);
      leader_ms = std::chrono::duration<double, std::milli>(Clock::now() - kill_time).count();
    }
    HttpConnection conn(cluster.client_port(l), milliseconds(3000));
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
  RaftkvClusterOptions options;
  options.nodes = nodes;
  options.root = dir.string();
  RaftkvCluster cluster(options);
  if (const auto started = cluster.Start(std::chrono::seconds(15)); !started.ok()) {
    std::fprintf(stderr, "raftkv_bench: %s\n", started.message().c_str());
    return 1;
  }
  const int leader = cluster.WaitForLeader(std::chrono::seconds(15));
  if (leader < 0) {
    std::fprintf(stderr, "raftkv_bench: no leader among %d nodes within 15 s\n", nodes);
    return 1;
  }
  const uint16_t port = cluster.client_port(leader);
  // Wait until the leader serves writes (its no-op has committed).
  const auto ready_deadline = Clock::now() + std::chrono::seconds(10);
  while (Http(port, "PUT", "/kv/warmup", "{\"value\":0}", milliseconds(2000)).status != 200) {
    if (Clock::now() > ready_deadline) {
      std::fprintf(stderr, "raftkv_bench: leader does not accept writes\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The term as text ("" when the leader does not answer), for the line below.
  auto term_and_role = [&cluster, leader] {
    const auto st = cluster.StatusOf(leader, milliseconds(2000));
    return st ? std::make_pair(std::to_string(st->term), st->role)
              : std::make_pair(std::string(), std::string());
  };
  const std::string term_before = term_and_role().first;
  for (const int clients : {1, 16, 64}) {
    points->push_back(RunPoint(Protocol::kRaftkv, nodes, clients, port, seconds));
  }
  // A spurious election under load (a follower timing out while the leader is busy) shows as a
  // new term; the election timeout must leave room for the loaded loop (flags.h).
  const auto [term_after, role_after] = term_and_role();
  std::printf("nodes=%d term before load %s, after %s (%s)\n", nodes, term_before.c_str(),
              term_after.c_str(),
              term_after == term_before && role_after == "leader"
                  ? "no election under load"
                  : "LEADERSHIP CHANGED under load");
  return Failover(cluster, leader, nodes);
}

// ---- etcd (--etcd): the reference system, measured in the same run. ---------------------------

constexpr const char* kEtcdBinary = "/usr/bin/etcd";

class EtcdCluster {
 public:
  struct Node {
    std::string id;
    ReservedPort client_port;  // held while the node runs: etcd (Go) listens with SO_REUSEADDR
    ReservedPort peer_port;
    std::unique_ptr<faultline::harness::NodeProcess> process;
  };

  EtcdCluster(int n, const std::filesystem::path& root) {
    for (int i = 1; i <= n; ++i) {
      Node node;
      node.id = "e" + std::to_string(i);
      node.client_port = ReservedPort::Reserve();
      node.peer_port = ReservedPort::Reserve();
      for (const ReservedPort* p : {&node.client_port, &node.peer_port}) {
        if (p->port() == 0) throw std::runtime_error("no free port: " + p->error());
      }
      nodes_.push_back(std::move(node));
    }
    std::string initial_cluster;
    for (const Node& node : nodes_) {
      if (!initial_cluster.empty()) initial_cluster += ",";
      initial_cluster += node.id + "=http://127.0.0.1:" + std::to_string(node.peer_port.port());
    }
    for (Node& node : nodes_) {
      const std::filesystem::path dir = root / node.id;
      std::filesystem::create_directories(dir);
      const std::string client = "http://127.0.0.1:" + std::to_string(node.client_port.port());
      const std::string peer = "http://127.0.0.1:" + std::to_string(node.peer_port.port());
      std::vector<std::string> args = {kEtcdBinary,
                                       "--name",
                                       node.id,
                                       "--data-dir",
                                       (dir / "data").string(),
                                       "--listen-client-urls",
                                       client,
                                       "--advertise-client-urls",
                                       client,
                                       "--listen-peer-urls",
                                       peer,
                                       "--initial-advertise-peer-urls",
                                       peer,
                                       "--initial-cluster",
                                       initial_cluster,
                                       "--initial-cluster-state",
                                       "new",
                                       "--initial-cluster-token",
                                       "raftkv-bench-" + std::to_string(::getpid()),
                                       "--logger",
                                       "zap",
                                       "--log-level",
                                       "error"};
      node.process =
          std::make_unique<faultline::harness::NodeProcess>(node.id, std::move(args), dir.string());
    }
  }
  ~EtcdCluster() { StopAll(); }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  void StartAll() {
    for (Node& n : nodes_) {
      if (const auto s = n.process->Start(); !s.ok()) throw std::runtime_error(s.message());
    }
  }

  // SIGTERM each node, wait up to 5 s, then SIGKILL; all reaped.
  void StopAll() {
    for (Node& n : nodes_) (void)n.process->Stop(std::chrono::seconds(5));
  }

  // The index of the node that reports itself as the leader, or -1 once `timeout` passes.
  int WaitForLeader(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        const HttpResponse r = Http(client_port(static_cast<int>(i)), "POST",
                                    "/v3/maintenance/status", "{}", milliseconds(1000));
        if (r.status != 200) continue;
        // {"header":{"member_id":"...",...},"leader":"...",...}: 64-bit ids as JSON strings.
        const auto status = faultline::checker::ParseJson(r.body);
        if (!status.ok()) continue;
        const auto* leader = status->find("leader");
        const auto* header = status->find("header");
        const auto* member = header != nullptr ? header->find("member_id") : nullptr;
        if (leader != nullptr && member != nullptr && !leader->is_null() && *leader == *member) {
          return static_cast<int>(i);
        }
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return -1;
  }

  uint16_t client_port(int i) const { return nodes_[static_cast<size_t>(i)].client_port.port(); }

 private:
  std::vector<Node> nodes_;
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
  const uint16_t port = cluster.client_port(leader);
  const auto ready_deadline = Clock::now() + std::chrono::seconds(10);
  const std::string warmup =
      "{\"key\":\"" + Base64("warmup") + "\",\"value\":\"" + Base64("0") + "\"}";
  while (Http(port, "POST", "/v3/kv/put", warmup, milliseconds(2000)).status != 200) {
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

// ---- ZooKeeper (--zookeeper): measured in the same run, through faultline's own client. --------

class ZkEnsemble {
 public:
  ZkEnsemble(int n, const std::filesystem::path& root) {
    target_ = faultline::targets::MakeZooKeeperTarget(faultline::targets::ZooKeeperSettings{});
    if (const auto s = target_->Check(); !s.ok()) throw std::runtime_error(s.message());
    std::vector<ReservedPort> ports;
    faultline::targets::PeerList peers;
    for (int i = 1; i <= n; ++i) {
      faultline::base::NodeAddress a;
      a.id = "n" + std::to_string(i);
      a.host = "127.0.0.1";
      ports.push_back(ReservedPort::Reserve());
      ports.push_back(ReservedPort::Reserve());
      a.client_port = ports[ports.size() - 2].port();
      a.peer_port = ports.back().port();  // the election port is peer port + 1 (ZooCfg)
      if (a.client_port == 0 || a.peer_port == 0) throw std::runtime_error("no free port");
      peers.emplace_back(a.id, "127.0.0.1:" + std::to_string(a.peer_port));
      addresses_.push_back(a);
    }
    for (const auto& a : addresses_) {
      const std::filesystem::path dir = root / a.id;
      std::filesystem::create_directories(dir / "data");
      const std::string data = (dir / "data").string();
      if (const auto s = target_->PrepareNode(a, peers, data); !s.ok()) {
        throw std::runtime_error(s.message());
      }
      auto cmd = target_->NodeCommand(a, peers, data);
      if (!cmd.ok()) throw std::runtime_error(cmd.status().message());
      processes_.push_back(
          std::make_unique<faultline::harness::NodeProcess>(a.id, *cmd, dir.string()));
    }
    // Java's listeners set SO_REUSEADDR, but the election port was never reserved: free all
    // just before the start (ports.h on the remaining race).
    for (ReservedPort& p : ports) p.Release();
  }
  ~ZkEnsemble() { StopAll(); }
  ZkEnsemble(const ZkEnsemble&) = delete;
  ZkEnsemble& operator=(const ZkEnsemble&) = delete;

  void StartAll() {
    for (auto& p : processes_) {
      if (const auto s = p->Start(); !s.ok()) throw std::runtime_error(s.message());
    }
  }
  void StopAll() {
    for (auto& p : processes_) (void)p->Stop(std::chrono::seconds(5));
  }

  // The index of the node whose `srvr` says "Mode: leader", or -1 once `timeout` passes.
  int WaitForLeader(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    faultline::targets::ClientOptions opts;
    while (Clock::now() < deadline) {
      for (size_t i = 0; i < addresses_.size(); ++i) {
        const auto st = target_->NewClient(addresses_[i], opts)->Status();
        if (st && st->role == "leader") return static_cast<int>(i);
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return -1;
  }

  const faultline::base::NodeAddress& address(int i) const {
    return addresses_[static_cast<size_t>(i)];
  }

 private:
  std::unique_ptr<faultline::targets::Target> target_;
  std::vector<faultline::base::NodeAddress> addresses_;
  std::vector<std::unique_ptr<faultline::harness::NodeProcess>> processes_;
};

void ZkWorker(const faultline::base::NodeAddress& node, Clock::time_point end, uint32_t seed,
              WorkerResult* out) {
  using faultline::checker::EventType;
  using faultline::checker::Value;
  faultline::targets::ClientOptions opts;
  opts.timeout = milliseconds(2000);
  opts.connect_timeout = milliseconds(2000);
  auto client =
      faultline::targets::MakeZooKeeperClient(node, opts, faultline::targets::ZkReads::kSync, 0);
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
    faultline::checker::Completion c;
    if (p < 50) {
      c = client->Get(k);
    } else if (p < 80) {
      c = client->Put(k, Value::Int(a));
    } else {
      c = client->Cas(k, Value::Int(a), Value::Int(b));
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    // A cas whose compare did not match completed, like raftkv's 412.
    if (c.type == EventType::kOk || c.error == "mismatch") {
      ++out->ok;
      out->latencies_ms.push_back(ms);
    } else if (c.type == EventType::kFail) {
      ++out->definite_fail;
    } else {
      ++out->other;
    }
  }
  out->connects = 1;
}

int RunZooKeeper(int seconds, std::vector<PointResult>* points) {
  const std::filesystem::path dir = g_root / "zookeeper";
  std::filesystem::create_directories(dir);
  ZkEnsemble ensemble(3, dir);
  ensemble.StartAll();
  const int leader = ensemble.WaitForLeader(milliseconds(30000));
  if (leader < 0) {
    std::fprintf(stderr, "raftkv_bench: no ZooKeeper leader within 30 s\n");
    return 1;
  }
  // The JVM compiles its hot paths during the first seconds of load: warm it up unmeasured
  // (16 clients, 2 s), as a long-running ensemble would be.
  {
    std::vector<WorkerResult> warm(16);
    std::vector<std::thread> threads;
    const auto end = Clock::now() + std::chrono::seconds(2);
    for (size_t i = 0; i < warm.size(); ++i) {
      threads.emplace_back(ZkWorker, std::cref(ensemble.address(leader)), end,
                           static_cast<uint32_t>(2000 + i), &warm[i]);
    }
    for (std::thread& t : threads) t.join();
  }
  for (const int clients : {1, 16, 64}) {
    std::vector<WorkerResult> results(static_cast<size_t>(clients));
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(seconds);
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back(ZkWorker, std::cref(ensemble.address(leader)), end,
                           static_cast<uint32_t>(3000 + i), &results[static_cast<size_t>(i)]);
    }
    for (std::thread& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    WorkerResult total;
    for (WorkerResult& r : results) {
      total.ok += r.ok;
      total.definite_fail += r.definite_fail;
      total.other += r.other;
      total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(),
                                r.latencies_ms.end());
    }
    const double p50 = Percentile(total.latencies_ms, 0.50);
    const double p99 = Percentile(total.latencies_ms, 0.99);
    const double rate = static_cast<double>(total.ok) / elapsed;
    std::printf(
        "zookeeper nodes=3 clients=%-2d  %9.1f ops/s  p50=%7.2f ms  p99=%7.2f ms  ok=%llu "
        "definite-fail=%llu other=%llu\n",
        clients, rate, p50, p99, static_cast<unsigned long long>(total.ok),
        static_cast<unsigned long long>(total.definite_fail),
        static_cast<unsigned long long>(total.other));
    std::fflush(stdout);
    points->push_back(PointResult{clients, rate, p50, p99});
  }
  ensemble.StopAll();
  return 0;
}

void PrintSideBySide(const std::vector<PointResult>& raftkv, const std::vector<PointResult>& etcd,
                     const std::vector<PointResult>& zk) {
  std::printf("\n3 nodes, same mix   %-32s %-32s %-32s\n", "raftkv (fsync on)",
              "etcd (v3 JSON gateway)", "zookeeper (C client, sync reads)");
  auto cell = [](const std::vector<PointResult>& v, size_t i) {
    char buf[64];
    if (i >= v.size()) return std::string("-");
    std::snprintf(buf, sizeof buf, "%8.1f ops/s p50=%6.2f p99=%6.2f", v[i].ops_per_s, v[i].p50_ms,
                  v[i].p99_ms);
    return std::string(buf);
  };
  for (size_t i = 0; i < raftkv.size(); ++i) {
    std::printf("clients=%-2d          %-32s %-32s %-32s\n", raftkv[i].clients,
                cell(raftkv, i).c_str(), cell(etcd, i).c_str(), cell(zk, i).c_str());
  }
  std::fflush(stdout);
}

[[noreturn]] void BadFlag(const std::string& msg) {
  std::fprintf(stderr,
               "raftkv_bench: %s (usage: raftkv_bench [--seconds N] [--nodes 3|5] "
               "[--quick] [--etcd] [--zookeeper])\n",
               msg.c_str());
  std::exit(254);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  bool quick = false;
  bool etcd = false;
  bool zookeeper = false;
  bool seconds_set = false;
  std::vector<int> sizes = {3, 5};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--etcd") {
      etcd = true;
    } else if (a == "--zookeeper") {
      zookeeper = true;
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
    std::printf(
        "raftkv_bench: %d s per point, fsync on, workload 50%% GET / 30%% PUT / 20%% CAS "
        "over k0..k99; latency over completed ops\n",
        seconds);
    std::fflush(stdout);
    std::vector<PointResult> raftkv3;
    for (const int n : sizes) {
      std::vector<PointResult> points;
      if (RunCluster(n, seconds, &points) != 0) rc = 1;
      if (n == 3) raftkv3 = points;
    }
    std::vector<PointResult> etcd_points;
    std::vector<PointResult> zk_points;
    if (etcd && RunEtcd(seconds, &etcd_points) != 0) rc = 1;
    if (zookeeper && RunZooKeeper(seconds, &zk_points) != 0) rc = 1;
    if (etcd || zookeeper) {
      if (raftkv3.empty()) {
        std::printf(
            "(--etcd and --zookeeper compare with 3 raftkv nodes; run without --nodes 5 for the "
            "table)\n");
      } else {
        PrintSideBySide(raftkv3, etcd_points, zk_points);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raftkv_bench: error: %s\n", e.what());
    rc = 1;
  }
  faultline::harness::KillAllNodes();  // nodes still running after an exception
  std::error_code ec;
  if (!g_root.empty()) std::filesystem::remove_all(g_root, ec);
  return rc;
}
