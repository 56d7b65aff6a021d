// Jepsen-log importer: the operation lines Jepsen's jepsen.util/log-op writes to a test's log,
// as in the etcd logs Porcupine's test data comes from:
//
//   INFO  jepsen.util - 2	:invoke	:cas	[3 0]
//   INFO  jepsen.util - 2	:fail	:cas	[3 0]
//   INFO  jepsen.util - 4	:info	:write	:timed-out
//   INFO  jepsen.util - :nemesis	:info	:start	nil
//
// Later Jepsen versions print "INFO [date] jepsen worker 3 - jepsen.util 3	:invoke ..." (no
// dash after jepsen.util) and may append the op's :error after the value; both are accepted.
// Everything else in a log (startup chatter, stack traces) is skipped.
#include <charconv>
#include <cstring>
#include <system_error>

#include "checker/io/edn_reader.h"
#include "checker/io/load.h"
#include "checker/json_reader.h"

namespace faultline::checker::io {

using base::Result;
using base::Status;

namespace {

using checker::internal::IsValidUtf8;
using internal::EdnReader;

constexpr std::string_view kMarker = "jepsen.util";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

void SkipSpaces(std::string_view* s) {
  while (!s->empty() && IsSpace(s->front())) s->remove_prefix(1);
}

void TrimTrailing(std::string_view* s) {
  while (!s->empty() && (IsSpace(s->back()) || s->back() == '\r')) s->remove_suffix(1);
}

std::string_view NextField(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && !IsSpace((*s)[n])) ++n;
  const std::string_view field = s->substr(0, n);
  s->remove_prefix(n);
  SkipSpaces(s);
  return field;
}

bool ParseType(std::string_view s, EventType* type) {
  if (s == ":invoke") {
    *type = EventType::kInvoke;
  } else if (s == ":ok") {
    *type = EventType::kOk;
  } else if (s == ":fail") {
    *type = EventType::kFail;
  } else if (s == ":info") {
    *type = EventType::kInfo;
  } else {
    return false;
  }
  return true;
}

enum class LineKind { kSkip, kEvent, kError };

// Parses one log line. kSkip for lines that are not operation lines; kError (with *reason) for
// an operation line whose client value cannot be read.
LineKind ParseLine(std::string_view line, Event* e, std::string* reason) {
  const size_t marker = line.find(kMarker);
  if (marker == std::string_view::npos) return LineKind::kSkip;
  std::string_view rest = line.substr(marker + kMarker.size());
  TrimTrailing(&rest);
  if (rest.empty() || !IsSpace(rest.front())) return LineKind::kSkip;
  SkipSpaces(&rest);
  if (!rest.empty() && rest.front() == '-') {
    rest.remove_prefix(1);
    if (rest.empty() || !IsSpace(rest.front())) return LineKind::kSkip;
    SkipSpaces(&rest);
  }

  const std::string_view process = NextField(&rest);
  if (process.empty()) return LineKind::kSkip;
  if (process.front() == ':') {
    e->nemesis = true;  // :nemesis; another keyword is an error, below
  } else {
    const auto r = std::from_chars(process.data(), process.data() + process.size(), e->process);
    if (r.ec != std::errc() || r.ptr != process.data() + process.size()) return LineKind::kSkip;
  }
  if (!ParseType(NextField(&rest), &e->type)) return LineKind::kSkip;
  const std::string_view f = NextField(&rest);
  if (f.size() < 2 || f.front() != ':') return LineKind::kSkip;
  // An operation line from here on. Its text becomes strings of the history: it must be UTF-8
  // (a keyword :\xff once reached a model state that could not be decoded: issue 13).
  if (!IsValidUtf8(line)) {
    *reason = "invalid UTF-8 in an operation line";
    return LineKind::kError;
  }
  if (e->nemesis && process != ":nemesis") {
    // Another named process was once taken for the nemesis, which hid a client's operations
    // from the checker: a false VALID (issue 13).
    *reason = "process " + std::string(process) + " is neither a client number nor :nemesis";
    return LineKind::kError;
  }
  e->f.assign(f.substr(1));

  // The value: one EDN form; whatever follows it is the op's :error (newer Jepsen versions).
  bool timed_out = false;
  std::string_view trailing;
  if (!rest.empty()) {
    EdnReader reader(rest);
    const bool ok = reader.SkipIgnorable() && !reader.AtEnd() && reader.ReadValue(&e->value);
    if (ok) {
      timed_out = rest.substr(0, reader.offset()) == ":timed-out";
      trailing = rest.substr(reader.offset());
      SkipSpaces(&trailing);
    }
    if (e->nemesis && (!ok || !trailing.empty())) {
      // Nemesis values are free-form text (partition descriptions, node lists...): keep it.
      e->value = Value::String(std::string(rest));
      trailing = {};
    } else if (!ok) {
      *reason = "cannot read the value of " + std::string(f) + ": " + reader.error() +
                " (at byte " + std::to_string(reader.error_offset() + 1) + " of the value)";
      return LineKind::kError;
    }
  }
  if (!trailing.empty()) {
    if (trailing == ":timed-out") timed_out = true;
    e->error.assign(trailing.front() == ':' ? trailing.substr(1) : trailing);
  }
  if (e->nemesis) return LineKind::kEvent;

  // The etcd logs' semantics (DESIGN.md section 2), translated:
  if (timed_out && e->type != EventType::kInvoke && e->type != EventType::kOk) {
    // A timeout is indeterminate, even when logged as :fail: the op may yet take effect.
    e->type = EventType::kInfo;
    e->value = Value::Null();
    e->error = "timed-out";
  } else if (e->type == EventType::kFail && e->f == "cas") {
    // The compare executed and did not match: a definite observation (Porcupine semantics).
    e->error = "mismatch";
  }
  // An :ok :read of nil means the key was absent, which is what null already says.
  return LineKind::kEvent;
}

}  // namespace

Result<History> ParseJepsenLog(std::string_view text, const std::string& source,
                               Deadline deadline) {
  History history;
  history.source = source;
  std::string reason;
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    if ((line_number & 0xFFF) == 0 && deadline != Deadline::max() &&
        std::chrono::steady_clock::now() > deadline) {
      return Status::IoError(source + ": " + std::string(kParseTimeout));
    }
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    Event e;
    switch (ParseLine(line, &e, &reason)) {
      case LineKind::kSkip:
        continue;
      case LineKind::kError:
        return Status::Corruption(source + ":" + std::to_string(line_number) + ": " + reason);
      case LineKind::kEvent:
        break;
    }
    e.index = static_cast<int64_t>(history.events.size());
    e.time = -1;
    e.line = line_number;
    history.events.push_back(std::move(e));
  }
  return history;
}

}  // namespace faultline::checker::io
