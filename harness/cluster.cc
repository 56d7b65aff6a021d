#include "harness/cluster.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "harness/readiness.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using base::Status;

namespace {

std::string FormatSeconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms.count()) / 1000);
  return buf;
}

}  // namespace

Cluster::Cluster(const targets::Target* target, nemesis::NetBackend* net, std::string run_dir,
                 RunLog* log)
    : target_(target), net_(net), run_dir_(std::move(run_dir)), log_(log) {}

Cluster::~Cluster() {
  for (auto& p : procs_) (void)p->Kill();
}

Status Cluster::Prepare() {
  addresses_ = net_->nodes();
  for (const base::NodeAddress& self : addresses_) {
    targets::PeerList peers;
    for (const base::NodeAddress& other : addresses_)
      peers.emplace_back(other.id, net_->PeerAddress(self.id, other.id));
    const fs::path dir = fs::path(run_dir_) / "nodes" / self.id;
    std::error_code ec;
    fs::create_directories(dir / "data", ec);
    if (ec)
      return Status::IoError("cannot create " + (dir / "data").string() + ": " + ec.message());
    if (Status s = target_->PrepareNode(self, peers, fs::absolute(dir / "data").string());
        !s.ok()) {
      return s;
    }
    base::Result<std::vector<std::string>> cmd =
        target_->NodeCommand(self, peers, fs::absolute(dir / "data").string());
    if (!cmd.ok()) return cmd.status();
    base::Result<std::vector<std::string>> restart_cmd =
        target_->RestartCommand(self, peers, fs::absolute(dir / "data").string());
    if (!restart_cmd.ok()) return restart_cmd.status();
    std::vector<std::string> argv = net_->CommandPrefix(self.id);
    std::vector<std::string> restart_argv = argv;
    argv.insert(argv.end(), cmd->begin(), cmd->end());
    restart_argv.insert(restart_argv.end(), restart_cmd->begin(), restart_cmd->end());
    auto line = [](const std::vector<std::string>& words) {
      std::string out;
      for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
      return out;
    };
    std::ofstream(dir / "command.txt")
        << line(argv) + "\n" +
               (restart_argv == argv ? "" : "# after a kill:\n" + line(restart_argv) + "\n");
    restart_commands_.push_back(restart_argv);
    commands_.push_back(argv);
    procs_.push_back(std::make_unique<NodeProcess>(self.id, argv, dir.string()));
    expected_down_.push_back(true);
    reported_start_.push_back(0);
  }
  return Status::Ok();
}

Status Cluster::StartAll() {
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (Status s = procs_[i]->Start(); !s.ok()) return s;
    expected_down_[i] = false;
    log_->Info("started " + procs_[i]->id() + " (pid " + std::to_string(procs_[i]->pid()) +
               ") on " + addresses_[i].host + ":" + std::to_string(addresses_[i].client_port));
  }
  return Status::Ok();
}

namespace {

// Whether a node answers HTTP at all. /status is optional (docs/PROTOCOL.md): a node without
// it answers 404, or anything else that is an HTTP answer, and that is enough to count as up.
// An answer that is not the protocol's (a 200 whose body is not JSON) is not.
bool Answers(targets::Client& client) {
  if (client.Status()) return true;
  const checker::Completion c = client.Get("faultline-probe");
  if (c.type == checker::EventType::kOk) return true;
  for (const char* transport : {"connection-refused", "connect-timeout", "timeout",
                                "connection-lost", "transport-error", "bad-response"}) {
    if (c.error == transport) return false;
  }
  return true;
}

std::string Completed(const checker::Completion& c) {
  return std::string(c.type == checker::EventType::kFail ? "fail" : "info") +
         (c.error.empty() ? "" : " " + c.error);
}

}  // namespace

std::string Cluster::ExitReason(size_t i) const {
  const NodeProcess& p = *procs_[i];
  std::string reason = p.exit_description();
  std::string tail;
  for (const std::string& line : LastLines(run_dir_ + "/nodes/" + p.id() + "/stderr.log", 3))
    tail += (tail.empty() ? "" : " | ") + line;
  return reason + (tail.empty() ? " (stderr.log is empty)" : "; stderr: " + tail);
}

// A node that exits while the cluster starts ends the wait. Nodes started together usually fail
// together (one bad flag, one bad config), and the others' last probe answer ("connection
// refused") would hide that: each node that is not ready is given up to 1 s to exit too, and
// every node that exited gets its own exit and stderr as its reason, in the error and NotReady().
Status Cluster::Exited(const std::function<Status(const std::string&)>& report) {
  const auto grace_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
  std::vector<size_t> gone;
  while (true) {
    gone.clear();
    bool pending = false;  // a node not ready yet that still runs
    for (size_t i = 0; i < procs_.size(); ++i) {
      if (!procs_[i]->Alive()) {
        gone.push_back(i);
      } else if (!not_ready_[i].empty()) {
        pending = true;
      }
    }
    if (!pending || std::chrono::steady_clock::now() >= grace_end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (size_t i : gone) not_ready_[i] = ExitReason(i);
  (void)report("");  // keeps every node's line for NotReady()
  // "n2 exited with status 3; stderr: ...", "n2, n3 exited with status 3; stderr: ..." when
  // they exited alike, or each node's own reason.
  std::string ids;
  bool alike = true;
  for (size_t i : gone) {
    ids += (ids.empty() ? "" : ", ") + addresses_[i].id;
    alike = alike && not_ready_[i] == not_ready_[gone.front()];
  }
  if (alike) return Status::IoError(ids + " " + not_ready_[gone.front()]);
  std::string message;
  for (size_t i : gone)
    message += (message.empty() ? "" : "; ") + addresses_[i].id + " " + not_ready_[i];
  return Status::IoError(message);
}

Status Cluster::WaitHealthy(std::chrono::milliseconds timeout,
                            const std::function<bool()>& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  targets::ClientOptions opts;
  opts.timeout = std::chrono::milliseconds(1000);
  opts.connect_timeout = std::chrono::milliseconds(300);
  std::vector<std::unique_ptr<targets::Client>> clients;
  for (const auto& a : addresses_) clients.push_back(target_->NewClient(a, opts));
  // Why each node is not ready yet ("" once it is); kept across rounds so that a timeout can
  // say what each node last did.
  not_ready_.assign(procs_.size(), "not probed yet");
  auto report = [&](const std::string& what) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < procs_.size(); ++i) {
      if (!not_ready_[i].empty()) lines.push_back(addresses_[i].id + ": " + not_ready_[i]);
    }
    not_ready_lines_ = lines;
    std::string message = what;
    std::vector<std::string> reasons;
    for (const std::string& r : not_ready_) {
      if (!r.empty() && std::find(reasons.begin(), reasons.end(), r) == reasons.end())
        reasons.push_back(r);
    }
    if (lines.size() == 1) {
      message += ": " + lines.front();
    } else if (reasons.size() == 1) {
      message += ": " + std::to_string(lines.size()) + " nodes: " + reasons.front();
    } else if (lines.size() > 1) {
      message += ": " + std::to_string(lines.size()) + " nodes not ready";
    }
    return Status::IoError(message);
  };
  int64_t probe = 0;
  not_ready_lines_.clear();
  while (std::chrono::steady_clock::now() < deadline) {
    if (cancelled && cancelled())
      return Status::IoError("interrupted while waiting for the cluster");
    bool all_answer = true;
    bool exited = false;
    for (size_t i = 0; i < procs_.size() && !exited; ++i) {
      if (!procs_[i]->Alive()) {
        exited = true;
        break;
      }
      if (Answers(*clients[i])) {
        not_ready_[i].clear();
        continue;
      }
      all_answer = false;
      const std::string why =
          ProbeNode(addresses_[i].host, addresses_[i].client_port, std::chrono::milliseconds(1000));
      not_ready_[i] = why.empty() ? "does not answer the KV protocol yet" : why;
      // A refused connection is often the node dying: its exit is the reason, not the refusal.
      if (!procs_[i]->Alive()) exited = true;
    }
    if (exited) return Exited(report);
    if (all_answer) {
      // Every node answers; now a write must commit, through whichever node takes it.
      for (size_t i = 0; i < clients.size(); ++i) {
        const checker::Completion c =
            clients[i]->Put("faultline-probe", checker::Value::Int(++probe));
        if (c.type == checker::EventType::kOk) {
          not_ready_lines_.clear();
          return Status::Ok();
        }
        not_ready_[i] = "a write ended " + Completed(c);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return report("cluster not ready after " + FormatSeconds(timeout));
}

void Cluster::StopAll(std::chrono::milliseconds grace) {
  // Signal everyone first and wait once, rather than one grace period per node.
  for (size_t i = 0; i < procs_.size(); ++i) expected_down_[i] = true;
  std::vector<std::thread> stoppers;
  for (auto& p : procs_) stoppers.emplace_back([&p, grace] { (void)p->Stop(grace); });
  for (auto& t : stoppers) t.join();
  for (auto& p : procs_) log_->Info("stopped " + p->id() + ": " + p->exit_description());
}

std::vector<std::string> Cluster::Unexpected() {
  std::vector<std::string> out;
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (!expected_down_[i] && !procs_[i]->Alive())
      out.push_back(procs_[i]->id() + " " + procs_[i]->exit_description());
  }
  return out;
}

std::vector<NodeExit> Cluster::NewExits() {
  std::vector<NodeExit> out;
  for (size_t i = 0; i < procs_.size(); ++i) {
    NodeProcess& p = *procs_[i];
    if (expected_down_[i] || p.Alive() || reported_start_[i] == p.starts()) continue;
    reported_start_[i] = p.starts();
    out.push_back(NodeExit{p.id(), p.exit_description(), p.starts(),
                           TailLines(run_dir_ + "/nodes/" + p.id() + "/stderr.log", 5)});
  }
  return out;
}

std::vector<std::string> TailLines(const std::string& path, size_t lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  constexpr std::streamoff kTailBytes = 4096;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(size > kTailBytes ? size - kTailBytes : 0);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> all;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) all.push_back(std::move(line));
    begin = end + 1;
  }
  // The first line of a cut-off tail may be partial: drop it when the file was longer.
  if (size > kTailBytes && !all.empty()) all.erase(all.begin());
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<ptrdiff_t>(lines));
  return all;
}

std::vector<std::string> Cluster::Nodes() const {
  std::vector<std::string> ids;
  for (const auto& a : addresses_) ids.push_back(a.id);
  return ids;
}

NodeProcess* Cluster::Find(const std::string& id) {
  for (auto& p : procs_) {
    if (p->id() == id) return p.get();
  }
  return nullptr;
}

Status Cluster::Pause(const std::string& id) {
  NodeProcess* p = Find(id);
  return p ? p->Pause() : Status::InvalidArgument("no node " + id);
}

Status Cluster::Resume(const std::string& id) {
  NodeProcess* p = Find(id);
  return p ? p->Resume() : Status::InvalidArgument("no node " + id);
}

Status Cluster::Kill(const std::string& id) {
  NodeProcess* p = Find(id);
  if (p == nullptr) return Status::InvalidArgument("no node " + id);
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (procs_[i].get() == p) expected_down_[i] = true;
  }
  return p->Kill();
}

Status Cluster::Restart(const std::string& id) {
  NodeProcess* p = Find(id);
  if (p == nullptr) return Status::InvalidArgument("no node " + id);
  if (p->Alive()) return Status::Ok();
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (procs_[i].get() == p) p->SetCommand(restart_commands_[i]);
  }
  Status s = p->Start();
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (procs_[i].get() == p && s.ok()) expected_down_[i] = false;
  }
  if (s.ok()) log_->Info("restarted " + id + " (pid " + std::to_string(p->pid()) + ")");
  return s;
}

std::optional<std::string> Cluster::Leader() {
  if (!target_->supports_status()) return std::nullopt;
  targets::ClientOptions opts;
  opts.timeout = std::chrono::milliseconds(300);
  opts.connect_timeout = std::chrono::milliseconds(200);
  std::optional<std::string> best;
  int64_t best_term = -1;
  for (const auto& a : addresses_) {
    NodeProcess* p = Find(a.id);
    if (p == nullptr || !p->Alive()) continue;
    std::optional<targets::NodeStatus> st = target_->NewClient(a, opts)->Status();
    // A paused node does not answer; a deposed leader that has not noticed yet has a lower term.
    if (st && st->role == "leader" && st->term > best_term) {
      best = a.id;
      best_term = st->term;
    }
  }
  return best;
}

}  // namespace faultline::harness
