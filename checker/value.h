// Value: the checker's own JSON-shaped value, so that the checker core needs only the standard
// library. Histories carry arbitrary JSON values; EDN and Jepsen-log importers map onto it too
// (keywords become strings, vectors and lists become arrays, maps become objects).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace faultline::checker {

class Value {
 public:
  // kAny never comes from JSON: importers use it for a read result that constrains nothing
  // (Knossos: an :ok :read of nil inside a transaction). Models accept any state for it.
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject, kAny };
  using Array = std::vector<Value>;
  // Members in source order; equality and ToJson() treat objects as unordered (sorted by key).
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b) { return Value(Storage(b)); }
  static Value Int(int64_t i) { return Value(Storage(i)); }
  static Value Double(double d) { return Value(Storage(d)); }
  static Value String(std::string s) { return Value(Storage(std::move(s))); }
  static Value MakeArray(Array a) { return Value(Storage(std::move(a))); }
  static Value MakeObject(Object o) { return Value(Storage(std::move(o))); }
  static Value Any() { return Value(Storage(AnyTag{})); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_double() const { return kind() == Kind::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_any() const { return kind() == Kind::kAny; }

  // REQUIRES: the matching is_*() is true.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_double() const {
    return is_int() ? static_cast<double>(as_int()) : std::get<double>(data_);
  }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const Array& as_array() const { return std::get<Array>(data_); }
  Array& as_array() { return std::get<Array>(data_); }
  const Object& as_object() const { return std::get<Object>(data_); }
  Object& as_object() { return std::get<Object>(data_); }

  // Object member lookup; nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;

  // Compact canonical JSON (object keys sorted, no spaces): equal values give equal text, so the
  // text serves as an interning key. kAny prints as null.
  std::string ToJson() const;
  void AppendJson(std::string* out) const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  struct AnyTag {
    bool operator==(const AnyTag&) const { return true; }
  };
  using Storage =
      std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object, AnyTag>;
  explicit Value(Storage s) : data_(std::move(s)) {}
  Storage data_;
};

// Parses one JSON text (RFC 8259) into a Value. Integers that fit int64 become kInt, numbers
// with a fraction or an exponent kDouble; an integer beyond int64 is an error (as a double,
// different integers would compare equal). On error the message names the byte offset and the
// reason.
base::Result<Value> ParseJson(std::string_view text);

}  // namespace faultline::checker
