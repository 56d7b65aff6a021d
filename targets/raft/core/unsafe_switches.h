// raftkv's unsafe switches: deliberate bugs (issue 3), each breaking one rule that Raft's safety
// depends on, so that the harness and the simulation can show that they catch it. All off by
// default; never for a deployment.
//
// The one list of them: raftkv's flags (--unsafe-...), the raft target's --raft-opt and the
// simulation's --raft-opt all read this table, so a switch added here is known everywhere (and
// the compiler points at every `switch` over UnsafeSwitch that does not handle it yet). Lives in
// core, below all three, and header-only: it names behaviour, it does not implement any.
#pragma once

#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::raft {

enum class UnsafeSwitch {
  kStaleReads,      // any node answers reads from its local state machine, without ReadIndex
  kNoFsync,         // acknowledge writes before they are durable; a crash loses them
  kCommitOldTerms,  // commit earlier-term entries by counting replicas (the paper's Figure 8)
};

struct UnsafeSwitchInfo {
  UnsafeSwitch id;
  std::string_view name;  // raftkv's flag without the leading "--"; what --raft-opt takes
  std::string_view help;  // one line, for usage texts
};

inline constexpr UnsafeSwitchInfo kUnsafeSwitches[] = {
    {UnsafeSwitch::kStaleReads, "unsafe-stale-reads",
     "any node answers reads from its local state, without ReadIndex"},
    {UnsafeSwitch::kNoFsync, "unsafe-no-fsync",
     "acknowledge writes before they are durable (a crash loses them)"},
    {UnsafeSwitch::kCommitOldTerms, "unsafe-commit-old-terms",
     "commit earlier-term entries by counting replicas (Raft paper, Figure 8)"},
};

// The switch called `name` ("unsafe-stale-reads", no leading "--"), if there is one.
constexpr std::optional<UnsafeSwitch> FindUnsafeSwitch(std::string_view name) {
  for (const UnsafeSwitchInfo& s : kUnsafeSwitches) {
    if (s.name == name) return s.id;
  }
  return std::nullopt;
}

constexpr std::string_view UnsafeSwitchName(UnsafeSwitch id) {
  for (const UnsafeSwitchInfo& s : kUnsafeSwitches) {
    if (s.id == id) return s.name;
  }
  return "unsafe-?";
}

// Every name, in table order: "unsafe-stale-reads, unsafe-no-fsync, unsafe-commit-old-terms"
// (`last_separator` before the last one, e.g. " or ").
inline std::string UnsafeSwitchNames(std::string_view separator = ", ",
                                     std::string_view last_separator = ", ") {
  std::string out;
  constexpr size_t kCount = std::size(kUnsafeSwitches);
  for (size_t i = 0; i < kCount; ++i) {
    if (i > 0) out += i + 1 == kCount ? last_separator : separator;
    out += kUnsafeSwitches[i].name;
  }
  return out;
}

}  // namespace faultline::raft
