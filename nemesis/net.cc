#include "nemesis/net.h"

#include "nemesis/netns.h"
#include "nemesis/proxy.h"

namespace faultline::nemesis {

Result<std::unique_ptr<NetBackend>> MakeNetBackend(const std::string& kind,
                                                   const NetOptions& options, std::string* why) {
  std::string reason;
  std::unique_ptr<NetBackend> backend;
  if (kind == "netns") {
    backend = std::make_unique<NetnsBackend>(options);
    reason = "netns: requested";
  } else if (kind == "proxy") {
    backend = std::make_unique<ProxyBackend>(options);
    reason = "proxy: requested";
  } else if (kind == "auto") {
    const Status probe = NetnsBackend::Probe();
    if (probe.ok()) {
      backend = std::make_unique<NetnsBackend>(options);
      reason = "netns: running as root with ip netns and nft";
    } else {
      backend = std::make_unique<ProxyBackend>(options);
      reason = "proxy: " + probe.message();
    }
  } else {
    return Status::InvalidArgument("unknown net backend '" + kind +
                                   "' (expected auto, netns or proxy)");
  }
  if (why != nullptr) *why = reason;
  return backend;
}

}  // namespace faultline::nemesis
