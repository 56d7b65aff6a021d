// raftkv's command line: `raftkv --id n1 --host H --client-port P --peer-port Q
// --peers n1=h:p,n2=h:p,... --data DIR [tuning] [--unsafe-...]`. Standard library only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "targets/raft/core/types.h"

namespace faultline::raft::server {

struct PeerAddress {
  std::string host;
  uint16_t port = 0;
};

struct ServerOptions {
  NodeId id = kNoNode;  // "n3" -> 3
  std::string host;
  uint16_t client_port = 0;
  uint16_t peer_port = 0;
  std::map<NodeId, PeerAddress> peers;  // every member, including this node
  std::string data_dir;
  // Followers time out after a random [election_timeout_ms, 2 * election_timeout_ms) without
  // hearing from a leader, so failover after a leader crash takes the smallest of n - 1 such
  // draws plus a pre-vote and a vote round and the first commit. At 1000 ms that was 1.1-1.7 s
  // with 3 or 5 nodes (raftkv_bench, issue 3); at 500 ms mostly 0.5-0.9 s, but a 3-node run took
  // 1.23 s (only two draws to take the smallest of). At 400 ms the draws end at 800 ms, leaving
  // room for the rounds under 1 s. 400 ms is still 10 heartbeats: a spurious election needs ten
  // consecutive heartbeats (and, under load, every AppendEntries in between) to go missing, and
  // the loop never blocks longer than one fsync (well under 10 ms here). Pre-vote and CheckQuorum
  // keep a flapping node from deposing a healthy leader. etcd uses the same 1:10 ratio
  // (100/1000 ms) for WAN-ish deployments; raftkv runs on one host or a LAN.
  int election_timeout_ms = 400;
  int heartbeat_ms = 40;  // also the length of one Raft tick
  uint64_t snapshot_threshold = 10000;
  // Deliberate bugs for validating the harness (issue 3; targets/raft/core/unsafe_switches.h
  // lists them); all off by default.
  bool unsafe_stale_reads = false;
  bool unsafe_no_fsync = false;
  bool unsafe_commit_old_terms = false;
};

// Parses argv (without argv[0]). On error returns false and sets *error to one line.
bool ParseFlags(const std::vector<std::string>& args, ServerOptions* options, std::string* error);

// "n3" -> 3; kNoNode when `name` is not of that form.
NodeId ParseNodeName(const std::string& name);
std::string NodeName(NodeId id);

}  // namespace faultline::raft::server
