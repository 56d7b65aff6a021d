// NodeControl: what the nemesis needs from whoever runs the node processes (the harness). The
// nemesis knows nodes and processes through this interface only, never how they are started.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::nemesis {

class NodeControl {
 public:
  virtual ~NodeControl() = default;

  virtual std::vector<std::string> Nodes() const = 0;  // n1, n2, ... in order

  virtual base::Status Pause(const std::string& id) = 0;    // SIGSTOP
  virtual base::Status Resume(const std::string& id) = 0;   // SIGCONT
  virtual base::Status Kill(const std::string& id) = 0;     // SIGKILL, reaped
  virtual base::Status Restart(const std::string& id) = 0;  // start again on the same data

  // The node that says it leads (from /status), if any answers; nullopt when unknown.
  virtual std::optional<std::string> Leader() = 0;
};

}  // namespace faultline::nemesis
