#include "checker/set_checker.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace faultline::checker {

using base::Result;
using base::Status;
namespace {

constexpr size_t kNotAcked = static_cast<size_t>(-1);

// Everything known about one element of one key's set.
struct Element {
  Value value;
  size_t first_seen = 0;       // order of the first add mentioning it, for stable output
  size_t ack_pos = kNotAcked;  // position of the earliest ok completion of an add of it
  int64_t ack_index = -1;
  bool indeterminate = false;  // some add of it is info or never completed
};

struct Read {
  size_t invoke_pos = 0;
  int64_t invoke_index = 0;
  std::unordered_set<std::string> elements;  // canonical JSON of each element
};

struct KeySet {
  bool has_key = false;
  Value key;
  std::unordered_map<std::string, Element> elements;  // by canonical JSON
  size_t last_add_invoke_pos = 0;
  bool any_add = false;
  std::vector<const Operation*> reads;  // every read of this key
};

std::string ListText(const std::vector<Value>& values, size_t max) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < max; ++i) {
    out += (i ? ", " : "") + values[i].ToJson();
  }
  if (values.size() > max) out += ", ...";
  return out;
}

}  // namespace

Result<SetCheckResult> CheckSet(const History& history, const SetCheckOptions& options) {
  Result<std::vector<Operation>> paired = PairOperations(history);
  if (!paired.ok()) return paired.status();
  const std::vector<Operation>& ops = *paired;

  SetCheckResult r;
  std::map<std::string, KeySet> keys;  // by canonical key JSON ("" without a key)
  size_t order = 0;
  for (const Operation& op : ops) {
    if (op.f != "add" && op.f != "read") continue;
    KeySet& ks = keys[op.has_key ? op.key.ToJson() : std::string()];
    ks.has_key = op.has_key;
    ks.key = op.key;
    if (op.f == "read") {
      ks.reads.push_back(&op);
      continue;
    }
    ++r.attempted;
    ks.any_add = true;
    ks.last_add_invoke_pos = std::max(ks.last_add_invoke_pos, op.invoke_pos);
    auto [it, fresh] = ks.elements.try_emplace(op.value.ToJson());
    Element& e = it->second;
    if (fresh) {
      e.value = op.value;
      e.first_seen = order++;
    }
    switch (op.status) {
      case OpStatus::kOk:
        ++r.acknowledged;
        if (op.complete_pos < e.ack_pos) {
          e.ack_pos = op.complete_pos;
          e.ack_index = op.complete_index;
        }
        break;
      case OpStatus::kInfo:
        ++r.indeterminate;
        e.indeterminate = true;
        break;
      case OpStatus::kMismatch:  // only a cas observes a mismatch; for an add it is a fail
      case OpStatus::kFail:
        ++r.failed;
        break;
    }
  }
  r.keys = static_cast<int64_t>(keys.size());

  // Elements in first-add order across keys, so lists read like the history.
  struct Found {
    size_t order;
    Value value;
  };
  std::vector<Found> unexpected, recovered, unchecked;
  std::vector<std::pair<size_t, LostElement>> lost;
  bool key_without_final_read = false;

  for (auto& [key_text, ks] : keys) {
    std::vector<Read> finals;
    std::unordered_set<std::string> seen_unexpected;
    for (const Operation* op : ks.reads) {
      const bool is_final = options.final_reads
                                ? options.final_reads->count(op->invoke_index) > 0
                                : (!ks.any_add || op->invoke_pos > ks.last_add_invoke_pos);
      r.final_reads += is_final;
      if (op->status != OpStatus::kOk) continue;
      ++r.reads_ok;
      if (!op->value.is_array() && !op->value.is_null()) {
        r.malformed.push_back(op->complete_index);
        continue;
      }
      Read read;
      read.invoke_pos = op->invoke_pos;
      read.invoke_index = op->invoke_index;
      if (op->value.is_array()) {
        for (const Value& x : op->value.as_array()) {
          std::string text = x.ToJson();
          if (!ks.elements.count(text) && seen_unexpected.insert(text).second) {
            unexpected.push_back({order + unexpected.size(), x});
          }
          read.elements.insert(std::move(text));
        }
      }
      if (is_final) {
        ++r.final_reads_ok;
        finals.push_back(std::move(read));
      }
    }
    if (finals.empty() && ks.any_add) key_without_final_read = true;

    for (auto& [text, e] : ks.elements) {
      if (e.ack_pos == kNotAcked) {
        if (!e.indeterminate) continue;  // every add of it failed: nothing to expect
        for (const Read& read : finals) {
          if (read.elements.count(text)) {
            recovered.push_back({e.first_seen, e.value});
            break;
          }
        }
        continue;
      }
      LostElement l;
      l.has_key = ks.has_key;
      l.key = ks.key;
      l.element = e.value;
      l.add_index = e.ack_index;
      bool judged = false;
      for (const Read& read : finals) {
        if (read.invoke_pos < e.ack_pos) continue;  // concurrent with or before the ack
        judged = true;
        if (read.elements.count(text)) {
          ++l.present_in;
        } else {
          l.missing_from.push_back(read.invoke_index);
        }
      }
      if (!judged) {
        unchecked.push_back({e.first_seen, e.value});
      } else if (!l.missing_from.empty()) {
        std::sort(l.missing_from.begin(), l.missing_from.end());
        lost.emplace_back(e.first_seen, std::move(l));
      }
    }
  }

  auto by_order = [](const auto& a, const auto& b) { return a.order < b.order; };
  std::sort(unexpected.begin(), unexpected.end(), by_order);
  std::sort(recovered.begin(), recovered.end(), by_order);
  std::sort(unchecked.begin(), unchecked.end(), by_order);
  std::sort(lost.begin(), lost.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (Found& f : unexpected) r.unexpected.push_back(std::move(f.value));
  for (Found& f : recovered) r.recovered.push_back(std::move(f.value));
  for (Found& f : unchecked) r.unchecked.push_back(std::move(f.value));
  for (auto& [o, l] : lost) r.lost.push_back(std::move(l));

  std::vector<Value> lost_values;
  for (const LostElement& l : r.lost) lost_values.push_back(l.element);
  if (!r.lost.empty() || !r.unexpected.empty() || !r.malformed.empty()) {
    r.verdict = Verdict::kInvalid;
    std::vector<std::string> parts;
    if (!r.lost.empty()) {
      parts.push_back("lost " + std::to_string(r.lost.size()) + " of " +
                      std::to_string(r.acknowledged) +
                      " acknowledged adds: " + ListText(lost_values, 10));
    }
    if (!r.unexpected.empty()) {
      parts.push_back(std::to_string(r.unexpected.size()) +
                      " unexpected elements: " + ListText(r.unexpected, 10));
    }
    if (!r.malformed.empty()) {
      parts.push_back(std::to_string(r.malformed.size()) + " reads that are not arrays");
    }
    for (size_t i = 0; i < parts.size(); ++i) r.summary += (i ? "; " : "") + parts[i];
  } else if (r.final_reads_ok == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no final read succeeded (" + std::to_string(r.final_reads) + " attempted)";
  } else if (key_without_final_read || !r.unchecked.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = key_without_final_read
                    ? "a key with adds has no successful final read"
                    : std::to_string(r.unchecked.size()) +
                          " acknowledged adds completed after every final read began";
  } else {
    r.verdict = Verdict::kValid;
    r.summary = "all " + std::to_string(r.acknowledged) + " acknowledged adds present in " +
                std::to_string(r.final_reads_ok) + " final reads";
    if (!r.recovered.empty()) {
      r.summary += "; " + std::to_string(r.recovered.size()) + " indeterminate adds recovered";
    }
  }
  return r;
}

Value SetCheckResultToValue(const SetCheckResult& r, size_t max_list) {
  auto values = [max_list](const std::vector<Value>& v) {
    Value::Array a(v.begin(),
                   v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), max_list)));
    return Value::MakeArray(std::move(a));
  };
  auto ints = [max_list](const std::vector<int64_t>& v) {
    Value::Array a;
    for (size_t i = 0; i < v.size() && i < max_list; ++i) a.push_back(Value::Int(v[i]));
    return Value::MakeArray(std::move(a));
  };
  auto count = [](size_t n) { return Value::Int(static_cast<int64_t>(n)); };
  Value::Array lost;
  for (size_t i = 0; i < r.lost.size() && i < max_list; ++i) {
    const LostElement& l = r.lost[i];
    lost.push_back(Value::MakeObject({{"key", l.has_key ? l.key : Value()},
                                      {"element", l.element},
                                      {"add_index", Value::Int(l.add_index)},
                                      {"missing_from", ints(l.missing_from)},
                                      {"present_in", Value::Int(l.present_in)}}));
  }
  return Value::MakeObject({
      {"valid", VerdictValue(r.verdict)},
      {"summary", Value::String(r.summary)},
      {"attempted", Value::Int(r.attempted)},
      {"acknowledged", Value::Int(r.acknowledged)},
      {"indeterminate", Value::Int(r.indeterminate)},
      {"failed", Value::Int(r.failed)},
      {"keys", Value::Int(r.keys)},
      {"reads_ok", Value::Int(r.reads_ok)},
      {"final_reads", Value::Int(r.final_reads)},
      {"final_reads_ok", Value::Int(r.final_reads_ok)},
      {"lost_count", count(r.lost.size())},
      {"lost", Value::MakeArray(std::move(lost))},
      {"unexpected_count", count(r.unexpected.size())},
      {"unexpected", values(r.unexpected)},
      {"recovered_count", count(r.recovered.size())},
      {"recovered", values(r.recovered)},
      {"unchecked_count", count(r.unchecked.size())},
      {"unchecked", values(r.unchecked)},
      {"malformed_reads", ints(r.malformed)},
  });
}

}  // namespace faultline::checker
