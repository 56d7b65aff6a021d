// The proxy net backend: a userspace TCP relay per directed peer link, run by the controller.
//
// Every node listens on 127.0.0.1 (client and peer ports chosen free at Setup). For each ordered
// pair (from, to) with from != to there is a relay listener on its own loopback port; node
// `from` dials that port to reach `to` (PeerAddress), and the relay connects to `to`'s real peer
// port and pipes bytes both ways. The controller's client traffic goes straight to the client
// ports and never passes a relay, so it is never cut.
//
// Cut(grudge) cuts link from->to when grudge[to] contains `from`: its open connections are
// closed, and until the link is healed new connections are blackholed (accepted, their bytes
// read and discarded, nothing forwarded, no answer), which a sender sees as a silent peer the
// way it would behind a real partition. Heal closes the blackholed connections so senders
// reconnect at once instead of writing into the void.
//
// Threads: one relay thread serves every link with poll(2). Cut/Heal hand the new cut to it and
// wait until it is applied, so when Cut returns no byte crosses a cut link any more.
// Bounds: kMaxConnsPerLink connections per link, kBufferBytes buffered per direction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nemesis/net.h"

namespace faultline::nemesis {

class ProxyBackend final : public NetBackend {
 public:
  static constexpr int kMaxConnsPerLink = 64;
  static constexpr size_t kBufferBytes = 64 * 1024;

  explicit ProxyBackend(NetOptions options);
  ~ProxyBackend() override;  // Teardown()

  ProxyBackend(const ProxyBackend&) = delete;
  ProxyBackend& operator=(const ProxyBackend&) = delete;

  const char* name() const override { return "proxy"; }
  Status Setup(const std::vector<std::string>& ids) override;
  const std::vector<base::NodeAddress>& nodes() const override;
  std::string PeerAddress(const std::string& from, const std::string& to) const override;
  std::vector<std::string> CommandPrefix(const std::string& id) const override;
  Status Cut(const Grudge& grudge) override;
  Status Heal() override;
  void Teardown() override;

  // Connections currently open on link from->to (forwarding ones, and blackholed ones while the
  // link is cut). For tests and the log; -1 for an unknown link.
  struct LinkCounts {
    int forwarding = -1;
    int blackholed = -1;
  };
  LinkCounts CountsForLink(const std::string& from, const std::string& to) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::nemesis
