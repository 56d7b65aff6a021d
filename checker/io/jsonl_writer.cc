#include "checker/io/jsonl_writer.h"

namespace faultline::checker::io {
namespace {

void AppendString(std::string_view s, std::string* out) {
  Value::String(std::string(s)).AppendJson(out);
}

}  // namespace

void AppendJsonlBody(const JsonlBody& b, std::string* out) {
  *out += "\"process\":";
  if (b.nemesis) {
    *out += "\"nemesis\"";
  } else {
    *out += std::to_string(b.process);
  }
  *out += ",\"type\":\"";
  *out += EventTypeName(b.type);
  *out += "\",\"f\":";
  AppendString(b.f, out);
  if (b.key) {
    *out += ",\"key\":";
    b.key->AppendJson(out);
  }
  if (b.value) {
    *out += ",\"value\":";
    b.value->AppendJson(out);
  }
  if (!b.node.empty()) {
    *out += ",\"node\":";
    AppendString(b.node, out);
  }
  if (!b.error.empty()) {
    *out += ",\"error\":";
    AppendString(b.error, out);
  }
  if (b.latency_ns) {
    *out += ",\"latency_ns\":";
    *out += std::to_string(*b.latency_ns);
  }
}

void AppendJsonlLine(int64_t index, int64_t time, std::string_view body, std::string* out) {
  *out += "{\"index\":";
  *out += std::to_string(index);
  *out += ",\"time\":";
  *out += std::to_string(time);
  *out += ',';
  *out += body;
  *out += "}\n";
}

void AppendJsonlEvent(const Event& e, std::string* out) {
  JsonlBody b;
  b.process = e.process;
  b.nemesis = e.nemesis;
  b.type = e.type;
  b.f = e.f;
  b.key = e.has_key ? &e.key : nullptr;
  b.value = &e.value;
  b.error = e.error;
  std::string body;
  body.reserve(96);
  AppendJsonlBody(b, &body);
  AppendJsonlLine(e.index, e.time, body, out);
}

std::string HistoryToJsonl(const History& history) {
  std::string out;
  out.reserve(history.events.size() * 100);
  for (const Event& e : history.events) AppendJsonlEvent(e, &out);
  return out;
}

}  // namespace faultline::checker::io
