// `faultline probe`: checks that a store speaks the KV protocol (docs/PROTOCOL.md) before a test
// is run against it. Either starts the nodes of a --node-cmd exactly as `faultline test --target
// process` would (the same process target, net backend and Cluster: the run folder
// <results>/probe/<timestamp>/ holds each node's command and logs, and probe.txt, the table), or
// probes nodes that already run (--address). The items are targets/protocol_probe.h's; the table
// goes to stdout.
//
// Exit codes: 0 every required item passed, 1 a required item failed, 2 the nodes could not be
// started (or were not healthy in time), 254 bad options.
#pragma once

#include <string>
#include <vector>

#include "base/node_address.h"
#include "base/status.h"

namespace faultline::harness {

struct ProbeCommandOptions {
  std::string node_cmd;  // start nodes from this template ...
  int nodes = 3;
  std::string address;  // ... or probe these: "host:port[,host:port...]" (ids n1, n2, ...)
  std::string net = "auto";
  std::string results_dir = "results";
  double request_timeout_s = 1;  // test's default, so a pass here is a pass at test's start
  double start_timeout_s = 30;
};

int RunProbeCommand(const ProbeCommandOptions& options);

// "127.0.0.1:7001,[::1]:7002" -> nodes n1, n2 with those hosts and client ports; a one-line error
// for anything else.
base::Result<std::vector<base::NodeAddress>> ParseAddressList(const std::string& list);

}  // namespace faultline::harness
