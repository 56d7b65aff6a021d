// EDN importer: Jepsen history.edn files and the Knossos data/ corpus.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>
#include <unordered_set>

#include "checker/io/edn_reader.h"
#include "checker/io/event_fields.h"
#include "checker/io/load.h"
#include "checker/json_reader.h"

namespace faultline::checker::io {

using base::Result;
using base::Status;

namespace internal {

// A token or string for a message: at most 40 bytes, control characters shown as '?', and
// bytes that are not ASCII too when they are not valid UTF-8 (a message is one line of UTF-8:
// both found by fuzzing).
std::string Shorten(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
  const bool utf8 = checker::internal::IsValidUtf8(out);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || (u >= 0x80 && !utf8)) c = '?';
  }
  return out;
}

namespace {

using checker::internal::AppendUtf8;
using checker::internal::DescribeByte;
using checker::internal::IsValidUtf8;
using checker::internal::ScanSmallInt;
using checker::internal::StoreDouble;
using checker::internal::StoreInt;
using checker::internal::StoreString;
using checker::internal::Utf8SequenceLength;

// Maps with more members than this are checked for duplicate keys through a sorted index.
constexpr size_t kSmallMap = 16;

// Character classes, by table: the reader tests nearly every byte of its input against them.
constexpr uint8_t kSpace = 1;      // whitespace; commas are whitespace in EDN
constexpr uint8_t kDelimiter = 2;  // ends a token (symbol, keyword, number, tag, character name)
constexpr struct ByteClasses {
  uint8_t of[256];
  constexpr ByteClasses() : of() {
    for (const char c : {' ', ',', '\n', '\t', '\r', '\f', '\v'}) {
      of[static_cast<unsigned char>(c)] = kSpace | kDelimiter;
    }
    for (const char c : {'(', ')', '[', ']', '{', '}', '"', ';', '\\'}) {
      of[static_cast<unsigned char>(c)] = kDelimiter;
    }
  }
} kClasses;

bool IsWhitespace(char c) { return (kClasses.of[static_cast<unsigned char>(c)] & kSpace) != 0; }
bool IsDelimiter(char c) { return (kClasses.of[static_cast<unsigned char>(c)] & kDelimiter) != 0; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                               : (c >= '0' && c < static_cast<char>('0' + std::min(base, 10)));
    if (!ok) return false;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly four hex digits at p (bounded by end) into *v.
bool Hex4(const char* p, const char* end, uint32_t* v) {
  if (end - p < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = HexDigit(p[i]);
    if (d < 0) return false;
    *v = *v * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

bool HasDuplicateKeys(const Value::Object& members, std::string* duplicate) {
  if (members.size() <= kSmallMap) {
    for (size_t i = 0; i < members.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) {
          *duplicate = members[i].first;
          return true;
        }
      }
    }
    return false;
  }
  std::vector<std::string_view> keys;
  keys.reserve(members.size());
  for (const auto& m : members) keys.push_back(m.first);
  std::sort(keys.begin(), keys.end());
  const auto it = std::adjacent_find(keys.begin(), keys.end());
  if (it == keys.end()) return false;
  *duplicate = std::string(*it);
  return true;
}

}  // namespace

bool EdnReader::FailAt(const char* at, std::string reason) {
  error_ = std::move(reason);
  error_offset_ = static_cast<size_t>(at - begin_);
  return false;
}

std::string_view EdnReader::ReadToken() {
  const char* start = p_;
  while (p_ != end_ && !IsDelimiter(*p_)) ++p_;
  return std::string_view(start, static_cast<size_t>(p_ - start));
}

bool EdnReader::SkipIgnorableAt(int depth) {
  // Called before every form: the common case (a space or two, then the form) stays short.
  while (true) {
    while (p_ != end_ && IsWhitespace(*p_)) ++p_;
    if (p_ == end_ || (*p_ != ';' && *p_ != '#')) return true;
    if (*p_ == ';' || (end_ - p_ >= 2 && p_[1] == '!')) {
      // A comment runs to the end of the line (#! is Clojure's shebang comment).
      const void* nl = std::memchr(p_, '\n', static_cast<size_t>(end_ - p_));
      p_ = nl ? static_cast<const char*>(nl) : end_;
    } else if (end_ - p_ >= 2 && p_[1] == '_') {
      if (!SkipDiscarded(depth)) return false;
    } else {
      return true;  // another dispatch (#{, #inst ...): a form
    }
  }
}

bool EdnReader::SkipDiscarded(int depth) {
  // #_ discards the next form, which may itself be preceded by #_ (#_ #_ a b drops both).
  if (depth >= kMaxEdnDepth) {
    return Fail("#_ nested deeper than " + std::to_string(kMaxEdnDepth));
  }
  const char* at = p_;
  p_ += 2;
  if (!SkipIgnorableAt(depth + 1)) return false;
  if (p_ == end_) return FailAt(at, "#_ without a form to discard");
  Value discarded;
  return ReadValue(&discarded, depth + 1);
}

bool EdnReader::ReadValue(Value* out, int depth) {
  if (depth > kMaxEdnDepth) return Fail("nesting deeper than " + std::to_string(kMaxEdnDepth));
  if (p_ == end_) return Fail("unexpected end of input");
  const char c = *p_;
  switch (c) {
    case '(':
      return ReadSequence(')', out, depth + 1);
    case '[':
      return ReadSequence(']', out, depth + 1);
    case '{':
      return ReadMap(out, depth + 1);
    case '"':
      return ReadString(out);
    case '\\':
      return ReadCharacter(out);
    case '#':
      return ReadDispatch(out, depth);
    case ')':
    case ']':
    case '}':
      return Fail("unexpected " + DescribeByte(c));
    default:
      break;
  }
  if (IsDigit(c) || ((c == '+' || c == '-') && end_ - p_ >= 2 && IsDigit(p_[1]))) {
    return ReadNumber(out);
  }
  return ReadSymbolic(out);
}

bool EdnReader::ReadKeyword(std::string* name) {
  const char* start = p_;
  ++p_;  // ':'
  std::string_view token = ReadToken();
  // ::foo (auto-resolved in Clojure) has no namespace to resolve here: keep the name.
  while (!token.empty() && token.front() == ':') token.remove_prefix(1);
  if (token.empty()) return FailAt(start, "invalid keyword");
  if (!IsValidUtf8(token)) return FailAt(start, "invalid UTF-8 in keyword");
  name->assign(token);
  return true;
}

bool EdnReader::ReadSymbolic(Value* out) {
  if (*p_ == ':') {
    std::string name;
    if (!ReadKeyword(&name)) return false;
    StoreString(out, std::move(name));
    return true;
  }
  const char c = *p_;
  const std::string_view symbol = ReadToken();
  if (symbol.empty()) return Fail("unexpected " + DescribeByte(c));
  if (symbol == "nil") {
    *out = Value::Null();
  } else if (symbol == "true") {
    *out = Value::Bool(true);
  } else if (symbol == "false") {
    *out = Value::Bool(false);
  } else if (!IsValidUtf8(symbol)) {
    return FailAt(p_ - symbol.size(), "invalid UTF-8 in symbol");
  } else {
    StoreString(out, std::string(symbol));
  }
  return true;
}

bool EdnReader::ReadSequence(char close, Value* out, int depth) {
  if (depth > kMaxEdnDepth) return Fail("nesting deeper than " + std::to_string(kMaxEdnDepth));
  const char* open = p_;
  ++p_;
  const size_t mark = items_.size();
  while (true) {
    if (!SkipIgnorableAt(depth)) return false;
    if (p_ == end_) {
      return FailAt(open, std::string("unterminated ") + *open + " (no matching '" + close + "')");
    }
    if (*p_ == close) break;
    // Read into a local first: a nested collection pushes onto items_ and may move it.
    Value item;
    if (!ReadValue(&item, depth)) return false;
    items_.push_back(std::move(item));
  }
  ++p_;
  const auto first = items_.begin() + static_cast<ptrdiff_t>(mark);
  *out = Value::MakeArray(
      Value::Array(std::make_move_iterator(first), std::make_move_iterator(items_.end())));
  items_.erase(first, items_.end());
  return true;
}

bool EdnReader::ReadMap(Value* out, int depth) {
  if (depth > kMaxEdnDepth) return Fail("nesting deeper than " + std::to_string(kMaxEdnDepth));
  const char* open = p_;
  ++p_;
  const size_t mark = members_.size();
  while (true) {
    if (!SkipIgnorableAt(depth)) return false;
    if (p_ == end_) return FailAt(open, "unterminated { (no matching '}')");
    if (*p_ == '}') break;
    std::string name;
    if (!ReadMapKey(&name, depth)) return false;
    if (!SkipIgnorableAt(depth)) return false;
    if (p_ == end_) return FailAt(open, "unterminated { (no matching '}')");
    if (*p_ == '}') return Fail("map literal has a key without a value");
    Value value;
    if (!ReadValue(&value, depth)) return false;
    members_.emplace_back(std::move(name), std::move(value));
  }
  const auto first = members_.begin() + static_cast<ptrdiff_t>(mark);
  Value::Object members(std::make_move_iterator(first), std::make_move_iterator(members_.end()));
  members_.erase(first, members_.end());
  std::string duplicate;
  if (HasDuplicateKeys(members, &duplicate)) {
    return FailAt(open, "duplicate map key \"" + Shorten(duplicate) + "\"");
  }
  ++p_;
  *out = Value::MakeObject(std::move(members));
  return true;
}

bool EdnReader::ReadMapKey(std::string* name, int depth) {
  // Keys are nearly always keywords: their names need no Value.
  if (*p_ == ':') return ReadKeyword(name);
  Value key;
  if (!ReadValue(&key, depth)) return false;
  *name = key.is_string() ? key.as_string() : key.ToJson();
  return true;
}

bool EdnReader::ReadString(Value* out) {
  const char* open = p_;
  ++p_;
  std::string s;
  while (true) {
    const char* run = p_;
    while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) < 0x80) ++p_;
    s.append(run, static_cast<size_t>(p_ - run));
    if (p_ == end_) return FailAt(open, "unterminated string");
    if (*p_ == '"') break;
    if (static_cast<unsigned char>(*p_) >= 0x80) {
      const size_t n = Utf8SequenceLength(p_, end_);
      if (n == 0) return Fail("invalid UTF-8 in string");
      s.append(p_, n);
      p_ += n;
      continue;
    }
    // A backslash escape. EDN strings may also hold raw newlines, which the loop above kept.
    const char* escape = p_;
    ++p_;
    if (p_ == end_) return FailAt(open, "unterminated string");
    const char e = *p_++;
    switch (e) {
      case '"':
        s.push_back('"');
        break;
      case '\\':
        s.push_back('\\');
        break;
      case 'n':
        s.push_back('\n');
        break;
      case 't':
        s.push_back('\t');
        break;
      case 'r':
        s.push_back('\r');
        break;
      case 'b':
        s.push_back('\b');
        break;
      case 'f':
        s.push_back('\f');
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!Hex4(p_, end_, &cp)) return FailAt(escape, "invalid \\u escape");
        p_ += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return FailAt(escape, "unpaired surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // Clojure strings are UTF-16: a character beyond the BMP is a surrogate pair.
          uint32_t low = 0;
          if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u' || !Hex4(p_ + 2, end_, &low) ||
              low < 0xDC00 || low > 0xDFFF) {
            return FailAt(escape, "unpaired surrogate in \\u escape");
          }
          p_ += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, &s);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          // Octal escape \7, \12, \377 (Java's rules: at most 0377).
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int i = 0; i < 2 && p_ != end_ && *p_ >= '0' && *p_ <= '7'; ++i) {
            v = v * 8 + static_cast<uint32_t>(*p_++ - '0');
          }
          if (v > 0377) return FailAt(escape, "octal escape out of range");
          AppendUtf8(v, &s);
          break;
        }
        return FailAt(escape, checker::internal::EscapeError(e));
    }
  }
  ++p_;  // closing quote
  StoreString(out, std::move(s));
  return true;
}

bool EdnReader::ReadCharacter(Value* out) {
  const char* start = p_;
  ++p_;  // backslash
  if (p_ == end_) return FailAt(start, "character literal at end of input");
  if (static_cast<unsigned char>(*p_) >= 0x80) {
    const size_t n = Utf8SequenceLength(p_, end_);
    if (n == 0) return Fail("invalid UTF-8 in character literal");
    *out = Value::String(std::string(p_, n));
    p_ += n;
    return true;
  }
  // The first character is taken whatever it is (\( and \; are characters); a name may follow.
  const char* name_start = p_;
  ++p_;
  while (p_ != end_ && !IsDelimiter(*p_)) ++p_;
  const std::string_view name(name_start, static_cast<size_t>(p_ - name_start));
  if (name.size() == 1) {
    *out = Value::String(std::string(name));
    return true;
  }
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"newline", '\n'}, {"space", ' '},      {"tab", '\t'},
      {"return", '\r'},  {"backspace", '\b'}, {"formfeed", '\f'}};
  for (const auto& [n, ch] : kNamed) {
    if (name == n) {
      *out = Value::String(std::string(1, ch));
      return true;
    }
  }
  uint32_t cp = 0;
  if (name.size() == 5 && name[0] == 'u' && Hex4(name.data() + 1, name.data() + 5, &cp) &&
      (cp < 0xD800 || cp > 0xDFFF)) {
    std::string s;
    AppendUtf8(cp, &s);
    *out = Value::String(std::move(s));
    return true;
  }
  if (name.size() >= 2 && name.size() <= 4 && name[0] == 'o' && AllDigits(name.substr(1), 8)) {
    cp = 0;
    for (char d : name.substr(1)) cp = cp * 8 + static_cast<uint32_t>(d - '0');
    if (cp <= 0377) {
      std::string s;
      AppendUtf8(cp, &s);
      *out = Value::String(std::move(s));
      return true;
    }
  }
  return FailAt(start, "invalid character literal \\" + Shorten(name));
}

bool EdnReader::ReadDispatch(Value* out, int depth) {
  const char* start = p_;
  ++p_;  // '#'
  if (p_ == end_) return FailAt(start, "'#' at end of input");
  const char c = *p_;
  if (c == '{') return ReadSequence('}', out, depth + 1);  // a set: its elements, in order
  if (c == '_' || c == '!') {
    // Normally consumed by SkipIgnorable; handled here too so that ReadValue stands alone.
    p_ = start;
    if (!SkipIgnorableAt(depth)) return false;
    if (p_ == end_) return Fail("unexpected end of input");
    return ReadValue(out, depth);
  }
  if (c == '#') {
    ++p_;
    const std::string_view name = ReadToken();
    // ##Inf, ##-Inf and ##NaN have no JSON form: stored, they printed (and so compared, once
    // interned as a model state) as null, which made false verdicts (a write of ##Inf then a
    // cas from nil succeeding). Refused as input the checker cannot judge.
    if (name == "Inf" || name == "-Inf" || name == "NaN") {
      return FailAt(start, "##" + std::string(name) +
                               " is not supported (no JSON form: it would compare equal to nil)");
    }
    return FailAt(start, "unknown symbolic value ##" + Shorten(name));
  }
  if (c == '"') {
    // A regex literal: kept as its source text; backslashes are the regex's, not escapes.
    const char* body = ++p_;
    while (p_ != end_ && *p_ != '"') p_ += (*p_ == '\\' && end_ - p_ >= 2) ? 2 : 1;
    if (p_ == end_) return FailAt(start, "unterminated regex literal");
    const std::string_view source(body, static_cast<size_t>(p_ - body));
    if (!IsValidUtf8(source)) return FailAt(start, "invalid UTF-8 in regex literal");
    *out = Value::String(std::string(source));
    ++p_;
    return true;
  }
  if (c == ':') {
    // A namespaced map #:ns{:a 1}: read as the plain map (keys keep their unqualified names).
    ++p_;
    ReadToken();
    if (!SkipIgnorableAt(depth)) return false;
    if (p_ == end_ || *p_ != '{') return FailAt(start, "expected '{' after #:namespace");
    return ReadMap(out, depth + 1);
  }
  // Tags start with a letter; other dispatches (#?, #=, #^...) are Clojure code, not data.
  if (!std::isalpha(static_cast<unsigned char>(c))) {
    return FailAt(start, "unsupported dispatch #" + Shorten(std::string(1, c)));
  }
  // A tagged literal: #inst "...", #uuid "...", #jepsen.history.Op{...}. Keep the value.
  const std::string_view tag = ReadToken();
  if (!SkipIgnorableAt(depth + 1)) return false;
  if (p_ == end_) return FailAt(start, "tagged literal #" + Shorten(tag) + " has no value");
  return ReadValue(out, depth + 1);
}

bool EdnReader::ReadNumber(Value* out) {
  const char* start = p_;
  // Fast path: a plain decimal integer (no suffix, no leading zero) of at most 18 digits.
  int64_t small = 0;
  const char* q = ScanSmallInt(*p_ == '+' ? p_ + 1 : p_, end_, &small);
  if (q != nullptr && (q == end_ || IsDelimiter(*q))) {
    p_ = q;
    StoreInt(out, small);
    return true;
  }
  const std::string_view token = ReadToken();
  const auto invalid = [&] { return FailAt(start, "invalid number '" + Shorten(token) + "'"); };
  std::string_view t = token;
  if (t.front() == '+') t.remove_prefix(1);  // from_chars does not take a plus sign
  const bool negative = t.front() == '-';
  const std::string_view body = negative ? t.substr(1) : t;
  const auto to_double = [&](std::string_view text, double* d) {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), *d);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
  };
  const auto to_int = [&](std::string_view digits, int base, bool* overflow) -> bool {
    // digits has no sign; the sign is applied by parsing "-digits" when negative.
    int64_t v = 0;
    if (!AllDigits(digits, base)) return false;
    std::from_chars_result r{};
    if (negative) {
      std::string text(1, '-');  // not "-" + std::string(...): GCC 12 warns falsely (PR 105329)
      text.append(digits);
      r = std::from_chars(text.data(), text.data() + text.size(), v, base);
    } else {
      r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    }
    if (r.ec == std::errc::result_out_of_range) {
      *overflow = true;
      return false;
    }
    if (r.ec != std::errc()) return false;
    StoreInt(out, v);
    return true;
  };

  if (body.empty()) return invalid();
  const char suffix = body.back();
  if (suffix == 'M') {  // BigDecimal: a double is as close as we get
    double d = 0;
    if (!to_double(t.substr(0, t.size() - 1), &d)) return invalid();
    StoreDouble(out, d);
    return true;
  }
  if (const size_t slash = body.find('/'); slash != std::string_view::npos) {  // ratio 1/3
    const std::string_view num = body.substr(0, slash);
    const std::string_view den = body.substr(slash + 1);
    double n = 0;
    double d = 0;
    if (!AllDigits(num, 10) || !AllDigits(den, 10) || !to_double(num, &n) || !to_double(den, &d) ||
        d == 0) {
      return invalid();
    }
    StoreDouble(out, negative ? -n / d : n / d);
    return true;
  }
  const bool bigint = suffix == 'N';
  const std::string_view digits = bigint ? body.substr(0, body.size() - 1) : body;
  bool overflow = false;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    if (to_int(digits.substr(2), 16, &overflow)) return true;
    return overflow ? FailAt(start, "integer out of range '" + Shorten(token) + "'") : invalid();
  }
  if (!bigint && digits.find_first_of(".eE") != std::string_view::npos) {
    double d = 0;
    if (!to_double(t, &d)) return invalid();
    StoreDouble(out, d);
    return true;
  }
  // Clojure reads a leading zero as octal (017 is 15); Jepsen never prints one, but be exact.
  const int base = digits.size() > 1 && digits[0] == '0' ? 8 : 10;
  if (to_int(digits, base, &overflow)) return true;
  if (!overflow) return invalid();
  // Beyond int64. As the nearest double, different integers compared equal (a false VALID,
  // issue 13); the checker has no exact representation for them, so it refuses them.
  return FailAt(start, "integer beyond 64 bits '" + Shorten(token) +
                           "' is not supported (it cannot be compared exactly)");
}

int64_t LineCounter::Line(size_t offset) {
  offset = std::min(offset, text_.size());
  if (offset < pos_) {
    pos_ = 0;
    line_ = 1;
  }
  // Count newlines eight bytes at a time (the gap is usually one line of ~100 bytes): a byte
  // of x ^ "\n\n..." is zero exactly where x has a newline, and this test for zero bytes is
  // exact (no borrows between bytes).
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr uint64_t kNewlines = 0x0A0A0A0A0A0A0A0AULL;
  const char* p = text_.data() + pos_;
  const char* end = text_.data() + offset;
  int64_t count = 0;
  for (; end - p >= 8; p += 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    x ^= kNewlines;
    const uint64_t nonzero = ((x & kLow7) + kLow7) | x;
    // One bit per newline byte (bit 7 of it); summing the bytes by multiplication counts them
    // without a popcount instruction, which baseline x86-64 lacks.
    count += static_cast<int64_t>((((~nonzero & ~kLow7) >> 7) * 0x0101010101010101ULL) >> 56);
  }
  for (; p != end; ++p) count += *p == '\n' ? 1 : 0;
  pos_ = offset;
  line_ += count;
  return line_;
}

int64_t LineCounter::Column(size_t offset) const {
  offset = std::min(offset, text_.size());
  size_t start = offset;
  while (start > 0 && text_[start - 1] != '\n') --start;
  return static_cast<int64_t>(offset - start) + 1;
}

}  // namespace internal

namespace {

using internal::EdnReader;
using internal::LineCounter;
using internal::Shorten;

// The op map members the importer keeps (shared with the JSON Lines importer).
using OpField = internal::EventField;
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

const char* KindName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "nil";
    case Value::Kind::kBool:
      return "a boolean";
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      return "a number";
    case Value::Kind::kString:
      return "a string, keyword or symbol";
    case Value::Kind::kArray:
      return "a vector, list or set";
    case Value::Kind::kObject:
      return "a map";
    case Value::Kind::kAny:
      return "a value";
  }
  return "a value";
}

// A key must be a string or an integer (history.h); anything else is kept as its JSON text.
Value NormalizeKey(Value key) {
  if (key.is_string() || key.is_int()) return key;
  return Value::String(key.ToJson());
}

// Builds events from op maps, translating Knossos semantics into faultline's (DESIGN.md
// section 2). One instance per input. A plain op map ({...}) is read straight into its Event,
// field by field; anything else (a tagged #jepsen.history.Op{...}) is read as a Value first.
class EdnImporter {
 public:
  EdnImporter(std::string_view text, const std::string& source, bool independent, Deadline deadline)
      : text_(text),
        source_(source),
        independent_(independent),
        deadline_(deadline),
        reader_(text),
        lines_(text) {}

  Result<History> Run();

 private:
  Status SyntaxError(size_t offset, const std::string& reason) {
    return Status::Corruption(source_ + ":" + std::to_string(lines_.Line(offset)) +
                              ": invalid EDN at column " + std::to_string(lines_.Column(offset)) +
                              ": " + reason);
  }
  Status ReaderError() { return SyntaxError(reader_.error_offset(), reader_.error()); }
  Status OpError(int64_t line, const std::string& reason) {
    return Status::Corruption(source_ + ":" + std::to_string(line) + ": " + reason);
  }
  // Reads the op map at the reader's position and appends its event.
  Status ReadOp();
  Status ReadOpMap(Event* e);
  Status AddOp(Value op, Event* e);
  Status SetField(Event* e, OpField field, Value v);
  Status Finish(Event* e, unsigned seen);
  // Every 64th call (or every call with `now`) looks at the clock: true past the deadline.
  bool PastDeadline(bool now = false) {
    if (deadline_ == Deadline::max() || (!now && (++polls_ & 63) != 0)) return false;
    return std::chrono::steady_clock::now() > deadline_;
  }
  Status Timeout() { return Status::IoError(source_ + ": " + std::string(kParseTimeout)); }

  std::string_view text_;
  const std::string& source_;
  bool independent_;
  Deadline deadline_;
  uint64_t polls_ = 0;
  EdnReader reader_;
  LineCounter lines_;
  History history_;
};

Result<History> EdnImporter::Run() {
  history_.source = source_;
  // Jepsen's history.edn holds one op map of about 100 bytes per line. (Reserving too much
  // costs address space only: pages never written are never mapped.)
  history_.events.reserve(text_.size() / 64 + 1);
  while (true) {
    if (!reader_.SkipIgnorable()) return ReaderError();
    if (reader_.AtEnd()) break;
    const char c = reader_.Peek();
    if (c != '[' && c != '(') {
      // A stream of op maps (Jepsen's history.edn).
      if (Status s = ReadOp(); !s.ok()) return s;
      continue;
    }
    // One vector or list of op maps (Knossos's data/ files).
    const size_t open = reader_.offset();
    const char close = c == '[' ? ']' : ')';
    reader_.Advance();
    while (true) {
      if (!reader_.SkipIgnorable()) return ReaderError();
      if (reader_.AtEnd()) {
        return OpError(lines_.Line(open),
                       std::string("unterminated ") + c + " (no matching '" + close + "')");
      }
      if (reader_.Peek() == close) {
        reader_.Advance();
        break;
      }
      if (Status s = ReadOp(); !s.ok()) return s;
    }
  }
  return std::move(history_);
}

Status EdnImporter::ReadOp() {
  if (PastDeadline()) return Timeout();
  const size_t start = reader_.offset();
  Event& e = history_.events.emplace_back();
  e.line = lines_.Line(start);
  e.index = static_cast<int64_t>(history_.events.size() - 1);  // position among op maps
  if (reader_.Peek() == '{') return ReadOpMap(&e);
  Value op;
  if (!reader_.ReadValue(&op, 1)) return ReaderError();
  return AddOp(std::move(op), &e);
}

Status EdnImporter::ReadOpMap(Event* e) {
  const size_t open = reader_.offset();
  reader_.Advance();
  unsigned seen = 0;
  std::string name;
  // Names of other members, to reject duplicates: a set, since an op map may have any number
  // of members (a list searched per member made 300,000 of them take minutes, issue 13).
  std::unordered_set<std::string> others;
  while (true) {
    if (PastDeadline()) return Timeout();
    if (!reader_.SkipIgnorable()) return ReaderError();
    if (reader_.AtEnd()) return SyntaxError(open, "unterminated { (no matching '}')");
    if (reader_.Peek() == '}') break;
    if (!reader_.ReadMapKey(&name, 2)) return ReaderError();
    if (!reader_.SkipIgnorable()) return ReaderError();
    if (reader_.AtEnd()) return SyntaxError(open, "unterminated { (no matching '}')");
    if (reader_.Peek() == '}') {
      return SyntaxError(reader_.offset(), "map literal has a key without a value");
    }
    const OpField field = internal::EventFieldOf(name);
    const bool duplicate = field != kOther ? (seen & field) != 0 : !others.insert(name).second;
    if (duplicate) return SyntaxError(open, "duplicate map key \"" + Shorten(name) + "\"");
    seen |= field;
    if (field == kOther) {
      Value ignored;
      if (!reader_.ReadValue(&ignored, 2)) return ReaderError();
    } else if (field == kValue) {
      if (!reader_.ReadValue(&e->value, 2)) return ReaderError();
    } else {
      Value v;
      if (!reader_.ReadValue(&v, 2)) return ReaderError();
      if (Status s = SetField(e, field, std::move(v)); !s.ok()) return s;
    }
  }
  reader_.Advance();  // '}'
  return Finish(e, seen);
}

Status EdnImporter::AddOp(Value op, Event* e) {
  if (!op.is_object()) {
    return OpError(e->line, std::string("expected an op map such as {:type :invoke, :f :read, "
                                        ":process 0}, not ") +
                                KindName(op));
  }
  unsigned seen = 0;
  for (auto& [name, v] : op.as_object()) {
    const OpField field = internal::EventFieldOf(name);
    seen |= field;
    if (field == kValue) {
      e->value = std::move(v);
    } else if (field != kOther) {
      if (Status s = SetField(e, field, std::move(v)); !s.ok()) return s;
    }
  }
  return Finish(e, seen);
}

Status EdnImporter::SetField(Event* e, OpField field, Value v) {
  switch (field) {
    case kType: {
      const std::string* t = v.is_string() ? &v.as_string() : nullptr;
      if (t != nullptr && *t == "invoke") {
        e->type = EventType::kInvoke;
      } else if (t != nullptr && *t == "ok") {
        e->type = EventType::kOk;
      } else if (t != nullptr && *t == "fail") {
        e->type = EventType::kFail;
      } else if (t != nullptr && *t == "info") {
        e->type = EventType::kInfo;
      } else {
        return OpError(e->line, ":type must be one of :invoke, :ok, :fail, :info");
      }
      break;
    }
    case kF:
      if (v.is_null()) return OpError(e->line, ":f must be a keyword or a string");
      e->f = v.is_string() ? v.as_string() : v.ToJson();
      break;
    case kProcess:
      // A client is an integer; Jepsen's nemesis is :nemesis. Anything else (another keyword, a
      // string, a float, nil) was once taken for the nemesis, which hid that client's
      // operations from the checker: a false VALID (issue 13).
      if (v.is_int()) {
        e->process = v.as_int();
      } else if (v.is_string() && v.as_string() == "nemesis") {
        e->nemesis = true;
      } else {
        return OpError(e->line,
                       ":process must be an integer or :nemesis, not " +
                           (v.is_string() ? ":" + Shorten(v.as_string()) : Shorten(v.ToJson())));
      }
      break;
    case kValue:
      e->value = std::move(v);
      break;
    case kKey:
      if (!v.is_null()) {
        e->has_key = true;
        e->key = NormalizeKey(std::move(v));
      }
      break;
    case kIndex:
      if (v.is_int()) {
        e->index = v.as_int();
      } else if (!v.is_null()) {
        return OpError(e->line, ":index must be an integer");
      }
      break;
    case kTime:
      if (v.is_int()) {
        e->time = v.as_int();
      } else if (!v.is_null()) {
        return OpError(e->line, ":time must be an integer (nanoseconds)");
      }
      break;
    case kError:
      // :error nil is Jepsen's "no error"; a keyword is kept as its name.
      if (v.is_string()) {
        e->error = v.as_string();
      } else if (!v.is_null()) {
        e->error = v.ToJson();
      }
      break;
    case kNode:
      if (v.is_string()) {
        e->node = v.as_string();
      } else if (!v.is_null()) {
        e->node = v.ToJson();
      }
      break;
    case kOther:
      break;
  }
  return Status::Ok();
}

Status EdnImporter::Finish(Event* e, unsigned seen) {
  if ((seen & kType) == 0) return OpError(e->line, "op map has no :type");
  if ((seen & kF) == 0) return OpError(e->line, "op map has no :f");
  if ((seen & kProcess) == 0) return OpError(e->line, "op map has no :process");
  if (e->nemesis) return Status::Ok();
  // Jepsen independent tuples: :value [k v] is v on key k, on invokes and completions alike.
  if (independent_ && !e->has_key && e->value.is_array() && e->value.as_array().size() == 2) {
    Value::Array tuple = std::move(e->value.as_array());
    e->has_key = true;
    e->key = NormalizeKey(std::move(tuple[0]));
    e->value = std::move(tuple[1]);
  }
  // Knossos: every :fail has no effect. faultline reads a cas fail with error "mismatch" as a
  // definite observation, so an error spelt that way must not reach the models as such.
  if (e->type == EventType::kFail && e->error == "mismatch") e->error = "knossos-fail: mismatch";
  // Knossos: an :ok :read of nil constrains nothing (faultline would read it as "absent").
  if (e->type == EventType::kOk && e->f == "read" && e->value.is_null()) e->value = Value::Any();
  if (e->type == EventType::kOk && e->f == "txn" && e->value.is_array()) {
    for (Value& micro : e->value.as_array()) {
      if (!micro.is_array()) continue;
      Value::Array& m = micro.as_array();
      if (m.size() == 3 && m[0].is_string() && m[0].as_string() == "read" && m[2].is_null()) {
        m[2] = Value::Any();
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<History> ParseEdn(std::string_view text, const std::string& source, bool independent,
                         Deadline deadline) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  EdnImporter importer(text, source, independent, deadline);
  return importer.Run();
}

}  // namespace faultline::checker::io
