// NodeAddress: where one node of the cluster under test listens. Laid out by the nemesis net
// backend (which owns the network), turned into command lines and clients by a target, and
// carried by the harness between the two; so it lives below all three.
#pragma once

#include <string>

namespace faultline::base {

struct NodeAddress {
  std::string id;    // "n1", "n2", ... in order
  std::string host;  // the address the node binds (client and peer ports) and clients dial
  int client_port = 0;
  int peer_port = 0;
};

}  // namespace faultline::base
