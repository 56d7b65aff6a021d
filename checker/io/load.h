// History importers. Each translates its source's semantics into faultline's (DESIGN.md
// section 2), so that the search sees one meaning whatever the file was.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"
#include "checker/history.h"

namespace faultline::checker::io {

enum class Format { kAuto, kJsonl, kEdn, kJepsenLog };
const char* FormatName(Format f);  // "auto", "jsonl", "edn", "jepsen-log"
base::Result<Format> ParseFormatName(std::string_view name);

struct LoadOptions {
  Format format = Format::kAuto;
  // EDN: split Jepsen independent tuples `[k v]` in :value into key + value.
  bool independent = false;
  // Parsing stops when this passes (polled between operations): the load fails with a message
  // ending in kParseTimeout and, when given, *timed_out is set. Parsing is linear in the input,
  // so the check's --timeout covers it (issue 13).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool* timed_out = nullptr;
};

// The end of the message of a load stopped by LoadOptions::deadline.
inline constexpr std::string_view kParseTimeout = "timeout while parsing";

// Guesses the format from the content: JSON Lines when the first significant character opens a
// JSON object with a string key; Jepsen log when a line holds "jepsen.util"; EDN otherwise.
Format DetectFormat(std::string_view text);

// Reads and parses a whole file ("-": standard input). With Format::kAuto a name ending in
// ".jsonl" is JSON Lines and one ending in ".edn" is EDN; other names go by DetectFormat.
// --independent with a format other than
// EDN is an error. Errors are one line: "FILE:LINE: reason" (or "FILE: reason").
base::Result<History> LoadHistoryFile(const std::string& path, const LoadOptions& options);
base::Result<History> ParseHistory(std::string_view text, const std::string& source,
                                   const LoadOptions& options);

// The individual importers. `source` names the input in messages. `deadline` as in LoadOptions
// (the default: none); a load past it fails with a message ending in kParseTimeout.
using Deadline = std::chrono::steady_clock::time_point;
base::Result<History> ParseJsonl(std::string_view text, const std::string& source,
                                 Deadline deadline = Deadline::max());
base::Result<History> ParseEdn(std::string_view text, const std::string& source, bool independent,
                               Deadline deadline = Deadline::max());
base::Result<History> ParseJepsenLog(std::string_view text, const std::string& source,
                                     Deadline deadline = Deadline::max());

}  // namespace faultline::checker::io
