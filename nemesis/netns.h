// The netns net backend: every node in its own network namespace, joined to a bridge in the
// root namespace by a veth pair. Needs root (CAP_NET_ADMIN), iproute2 and nftables.
//
// Names carry the run prefix `<run_id>-` (run_id: 1 to 8 letters, digits or '_', so no run's
// prefix is a prefix of another's): namespaces `<run>-<id>`, the bridge `<run>-br`, host-side
// veths `<run>-v<id>` (the namespace side is `eth0`). Interface names fit IFNAMSIZ.
// Addresses come from one /24 inside 198.18.0.0/15 (RFC 2544, benchmarking) that overlaps no
// address or route on the host: node i (1-based, in Setup order) is .i, the bridge is .254, so
// the controller in the root namespace reaches every node's client port directly. Nodes listen
// on their address with fixed ports kClientPort and kPeerPort.
//
// Cut installs an nftables table in each node's namespace that drops (not rejects: a real
// partition is silent) input from the grudged nodes' addresses; traffic from the bridge address
// (the controller) is never dropped. Cut replaces the previous cut; Heal flushes the rules.
//
// Crash safety: before creating anything, Setup starts a janitor, `/bin/sh` in its own session
// ignoring INT/TERM/HUP, reading its stdin from a socket whose other end only the controller
// holds (close-on-exec, so nodes do not inherit it). Teardown removes everything and tells the
// janitor "done"; if instead the controller dies, the janitor reads EOF and removes every
// namespace and link with the run prefix, killing processes still inside those namespaces (they
// can only be this run's nodes).
//
// External commands (ip, nft) are run with posix_spawn, never a shell, each bounded by a timeout.
// Thread safety: as NetBackend.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "nemesis/net.h"

namespace faultline::nemesis {

class NetnsBackend final : public NetBackend {
 public:
  static constexpr int kClientPort = 8080;
  static constexpr int kPeerPort = 7000;

  explicit NetnsBackend(NetOptions options);
  ~NetnsBackend() override;  // Teardown()

  NetnsBackend(const NetnsBackend&) = delete;
  NetnsBackend& operator=(const NetnsBackend&) = delete;

  // Ok when this backend can run here: root, `ip` and `nft` found, and a throwaway namespace can
  // be created, given an nftables table, and deleted. Takes a few tens of milliseconds.
  static Status Probe();

  const char* name() const override { return "netns"; }
  Status Setup(const std::vector<std::string>& ids) override;
  const std::vector<base::NodeAddress>& nodes() const override { return nodes_; }
  std::string PeerAddress(const std::string& from, const std::string& to) const override;
  std::vector<std::string> CommandPrefix(const std::string& id) const override;
  Status Cut(const Grudge& grudge) override;
  Status Heal() override;
  void Teardown() override;

  // The namespace of node `id` ("<run>-<id>").
  std::string NamespaceName(const std::string& id) const;
  // The run prefix every namespace and link of this run starts with ("<run>-").
  std::string Prefix() const { return options_.run_id + "-"; }
  // The bridge's address, the one the controller's traffic comes from. Empty before Setup.
  const std::string& bridge_address() const { return bridge_address_; }
  pid_t janitor_pid() const { return janitor_pid_; }

 private:
  Status StartJanitor();
  void StopJanitor();
  Status ApplyRules(const std::string& id, const std::vector<std::string>& drop_from);

  NetOptions options_;
  std::string ip_;  // absolute paths, found at construction
  std::string nft_;
  std::vector<base::NodeAddress> nodes_;
  std::string bridge_;
  std::string bridge_address_;
  bool created_ = false;  // something may exist that Teardown must remove
  pid_t janitor_pid_ = -1;
  int janitor_fd_ = -1;  // our end of the janitor's stdin
};

}  // namespace faultline::nemesis
