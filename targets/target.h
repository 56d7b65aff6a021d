// Target: one adapter per system under test (DESIGN.md section 1). It knows how to check that
// the system is installed, how to build the command line that starts one node, and how to make
// a client for a node. Process management (spawning, signals, restarts) is the harness's; the
// network layout (which host and ports a node listens on, what address it dials for a peer) is
// the nemesis net backend's. A Target only turns those facts into commands and clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/node_address.h"
#include "base/status.h"
#include "targets/client.h"

namespace faultline::targets {

using base::Result;
using base::Status;

// One entry per cluster member, including the node itself: the "host:port" that *this* node
// must dial to reach that member's peer port (a proxy address under the proxy backend).
using PeerList = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  std::chrono::milliseconds timeout{1000};         // whole request
  std::chrono::milliseconds connect_timeout{500};  // TCP connect
  // Leader discovery, as a real client library does it: when set, an answer
  // 503 {"error":"not-leader","leader":id} naming another member of `cluster` is retried once at
  // that member, and the completion is that member's. Safe because a not-leader answer is a
  // definite "not applied". Empty: every answer is the node's own.
  std::vector<base::NodeAddress> cluster;
};

class Target {
 public:
  virtual ~Target() = default;

  virtual std::string name() const = 0;  // "raft", "process", ...

  // Everything the target needs is present (a binary that exists and runs, ...). One line.
  virtual Status Check() const = 0;

  // The argv that starts `self` (argv[0] a path or a name found on PATH). `data_dir` exists and
  // survives a kill and restart of the node.
  virtual Result<std::vector<std::string>> NodeCommand(const base::NodeAddress& self,
                                                       const PeerList& peers,
                                                       const std::string& data_dir) const = 0;

  // The argv that restarts `self` on the data a previous start left in `data_dir` (after a
  // kill). By default the first start's command; etcd differs (--initial-cluster-state
  // existing).
  virtual Result<std::vector<std::string>> RestartCommand(const base::NodeAddress& self,
                                                          const PeerList& peers,
                                                          const std::string& data_dir) const {
    return NodeCommand(self, peers, data_dir);
  }

  // Writes what a node needs before its first start (a configuration file, an id file) into
  // `data_dir`, which a restart reuses. By default nothing.
  virtual Status PrepareNode(const base::NodeAddress& self, const PeerList& peers,
                             const std::string& data_dir) const {
    (void)self, (void)peers, (void)data_dir;
    return Status::Ok();
  }

  virtual std::unique_ptr<Client> NewClient(const base::NodeAddress& node,
                                            const ClientOptions& options) const = 0;

  // Whether lock operations and /status are offered (both optional for a bring-your-own target).
  virtual bool supports_locks() const { return true; }
  virtual bool supports_status() const { return true; }

  // Whether every member must be given the same peer address for each member (a membership
  // list shared by all, as etcd's --initial-cluster), which the proxy backend's per-link relay
  // addresses cannot give: such a target runs only under the netns backend.
  virtual bool needs_shared_peer_addresses() const { return false; }
};

// The bundled raftkv: `raftkv_path` is build/bin/raftkv; `raft_opts` are --raft-opt values
// without the leading "--" (e.g. "unsafe-stale-reads", "election-timeout-ms=500"), each passed
// on as a flag. Check() rejects an unknown option with a one-line error.
std::unique_ptr<Target> MakeRaftTarget(std::string raftkv_path, std::vector<std::string> raft_opts);

// Any binary that speaks the KV protocol. `node_cmd` is a template with {id}, {host},
// {client_port}, {peer_port}, {peers}, {data_dir}; it is split into words like a shell would
// (single and double quotes, backslash), never run through a shell. An unknown {placeholder} or
// an unbalanced quote is an error.
Result<std::unique_ptr<Target>> MakeProcessTarget(std::string node_cmd);

// A real etcd (/usr/bin/etcd, 3.4): `reads` decides how its client reads (targets/etcd/
// etcd_client.h). `etcd_path` is the binary Check() looks for.
std::unique_ptr<Target> MakeEtcdTarget(std::string etcd_path, bool serializable_reads);

// A real ZooKeeper (Debian's zookeeper package, run with java): targets/zookeeper/.
struct ZooKeeperSettings {
  bool sync_reads = true;   // --zk-reads sync (sync, then getData) or plain (getData alone)
  int64_t lease_ms = 1000;  // the lock workload's lease: client sessions last at least this long
  std::string java = "/usr/bin/java";
  std::string jar_dir = "/usr/share/java";       // zookeeper.jar and the log4j binding
  std::string conf_dir = "/etc/zookeeper/conf";  // log4j.properties
};
std::unique_ptr<Target> MakeZooKeeperTarget(ZooKeeperSettings settings);

// Expands a node command template (exposed for tests).
Result<std::vector<std::string>> ExpandNodeCommand(const std::string& node_cmd,
                                                   const base::NodeAddress& self,
                                                   const PeerList& peers,
                                                   const std::string& data_dir);

}  // namespace faultline::targets
