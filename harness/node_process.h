// NodeProcess: one node of a cluster as a real child process (started with Boost.Process).
//
// The child gets its own process group (a Ctrl-C at the terminal reaches the controller, which
// then stops nodes in order, not the nodes directly; every fault signals the whole group, so a
// node started through a wrapper script is paused or killed whole), an unblocked signal mask, and
// PR_SET_PDEATHSIG=SIGKILL so that a controller that crashes takes its nodes with it. The death
// signal fires when the *thread* that spawned the child exits, so Start() must be called from a
// thread that lives as long as the run (the controller's main thread). stdout and stderr are
// appended to files in the node's folder, so a restarted node adds to the same logs.
//
// Every live child is also listed in a process-wide registry that KillAllNodes() empties with
// SIGKILL: the emergency exit for a second Ctrl-C.
//
// Thread safety: one thread drives a NodeProcess (the main thread); pid() may be read anywhere.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::harness {

class NodeProcess {
 public:
  // `argv[0]` is a path, or a name looked up on PATH. `log_dir` exists.
  NodeProcess(std::string id, std::vector<std::string> argv, std::string log_dir);
  ~NodeProcess();  // kills and reaps a child that is still running
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  const std::string& id() const { return id_; }
  int pid() const { return pid_.load(); }  // 0 when not running

  base::Status Start();
  // The argv for every later Start() (a restart that differs from the first start).
  void SetCommand(std::vector<std::string> argv) { argv_ = std::move(argv); }
  base::Status Pause();   // SIGSTOP
  base::Status Resume();  // SIGCONT
  base::Status Kill();    // SIGKILL, then reap
  // SIGTERM (and SIGCONT, in case it is paused), wait up to `grace`, then SIGKILL; reaps.
  base::Status Stop(std::chrono::milliseconds grace);

  // Whether the child is still running; reaps it and records how it ended if it is not.
  bool Alive();
  // How the last child ended: "exited with status 3", "killed by signal 9", "" if running.
  const std::string& exit_description() const { return exit_description_; }
  int starts() const { return starts_; }

 private:
  bool Reap(bool block);  // true when the child is gone (reaped now or before)

  std::string id_;
  std::vector<std::string> argv_;
  std::string log_dir_;
  std::atomic<int> pid_{0};
  std::string exit_description_;
  int starts_ = 0;
};

// SIGKILLs every node process still running. Safe from any thread, at any time.
void KillAllNodes();

}  // namespace faultline::harness
