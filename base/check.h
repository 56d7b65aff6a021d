// FAULTLINE_CHECK: assertions for programmer errors that stay on in every build type (STYLE.md:
// "programmer errors are assertions that stay on in release builds and print the seed"). A
// caller that knows how to reproduce the run (the simulation knows its seed) installs a context
// line with SetCheckContext; a failing check prints it before aborting.
//
// Not for conditions caused by other nodes, the disk or the input: those are values (Status,
// Result, Raft::fatal_error()), because a replica or the checker must be able to refuse bad
// input without dying.
#pragma once

#include <string>

namespace faultline::base {

// Sets the line printed with any failed check on this thread (e.g. "reproduce: --seed 42");
// "" clears it.
void SetCheckContext(std::string context);
const std::string& CheckContext();

// Prints "faultline: check failed at FILE:LINE: CONDITION: MESSAGE" and the context line, if
// any, to stderr and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& message);

}  // namespace faultline::base

// `message` is evaluated only when the check fails, so building it may cost what it likes.
#define FAULTLINE_CHECK(condition, message)                                      \
  do {                                                                           \
    if (!(condition)) [[unlikely]] {                                             \
      ::faultline::base::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                            \
  } while (false)
