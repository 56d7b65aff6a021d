// Op and Completion: the two halves of a history operation (DESIGN.md section 2) as the harness
// handles them before they are written: what a workload asks a client to do, and how it ended.
#pragma once

#include <string>

#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

struct Op {
  std::string f;         // "read", "write", "cas", "add", "acquire", ...
  bool has_key = false;  // independent keys: the history carries `key`
  Value key;             // string or integer, when has_key
  Value value;           // the argument (null for a read)
};

struct Completion {
  EventType type = EventType::kInfo;  // kOk, kFail or kInfo; never kInvoke
  Value value;                        // the result for ok (a read's value, a token, ...)
  std::string error;                  // e.g. "mismatch", "not-leader", "timeout"; empty if none
  std::string node;                   // the node that answered, when known
};

}  // namespace faultline::checker
