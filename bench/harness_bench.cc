// How much the harness itself costs (issue 4's speed goals; DESIGN.md section 9: measured here,
// never asserted by a test).
//
//  1. noop: the real workers, workload (register) and history recorder against a client that
//     answers every operation at once, recording to a real file. The client side must sustain
//     20,000 recorded operations per second or more. The same run without recording gives the
//     recorder's share.
//  2. raftkv: 3 real raftkv nodes (fsync on), the same workers over libcurl at 16 and 64
//     workers, with and without recording, in eight rounds of alternating order (AB, BA, ...) in
//     one run, so that the machine's noise and the log's growth hit both alike. The recorder
//     must cost under 5% of the throughput.
//
// Usage: harness_bench [--seconds N] [--only noop|raftkv] [--history-dir DIR] [--quick]
//   --history-dir puts the recorded arm's history elsewhere than the nodes' data (default: the
//   same temporary folder, as in a real run folder).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/cluster.h"
#include "harness/log.h"
#include "harness/node_process.h"
#include "harness/recorder.h"
#include "harness/workers.h"
#include "nemesis/net.h"
#include "targets/target.h"
#include "tests/kit/ports.h"
#include "workloads/workload.h"

namespace {

namespace fs = std::filesystem;
using namespace faultline;
using base::Status;
using checker::Completion;
using checker::EventType;
using checker::Value;
using Clock = std::chrono::steady_clock;

// Answers everything at once: what is left is the harness's own cost.
class NoopClient : public targets::Client {
 public:
  const std::string& node() const override { return node_; }
  Completion Get(const std::string&) override {
    return Completion{EventType::kOk, Value(), "", node_};
  }
  Completion Put(const std::string&, const Value&) override {
    return Completion{EventType::kOk, Value(), "", node_};
  }
  Completion Cas(const std::string&, const Value&, const Value&) override {
    return Completion{EventType::kFail, Value(), "mismatch", node_};
  }
  Completion Delete(const std::string&) override {
    return Completion{EventType::kOk, Value(), "", node_};
  }
  Completion Acquire(const std::string&, const std::string&, int64_t) override {
    return Completion{EventType::kOk, Value::Int(1), "", node_};
  }
  Completion Release(const std::string&, const std::string&, int64_t) override {
    return Completion{EventType::kOk, Value(), "", node_};
  }
  std::optional<targets::NodeStatus> Status() override { return std::nullopt; }

 private:
  std::string node_ = "n1";
};

// Plain loopback, no relays and no cuts: the benchmark measures clients, not faults.
class DirectNet : public nemesis::NetBackend {
 public:
  const char* name() const override { return "direct"; }
  // Ports come from the test kit (tests/kit/ports.h) and stay reserved while the benchmark runs:
  // never one port twice, and nobody else takes them (raftkv binds with SO_REUSEADDR).
  Status Setup(const std::vector<std::string>& ids) override {
    for (const std::string& id : ids) {
      for (int k = 0; k < 2; ++k) {
        const testkit::ReservedPort& p = held_.emplace_back(testkit::ReservedPort::Reserve());
        if (p.port() == 0) return Status::IoError("no free port: " + p.error());
      }
      nodes_.push_back({id, "127.0.0.1", held_[held_.size() - 2].port(), held_.back().port()});
    }
    return Status::Ok();
  }
  const std::vector<base::NodeAddress>& nodes() const override { return nodes_; }
  std::string PeerAddress(const std::string&, const std::string& to) const override {
    for (const auto& n : nodes_) {
      if (n.id == to) return n.host + ":" + std::to_string(n.peer_port);
    }
    return "";
  }
  std::vector<std::string> CommandPrefix(const std::string&) const override { return {}; }
  Status Cut(const nemesis::Grudge&) override { return Status::Ok(); }
  Status Heal() override { return Status::Ok(); }
  void Teardown() override {}

 private:
  std::vector<testkit::ReservedPort> held_;
  std::vector<base::NodeAddress> nodes_;
};

struct Arm {
  double ops_per_s = 0;
  uint64_t ops = 0;
  double cpu_us_per_op = 0;  // this process's CPU (all threads, user + system) per operation
};

double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Runs `concurrency` workers for `seconds`, recording to `history` unless it is empty.
Arm RunArm(int concurrency, double seconds, const std::string& history,
           const std::function<std::unique_ptr<targets::Client>(int)>& make_client) {
  workloads::WorkloadOptions wo;
  wo.concurrency = concurrency;
  wo.group_size = std::min(concurrency, 5);
  wo.seed = 1;
  auto workload = workloads::MakeWorkload("register", wo);
  if (!workload.ok()) {
    std::fprintf(stderr, "harness_bench: %s\n", workload.status().message().c_str());
    std::exit(255);
  }
  std::unique_ptr<harness::HistoryRecorder> recorder;
  if (!history.empty()) recorder = std::move(*harness::HistoryRecorder::Open(history));
  harness::WorkerShared shared;
  shared.workload = workload->get();
  shared.recorder = recorder.get();
  shared.concurrency = concurrency;
  std::vector<int64_t> last(concurrency);
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w)
    threads.emplace_back(harness::RunWorker, &shared, w, make_client(w), &last[w]);
  // Skip the first tenth (connections, warm-up), then count.
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds * 0.1));
  const uint64_t before = shared.completed.load();
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const uint64_t after = shared.completed.load();
  const double cpu = ProcessCpuSeconds() - cpu0;
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  shared.stop = true;
  for (auto& t : threads) t.join();
  if (!history.empty()) fs::remove(history);
  return Arm{(after - before) / dt, after - before,
             after > before ? 1e6 * cpu / (after - before) : 0};
}

void Noop(double seconds, const fs::path& tmp) {
  std::printf("== noop target: harness workers + register workload + recorder ==\n");
  for (int concurrency : {1, 10, 64}) {
    auto noop = [](int) { return std::make_unique<NoopClient>(); };
    const Arm rec = RunArm(concurrency, seconds, (tmp / "noop.jsonl").string(), noop);
    const Arm bare = RunArm(concurrency, seconds, "", noop);
    std::printf("  %2d workers: recorded %9.0f ops/s   not recorded %9.0f ops/s\n", concurrency,
                rec.ops_per_s, bare.ops_per_s);
    std::fflush(stdout);
  }
}

int Raftkv(double seconds, const fs::path& tmp, const fs::path& history_dir) {
  std::printf("== raftkv, 3 nodes, fsync on: recorder on vs off (register workload, A B A B) ==\n");
  harness::RunLog log;
  DirectNet net;
  if (Status s = net.Setup({"n1", "n2", "n3"}); !s.ok()) {
    std::fprintf(stderr, "harness_bench: %s\n", s.message().c_str());
    return 2;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  auto target = targets::MakeRaftTarget((self / "raftkv").string(), {});
  if (Status s = target->Check(); !s.ok()) {
    std::fprintf(stderr, "harness_bench: %s\n", s.message().c_str());
    return 254;
  }
  fs::create_directories(tmp / "run" / "nodes");
  harness::Cluster cluster(target.get(), &net, (tmp / "run").string(), &log);
  Status s = cluster.Prepare();
  if (s.ok()) s = cluster.StartAll();
  if (s.ok()) s = cluster.WaitHealthy(std::chrono::seconds(30));
  if (!s.ok()) {
    std::fprintf(stderr, "harness_bench: %s\n", s.message().c_str());
    cluster.StopAll(std::chrono::seconds(5));
    return 2;
  }
  // Every worker talks to the leader: the benchmark measures throughput, not not-leader answers.
  std::optional<std::string> leader = cluster.Leader();
  const base::NodeAddress* addr = &cluster.addresses()[0];
  for (const auto& a : cluster.addresses()) {
    if (leader && a.id == *leader) addr = &a;
  }
  auto make = [&](int) { return target->NewClient(*addr, targets::ClientOptions{}); };
  // Rounds of one recorded and one unrecorded arm, in alternating order (AB, BA, AB, ...). The
  // second arm of a round runs against a longer log than the first, which shows as a swing of
  // about +-10% between AB and BA rounds; an even number of rounds and the ratio of the sums
  // cancel that, where a median of the rounds would pick one side of it.
  constexpr int kRounds = 8;
  for (int concurrency : {16, 64}) {
    std::vector<double> costs;
    double on_sum = 0, off_sum = 0, cpu_on = 0, cpu_off = 0;
    for (int round = 0; round < kRounds; ++round) {
      Arm a_on, a_off;
      if (round % 2 == 0) {
        a_on = RunArm(concurrency, seconds, (history_dir / "raft.jsonl").string(), make);
        a_off = RunArm(concurrency, seconds, "", make);
      } else {
        a_off = RunArm(concurrency, seconds, "", make);
        a_on = RunArm(concurrency, seconds, (history_dir / "raft.jsonl").string(), make);
      }
      const double on = a_on.ops_per_s, off = a_off.ops_per_s;
      cpu_on += a_on.cpu_us_per_op;
      cpu_off += a_off.cpu_us_per_op;
      on_sum += on;
      off_sum += off;
      costs.push_back(off > 0 ? 100.0 * (off - on) / off : 0.0);
    }
    std::sort(costs.begin(), costs.end());
    std::string each;
    for (double c : costs)
      each += (each.empty() ? "" : " ") + std::to_string(static_cast<int>(std::lround(c)));
    std::printf(
        "  %2d workers: recorded %7.0f ops/s   not recorded %7.0f ops/s   recorder cost %+.1f%% "
        "(rounds, sorted: %s %%)\n",
        concurrency, on_sum / kRounds, off_sum / kRounds, 100.0 * (off_sum - on_sum) / off_sum,
        each.c_str());
    // The steadier figure: what recording costs in CPU per operation, as a share of all the CPU
    // the machine has per operation at the unrecorded rate (every core busy: clients + nodes).
    const double extra_us = (cpu_on - cpu_off) / kRounds;
    const double machine_us = 1e6 * std::thread::hardware_concurrency() / (off_sum / kRounds);
    std::printf(
        "              controller CPU per op: recorded %.1f us, not recorded %.1f us; the "
        "difference is "
        "%.1f%% of the machine's %.0f us per op\n",
        cpu_on / kRounds, cpu_off / kRounds, 100.0 * extra_us / machine_us, machine_us);
    std::fflush(stdout);
  }
  cluster.StopAll(std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::string only;
  std::string history_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      seconds = 0.5;
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
      if (!(seconds > 0)) {
        std::fprintf(stderr, "harness_bench: --seconds must be positive\n");
        return 254;
      }
    } else if (a == "--history-dir" && i + 1 < argc) {
      history_dir = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
      if (only != "noop" && only != "raftkv") {
        std::fprintf(stderr, "harness_bench: --only takes noop or raftkv\n");
        return 254;
      }
    } else {
      std::fprintf(stderr,
                   "harness_bench: unknown flag '%s' (--seconds N, --only noop|raftkv, --quick)\n",
                   a.c_str());
      return 254;
    }
  }
  const fs::path tmp = fs::temp_directory_path() / ("harness_bench_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  int rc = 0;
  if (only.empty() || only == "noop") Noop(seconds, tmp);
  if (only.empty() || only == "raftkv")
    rc = Raftkv(seconds, tmp, history_dir.empty() ? tmp : fs::path(history_dir));
  harness::KillAllNodes();
  fs::remove_all(tmp);
  return rc;
}
