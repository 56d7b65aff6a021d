// Exit codes of every command (DESIGN.md section 5).
#pragma once

namespace faultline::harness {

inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitBadInput = 254;
inline constexpr int kExitInternal = 255;

// The worst of two codes, for runs of several files or tests: 255 > 1 > 2 > 0 (DESIGN.md
// section 5). 254 ranks between 255 and 1: a file that could not be read was not checked at all.
inline int WorstExit(int a, int b) {
  auto rank = [](int c) {
    switch (c) {
      case kExitValid: return 0;
      case kExitUnknown: return 1;
      case kExitInvalid: return 2;
      case kExitBadInput: return 3;
      default: return 4;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace faultline::harness
