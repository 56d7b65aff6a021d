#include "tests/kit/raftkv_cluster.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "targets/kv_http_client.h"
#include "tests/kit/http.h"

namespace faultline::testkit {
namespace {

namespace fs = std::filesystem;
using base::Status;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPoll(50);

}  // namespace

std::string RaftkvBinary() { return FAULTLINE_BINARY_DIR "/bin/raftkv"; }

RaftkvCluster::RaftkvCluster(RaftkvClusterOptions options)
    : options_(std::move(options)),
      target_(targets::MakeRaftTarget(options_.binary, options_.raft_opts)) {
  if (options_.root.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "faultline-testkit-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      root_ = tmpl;
      own_root_ = true;
    }
  } else {
    root_ = options_.root;
  }
  laid_out_ = Layout().ok();  // an error shows again from Start()
}

RaftkvCluster::~RaftkvCluster() {
  for (Node& n : nodes_) {
    if (n.process) (void)n.process->Kill();
  }
  if (own_root_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

Status RaftkvCluster::Layout() {
  for (Node& n : nodes_) {
    if (n.process) (void)n.process->Kill();
  }
  nodes_.clear();
  if (root_.empty()) return Status::IoError("cannot make a temporary folder for the cluster");
  if (options_.nodes < 1) return Status::InvalidArgument("a cluster needs at least one node");
  if (Status s = target_->Check(); !s.ok()) return s;
  nodes_.resize(static_cast<size_t>(options_.nodes));
  targets::PeerList peers;
  for (int i = 0; i < size(); ++i) {
    Node& n = nodes_[static_cast<size_t>(i)];
    n.client_port = ReservedPort::Reserve();
    n.peer_port = ReservedPort::Reserve();
    for (const ReservedPort* p : {&n.client_port, &n.peer_port}) {
      if (p->port() == 0) return Status::IoError("no loopback port: " + p->error());
    }
    n.address = base::NodeAddress{"n" + std::to_string(i + 1), "127.0.0.1", n.client_port.port(),
                                  n.peer_port.port()};
    peers.emplace_back(n.address.id, "127.0.0.1:" + std::to_string(n.peer_port.port()));
  }
  for (int i = 0; i < size(); ++i) {
    Node& n = nodes_[static_cast<size_t>(i)];
    const fs::path dir = fs::path(root_) / n.address.id;
    std::error_code ec;
    fs::remove_all(dir, ec);  // a retried start begins on empty data
    fs::create_directories(dir / "data", ec);
    if (ec)
      return Status::IoError("cannot create " + (dir / "data").string() + ": " + ec.message());
    auto argv = target_->NodeCommand(n.address, peers, (dir / "data").string());
    if (!argv.ok()) return argv.status();
    n.process =
        std::make_unique<harness::NodeProcess>(n.address.id, std::move(argv).value(), dir.string());
  }
  return Status::Ok();
}

std::vector<base::NodeAddress> RaftkvCluster::addresses() const {
  std::vector<base::NodeAddress> out;
  for (const Node& n : nodes_) out.push_back(n.address);
  return out;
}

std::string RaftkvCluster::log_dir(int i) const { return (fs::path(root_) / id(i)).string(); }

bool RaftkvCluster::running(int i) {
  harness::NodeProcess* p = nodes_.at(static_cast<size_t>(i)).process.get();
  return p != nullptr && p->pid() > 0 && p->Alive();
}

std::string RaftkvCluster::StderrTail(int i) const {
  std::ifstream in(fs::path(log_dir(i)) / "stderr.log", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  constexpr size_t kTail = 600;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Status RaftkvCluster::Start(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Status last = Status::Ok();
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    if (attempt > 1 || !laid_out_) {
      laid_out_ = false;
      if (Status s = Layout(); !s.ok()) return s;
      laid_out_ = true;
    }
    bool address_in_use = false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    last = StartAllOnce(std::max(left, std::chrono::milliseconds(0)), &address_in_use);
    if (last.ok() || !address_in_use) return last;
    for (Node& n : nodes_) (void)n.process->Kill();
  }
  return Status::IoError(last.message() + " (after " + std::to_string(kStartAttempts) +
                         " starts on fresh ports)");
}

Status RaftkvCluster::StartAllOnce(std::chrono::milliseconds timeout, bool* address_in_use) {
  *address_in_use = false;
  for (Node& n : nodes_) {
    if (Status s = n.process->Start(); !s.ok()) return s;
  }
  const auto deadline = Clock::now() + timeout;
  std::string missing = "no node answered /status";
  while (Clock::now() < deadline) {
    int leader = -1;
    int answered = 0;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) {
        const std::string tail = StderrTail(i);
        *address_in_use = tail.find("Address already in use") != std::string::npos;
        return Status::IoError(id(i) + " " +
                               nodes_[static_cast<size_t>(i)].process->exit_description() +
                               " during start-up; stderr: " + tail);
      }
      const auto st = StatusOf(i);
      if (!st) {
        missing = id(i) + " does not answer /status";
        continue;
      }
      ++answered;
      if (st->role == "leader") leader = i;
    }
    if (answered == size() && leader < 0) missing = "no leader yet";
    if (answered == size() && leader >= 0) {
      const HttpResponse r = Http(client_port(leader), "PUT", "/kv/testkit-probe", R"({"value":0})",
                                  std::chrono::milliseconds(2000));
      if (r.status == 200) return Status::Ok();
      missing = "the leader " + id(leader) + " does not accept a write (" +
                (r.status == 0 ? r.error : std::to_string(r.status) + " " + r.body) + ")";
    }
    std::this_thread::sleep_for(kPoll);
  }
  // The folder goes with the cluster, so the message carries what the nodes said.
  std::string logs;
  for (int i = 0; i < size(); ++i) {
    if (const std::string tail = StderrTail(i); !tail.empty()) logs += "; " + id(i) + ": " + tail;
  }
  return Status::IoError("raftkv cluster not healthy within " + std::to_string(timeout.count()) +
                         " ms: " + missing + logs);
}

std::optional<targets::NodeStatus> RaftkvCluster::StatusOf(int i,
                                                           std::chrono::milliseconds timeout) {
  const HttpResponse r = Http(client_port(i), "GET", "/status", {}, timeout);
  if (r.status != 200) return std::nullopt;
  return targets::ParseStatus(r.body);
}

int RaftkvCluster::WaitForLeader(std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds poll) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      const auto st = StatusOf(i);
      if (st && st->role == "leader") return i;
    }
    std::this_thread::sleep_for(poll);
  }
  return -1;
}

base::Status RaftkvCluster::Kill(int i) {
  return nodes_.at(static_cast<size_t>(i)).process->Kill();
}

base::Status RaftkvCluster::Restart(int i) {
  return nodes_.at(static_cast<size_t>(i)).process->Start();
}

base::Status RaftkvCluster::Stop(int i, std::chrono::milliseconds grace) {
  return nodes_.at(static_cast<size_t>(i)).process->Stop(grace);
}

void RaftkvCluster::StopAll(std::chrono::milliseconds grace) {
  for (int i = 0; i < size(); ++i) (void)Stop(i, grace);
}

}  // namespace faultline::testkit
