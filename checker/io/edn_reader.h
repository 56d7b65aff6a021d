// Internal to the importers: an EDN reader (Clojure's data notation, as Jepsen and Knossos print
// histories) that maps EDN onto the checker's Value, shared by the EDN and Jepsen-log importers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checker/value.h"

namespace faultline::checker::io::internal {

// Deepest nesting of collections, tagged literals and #_ discards accepted: bounds recursion.
inline constexpr int kMaxEdnDepth = 512;

// Reads EDN values from one buffer it does not own. Mapping onto Value:
//   nil/true/false -> null/bool; integers (N suffix allowed) -> Int (beyond int64: an error);
//   floats (M suffix allowed) and ratios -> Double; strings and characters (\a, \newline) ->
//   String; keywords :foo, :ns/foo -> String "foo", "ns/foo"; other symbols -> String;
//   lists, vectors and sets #{} -> Array; maps -> Object whose keys are strings (a key that is
//   not a string, keyword or symbol becomes its JSON text); tagged literals (#inst "...",
//   #jepsen.history.Op{...}) -> the tagged value; ##Inf, ##-Inf, ##NaN -> an error. Keywords,
//   symbols and regex literals must be valid UTF-8, like strings.
// Whitespace includes commas; ; comments and #_ discarded forms are skipped.
// On failure a method returns false and error()/error_offset() tell what and where.
// Not thread-safe.
class EdnReader {
 public:
  explicit EdnReader(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // Skips whitespace, commas, comments and #_ discarded forms.
  bool SkipIgnorable() { return SkipIgnorableAt(0); }
  bool AtEnd() const { return p_ == end_; }
  // REQUIRES: !AtEnd().
  char Peek() const { return *p_; }
  void Advance() { ++p_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

  // Reads the value at the current position. REQUIRES: SkipIgnorable() returned true and
  // !AtEnd(). `depth` is the nesting of the caller's own collections.
  bool ReadValue(Value* out, int depth = 0);
  // Reads a map key at the current position (same REQUIRES): a keyword's or symbol's name, a
  // string, or the JSON text of any other key.
  bool ReadMapKey(std::string* name, int depth = 0);

  bool Fail(std::string reason) { return FailAt(p_, std::move(reason)); }
  const std::string& error() const { return error_; }
  size_t error_offset() const { return error_offset_; }

 private:
  bool SkipIgnorableAt(int depth);
  bool SkipDiscarded(int depth);
  bool ReadSequence(char close, Value* out, int depth);
  bool ReadMap(Value* out, int depth);
  bool ReadString(Value* out);
  bool ReadCharacter(Value* out);
  bool ReadDispatch(Value* out, int depth);
  bool ReadNumber(Value* out);
  std::string_view ReadToken();
  bool FailAt(const char* at, std::string reason);
  bool ReadSymbolic(Value* out);  // a keyword, symbol, nil, true or false
  bool ReadKeyword(std::string* name);

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string error_;
  size_t error_offset_ = 0;
  // Elements and members of the collections being read, innermost last: each collection's own
  // vector is allocated once, at its exact size, when it closes.
  std::vector<Value> items_;
  Value::Object members_;
};

// 1-based line and column of byte offsets in one text. Amortised O(text length) over a run of
// non-decreasing offsets (it counts forward from the last answer); a smaller offset restarts.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  int64_t Line(size_t offset);
  int64_t Column(size_t offset) const;

 private:
  std::string_view text_;
  size_t pos_ = 0;    // newlines before pos_ are counted
  int64_t line_ = 1;  // line of pos_
};

}  // namespace faultline::checker::io::internal
