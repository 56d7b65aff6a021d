#include "checker/io/render.h"

#include <cstdio>
#include <unordered_map>

namespace faultline::checker::io {
namespace {

std::string KeyText(const KeyResult& k) {
  return k.key.is_string() ? k.key.as_string() : k.key.ToJson();
}

std::string Ms(double ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
  }
  return buf;
}

std::string Span(const OpRef& op) {
  if (op.complete_index < 0) return "event " + std::to_string(op.invoke_index) + " .. never";
  // An info completion is the client giving up, not the end of the operation: it may take
  // effect at any time after its invocation.
  if (op.status == OpStatus::kInfo) {
    return "event " + std::to_string(op.invoke_index) + " .. never; info at " +
           std::to_string(op.complete_index);
  }
  return "events " + std::to_string(op.invoke_index) + ".." + std::to_string(op.complete_index);
}

// "process 3 read -> 2 on n2  [events 10..11]" (" on n2" when the history names the node).
std::string OpLine(const OpRef& op) {
  return "process " + std::to_string(op.process) + " " + op.text +
         (op.node.empty() ? "" : " on " + op.node) + "  [" + Span(op) + "]";
}

// "1 key", "3 keys".
std::string Count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::string RenderText(const std::string& file, const CheckResult& r, size_t max_list) {
  size_t failing = 0, undecided = 0;
  for (const KeyResult& k : r.keys) {
    failing += k.verdict == Verdict::kInvalid;
    undecided += k.verdict == Verdict::kUnknown;
  }
  const bool keyed = r.keys.size() > 1 || (r.keys.size() == 1 && r.keys[0].has_key);
  std::string out = file + ": ";
  switch (r.verdict) {
    case Verdict::kValid:
      out += "VALID";
      break;
    case Verdict::kInvalid:
      out += "INVALID";
      break;
    case Verdict::kUnknown:
      out += "UNKNOWN";
      break;
  }
  out += " (" + r.model + ", " + Count(r.ops, "op");
  if (keyed) out += ", " + Count(r.keys.size(), "key");
  out += ", " + Ms(r.ms) + ")";
  if (r.verdict == Verdict::kInvalid && keyed) {
    out +=
        ": " + std::to_string(failing) + " of " + Count(r.keys.size(), "key") + " not linearizable";
    if (undecided > 0) out += ", " + std::to_string(undecided) + " undecided";
  }
  if (r.verdict == Verdict::kUnknown) {
    out += ": analysis incomplete (" + r.cause + "), " + std::to_string(undecided) +
           (undecided == 1 ? " key" : " keys") + " undecided";
  }
  out += "\n";
  // Undecided keys by name, when others were decided (a limit hit one key, not the check).
  if (keyed && undecided > 0 && undecided < r.keys.size()) {
    size_t shown = 0;
    for (const KeyResult& k : r.keys) {
      if (k.verdict != Verdict::kUnknown) continue;
      if (shown++ == max_list) {
        out += "  ... and " + std::to_string(undecided - max_list) + " more undecided\n";
        break;
      }
      out += "  key " + KeyText(k) + ": undecided (" + k.cause + ")\n";
    }
  }
  for (const KeyResult& k : r.keys) {
    if (k.verdict != Verdict::kInvalid || !k.counterexample) continue;
    const Counterexample& cx = *k.counterexample;
    out += "\n";
    out += keyed ? "  key " + KeyText(k) + ": " : "  ";
    out += "operation " + std::to_string(cx.op.index()) + " cannot be linearized\n";
    out += "    op:        " + OpLine(cx.op) + "\n";
    out += "    why:       " + cx.reason + "\n";
    out += "    states before it: ";
    for (size_t i = 0; i < cx.states.size(); ++i) out += (i ? " | " : "") + cx.states[i];
    if (cx.states_truncated) out += " | ... (possibly others, not listed)";
    out += "\n";
    out += cx.concurrent.empty()
               ? "    concurrent with: nothing\n"
               : "    concurrent with (" + std::to_string(cx.concurrent.size()) + "):\n";
    for (size_t i = 0; i < cx.concurrent.size() && i < max_list; ++i) {
      out += "      " + OpLine(cx.concurrent[i]) + "\n";
    }
    if (cx.concurrent.size() > max_list) {
      out += "      ... and " + std::to_string(cx.concurrent.size() - max_list) + " more\n";
    }
    out += "    longest linearizable prefix (" + Count(cx.prefix.size(), "op");
    size_t from = cx.prefix.size() > max_list ? cx.prefix.size() - max_list : 0;
    out += from > 0 ? ", last " + std::to_string(max_list) + " shown):\n" : "):\n";
    for (size_t i = from; i < cx.prefix.size(); ++i) {
      // An indeterminate operation in the prefix is one this order lets take effect; whether it
      // did is unknown.
      out += "      " + OpLine(cx.prefix[i]) +
             (cx.prefix[i].status == OpStatus::kInfo ? "  (may not have taken effect)" : "") + "\n";
    }
  }
  return out;
}

std::string RenderFirstCounterexample(const CheckResult& r, size_t prefix_tail) {
  for (const KeyResult& k : r.keys) {
    if (k.verdict != Verdict::kInvalid || !k.counterexample) continue;
    const Counterexample& cx = *k.counterexample;
    std::string out = k.has_key ? "key " + KeyText(k) + ": " : "";
    out += "operation " + std::to_string(cx.op.index()) + " cannot be linearized\n";
    const size_t from = cx.prefix.size() > prefix_tail ? cx.prefix.size() - prefix_tail : 0;
    out += "  after the longest linearizable prefix (" + Count(cx.prefix.size(), "op") +
           (from > 0 ? ", last " + std::to_string(prefix_tail) + " shown" : "") + "):\n";
    for (size_t i = from; i < cx.prefix.size(); ++i) out += "    " + OpLine(cx.prefix[i]) + "\n";
    out += "  this cannot follow:\n    " + OpLine(cx.op) + "\n";
    out += "  why: " + cx.reason + "\n";
    return out;
  }
  return "";
}

Value OpRefToValue(const OpRef& op) {
  Value::Object o{
      {"process", Value::Int(op.process)},
      {"f", Value::String(op.f)},
      {"value", op.value.is_any() ? Value::Null() : op.value},
      {"status", Value::String(OpStatusName(op.status))},
      {"invoke_index", Value::Int(op.invoke_index)},
      {"complete_index", op.complete_index >= 0 ? Value::Int(op.complete_index) : Value::Null()},
      {"index", Value::Int(op.index())},
      {"text", Value::String(op.text)},
  };
  if (!op.node.empty()) o.emplace_back("node", Value::String(op.node));
  return Value::MakeObject(std::move(o));
}

Value ResultToValue(const std::string& file, const CheckResult& r) {
  Value::Object keys;
  Value::Array failures;
  // Member names: a string key as itself, any other key as its JSON text; when a string key's
  // text equals another key's (the integer 1 and the string "1"), the string's JSON text
  // ("\"1\""), so that no two members share a name. Each member also carries the key itself.
  std::unordered_map<std::string, int> texts;
  for (const KeyResult& k : r.keys) {
    if (k.has_key) ++texts[KeyText(k)];
  }
  for (const KeyResult& k : r.keys) {
    Value::Object kv{{"valid", VerdictValue(k.verdict)},
                     {"ops", Value::Int(static_cast<int64_t>(k.ops))},
                     {"steps", Value::Int(static_cast<int64_t>(k.steps))},
                     {"ms", Value::Double(k.ms)}};
    // How the key was decided: the unique-value fast path (checker/unique_values.h) or the search.
    if (k.verdict != Verdict::kUnknown) {
      kv.emplace_back("decided_by", Value::String(k.fast_path ? "unique-values" : "search"));
    }
    if (!k.cause.empty()) kv.emplace_back("cause", Value::String(k.cause));
    if (k.has_key) {
      kv.emplace_back("key", k.key);
      std::string name = KeyText(k);
      if (k.key.is_string() && texts[name] > 1) name = k.key.ToJson();
      keys.emplace_back(std::move(name), Value::MakeObject(std::move(kv)));
    }
    if (!k.counterexample) continue;
    const Counterexample& cx = *k.counterexample;
    Value::Array concurrent, states, prefix;
    for (const OpRef& o : cx.concurrent) concurrent.push_back(OpRefToValue(o));
    for (const std::string& s : cx.states) states.push_back(Value::String(s));
    for (const OpRef& o : cx.prefix) prefix.push_back(Value::Int(o.index()));
    failures.push_back(Value::MakeObject({
        {"key", k.has_key ? k.key : Value::Null()},
        {"op", OpRefToValue(cx.op)},
        {"reason", Value::String(cx.reason)},
        {"concurrent", Value::MakeArray(std::move(concurrent))},
        {"states", Value::MakeArray(std::move(states))},
        {"states_truncated", Value::Bool(cx.states_truncated)},
        {"prefix", Value::MakeArray(std::move(prefix))},
    }));
  }
  return Value::MakeObject({
      {"file", Value::String(file)},
      {"valid", VerdictValue(r.verdict)},
      {"cause", r.cause.empty() ? Value::Null() : Value::String(r.cause)},
      {"model", Value::String(r.model)},
      {"keys", Value::MakeObject(std::move(keys))},
      {"failures", Value::MakeArray(std::move(failures))},
      {"stats", Value::MakeObject({
                    {"ops", Value::Int(static_cast<int64_t>(r.ops))},
                    {"steps", Value::Int(static_cast<int64_t>(r.steps))},
                    {"ms", Value::Double(r.ms)},
                    {"peak_memory_bytes", Value::Int(static_cast<int64_t>(r.peak_memory_bytes))},
                })},
  });
}

}  // namespace faultline::checker::io
