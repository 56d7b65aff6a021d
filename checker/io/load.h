// History importers. Each translates its source's semantics into faultline's (DESIGN.md
// section 2), so that the search sees one meaning whatever the file was.
#pragma once

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
};

// Guesses the format from the content: JSON Lines when the first significant character opens a
// JSON object with a string key; Jepsen log when a line holds "jepsen.util"; EDN otherwise.
Format DetectFormat(std::string_view text);

// Reads and parses a whole file ("-": standard input). --independent with a format other than
// EDN is an error. Errors are one line: "FILE:LINE: reason" (or "FILE: reason").
base::Result<History> LoadHistoryFile(const std::string& path, const LoadOptions& options);
base::Result<History> ParseHistory(std::string_view text, const std::string& source,
                                   const LoadOptions& options);

// The individual importers. `source` names the input in messages.
base::Result<History> ParseJsonl(std::string_view text, const std::string& source);
base::Result<History> ParseEdn(std::string_view text, const std::string& source, bool independent);
base::Result<History> ParseJepsenLog(std::string_view text, const std::string& source);

}  // namespace faultline::checker::io
