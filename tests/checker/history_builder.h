// Builds histories in tests without going through a parser.
#pragma once

#include <optional>
#include <string>

#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker::testing {

inline Value I(int64_t i) { return Value::Int(i); }
inline Value S(std::string s) { return Value::String(std::move(s)); }
inline Value A(Value::Array a) { return Value::MakeArray(std::move(a)); }
inline Value Pair(int64_t a, int64_t b) { return A({I(a), I(b)}); }

class HistoryBuilder {
 public:
  HistoryBuilder& Invoke(int64_t process, std::string f, Value value = Value(),
                         std::optional<Value> key = std::nullopt) {
    return Add(process, EventType::kInvoke, std::move(f), std::move(value), std::move(key), "");
  }
  HistoryBuilder& Ok(int64_t process, std::string f, Value value = Value(),
                     std::optional<Value> key = std::nullopt) {
    return Add(process, EventType::kOk, std::move(f), std::move(value), std::move(key), "");
  }
  HistoryBuilder& Fail(int64_t process, std::string f, Value value = Value(),
                       std::string error = "", std::optional<Value> key = std::nullopt) {
    return Add(process, EventType::kFail, std::move(f), std::move(value), std::move(key),
               std::move(error));
  }
  HistoryBuilder& Info(int64_t process, std::string f, Value value = Value(),
                       std::optional<Value> key = std::nullopt) {
    return Add(process, EventType::kInfo, std::move(f), std::move(value), std::move(key), "");
  }
  HistoryBuilder& Nemesis(std::string f) {
    Event e;
    e.index = static_cast<int64_t>(h_.events.size());
    e.line = e.index + 1;
    e.nemesis = true;
    e.type = EventType::kInfo;
    e.f = std::move(f);
    h_.events.push_back(std::move(e));
    return *this;
  }
  // A whole operation at once: invoke immediately followed by its completion.
  HistoryBuilder& Op(int64_t process, std::string f, Value in, Value out,
                     std::optional<Value> key = std::nullopt) {
    Invoke(process, f, std::move(in), key);
    return Ok(process, std::move(f), std::move(out), std::move(key));
  }
  History Build() const { return h_; }

 private:
  HistoryBuilder& Add(int64_t process, EventType type, std::string f, Value value,
                      std::optional<Value> key, std::string error) {
    Event e;
    e.index = static_cast<int64_t>(h_.events.size());
    e.line = e.index + 1;
    e.time = e.index * 1000;
    e.process = process;
    e.type = type;
    e.f = std::move(f);
    e.value = std::move(value);
    if (key) {
      e.has_key = true;
      e.key = std::move(*key);
    }
    e.error = std::move(error);
    h_.events.push_back(std::move(e));
    return *this;
  }
  History h_{"test", {}};
};

}  // namespace faultline::checker::testing
