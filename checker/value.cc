#include "checker/value.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "checker/json_reader.h"

namespace faultline::checker {

using base::Result;
using base::Status;

namespace {

using Member = std::pair<std::string, Value>;

// Objects up to this size are compared and checked for duplicate keys pairwise; larger ones
// through a sorted index, so that a pathological object cannot make either quadratic.
constexpr size_t kSmallObject = 16;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  const char* const end = s.data() + s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time to the next byte that may need escaping (or is not ASCII, which
    // does not): a kv state is one long string, printed once per step (issue 13).
    i = static_cast<size_t>(internal::FindStringStop(s.data() + i, end) - s.data());
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendDouble(double d, std::string* out) {
  // JSON has no spelling for infinities and NaN; they can only come from EDN (##Inf) or code.
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof(buf), d);  // shortest round-trip form
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out->append(text);
  // Keep doubles distinguishable from integers ("2.0", not "2"): Int(2) != Double(2.0), and
  // equal text must mean equal values since callers intern values by their text.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

bool KeyLess(const Member* a, const Member* b) { return a->first < b->first; }

// The members of o in key order, as pointers (stable: duplicate keys keep source order).
std::vector<const Member*> SortedMembers(const Value::Object& o) {
  std::vector<const Member*> v;
  v.reserve(o.size());
  for (const Member& m : o) v.push_back(&m);
  std::stable_sort(v.begin(), v.end(), KeyLess);
  return v;
}

bool DoubleEqual(double a, double b) {
  // Bitwise, so that equality agrees with ToJson: 0.0 and -0.0 print differently. All NaNs
  // are one value (they all print as null).
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

bool ObjectEqual(const Value::Object& a, const Value::Object& b) {
  if (a.size() != b.size()) return false;
  if (a.size() <= kSmallObject) {
    for (const Member& m : a) {
      const auto it =
          std::find_if(b.begin(), b.end(), [&](const Member& n) { return n.first == m.first; });
      if (it == b.end() || !(it->second == m.second)) return false;
    }
    return true;
  }
  const auto sa = SortedMembers(a);
  const auto sb = SortedMembers(b);
  for (size_t i = 0; i < sa.size(); ++i) {
    if (sa[i]->first != sb[i]->first || !(sa[i]->second == sb[i]->second)) return false;
  }
  return true;
}

}  // namespace

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [name, value] : as_object()) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(&out);
  return out;
}

void Value::AppendJson(std::string* out) const {
  switch (kind()) {
    case Kind::kNull:
    case Kind::kAny:
      out->append("null");
      return;
    case Kind::kBool:
      out->append(as_bool() ? "true" : "false");
      return;
    case Kind::kInt: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof(buf), as_int());
      out->append(buf, r.ptr);
      return;
    }
    case Kind::kDouble:
      AppendDouble(std::get<double>(data_), out);
      return;
    case Kind::kString:
      AppendQuoted(as_string(), out);
      return;
    case Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& v : as_array()) {
        if (!first) out->push_back(',');
        first = false;
        v.AppendJson(out);
      }
      out->push_back(']');
      return;
    }
    case Kind::kObject: {
      const Object& o = as_object();
      const auto emit = [&](const Member& m, bool first) {
        if (!first) out->push_back(',');
        AppendQuoted(m.first, out);
        out->push_back(':');
        m.second.AppendJson(out);
      };
      out->push_back('{');
      // Objects built in key order (the common case for canonical data) need no sorting pass.
      const bool sorted = std::is_sorted(
          o.begin(), o.end(), [](const Member& a, const Member& b) { return a.first < b.first; });
      if (sorted) {
        for (size_t i = 0; i < o.size(); ++i) emit(o[i], i == 0);
      } else {
        const auto members = SortedMembers(o);
        for (size_t i = 0; i < members.size(); ++i) emit(*members[i], i == 0);
      }
      out->push_back('}');
      return;
    }
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
    case Value::Kind::kAny:
      return true;
    case Value::Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::kInt:
      return a.as_int() == b.as_int();
    case Value::Kind::kDouble:
      return DoubleEqual(a.as_double(), b.as_double());
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kArray:
      return a.as_array() == b.as_array();
    case Value::Kind::kObject:
      return ObjectEqual(a.as_object(), b.as_object());
  }
  return false;
}

namespace internal {

std::string EscapeError(char c) {
  // The byte itself only when printable: a message must stay valid UTF-8 (found by fuzzing).
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("invalid escape \\") + c;
  return "invalid escape: a backslash before " + DescribeByte(c);
}

std::string DescribeByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xF];
}

bool JsonReader::FailAt(const char* at, std::string reason) {
  error_ = std::move(reason);
  error_offset_ = static_cast<size_t>(at - begin_);
  return false;
}

bool JsonReader::FailUnexpected() {
  if (p_ == end_) return Fail("unexpected end of input");
  return Fail("unexpected " + DescribeByte(*p_));
}

bool JsonReader::ParseStringViewSlow(std::string_view* view, std::string* scratch) {
  ++p_;  // the opening quote
  scratch->clear();
  while (true) {
    const char* run = p_;
    p_ = FindStringStop(p_, end_);
    scratch->append(run, static_cast<size_t>(p_ - run));
    if (p_ == end_) return Fail("unterminated string");
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      *view = *scratch;
      return true;
    }
    if (c < 0x20) return Fail("control character " + DescribeByte(*p_) + " in string");
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(p_, end_);
      if (n == 0) return Fail("invalid UTF-8 in string");
      scratch->append(p_, n);
      p_ += n;
      continue;
    }
    // c == '\\'
    const char* escape = p_;
    ++p_;
    if (p_ == end_) return Fail("unterminated string");
    switch (*p_++) {
      case '"':
        scratch->push_back('"');
        break;
      case '\\':
        scratch->push_back('\\');
        break;
      case '/':
        scratch->push_back('/');
        break;
      case 'b':
        scratch->push_back('\b');
        break;
      case 'f':
        scratch->push_back('\f');
        break;
      case 'n':
        scratch->push_back('\n');
        break;
      case 'r':
        scratch->push_back('\r');
        break;
      case 't':
        scratch->push_back('\t');
        break;
      case 'u': {
        const auto hex4 = [&](uint32_t* cp) {
          if (end_ - p_ < 4) return false;
          uint32_t v = 0;
          for (int i = 0; i < 4; ++i) {
            const int d = HexDigit(p_[i]);
            if (d < 0) return false;
            v = v * 16 + static_cast<uint32_t>(d);
          }
          p_ += 4;
          *cp = v;
          return true;
        };
        uint32_t cp = 0;
        if (!hex4(&cp)) return FailAt(escape, "invalid \\u escape");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return FailAt(escape, "unpaired surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // A code point beyond the BMP is written as a UTF-16 surrogate pair: \uD83D\uDE00.
          uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
            return FailAt(escape, "unpaired surrogate in \\u escape");
          }
          p_ += 2;
          if (!hex4(&low)) return FailAt(p_ - 2, "invalid \\u escape");
          if (low < 0xDC00 || low > 0xDFFF) {
            return FailAt(escape, "unpaired surrogate in \\u escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, scratch);
        break;
      }
      default:
        return FailAt(escape, EscapeError(p_[-1]));
    }
  }
}

bool JsonReader::ParseLiteral(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() ||
      std::memcmp(p_, word.data(), word.size()) != 0) {
    return FailUnexpected();
  }
  p_ += word.size();
  return true;
}

bool JsonReader::ScanNumber(bool* integral) {
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  (RFC 8259 section 6; no leading zeros)
  const char* start = p_;
  if (*p_ == '-') ++p_;
  if (p_ == end_ || !IsDigit(*p_)) return FailAt(start, "invalid number");
  if (*p_ == '0') {
    ++p_;
    if (p_ != end_ && IsDigit(*p_)) return FailAt(start, "invalid number (leading zero)");
  } else {
    while (p_ != end_ && IsDigit(*p_)) ++p_;
  }
  *integral = true;
  if (p_ != end_ && *p_ == '.') {
    ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return FailAt(start, "invalid number");
    while (p_ != end_ && IsDigit(*p_)) ++p_;
    *integral = false;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return FailAt(start, "invalid number");
    while (p_ != end_ && IsDigit(*p_)) ++p_;
    *integral = false;
  }
  return true;
}

bool JsonReader::ParseNumber(Value* out) {
  const char* start = p_;
  bool integral = false;
  if (!ScanNumber(&integral)) return false;
  if (integral) {
    const bool negative = *start == '-';
    const char* digits = start + (negative ? 1 : 0);
    if (p_ - digits <= 18) {
      // Up to 18 digits cannot overflow int64: accumulate directly (the common case).
      int64_t v = 0;
      for (const char* d = digits; d != p_; ++d) v = v * 10 + (*d - '0');
      *out = Value::Int(negative ? -v : v);
      return true;
    }
    int64_t v = 0;
    const auto r = std::from_chars(start, p_, v);
    if (r.ec == std::errc() && r.ptr == p_) {
      *out = Value::Int(v);
      return true;
    }
    // Beyond int64. As the nearest double, different integers compared equal (a false VALID,
    // issue 13); there is no exact representation for them here, so they are refused.
    return FailAt(start, "integer beyond 64 bits is not supported (it cannot be compared exactly)");
  }
  double d = 0;
  const auto r = std::from_chars(start, p_, d);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars reports underflow and overflow alike; a tiny magnitude is zero, not an error.
    const std::string_view text(start, static_cast<size_t>(p_ - start));
    const size_t e = text.find_first_of("eE");
    if (e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-') {
      StoreDouble(out, *start == '-' ? -0.0 : 0.0);
      return true;
    }
    return FailAt(start, "number out of range");
  }
  if (r.ec != std::errc() || r.ptr != p_) return FailAt(start, "invalid number");
  StoreDouble(out, d);
  return true;
}

bool JsonReader::ParseArray(Value* out, int depth) {
  if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
  ++p_;  // '['
  SkipWhitespace();
  if (p_ != end_ && *p_ == ']') {
    ++p_;
    *out = Value::MakeArray({});
    return true;
  }
  const size_t mark = items_.size();
  while (true) {
    // Parsed into a local first: a nested container pushes onto items_ and may move it.
    Value item;
    if (!ParseValueAt(&item, depth)) return false;
    items_.push_back(std::move(item));
    SkipWhitespace();
    if (p_ == end_) return Fail("unexpected end of input, expected ',' or ']'");
    if (*p_ == ',') {
      ++p_;
      SkipWhitespace();
      continue;
    }
    if (*p_ == ']') break;
    return Fail("expected ',' or ']'");
  }
  ++p_;
  const auto first = items_.begin() + static_cast<ptrdiff_t>(mark);
  *out = Value::MakeArray(
      Value::Array(std::make_move_iterator(first), std::make_move_iterator(items_.end())));
  items_.erase(first, items_.end());
  return true;
}

bool JsonReader::ParseObject(Value* out, int depth) {
  if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
  ++p_;  // '{'
  SkipWhitespace();
  if (p_ != end_ && *p_ == '}') {
    ++p_;
    *out = Value::MakeObject({});
    return true;
  }
  const size_t mark = members_.size();
  while (true) {
    if (p_ == end_ || *p_ != '"') return p_ == end_ ? FailUnexpected() : Fail("expected '\"'");
    const char* key_at = p_;
    std::string_view key;
    if (!ParseStringView(&key, &key_scratch_)) return false;
    // Duplicate names would make equality and the canonical text ambiguous (RFC 8259 says
    // names SHOULD be unique); reject them where they appear.
    if (members_.size() - mark < kSmallObject) {
      for (size_t i = mark; i < members_.size(); ++i) {
        if (members_[i].first == key) {
          return FailAt(key_at, "duplicate key " + Value::String(std::string(key)).ToJson());
        }
      }
    }
    std::string name(key);
    SkipWhitespace();
    if (p_ == end_ || *p_ != ':') return Fail("expected ':'");
    ++p_;
    SkipWhitespace();
    Value v;
    if (!ParseValueAt(&v, depth)) return false;
    members_.emplace_back(std::move(name), std::move(v));
    SkipWhitespace();
    if (p_ == end_) return Fail("unexpected end of input, expected ',' or '}'");
    if (*p_ == ',') {
      ++p_;
      SkipWhitespace();
      continue;
    }
    if (*p_ == '}') break;
    return Fail("expected ',' or '}'");
  }
  const auto first = members_.begin() + static_cast<ptrdiff_t>(mark);
  Value::Object members(std::make_move_iterator(first), std::make_move_iterator(members_.end()));
  members_.erase(first, members_.end());
  if (members.size() > kSmallObject) {
    const auto sorted = SortedMembers(members);
    for (size_t i = 1; i < sorted.size(); ++i) {
      if (sorted[i]->first == sorted[i - 1]->first) {
        return Fail("duplicate key " + Value::String(sorted[i]->first).ToJson());
      }
    }
  }
  ++p_;  // '}'
  *out = Value::MakeObject(std::move(members));
  return true;
}

bool JsonReader::ParseValueAt(Value* out, int depth) {
  if (p_ == end_) return FailUnexpected();
  switch (*p_) {
    case '{':
      return ParseObject(out, depth + 1);
    case '[':
      return ParseArray(out, depth + 1);
    case '"': {
      std::string s;
      std::string_view view;
      if (!ParseStringView(&view, &s)) return false;
      if (view.data() != s.data()) s.assign(view);
      StoreString(out, std::move(s));
      return true;
    }
    case 't':
      if (!ParseLiteral("true")) return false;
      *out = Value::Bool(true);
      return true;
    case 'f':
      if (!ParseLiteral("false")) return false;
      *out = Value::Bool(false);
      return true;
    case 'n':
      if (!ParseLiteral("null")) return false;
      *out = Value::Null();
      return true;
    default: {
      int64_t i = 0;
      if (ParseSmallInt(&i)) {
        StoreInt(out, i);
        return true;
      }
      if (*p_ == '-' || IsDigit(*p_)) return ParseNumber(out);
      return FailUnexpected();
    }
  }
}

bool JsonReader::SkipValueAt(int depth) {
  if (p_ == end_) return FailUnexpected();
  const char c = *p_;
  if (c == '"') {
    std::string scratch;
    std::string_view view;
    return ParseStringView(&view, &scratch);
  }
  if (c == '-' || IsDigit(c)) {
    bool integral = false;
    return ScanNumber(&integral);
  }
  if (c == 't') return ParseLiteral("true");
  if (c == 'f') return ParseLiteral("false");
  if (c == 'n') return ParseLiteral("null");
  if (c != '[' && c != '{') return FailUnexpected();
  const char close = c == '[' ? ']' : '}';
  if (depth + 1 > max_depth_) {
    return Fail("nesting deeper than " + std::to_string(max_depth_));
  }
  ++p_;
  SkipWhitespace();
  if (p_ != end_ && *p_ == close) {
    ++p_;
    return true;
  }
  while (true) {
    if (close == '}') {
      if (p_ == end_ || *p_ != '"') return p_ == end_ ? FailUnexpected() : Fail("expected '\"'");
      std::string scratch;
      std::string_view key;
      if (!ParseStringView(&key, &scratch)) return false;
      SkipWhitespace();
      if (p_ == end_ || *p_ != ':') return Fail("expected ':'");
      ++p_;
      SkipWhitespace();
    }
    if (!SkipValueAt(depth + 1)) return false;
    SkipWhitespace();
    if (p_ != end_ && *p_ == ',') {
      ++p_;
      SkipWhitespace();
      continue;
    }
    if (p_ != end_ && *p_ == close) {
      ++p_;
      return true;
    }
    if (p_ == end_) {
      return Fail(std::string("unexpected end of input, expected ',' or '") + close + "'");
    }
    return Fail(std::string("expected ',' or '") + close + "'");
  }
}

}  // namespace internal

Result<Value> ParseJson(std::string_view text) {
  internal::JsonReader reader(text);
  reader.SkipWhitespace();
  Value v;
  bool ok = reader.ParseValue(&v);
  if (ok) {
    reader.SkipWhitespace();
    if (!reader.AtEnd()) ok = reader.Fail("unexpected trailing characters");
  }
  if (!ok) {
    return Status::Corruption("offset " + std::to_string(reader.error_offset()) + ": " +
                              reader.error());
  }
  return v;
}

}  // namespace faultline::checker
