// JSON Lines importer: faultline's own history format (DESIGN.md section 2).
//
// Speed matters here: a benchmark reads two million lines. Each line's top-level object is
// walked field by field straight into its Event, with a local cursor the compiler keeps in a
// register: field names, the strings and integers of the known fields, and flat arrays of
// integers (cas arguments) take inline fast paths; everything else goes through the general
// JsonReader, which also produces every error message. Unknown fields are validated and skipped
// without building Values, and no line is copied.
#include <cstring>

#include "checker/io/load.h"
#include "checker/json_reader.h"

namespace faultline::checker::io {

namespace {

using checker::internal::FindStringStop;
using checker::internal::JsonReader;
using checker::internal::ScanSmallInt;

enum Field : unsigned {
  kIndex = 1u << 0,
  kTime = 1u << 1,
  kProcess = 1u << 2,
  kType = 1u << 3,
  kF = 1u << 4,
  kKey = 1u << 5,
  kValue = 1u << 6,
  kError = 1u << 7,
  kOther = 0,
};

Field FieldOf(std::string_view name) {
  switch (name.size()) {
    case 1:
      return name == "f" ? kF : kOther;
    case 3:
      return name == "key" ? kKey : kOther;
    case 4:
      return name == "type" ? kType : name == "time" ? kTime : kOther;
    case 5:
      return name == "value" ? kValue : name == "index" ? kIndex : name == "error" ? kError : kOther;
    case 7:
      return name == "process" ? kProcess : kOther;
    default:
      return kOther;
  }
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
  Value::Array array;
  array.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) array.push_back(Value::Int(items[i]));
  *out = Value::MakeArray(std::move(array));
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
[[gnu::flatten]] const char* ParseField(Field field, JsonReader& r, const char* begin, const char* p,
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
  if (field != kError) {
    if (const char* q = ScanSmallInt(p, end, &i)) {
      if (field == kIndex) {
        e->index = i;
      } else if (field == kTime) {
        e->time = i;
      } else if (field == kProcess) {
        e->process = i;
      } else {
        e->has_key = true;
        e->key = Value::Int(i);
      }
      return q;
    }
  }
  if (is_string && field != kIndex && field != kTime) {
    const char* q = string();
    if (q == nullptr) return nullptr;
    if (field == kKey) {
      e->has_key = true;
      e->key = Value::String(std::string(s));
    } else if (field == kError) {
      e->error.assign(s);
    } else {
      e->nemesis = true;  // "nemesis", or any other named non-client process
    }
    return q;
  }
  Value v;
  const char* q = ReadValue(r, begin, p, &v);
  if (q == nullptr) return nullptr;
  if (field == kError) {
    // A non-string error is kept as its JSON text (history.h); null is no error.
    if (!v.is_null()) e->error = v.ToJson();
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
      std::string_view name;
      const char* q = PlainString(p, end, &name);
      if (q == nullptr && (q = ReadString(r, begin, p, &name, scratch)) == nullptr) {
        return invalid_json();
      }
      p = q;
      const Field field = FieldOf(name);
      if (field != kOther && (seen & field) != 0) {
        *reason = "duplicate field \"" + std::string(name) + "\"";
        return false;
      }
      seen |= field;
      // Whitespace is looked for only where the expected byte is not found: compact JSON,
      // which the harness writes, has none.
      if (p == end || *p != ':') {
        p = SkipSpace(p, end);
        if (p == end || *p != ':') return invalid_at(p, "expected ':'");
      }
      ++p;
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

}  // namespace

Result<History> ParseJsonl(std::string_view text, const std::string& source) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  History history;
  history.source = source;
  // One event per line: counting newlines first (fast, vectorised) avoids regrowing a vector
  // of large Events.
  size_t lines = 1;
  for (const char* p = text.data(), *end = text.data() + text.size();
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))));
       ++p) {
    ++lines;
  }
  history.events.reserve(lines);
  JsonReader reader;
  std::string scratch;
  std::string reason;
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data())
                          : text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line)) continue;
    Event& e = history.events.emplace_back();
    e.index = static_cast<int64_t>(history.events.size() - 1);
    e.line = line_number;
    if (!ParseLine(line, reader, &e, &scratch, &reason)) {
      return Status::Corruption(source + ":" + std::to_string(line_number) + ": " + reason);
    }
  }
  return history;
}

}  // namespace faultline::checker::io
