// The history's JSON Lines writer (DESIGN.md section 2): one event, one line. The harness's
// recorder and the deterministic simulation both write through it, so a history has one format
// whoever produced it, and the reader beside it (jsonl.cc) reads what it writes.
//
// Members are written in one fixed order -- index, time, process, type, f, key, value, node,
// error, latency_ns -- so equal events give equal bytes (the simulation's runs are compared
// byte for byte). `process` is an integer, or "nemesis" for fault events.
//
// The line is split where the recorder needs it: it formats the body (process ... latency_ns)
// outside its lock and assigns index and time under it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker::io {

// Everything on a line after index and time. Pointers and views are borrowed for the call.
struct JsonlBody {
  int64_t process = 0;
  bool nemesis = false;  // process "nemesis"
  EventType type = EventType::kInvoke;
  std::string_view f;
  const Value* key = nullptr;    // omitted when null
  const Value* value = nullptr;  // omitted when null (written as null when it points at null)
  std::string_view node;         // omitted when empty
  std::string_view error;        // omitted when empty
  std::optional<int64_t> latency_ns;
};

// Appends `"process":...,"type":...` up to the last present member (no braces).
void AppendJsonlBody(const JsonlBody& body, std::string* out);

// Appends `{"index":<index>,"time":<time>,<body>}\n`.
void AppendJsonlLine(int64_t index, int64_t time, std::string_view body, std::string* out);

// One whole line for a history event (value always written; error when non-empty).
void AppendJsonlEvent(const Event& event, std::string* out);

// The whole history, one line per event.
std::string HistoryToJsonl(const History& history);

}  // namespace faultline::checker::io
