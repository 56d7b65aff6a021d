// Exit codes of every command (DESIGN.md section 5) and the verdict each one stands for. One
// mapping for `test`, `check` and `sim`, so the three cannot drift apart.
#pragma once

#include "checker/check.h"

namespace faultline::results {

inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitBadInput = 254;
inline constexpr int kExitInternal = 255;

// 0 valid, 1 invalid, 2 unknown.
inline constexpr int ExitCodeFor(checker::Verdict v) {
  switch (v) {
    case checker::Verdict::kValid:
      return kExitValid;
    case checker::Verdict::kInvalid:
      return kExitInvalid;
    case checker::Verdict::kUnknown:
      return kExitUnknown;
  }
  return kExitInternal;
}

// The worst of two codes, for runs of several files, seeds or tests:
// 255 > 254 > 1 > 2 > 0 (DESIGN.md section 5). A bad input ranks above an anomaly because an
// input that could not be read was not checked at all; any code not listed counts as 255.
inline constexpr int WorstExit(int a, int b) {
  auto rank = [](int code) {
    switch (code) {
      case kExitValid:
        return 0;
      case kExitUnknown:
        return 1;
      case kExitInvalid:
        return 2;
      case kExitBadInput:
        return 3;
      default:
        return 4;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

// The worse of two verdicts in the same order: invalid > unknown > valid (an anomaly found is
// real even when another checker could not finish).
inline constexpr checker::Verdict WorseVerdict(checker::Verdict a, checker::Verdict b) {
  return WorstExit(ExitCodeFor(a), ExitCodeFor(b)) == ExitCodeFor(a) ? a : b;
}

// "VALID", "INVALID" or "UNKNOWN": the word of a run's verdict line.
inline constexpr const char* VerdictWord(checker::Verdict v) {
  return v == checker::Verdict::kValid     ? "VALID"
         : v == checker::Verdict::kInvalid ? "INVALID"
                                           : "UNKNOWN";
}

}  // namespace faultline::results
