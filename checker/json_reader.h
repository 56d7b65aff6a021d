// Internal to the checker and its importers: the JSON reader behind ParseJson(), exposed so that
// the JSON Lines importer can walk a line's top-level object field by field, parsing only the
// fields it keeps and skipping the rest without building Values. Not part of the public surface.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checker/value.h"

namespace faultline::checker::internal {

// Deepest nesting of arrays and objects accepted. Bounds the recursion of every reader.
inline constexpr int kMaxJsonDepth = 512;

// Bytes that end the scan of a string's contents: the quote, the escape, control characters
// (which JSON forbids raw) and non-ASCII bytes (validated as UTF-8 on the slow path).
inline constexpr struct StringStops {
  bool stop[256];
  constexpr StringStops() : stop() {
    for (int c = 0; c < 256; ++c) stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  }
} kStringStops;

// Returns the first byte in [p, end) that is a string stop (see kStringStops), or end. Eight
// bytes at a time while they last (SWAR, little-endian): nearly every string in a history is
// shorter than eight bytes, so one step usually finds its closing quote.
inline const char* FindStringStop(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  // The lowest flagged bit must belong to the first byte in memory.
  constexpr bool kLittleEndian = std::endian::native == std::endian::little;
  while (kLittleEndian && end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t quote = x ^ (kOnes * '"');
    const uint64_t backslash = x ^ (kOnes * '\\');
    // A byte is flagged when it is zero after the xor (a quote or backslash), below 0x20, or
    // has its high bit set. Borrows can only flag bytes above the first real hit.
    const uint64_t hits = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                          ((x - kOnes * 0x20) & ~x) | x;
    const uint64_t flagged = hits & kHighs;
    if (flagged != 0) return p + (std::countr_zero(flagged) >> 3);
    p += 8;
  }
  while (p != end && !kStringStops.stop[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// The JSON integer at p when it has at most 18 digits (so it cannot overflow int64) and ends
// at a byte that cannot continue a number. Returns the byte after it, or nullptr otherwise (not
// a number, a fraction, an exponent, a leading zero, more digits), without reporting anything.
inline const char* ScanSmallInt(const char* p, const char* end, int64_t* out) {
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  const char* digits = p;
  // At most 18 digits are read (they cannot overflow); a 19th is rejected by the check below.
  const char* stop = end - p > 18 ? p + 18 : end;
  int64_t v = 0;
  for (unsigned d; p != stop && (d = static_cast<unsigned char>(*p) - '0') < 10; ++p) {
    v = v * 10 + d;
  }
  const ptrdiff_t n = p - digits;
  if (n == 0 || (n > 1 && *digits == '0')) return nullptr;
  if (p != end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))) {
    return nullptr;
  }
  *out = negative ? -v : v;
  return p;
}

// A recursive-descent reader over one contiguous buffer (RFC 8259). The reader does not own the
// buffer. On failure a method returns false and error()/error_offset() say what and where; the
// position is then unspecified. Reset() points it at another buffer while keeping its scratch
// space, so that one reader serves every line of a file. Not thread-safe.
class JsonReader {
 public:
  JsonReader() = default;
  explicit JsonReader(std::string_view text) { Reset(text); }

  void Reset(std::string_view text) {
    begin_ = p_ = text.data();
    end_ = text.data() + text.size();
    items_.clear();  // leftovers of a failed parse
    members_.clear();
  }

  void SkipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool AtEnd() const { return p_ == end_; }
  // REQUIRES: !AtEnd().
  char Peek() const { return *p_; }
  void Advance() { ++p_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  // Moves to `offset` in the buffer. REQUIRES: offset <= the buffer's size.
  void Seek(size_t offset) { p_ = begin_ + offset; }

  // The deepest nesting accepted (kMaxJsonDepth unless set): the checker decodes its own model
  // states with more room, since a model may wrap a value one level deeper than any input
  // (the set model holds [v]: issue 13).
  void set_max_depth(int depth) { max_depth_ = depth; }

  // Parses the value starting at the current position (no leading whitespace).
  bool ParseValue(Value* out) { return ParseValueAt(out, 0); }
  // Validates and steps over the value at the current position without building it.
  bool SkipValue() { return SkipValueAt(0); }
  // Parses the string starting at the current '"'. When it holds no escapes, *view points into
  // the buffer (no copy); otherwise it is decoded into *scratch and *view points there.
  // The common case (plain ASCII, no escapes) is inline.
  bool ParseStringView(std::string_view* view, std::string* scratch) {
    const char* start = p_ + 1;
    const char* q = FindStringStop(start, end_);
    if (q != end_ && *q == '"') {
      *view = std::string_view(start, static_cast<size_t>(q - start));
      p_ = q + 1;
      return true;
    }
    return ParseStringViewSlow(view, scratch);
  }

  // Fast path for the integers a history is full of (see ScanSmallInt): steps over one and
  // returns true, or returns false without moving or failing, leaving the caller to fall back
  // to ParseValue(), which handles and reports everything else.
  bool ParseSmallInt(int64_t* out) {
    const char* q = ScanSmallInt(p_, end_, out);
    if (q == nullptr) return false;
    p_ = q;
    return true;
  }

  // Records an error at the current position; returns false for `return Fail(...)`.
  bool Fail(std::string reason) { return FailAt(p_, std::move(reason)); }
  const std::string& error() const { return error_; }
  size_t error_offset() const { return error_offset_; }

 private:
  bool ParseValueAt(Value* out, int depth);
  bool SkipValueAt(int depth);
  bool ParseObject(Value* out, int depth);
  bool ParseArray(Value* out, int depth);
  bool ParseStringViewSlow(std::string_view* view, std::string* scratch);
  bool ParseNumber(Value* out);
  bool ScanNumber(bool* integral);  // validates the grammar, leaves p_ after the number
  bool ParseLiteral(std::string_view word);
  bool FailAt(const char* at, std::string reason);
  bool FailUnexpected();

  int max_depth_ = kMaxJsonDepth;
  const char* begin_ = nullptr;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::string error_;
  size_t error_offset_ = 0;
  // Elements and members of the arrays and objects being parsed, innermost last. A container's
  // own vector is allocated once, at its exact size, when it closes: histories hold millions of
  // small arrays, and growing each one by doubling costs allocations and memory.
  std::vector<Value> items_;
  Value::Object members_;
  std::string key_scratch_;
};

// Length of the well-formed UTF-8 sequence starting at p (whose first byte is >= 0x80), or 0
// when it is malformed: overlong, a surrogate, beyond U+10FFFF, or truncated by end.
inline size_t Utf8SequenceLength(const char* p, const char* end) {
  const auto b = [&](ptrdiff_t i) { return static_cast<unsigned char>(p[i]); };
  const auto cont = [&](ptrdiff_t i) { return (b(i) & 0xC0) == 0x80; };
  const ptrdiff_t left = end - p;
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// Whether s is well-formed UTF-8 (every non-ASCII sequence passes Utf8SequenceLength). Text
// that is not would print as JSON no reader accepts back, and a model state holding it could
// not be decoded again (issue 13: a keyword :\xff crashed the search).
inline bool IsValidUtf8(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  while (p != end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

// Appends code point cp (REQUIRES: <= 0x10FFFF and not a surrogate) as UTF-8.
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Value stores for the parsers' hot paths. GCC leaves std::variant's move and destroy machinery
// out of line, which makes each Value a parser builds cost several indirect calls (a tenth of
// the JSON Lines parse, measured with callgrind); `flatten` inlines it here, where the stored
// alternative is known. Sanitizer builds skip it: there it multiplies compile times (over a
// minute per importer) and buys nothing they need.
#if defined(__has_feature)  // clang says so with __has_feature, GCC with __SANITIZE_*__
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FAULTLINE_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(FAULTLINE_SANITIZED)
#define FAULTLINE_FLATTEN
#else
#define FAULTLINE_FLATTEN [[gnu::flatten]]
#endif
FAULTLINE_FLATTEN inline void StoreInt(Value* out, int64_t i) { *out = Value::Int(i); }
FAULTLINE_FLATTEN inline void StoreDouble(Value* out, double d) { *out = Value::Double(d); }
FAULTLINE_FLATTEN inline void StoreString(Value* out, std::string s) {
  *out = Value::String(std::move(s));
}
FAULTLINE_FLATTEN inline void StoreIntArray(Value* out, const int64_t* items, size_t n) {
  Value::Array array;
  array.reserve(n);
  for (size_t i = 0; i < n; ++i) array.push_back(Value::Int(items[i]));
  *out = Value::MakeArray(std::move(array));
}

// Describes byte c for a message: 'x' for printable ASCII, byte 0xNN otherwise.
std::string DescribeByte(char c);
// "invalid escape \x" for a backslash before byte c, with c described as DescribeByte does when
// it is not printable.
std::string EscapeError(char c);

}  // namespace faultline::checker::internal
