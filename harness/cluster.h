// Cluster: the nodes of one test run as real processes, laid out by a net backend and started
// by a target's commands. It is the NodeControl the nemesis acts through.
//
// Each node gets nodes/<id>/ in the run folder: stdout.log and stderr.log (appended across
// restarts), command.txt, and data/ (its data directory, kept across kills).
//
// Thread safety: the controller's main thread drives it (see NodeProcess on why spawning must
// happen there). Leader() makes its own short-lived clients.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/log.h"
#include "harness/node_process.h"
#include "nemesis/net.h"
#include "nemesis/node_control.h"
#include "targets/target.h"

namespace faultline::harness {

// A node that ended although nobody stopped or killed it: one exit of one run of its process.
struct NodeExit {
  std::string id;
  std::string description;               // "exited with status 3", "killed by signal 11"
  int start = 0;                         // which start of the node this was (1 = the first)
  std::vector<std::string> stderr_tail;  // the last lines of nodes/<id>/stderr.log
};

class Cluster : public nemesis::NodeControl {
 public:
  Cluster(const targets::Target* target, nemesis::NetBackend* net, std::string run_dir,
          RunLog* log);
  ~Cluster() override;  // kills whatever still runs

  // Builds every node's command and folders. The net backend is already set up.
  base::Status Prepare();
  base::Status StartAll();
  // Waits until every node answers and a write goes through (the target's /status when it has
  // one, then a probe write). Ends early with an error when a node exits. On failure the error
  // is one line (naming every node that exited, when one did) and NotReady() says, one line per
  // node, why each node was not ready ("n1: connection refused at 127.0.0.1:7001", "n2: exited
  // with status 3; stderr: ..."). `cancelled`, when given, is
  // polled and ends the wait early (Ctrl-C).
  base::Status WaitHealthy(std::chrono::milliseconds timeout,
                           const std::function<bool()>& cancelled = {});
  // SIGTERM to all, a bounded wait, SIGKILL for the rest; all reaped.
  void StopAll(std::chrono::milliseconds grace);

  const std::vector<base::NodeAddress>& addresses() const { return addresses_; }
  const std::vector<std::vector<std::string>>& commands() const { return commands_; }
  // After a failed WaitHealthy: "n1: connection refused at 127.0.0.1:7001", one line per node
  // not ready.
  const std::vector<std::string>& NotReady() const { return not_ready_lines_; }
  // One line per node that is not running any more although nobody stopped it.
  std::vector<std::string> Unexpected();
  // The exits Unexpected() would show that no earlier call returned: each exit once, however
  // often it is asked (a node restarted by the nemesis that exits again is a new exit).
  std::vector<NodeExit> NewExits();

  // NodeControl.
  std::vector<std::string> Nodes() const override;
  base::Status Pause(const std::string& id) override;
  base::Status Resume(const std::string& id) override;
  base::Status Kill(const std::string& id) override;
  base::Status Restart(const std::string& id) override;
  std::optional<std::string> Leader() override;

 private:
  NodeProcess* Find(const std::string& id);
  // "exited with status 3; stderr: <its last lines>" for node i, which has exited.
  std::string ExitReason(size_t i) const;
  // WaitHealthy after a node exited: the error naming every node that exited, each with its own
  // reason; `report` keeps the per-node lines.
  base::Status Exited(const std::function<base::Status(const std::string&)>& report);

  const targets::Target* target_;
  nemesis::NetBackend* net_;
  std::string run_dir_;
  RunLog* log_;
  std::vector<base::NodeAddress> addresses_;
  std::vector<std::vector<std::string>> commands_;
  std::vector<std::vector<std::string>> restart_commands_;  // per node: argv after a kill
  std::vector<std::unique_ptr<NodeProcess>> procs_;
  std::vector<std::string> not_ready_;        // WaitHealthy: per node, why not ready ("" ready)
  std::vector<std::string> not_ready_lines_;  // the last failed WaitHealthy's per-node lines
  std::vector<bool> expected_down_;  // killed by the nemesis or stopped: not an unexpected exit
  std::vector<int> reported_start_;  // per node: the start whose exit NewExits returned last
};

// The last `lines` non-empty lines of the file at `path` (its last 4 KiB at most); none when it
// cannot be read.
std::vector<std::string> TailLines(const std::string& path, size_t lines);

}  // namespace faultline::harness
