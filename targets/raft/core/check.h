// FAULTLINE_RAFT_CHECK: assertions for programmer errors that stay on in every build type
// (STYLE.md: "programmer errors are assertions that stay on in release builds and print the
// seed"). A caller that knows how to reproduce the run (the simulation knows its seed) installs a
// context line with SetCheckContext; a failing check prints it before aborting.
//
// Not for conditions caused by other nodes or by the disk: those are values (see
// Raft::fatal_error()), because a replica must be able to refuse bad input without dying.
#pragma once

#include <string>

namespace faultline::raft {

// Sets the line printed with any failed check on this thread (e.g. "reproduce: --seed 42").
void SetCheckContext(std::string context);

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& message);

}  // namespace faultline::raft

#define FAULTLINE_RAFT_CHECK(condition, message)                                 \
  do {                                                                           \
    if (!(condition)) {                                                          \
      ::faultline::raft::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                            \
  } while (false)
