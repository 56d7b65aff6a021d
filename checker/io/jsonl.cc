// JSON Lines importer: faultline's own history format (DESIGN.md section 2).
//
// Speed matters here: a benchmark reads two million lines. Each line's top-level object is
// walked field by field straight into its Event, with a local cursor the compiler keeps in a
// register: field names, the strings and integers of the known fields, and flat arrays of
// integers (cas arguments) take inline fast paths; everything else goes through the general
// JsonReader, which also produces every error message. Unknown fields are validated and skipped
// without building Values, and no line is copied. Large inputs are cut into chunks of whole
// lines parsed on a few threads; the result, including which error is reported (the first in
// the file), does not depend on the cuts.
#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include "checker/io/event_fields.h"
#include "checker/io/load.h"
#include "checker/json_reader.h"

namespace faultline::checker::io {

using base::Result;
using base::Status;

namespace {

using checker::internal::FindStringStop;
using checker::internal::JsonReader;
using checker::internal::ScanSmallInt;
using checker::internal::StoreInt;
using checker::internal::StoreIntArray;
using checker::internal::StoreString;

using Field = internal::EventField;
using internal::kError;
using internal::kF;
using internal::kIndex;
using internal::kKey;
using internal::kNode;
using internal::kOther;
using internal::kProcess;
using internal::kTime;
using internal::kType;
using internal::kValue;

// The field whose name, with its quotes and the colon, starts at p, as the harness writes it
// ("index": and so on). Returns the byte after the colon, or nullptr for the general path
// (unknown names, escapes, whitespace before the colon).
const char* KnownName(const char* p, const char* end, Field* field) {
  const auto match = [&](std::string_view literal, Field f) -> const char* {
    if (static_cast<size_t>(end - p) < literal.size() ||
        std::memcmp(p, literal.data(), literal.size()) != 0) {
      return nullptr;
    }
    *field = f;
    return p + literal.size();
  };
  if (end - p < 4) return nullptr;
  switch (p[1]) {
    case 'i':
      return match("\"index\":", kIndex);
    case 't':
      return p[2] == 'i' ? match("\"time\":", kTime) : match("\"type\":", kType);
    case 'p':
      return match("\"process\":", kProcess);
    case 'f':
      return match("\"f\":", kF);
    case 'k':
      return match("\"key\":", kKey);
    case 'v':
      return match("\"value\":", kValue);
    case 'e':
      return match("\"error\":", kError);
    case 'n':
      return match("\"node\":", kNode);
    default:
      return nullptr;
  }
}

const char* NameOf(Field f) {
  switch (f) {
    case kIndex:
      return "index";
    case kTime:
      return "time";
    case kProcess:
      return "process";
    case kType:
      return "type";
    case kF:
      return "f";
    case kKey:
      return "key";
    case kValue:
      return "value";
    case kError:
      return "error";
    case kNode:
      return "node";
    case kOther:
      break;
  }
  return "?";
}

bool ParseType(std::string_view s, EventType* type) {
  if (s == "invoke") {
    *type = EventType::kInvoke;
  } else if (s == "ok") {
    *type = EventType::kOk;
  } else if (s == "fail") {
    *type = EventType::kFail;
  } else if (s == "info") {
    *type = EventType::kInfo;
  } else {
    return false;
  }
  return true;
}

// Only the leading bytes are looked at: a line with anything else goes to ParseLine.
bool IsBlank(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  return i == line.size();
}

// JSON whitespace. Almost every byte tested is not: one comparison settles those.
bool IsSpace(char c) {
  return static_cast<unsigned char>(c) <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

// The string at p (which is '"') when it holds no escapes, control or non-ASCII bytes. Returns
// the byte after its closing quote, or nullptr for the general path.
const char* PlainString(const char* p, const char* end, std::string_view* out) {
  const char* start = p + 1;
  const char* q = FindStringStop(start, end);
  if (q == end || *q != '"') return nullptr;
  *out = std::string_view(start, static_cast<size_t>(q - start));
  return q + 1;
}

// A flat array of small integers at p (which is '['), such as a cas's [from, to]: built with
// one exact allocation. Returns the byte after ']', or nullptr for the general path.
const char* IntArray(const char* p, const char* end, Value* out) {
  constexpr int kMax = 8;
  int64_t items[kMax];
  int n = 0;
  ++p;
  while (p != end && IsSpace(*p)) ++p;
  if (p != end && *p == ']') return nullptr;  // [] is rare; leave it to the general path
  while (true) {
    if (n == kMax) return nullptr;
    p = ScanSmallInt(p, end, &items[n++]);
    if (p == nullptr) return nullptr;
    while (p != end && IsSpace(*p)) ++p;
    if (p == end) return nullptr;
    if (*p == ']') break;
    if (*p != ',') return nullptr;
    ++p;
    while (p != end && IsSpace(*p)) ++p;
  }
  StoreIntArray(out, items, static_cast<size_t>(n));
  return p + 1;
}

// The general paths, out of line so that the fast loop in ParseLine stays small. Each runs the
// reader from p and returns where it stopped, or nullptr on failure (the reader has the error).
[[gnu::noinline]] const char* ReadString(JsonReader& r, const char* begin, const char* p,
                                         std::string_view* s, std::string* scratch) {
  r.Seek(static_cast<size_t>(p - begin));
  return r.ParseStringView(s, scratch) ? begin + r.offset() : nullptr;
}
[[gnu::noinline]] const char* ReadValue(JsonReader& r, const char* begin, const char* p,
                                        Value* out) {
  r.Seek(static_cast<size_t>(p - begin));
  return r.ParseValue(out) ? begin + r.offset() : nullptr;
}
[[gnu::noinline]] const char* SkipValue(JsonReader& r, const char* begin, const char* p) {
  r.Seek(static_cast<size_t>(p - begin));
  return r.SkipValue() ? begin + r.offset() : nullptr;
}

const char* SkipSpace(const char* p, const char* end) {
  while (p != end && IsSpace(*p)) ++p;
  return p;
}

// Parses the value of `field` at p into *e. Returns the byte after it, or nullptr: then
// *reason says why when the value has the wrong type, and is empty when the JSON itself is
// invalid (the reader holds that error).
const char* ParseField(Field field, JsonReader& r, const char* begin, const char* p,
                       const char* end, Event* e, std::string* scratch, std::string* reason) {
  const bool is_string = p != end && *p == '"';
  std::string_view s;
  const auto string = [&]() {
    const char* q = PlainString(p, end, &s);
    return q != nullptr ? q : ReadString(r, begin, p, &s, scratch);
  };
  const auto wrong = [&](const char* why) -> const char* {
    *reason = why;
    return nullptr;
  };
  switch (field) {
    case kOther:
      return SkipValue(r, begin, p);
    case kValue:
      if (p != end && *p == '[') {
        if (const char* q = IntArray(p, end, &e->value)) return q;
      }
      return ReadValue(r, begin, p, &e->value);
    case kType:
    case kF: {
      const char* q = is_string ? string() : SkipValue(r, begin, p);
      if (q == nullptr) return nullptr;
      if (field == kF) {
        if (!is_string) return wrong("\"f\" must be a string");
        e->f.assign(s);
      } else if (!is_string || !ParseType(s, &e->type)) {
        return wrong("\"type\" must be one of invoke, ok, fail, info");
      }
      return q;
    }
    default:
      break;
  }
  // index, time, process, key, error. Integers (nearly all of them) and plain strings take the
  // fast paths; anything else is parsed as a Value and checked.
  int64_t i = 0;
  if (field != kError && field != kNode) {
    if (const char* q = ScanSmallInt(p, end, &i)) {
      if (field == kIndex) {
        e->index = i;
      } else if (field == kTime) {
        e->time = i;
      } else if (field == kProcess) {
        e->process = i;
      } else {
        e->has_key = true;
        StoreInt(&e->key, i);
      }
      return q;
    }
  }
  if (is_string && field != kIndex && field != kTime) {
    const char* q = string();
    if (q == nullptr) return nullptr;
    if (field == kKey) {
      e->has_key = true;
      StoreString(&e->key, std::string(s));
    } else if (field == kError) {
      e->error.assign(s);
    } else if (field == kNode) {
      e->node.assign(s);
    } else if (s == "nemesis") {
      e->nemesis = true;
    } else {
      // Another name was once taken for the nemesis too, which hid a client's operations from
      // the checker: a false VALID (issue 13).
      return wrong("\"process\" must be an integer or \"nemesis\"");
    }
    return q;
  }
  Value v;
  const char* q = ReadValue(r, begin, p, &v);
  if (q == nullptr) return nullptr;
  if (field == kError || field == kNode) {
    // A non-string error or node is kept as its JSON text (history.h); null is none.
    if (!v.is_null()) (field == kError ? e->error : e->node) = v.ToJson();
    return q;
  }
  if (v.is_int()) {  // beyond the fast path's 18 digits
    if (field == kIndex) e->index = v.as_int();
    if (field == kTime) e->time = v.as_int();
    if (field == kProcess) e->process = v.as_int();
    if (field == kKey) {
      e->has_key = true;
      e->key = std::move(v);
    }
    return q;
  }
  // Null means absent for the optional fields (index: the position; time: unknown).
  if (v.is_null() && field != kProcess) return q;
  switch (field) {
    case kIndex:
      return wrong("\"index\" must be an integer");
    case kTime:
      return wrong("\"time\" must be an integer (nanoseconds)");
    case kProcess:
      return wrong("\"process\" must be an integer or \"nemesis\"");
    default:
      return wrong("\"key\" must be a string or an integer");
  }
}

// Parses one line into *e. On failure sets *reason (without "FILE:LINE: ") and returns false.
// `r` and `scratch` are reused across lines for their buffers.
bool ParseLine(std::string_view line, JsonReader& r, Event* e, std::string* scratch,
               std::string* reason) {
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  r.Reset(line);
  reason->clear();
  // Error messages come from the reader, at its position (moved to `at` when given).
  const auto invalid_json = [&]() {
    *reason = "invalid JSON at column " + std::to_string(r.error_offset() + 1) + ": " + r.error();
    return false;
  };
  const auto invalid_at = [&](const char* at, const char* what) {
    r.Seek(static_cast<size_t>(at - begin));
    r.Fail(what);
    return invalid_json();
  };

  const char* p = SkipSpace(begin, end);
  if (p == end || *p != '{') {
    *reason = "expected a JSON object (one operation per line)";
    return false;
  }
  p = SkipSpace(p + 1, end);
  unsigned seen = 0;
  if (p != end && *p == '}') {
    ++p;
  } else {
    while (true) {
      if (p == end) return invalid_at(p, "unexpected end of line");
      if (*p != '"') return invalid_at(p, "expected '\"'");
      Field field = kOther;
      if (const char* q = KnownName(p, end, &field)) {
        p = q;  // the name and its ':' in one step
      } else {
        std::string_view name;
        q = PlainString(p, end, &name);
        if (q == nullptr && (q = ReadString(r, begin, p, &name, scratch)) == nullptr) {
          return invalid_json();
        }
        p = q;
        field = internal::EventFieldOf(name);
        // Whitespace is looked for only where the expected byte is not found: compact JSON,
        // which the harness writes, has none.
        if (p == end || *p != ':') {
          p = SkipSpace(p, end);
          if (p == end || *p != ':') return invalid_at(p, "expected ':'");
        }
        ++p;
      }
      if (field != kOther && (seen & field) != 0) {
        *reason = "duplicate field \"" + std::string(NameOf(field)) + "\"";
        return false;
      }
      seen |= field;
      if (p != end && IsSpace(*p)) p = SkipSpace(p, end);
      p = ParseField(field, r, begin, p, end, e, scratch, reason);
      if (p == nullptr) return reason->empty() ? invalid_json() : false;
      if (p == end || (*p != ',' && *p != '}')) p = SkipSpace(p, end);
      if (p == end) return invalid_at(p, "unexpected end of line, expected ',' or '}'");
      if (*p == ',') {
        ++p;
        if (p != end && IsSpace(*p)) p = SkipSpace(p, end);
        continue;
      }
      if (*p == '}') {
        ++p;
        break;
      }
      return invalid_at(p, "expected ',' or '}'");
    }
  }
  p = SkipSpace(p, end);
  if (p != end) return invalid_at(p, "unexpected characters after the object");
  if ((seen & kType) == 0) {
    *reason = "missing \"type\"";
    return false;
  }
  if ((seen & kF) == 0) {
    *reason = "missing \"f\"";
    return false;
  }
  if ((seen & kProcess) == 0) {
    *reason = "missing \"process\"";
    return false;
  }
  return true;
}

// Inputs smaller than this are parsed on the calling thread alone: for them, starting threads
// costs more than it saves.
constexpr size_t kParallelMinBytes = size_t{8} << 20;
// At most this many threads parse one input.
constexpr unsigned kMaxThreads = 4;

// A run of whole lines of the input, parsed by one thread into its own slots of the events.
struct Chunk {
  std::string_view text;
  size_t lines = 0;        // lines in text
  size_t events = 0;       // non-blank lines in text
  int64_t first_line = 1;  // line number of text's first line
  size_t first_event = 0;  // slot in History::events of text's first event
  int64_t error_line = 0;  // line of the chunk's first error; 0 when none
  std::string error;
};

// Calls f(line) for each line of text, without its "\r\n" or "\n".
template <typename F>
void ForEachLine(std::string_view text, F f) {
  size_t pos = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!f(line)) return;
  }
}

void CountChunk(Chunk* c) {
  ForEachLine(c->text, [&](std::string_view line) {
    ++c->lines;
    if (!IsBlank(line)) ++c->events;
    return true;
  });
}

// Parses c's lines into events[c->first_event...]; stops at the first error and records it,
// or past the deadline (looked at every 4096 lines).
void ParseChunk(Chunk* c, Event* events, Deadline deadline) {
  JsonReader reader;
  std::string scratch;
  std::string reason;
  int64_t line_number = c->first_line - 1;
  size_t slot = c->first_event;
  ForEachLine(c->text, [&](std::string_view line) {
    ++line_number;
    if ((line_number & 0xFFF) == 0 && deadline != Deadline::max() &&
        std::chrono::steady_clock::now() > deadline) {
      c->error_line = line_number;
      c->error = kParseTimeout;
      return false;
    }
    if (IsBlank(line)) return true;
    Event& e = events[slot];
    e.index = static_cast<int64_t>(slot);
    e.line = line_number;
    ++slot;
    if (ParseLine(line, reader, &e, &scratch, &reason)) return true;
    c->error_line = line_number;
    c->error = std::move(reason);
    return false;
  });
}

// Runs f on every chunk, the first on the calling thread and each other on a thread of its own
// (or, should a thread fail to start, on the calling thread afterwards).
template <typename F>
void RunChunks(std::vector<Chunk>& chunks, F f) {
  std::vector<std::thread> threads;
  std::vector<Chunk*> leftover;
  for (size_t i = 1; i < chunks.size(); ++i) {
    try {
      threads.emplace_back(f, &chunks[i]);
    } catch (const std::system_error&) {
      leftover.push_back(&chunks[i]);
    }
  }
  f(&chunks[0]);
  for (Chunk* c : leftover) f(c);
  for (std::thread& t : threads) t.join();
}

}  // namespace

Result<History> ParseJsonl(std::string_view text, const std::string& source, Deadline deadline) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  // Large inputs are cut into chunks of whole lines, parsed in parallel. Each chunk's lines and
  // events are counted first, so that every chunk knows its line numbers and the slots of its
  // events in the one vector, which is sized once (Events are large: growing would copy them).
  unsigned parts = 1;
  if (text.size() >= kParallelMinBytes) {
    parts = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
  }
  std::vector<Chunk> chunks;
  size_t start = 0;
  for (unsigned i = 1; i <= parts && start < text.size(); ++i) {
    size_t end = text.size();
    if (i < parts) {
      const size_t cut = std::max(start, text.size() / parts * i);
      const size_t nl = text.find('\n', cut);
      if (nl != std::string_view::npos) end = nl + 1;
    }
    chunks.emplace_back().text = text.substr(start, end - start);
    start = end;
  }
  if (chunks.empty()) chunks.emplace_back();
  RunChunks(chunks, CountChunk);
  int64_t line = 1;
  size_t events = 0;
  for (Chunk& c : chunks) {
    c.first_line = line;
    c.first_event = events;
    line += static_cast<int64_t>(c.lines);
    events += c.events;
  }
  History history;
  history.source = source;
  history.events.resize(events);
  RunChunks(chunks,
            [&history, deadline](Chunk* c) { ParseChunk(c, history.events.data(), deadline); });
  for (const Chunk& c : chunks) {
    if (c.error_line != 0) {
      return Status::Corruption(source + ":" + std::to_string(c.error_line) + ": " + c.error);
    }
  }
  return history;
}

}  // namespace faultline::checker::io
