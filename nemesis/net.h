// NetBackend: the network a cluster runs on, and the cuts made in it (DESIGN.md section 8).
//
// A backend lays out the addresses (where each node listens, what each node dials to reach a
// peer), tells the harness how to start a node inside it (a command prefix), cuts links by a
// grudge and heals them. Two implementations:
//  - netns: every node in its own network namespace, joined by veth pairs to a bridge in the
//    root namespace; cuts are kernel rules inside the namespaces. Needs root (CAP_NET_ADMIN).
//    Namespaces, links and rules carry a per-run prefix and are removed by Teardown(), and by a
//    janitor process if the controller dies without calling it.
//  - proxy: a userspace TCP relay per directed peer link, in the controller; nodes listen on
//    loopback and dial the relays for their peers. A cut closes the link's open connections and
//    refuses (blackholes) new ones until healed. Unprivileged.
// Client traffic from the controller to a node's client port never passes a cut.
//
// Thread safety: Cut/Heal/Teardown may be called from any one thread at a time; PeerAddress,
// nodes and CommandPrefix are read-only after Setup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/node_address.h"
#include "base/status.h"
#include "nemesis/partition.h"

namespace faultline::nemesis {

using base::Result;
using base::Status;

struct NetOptions {
  std::string run_id;  // short, unique per run; prefixes namespaces, links, rules ("fl3k9")
};

class NetBackend {
 public:
  virtual ~NetBackend() = default;

  virtual const char* name() const = 0;  // "netns" or "proxy"

  // Lays out the network for nodes `ids` (n1, n2, ...): addresses and free ports, namespaces or
  // relays. Called once.
  virtual Status Setup(const std::vector<std::string>& ids) = 0;
  virtual const std::vector<base::NodeAddress>& nodes() const = 0;

  // "host:port" that node `from` must dial to reach node `to`'s peer port.
  virtual std::string PeerAddress(const std::string& from, const std::string& to) const = 0;

  // Words to put before a node's command line (e.g. {"ip","netns","exec","fl3k9-n1"}); empty
  // for proxy. The prefix must exec the command in place, so the started pid is the node's.
  virtual std::vector<std::string> CommandPrefix(const std::string& id) const = 0;

  // Replaces the current cut with `grudge` (node -> nodes whose traffic it drops).
  virtual Status Cut(const Grudge& grudge) = 0;
  virtual Status Heal() = 0;

  // Removes everything Setup made. Idempotent; never throws.
  virtual void Teardown() = 0;
};

// kind: "auto" (netns when it can be used here, else proxy), "netns" or "proxy". `why` receives
// a short explanation of the choice for the log ("netns: running as root", "proxy: not root").
Result<std::unique_ptr<NetBackend>> MakeNetBackend(const std::string& kind,
                                                   const NetOptions& options, std::string* why);

}  // namespace faultline::nemesis
