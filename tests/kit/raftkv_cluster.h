// RaftkvCluster: N real raftkv processes on 127.0.0.1 for integration tests and benchmarks.
//
// Nodes are started through harness::NodeProcess, the harness's own process class (each node
// leads its own process group, dies with its parent, is stopped with a bounded SIGTERM wait and
// then SIGKILL, and is always reaped), with the argv the raft target builds
// (targets::MakeRaftTarget), so both are exercised as a real run uses them. Ports come from
// ReservedPort (ports.h) and stay reserved for the cluster's lifetime, so a killed node's ports
// cannot be taken before it restarts; a first start that still fails with "Address already in
// use" is retried on fresh ports, at most kStartAttempts times.
//
// Layout: <root>/<id>/stdout.log, stderr.log (appended across restarts) and <root>/<id>/data.
// The root is a fresh temporary folder unless one is given; a folder the cluster made is removed
// by its destructor.
//
// Ownership and threads: the cluster owns its processes; the destructor SIGKILLs and reaps every
// node still running, whatever happened. Drive it from the thread that lives as long as the nodes
// (the main thread: see NodeProcess on the parent-death signal). Node indexes run from 0; ids
// are "n1", "n2", ...
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/node_process.h"
#include "targets/client.h"
#include "targets/target.h"
#include "tests/kit/ports.h"

namespace faultline::testkit {

// build/bin/raftkv of this build tree.
std::string RaftkvBinary();

struct RaftkvClusterOptions {
  int nodes = 3;
  // raftkv options as the raft target takes them (--raft-opt), e.g. "election-timeout-ms=500".
  std::vector<std::string> raft_opts;
  std::string binary = RaftkvBinary();
  std::string root;  // empty: a fresh temporary folder, removed by the destructor
};

class RaftkvCluster {
 public:
  static constexpr int kStartAttempts = 3;

  explicit RaftkvCluster(RaftkvClusterOptions options = {});
  ~RaftkvCluster();
  RaftkvCluster(const RaftkvCluster&) = delete;
  RaftkvCluster& operator=(const RaftkvCluster&) = delete;

  // Starts every node and waits (up to `timeout`) until each running node answers /status, one
  // says it is leader, and a probe write ("PUT /kv/testkit-probe") through it answers 200. On
  // failure the message names the node and quotes the end of its stderr.log.
  base::Status Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& root() const { return root_; }
  const base::NodeAddress& address(int i) const { return nodes_.at(i).address; }
  std::vector<base::NodeAddress> addresses() const;
  const std::string& id(int i) const { return address(i).id; }
  uint16_t client_port(int i) const { return static_cast<uint16_t>(address(i).client_port); }
  std::string log_dir(int i) const;
  bool running(int i);

  // GET /status of node i; nullopt when it does not answer in `timeout` or answers garbage.
  std::optional<targets::NodeStatus> StatusOf(
      int i, std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  // The index of a running node that says it is leader, polling every `poll`; -1 once `timeout`
  // passes.
  int WaitForLeader(std::chrono::milliseconds timeout,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(50));

  // REQUIRES (these three): Start() succeeded once.
  base::Status Kill(int i);     // SIGKILL, reaped
  base::Status Restart(int i);  // on the same ports and data
  // SIGTERM, up to `grace`, then SIGKILL; reaped.
  base::Status Stop(int i, std::chrono::milliseconds grace);
  void StopAll(std::chrono::milliseconds grace);

 private:
  struct Node {
    base::NodeAddress address;
    ReservedPort client_port;
    ReservedPort peer_port;
    std::unique_ptr<harness::NodeProcess> process;
  };

  // Reserves ports, builds the argv of every node (NodeProcess objects), makes the folders.
  base::Status Layout();
  base::Status StartAllOnce(std::chrono::milliseconds timeout, bool* address_in_use);
  std::string StderrTail(int i) const;

  RaftkvClusterOptions options_;
  std::unique_ptr<targets::Target> target_;
  std::string root_;
  bool own_root_ = false;
  bool laid_out_ = false;  // every node has its ports, folders and NodeProcess
  std::vector<Node> nodes_;
};

}  // namespace faultline::testkit
