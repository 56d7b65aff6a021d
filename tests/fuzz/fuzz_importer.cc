// libFuzzer target for one history importer (FAULTLINE_FUZZ_FORMAT: jsonl, edn or jepsen-log),
// built with clang by tests/fuzz/run_fuzz.sh, outside the main g++ build.
//
// Each input is parsed as a whole file. A parse error is fine (it must be a one-line message);
// a parsed history is checked with one of the models (chosen by the input's size, so the corpus
// covers all of them) under tight limits, and rendered as text and JSON. Crashes, sanitizer
// reports and broken invariants trap:
// - every value, key and message the importer produced prints as JSON that parses back to the
//   same value (model states are interned by that text: issue 13's SIGABRT was a keyword with
//   invalid UTF-8 that did not round-trip);
// - the importers' messages are one line, and every message is UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checker/check.h"
#include "checker/io/load.h"
#include "checker/io/render.h"
#include "checker/json_reader.h"
#include "checker/model.h"

namespace {

namespace ck = faultline::checker;

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

// v with Value::Any (an EDN read of nil that constrains nothing) as the null it prints as.
ck::Value AnyAsNull(const ck::Value& v) {
  if (v.is_any()) return ck::Value::Null();
  if (v.is_array()) {
    ck::Value::Array a;
    for (const ck::Value& e : v.as_array()) a.push_back(AnyAsNull(e));
    return ck::Value::MakeArray(std::move(a));
  }
  if (v.is_object()) {
    ck::Value::Object o;
    for (const auto& [k, e] : v.as_object()) o.emplace_back(k, AnyAsNull(e));
    return ck::Value::MakeObject(std::move(o));
  }
  return v;
}

// v prints as JSON that reads back as v. Nesting: a model may add a level (json_reader.h).
void RequireRoundTrip(const ck::Value& v) {
  const std::string text = v.ToJson();
  ck::internal::JsonReader reader(text);
  reader.set_max_depth(2 * ck::internal::kMaxJsonDepth);
  ck::Value back;
  Require(reader.ParseValue(&back) && reader.AtEnd());
  Require(back == AnyAsNull(v));
}

void RequireText(const std::string& s) { RequireRoundTrip(ck::Value::String(s)); }

ck::io::Format TheFormat() {
  const std::string_view name = FAULTLINE_FUZZ_FORMAT;
  return name == "jsonl" ? ck::io::Format::kJsonl
         : name == "edn" ? ck::io::Format::kEdn
                         : ck::io::Format::kJepsenLog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ck::io::LoadOptions load;
  load.format = TheFormat();
  // EDN inputs of odd size also split Jepsen's independent [k v] tuples.
  load.independent = load.format == ck::io::Format::kEdn && size % 2 == 1;
  faultline::base::Result<ck::History> history = ck::io::ParseHistory(text, "fuzz", load);
  if (!history.ok()) {
    Require(history.status().message().find('\n') == std::string::npos);
    RequireText(history.status().message());
    return 0;
  }
  for (const ck::Event& e : history->events) {
    RequireRoundTrip(e.value);
    RequireRoundTrip(e.key);
    RequireText(e.f);
    RequireText(e.error);
    RequireText(e.node);
  }
  const std::vector<std::string> models = ck::AllModelNames();
  ck::CheckOptions options;
  options.model = models[size % models.size()];
  options.timeout_s = 0.2;
  options.memory_limit_mb = 64;
  options.threads = 1;
  faultline::base::Result<ck::CheckResult> result = ck::CheckHistory(*history, options);
  if (!result.ok()) {
    // An operation the model does not know, pairing errors: input errors, never internal ones.
    // (Their messages may quote a name with a newline; `faultline check` prints one line.)
    Require(!result.status().IsInternal());
    RequireText(result.status().message());
    return 0;
  }
  RequireRoundTrip(ck::io::ResultToValue("fuzz", *result));
  RequireText(ck::io::RenderText("fuzz", *result));
  return 0;
}
