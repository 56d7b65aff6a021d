#include "results/report_html.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>

#include "checker/io/load.h"
#include "checker/model.h"
#include "results/exit_codes.h"
#include "results/html_text.h"
#include "results/report_assets.h"
#include "results/store.h"

namespace faultline::results {
namespace {

namespace fs = std::filesystem;
using base::Result;
using base::Status;
using checker::EventType;
using checker::History;
using checker::Operation;
using checker::OpStatus;
using checker::Value;
using checker::Verdict;

// Bounds on what one report embeds (STYLE.md: a limit on everything).
constexpr size_t kValueChars = 60;    // an operation's value in the timeline's tooltips
constexpr size_t kStateChars = 300;   // a model state in a counterexample's table
constexpr size_t kShownSteps = 60;    // the last steps of a longest linearizable prefix
constexpr size_t kDiagramSteps = 12;  // ... of which the diagram draws
constexpr size_t kShownConcurrent = 40;
constexpr size_t kShownCounterexamples = 200;  // failing keys drawn; the rest are counted
constexpr size_t kShownFindings = 50;          // lost / unexpected / violations per checker
constexpr size_t kLinksPerFinding = 20;

std::string Escape(std::string_view s) { return HtmlEscape(s); }

// Cuts `s` to at most `n` bytes on a UTF-8 character boundary, marking the cut.
std::string Cut(std::string s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s + "…";
}

std::string Text(const Value* v) {
  if (v == nullptr) return "";
  return v->is_string() ? v->as_string() : v->ToJson();
}

// JSON inside <script>: "</" would end the element; "<\/" means the same in a JSON string.
std::string ScriptSafe(std::string json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

const char* VerdictClass(Verdict v) {
  return v == Verdict::kValid ? "valid" : v == Verdict::kInvalid ? "invalid" : "unknown";
}

// Strings interned into a table, for the columnar operation arrays.
class Interner {
 public:
  int64_t Id(const std::string& s) {
    auto [it, fresh] = ids_.try_emplace(s, static_cast<int64_t>(table_.size()));
    if (fresh) table_.push_back(Value::String(s));
    return it->second;
  }
  Value Table() const { return Value::MakeArray(table_); }
  size_t size() const { return table_.size(); }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  Value::Array table_;
};

// The history as the page's script sees it: operations sorted by invoke time, on lanes, with
// every string interned; nemesis periods; the counts for the header.
class HistoryView {
 public:
  HistoryView(const History& history, int concurrency) : history_(history) {
    timed_ = !history.events.empty();
    for (const checker::Event& e : history.events) timed_ &= e.time >= 0;
    for (const checker::Event& e : history.events) end_ = std::max(end_, T(e));
    Result<std::vector<Operation>> ops = checker::PairOperations(history);
    if (!ops.ok()) {
      error_ = ops.status().message();
    } else {
      ops_ = std::move(*ops);
    }
    std::sort(ops_.begin(), ops_.end(), [this](const Operation& a, const Operation& b) {
      return InvokeT(a) != InvokeT(b) ? InvokeT(a) < InvokeT(b) : a.invoke_index < b.invoke_index;
    });
    for (const Operation& op : ops_) {
      by_index_[op.invoke_index] = &op;
      if (op.complete_index >= 0) by_index_[op.complete_index] = &op;
    }
    std::set<int64_t> processes;
    for (const Operation& op : ops_) processes.insert(op.process);
    if (processes.size() <= kMaxLanes) {
      for (int64_t p : processes) {
        lane_of_[p] = static_cast<int64_t>(lane_names_.size());
        lane_names_.push_back("process " + std::to_string(p));
      }
    } else if (concurrency > 0) {
      // Jepsen's convention: a worker goes on as process p + concurrency after an info.
      for (int w = 0; w < concurrency; ++w) lane_names_.push_back("worker " + std::to_string(w));
      for (int64_t p : processes) lane_of_[p] = ((p % concurrency) + concurrency) % concurrency;
    } else {
      ShareLanes();
    }
  }

  // Many processes and no worker count (a bare history): a process takes the first lane whose
  // previous process was done before it began (interval colouring), so lanes never overlap and
  // there are as many as processes ever ran at once.
  void ShareLanes() {
    std::map<int64_t, std::pair<int64_t, int64_t>> span;  // process -> [first invoke, last end]
    for (const Operation& op : ops_) {
      const int64_t end = CompleteT(op) < 0 ? std::numeric_limits<int64_t>::max() : CompleteT(op);
      auto [it, fresh] = span.try_emplace(op.process, InvokeT(op), end);
      if (!fresh) {
        it->second.first = std::min(it->second.first, InvokeT(op));
        it->second.second = std::max(it->second.second, end);
      }
    }
    std::vector<std::pair<std::pair<int64_t, int64_t>, int64_t>> order;  // (span, process)
    for (const auto& [p, sp] : span) order.push_back({sp, p});
    std::sort(order.begin(), order.end());
    std::vector<int64_t> lane_end;  // per lane: when its last process was done
    for (const auto& [sp, p] : order) {
      size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] >= sp.first) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      lane_end[lane] = sp.second;
      lane_of_[p] = static_cast<int64_t>(lane);
    }
    for (size_t l = 0; l < lane_end.size(); ++l) lane_names_.push_back("lane " + std::to_string(l));
  }

  bool timed() const { return timed_; }
  const std::string& error() const { return error_; }
  const std::vector<Operation>& ops() const { return ops_; }
  int64_t end() const { return end_; }
  // The operation an event index names (its invoke or its completion); nullptr if none.
  const Operation* ByIndex(int64_t index) const {
    auto it = by_index_.find(index);
    return it == by_index_.end() ? nullptr : it->second;
  }

  // The page's time: microseconds since the start, or the event's index when the history has no
  // times (Knossos's files).
  int64_t T(const checker::Event& e) const { return timed_ ? e.time / 1000 : e.index; }
  int64_t InvokeT(const Operation& op) const { return T(history_.events[op.invoke_pos]); }
  int64_t CompleteT(const Operation& op) const {
    return op.complete_pos == Operation::kNoCompletion ? -1 : T(history_.events[op.complete_pos]);
  }
  // 0 ok, 1 fail, 2 info (an invoke never completed counts as info).
  int Type(const Operation& op) const {
    if (op.complete_pos == Operation::kNoCompletion) return 2;
    switch (history_.events[op.complete_pos].type) {
      case EventType::kOk:
        return 0;
      case EventType::kFail:
        return 1;
      default:
        return 2;
    }
  }
  std::string ErrorOf(const Operation& op) const {
    if (op.complete_pos == Operation::kNoCompletion) return "unfinished";
    return history_.events[op.complete_pos].error;
  }

  // {"lane":[...], "p": [process], "t0":[deltas], "d":[durations, -1 never completed],
  // "type":"ofi...", "f",
  //  "key", "v", "node", "err": [table ids], "ii": [invoke index deltas], "ci": [completion index
  //  - invoke index, -1 never], plus the tables "fs", "keys", "vs", "nodes", "errs"}.
  Value OpsValue() const {
    Interner fs, keys, vs, nodes, errs;
    Value::Array lane, process, t0, d, f, key, v, node, err, ii, ci;
    std::string type;
    int64_t prev_t = 0, prev_ii = 0;
    for (const Operation& op : ops_) {
      const int64_t lane_id = lane_of_.at(op.process);
      lane.push_back(Value::Int(lane_id));
      process.push_back(Value::Int(op.process));
      const int64_t t = InvokeT(op), done = CompleteT(op);
      t0.push_back(Value::Int(t - prev_t));
      prev_t = t;
      d.push_back(Value::Int(done < 0 ? -1 : done - t));
      type += "ofi"[Type(op)];
      f.push_back(Value::Int(fs.Id(op.f)));
      key.push_back(Value::Int(keys.Id(op.has_key ? Text(&op.key) : "")));
      v.push_back(Value::Int(vs.Id(Cut(op.value.is_any() ? "*" : op.value.ToJson(), kValueChars))));
      node.push_back(Value::Int(nodes.Id(op.node)));
      err.push_back(Value::Int(errs.Id(ErrorOf(op))));
      ii.push_back(Value::Int(op.invoke_index - prev_ii));
      prev_ii = op.invoke_index;
      ci.push_back(Value::Int(op.complete_index < 0 ? -1 : op.complete_index - op.invoke_index));
    }
    Value::Object o;
    o.emplace_back("lane", Value::MakeArray(std::move(lane)));
    o.emplace_back("p", Value::MakeArray(std::move(process)));
    o.emplace_back("t0", Value::MakeArray(std::move(t0)));
    o.emplace_back("d", Value::MakeArray(std::move(d)));
    o.emplace_back("type", Value::String(std::move(type)));
    o.emplace_back("f", Value::MakeArray(std::move(f)));
    o.emplace_back("fs", fs.Table());
    o.emplace_back("key", Value::MakeArray(std::move(key)));
    o.emplace_back("keys", keys.Table());
    o.emplace_back("v", Value::MakeArray(std::move(v)));
    o.emplace_back("vs", vs.Table());
    // A column whose every entry is "" is left out (most histories name no node).
    if (nodes.size() > 1 || (!ops_.empty() && !ops_.front().node.empty())) {
      o.emplace_back("node", Value::MakeArray(std::move(node)));
      o.emplace_back("nodes", nodes.Table());
    }
    o.emplace_back("err", Value::MakeArray(std::move(err)));
    o.emplace_back("errs", errs.Table());
    o.emplace_back("ii", Value::MakeArray(std::move(ii)));
    o.emplace_back("ci", Value::MakeArray(std::move(ci)));
    return Value::MakeObject(std::move(o));
  }

  Value LanesValue() const {
    Value::Array a;
    for (const std::string& n : lane_names_) a.push_back(Value::String(n));
    return Value::MakeArray(std::move(a));
  }

  // Fault periods: [{"kind", "t0", "t1", "label"}]. A start-X opens a period of kind X, the next
  // stop-X closes it (an unclosed one lasts to the end); any other nemesis event is an instant.
  Value NemesisValue() const {
    Value::Array periods;
    std::map<std::string, size_t> open;  // kind -> its period in `periods`
    for (const checker::Event& e : history_.events) {
      if (!e.nemesis) continue;
      const int64_t t = T(e);
      auto period = [&](const std::string& kind, int64_t t1) {
        return Value::MakeObject({{"kind", Value::String(kind)},
                                  {"t0", Value::Int(t)},
                                  {"t1", Value::Int(t1)},
                                  {"label", Value::String(Cut(TargetLabel(e.value), 80))}});
      };
      if (e.f.rfind("start-", 0) == 0) {
        const std::string kind = e.f.substr(6);
        open[kind] = periods.size();
        periods.push_back(period(kind, end_));
      } else if (e.f.rfind("stop-", 0) == 0) {
        auto it = open.find(e.f.substr(5));
        if (it == open.end()) continue;
        for (auto& [name, member] : periods[it->second].as_object()) {
          if (name == "t1") member = Value::Int(t);
        }
        open.erase(it);
      } else {
        periods.push_back(period(e.f, t));
      }
    }
    return Value::MakeArray(std::move(periods));
  }

  // "n1,n2 | n3,n4,n5" for a grudge (nodes grouped by what they cannot hear), "n2" for a node
  // list, the JSON otherwise.
  static std::string TargetLabel(const Value& v) {
    if (v.is_array()) {
      std::string out;
      for (const Value& n : v.as_array()) out += (out.empty() ? "" : ",") + Text(&n);
      return out;
    }
    if (v.is_object()) {
      std::map<std::string, std::string> groups;  // what they cannot hear -> nodes
      for (const auto& [node, cut] : v.as_object()) {
        if (cut.is_array() && cut.as_array().empty()) continue;
        std::string& g = groups[cut.ToJson()];
        g += (g.empty() ? "" : ",") + node;
      }
      std::string out;
      for (const auto& [cut, nodes] : groups) out += (out.empty() ? "" : " | ") + nodes;
      return out;
    }
    return v.is_null() ? "" : v.ToJson();
  }

  // Counts by type and, for what was not ok, by "type error".
  struct Counts {
    int64_t invokes = 0, ok = 0, fail = 0, info = 0, nemesis = 0;
    std::map<std::string, int64_t> errors;
  };
  Counts Count() const {
    Counts c;
    for (const checker::Event& e : history_.events) c.nemesis += e.nemesis;
    for (const Operation& op : ops_) {
      ++c.invokes;
      const int type = Type(op);
      (type == 0 ? c.ok : type == 1 ? c.fail : c.info)++;
      if (type == 0) continue;
      const std::string error = ErrorOf(op);
      ++c.errors[std::string(type == 1 ? "fail" : "info") + (error.empty() ? "" : " " + error)];
    }
    return c;
  }

 private:
  const History& history_;
  bool timed_ = false;
  int64_t end_ = 0;
  std::string error_;
  std::vector<Operation> ops_;
  std::unordered_map<int64_t, const Operation*> by_index_;
  std::map<int64_t, int64_t> lane_of_;
  std::vector<std::string> lane_names_;
};

// data-ev="3,4": the events a link shows in the timeline.
std::string EvAttr(const std::vector<int64_t>& events) {
  std::string out;
  for (int64_t e : events) out += (out.empty() ? "" : ",") + std::to_string(e);
  return " data-ev=\"" + out + "\"";
}

std::vector<int64_t> EventsOf(const Operation* op) {
  if (op == nullptr) return {};
  if (op->complete_index < 0) return {op->invoke_index};
  return {op->invoke_index, op->complete_index};
}

std::string Span(const Operation& op) {
  if (op.complete_index < 0) return "event " + std::to_string(op.invoke_index) + " .. never";
  return "events " + std::to_string(op.invoke_index) + ".." + std::to_string(op.complete_index);
}

// A link to one operation (by any of its event indices) in the timeline.
std::string OpLink(const HistoryView& view, int64_t index, const std::string& text) {
  const Operation* op = view.ByIndex(index);
  std::vector<int64_t> ev = op ? EventsOf(op) : std::vector<int64_t>{index};
  return "<a class=\"op\" href=\"#timeline\"" + EvAttr(ev) + ">" + Escape(text) + "</a>";
}

// ---- The counterexample of one failing key, as Porcupine draws it --------------------------

struct Step {
  const Operation* op = nullptr;
  std::string text;
  std::string state_after;
};

// The model's text for an operation, with how it ended when not ok ("write 1 (info)").
std::string OpText(const checker::Model* model, const Operation& op) {
  if (model != nullptr) return model->DescribeOp(op);
  std::string text = op.f + " " + op.value.ToJson();
  if (op.status == OpStatus::kInfo) text += " (info)";
  if (op.status == OpStatus::kMismatch) text += " (failed: mismatch)";
  return text;
}

std::string CounterexampleHtml(const HistoryView& view, const CheckerOutcome& checker,
                               const Value& failure, const checker::Model* model,
                               const std::optional<Value>& initial, int number) {
  const Value* key = failure.find("key");
  const Value* op = failure.find("op");
  const std::string key_text = key != nullptr && !key->is_null() ? Text(key) : "";
  const int64_t op_index = op != nullptr && op->find("index") && op->find("index")->is_int()
                               ? op->find("index")->as_int()
                               : -1;
  std::string out = "<section class=\"cx\" id=\"cx-" + std::to_string(number) + "\">\n<h3>" +
                    Escape(checker.name) + (key_text.empty() ? "" : " · key " + Escape(key_text)) +
                    ": operation " + std::to_string(op_index) + " cannot be linearized</h3>\n";
  out += "<p class=\"why\"><b>why:</b> " + Escape(Text(failure.find("reason"))) + "</p>\n";

  // The prefix replayed through the model: the state after each step.
  std::vector<Step> steps;
  std::string initial_text = "?";
  std::optional<Value> state;
  if (model != nullptr) {
    Result<Value> init = model->Initial(initial);
    if (init.ok()) {
      state = *init;
      initial_text = Cut(model->DescribeState(*state), kStateChars);
    }
  }
  const Value* prefix = failure.find("prefix");
  const size_t total = prefix != nullptr && prefix->is_array() ? prefix->as_array().size() : 0;
  const size_t first_shown = total > kShownSteps ? total - kShownSteps : 0;
  std::string state_before_shown = initial_text;
  for (size_t i = 0; i < total; ++i) {
    const Value& index = prefix->as_array()[i];
    const Operation* o = index.is_int() ? view.ByIndex(index.as_int()) : nullptr;
    if (state && o != nullptr) {
      Value next;
      if (model->Step(*state, *o, &next, nullptr)) {
        state = std::move(next);
      } else {
        state.reset();  // e.g. an indeterminate dequeue: which element it took is not known
      }
    } else {
      state.reset();
    }
    if (i + 1 == first_shown) {
      state_before_shown = state ? Cut(model->DescribeState(*state), kStateChars) : "?";
    }
    if (i < first_shown) continue;
    Step s;
    s.op = o;
    s.text = o != nullptr ? OpText(model, *o) : "event " + Text(&index);
    s.state_after = state ? Cut(model->DescribeState(*state), kStateChars) : "?";
    steps.push_back(std::move(s));
  }

  // The diagram's operations: the shown steps, the failing one, what ran concurrently.
  Value::Array diagram;
  auto add = [&](const Operation* o, const std::string& role, int64_t step,
                 const std::string& text) {
    if (o == nullptr) return;
    diagram.push_back(Value::MakeObject({{"p", Value::Int(o->process)},
                                         {"t0", Value::Int(view.InvokeT(*o))},
                                         {"t1", Value::Int(view.CompleteT(*o))},
                                         {"role", Value::String(role)},
                                         {"step", Value::Int(step)},
                                         {"text", Value::String(Cut(text, 40))},
                                         {"ev", Value::Int(o->invoke_index)}}));
  };
  // The diagram shows the last few steps only: a long prefix spread over the whole run would
  // shrink every bar to a line (the table has them all).
  for (size_t i = steps.size() > kDiagramSteps ? steps.size() - kDiagramSteps : 0; i < steps.size();
       ++i) {
    add(steps[i].op, "step", static_cast<int64_t>(first_shown + i + 1), steps[i].text);
  }
  const Operation* bad = view.ByIndex(op_index);
  const std::string bad_text = op != nullptr ? Text(op->find("text")) : "?";
  add(bad, "fail", 0, bad_text);
  const Value* concurrent = failure.find("concurrent");
  std::vector<const Value*> conc;
  if (concurrent != nullptr && concurrent->is_array()) {
    for (const Value& c : concurrent->as_array()) conc.push_back(&c);
  }
  std::set<const Operation*> in_diagram;
  for (const Step& s : steps) in_diagram.insert(s.op);
  for (size_t i = 0; i < conc.size() && i < kShownConcurrent; ++i) {
    const Value* idx = conc[i]->find("index");
    const Operation* o = idx != nullptr && idx->is_int() ? view.ByIndex(idx->as_int()) : nullptr;
    if (o != nullptr && !in_diagram.count(o)) add(o, "concurrent", 0, Text(conc[i]->find("text")));
  }
  if (view.timed() || !diagram.empty()) {
    out += "<canvas class=\"cxdiag\" data-ops=\"" +
           Escape(Value::MakeArray(std::move(diagram)).ToJson()) + "\"></canvas>\n";
  }

  out +=
      "<table class=\"steps\"><tr><th>step</th><th>process</th><th>operation</th>"
      "<th>events</th><th>node</th><th>model state after it</th></tr>\n";
  if (first_shown > 0) {
    out += "<tr class=\"init\"><td>…</td><td colspan=\"4\">" + std::to_string(first_shown) +
           " earlier steps not shown</td><td>" + Escape(state_before_shown) + "</td></tr>\n";
  } else {
    out += "<tr class=\"init\"><td>0</td><td colspan=\"4\">initial state</td><td>" +
           Escape(initial_text) + "</td></tr>\n";
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    out += "<tr class=\"step\"" + EvAttr(EventsOf(s.op)) + "><td>" +
           std::to_string(first_shown + i + 1) + "</td><td>" +
           (s.op ? std::to_string(s.op->process) : "?") + "</td><td>" + Escape(s.text) +
           "</td><td>" + (s.op ? Escape(Span(*s.op)) : "") + "</td><td>" +
           (s.op ? Escape(s.op->node) : "") + "</td><td class=\"state\">" + Escape(s.state_after) +
           "</td></tr>\n";
  }
  std::string states;
  if (const Value* st = failure.find("states"); st != nullptr && st->is_array()) {
    for (const Value& s : st->as_array()) states += (states.empty() ? "" : " | ") + Text(&s);
    if (const Value* t = failure.find("states_truncated");
        t != nullptr && t->is_bool() && t->as_bool()) {
      states += " | …";
    }
  }
  out += "<tr class=\"bad\"" + EvAttr(EventsOf(bad)) + "><td>✗</td><td>" +
         (op ? Escape(Text(op->find("process"))) : "?") + "</td><td>" + Escape(bad_text) +
         "</td><td>" + (bad ? Escape(Span(*bad)) : "") + "</td><td>" +
         (bad ? Escape(bad->node) : "") +
         "</td><td class=\"state\">cannot follow: " + Escape(Text(failure.find("reason"))) +
         "<br>states before it: " + Escape(Cut(states, 4 * kStateChars)) + "</td></tr>\n</table>\n";

  out += "<p class=\"conc\"><b>concurrent with (" + std::to_string(conc.size()) + "):</b> ";
  if (conc.empty()) out += "nothing";
  for (size_t i = 0; i < conc.size() && i < kShownConcurrent; ++i) {
    const Value* idx = conc[i]->find("index");
    out += (i ? ", " : "") +
           OpLink(view, idx && idx->is_int() ? idx->as_int() : -1,
                  "process " + Text(conc[i]->find("process")) + " " + Text(conc[i]->find("text")));
  }
  if (conc.size() > kShownConcurrent) {
    out += ", … and " + std::to_string(conc.size() - kShownConcurrent) + " more";
  }
  out += "</p>\n</section>\n";
  return out;
}

// ---- The set, counter and fencing checkers' findings ----------------------------------------

const Value::Array* List(const Value& detail, const char* name) {
  const Value* l = detail.find(name);
  return l != nullptr && l->is_array() ? &l->as_array() : nullptr;
}

std::string KeyPrefix(const Value& item) {
  const Value* k = item.find("key");
  return k == nullptr || k->is_null() ? "" : "key " + Text(k) + ": ";
}

int64_t IntOf(const Value* v) { return v != nullptr && v->is_int() ? v->as_int() : -1; }

// The ok reads whose value holds `element`, for an unexpected element.
std::vector<int64_t> ReadsHolding(const HistoryView& view, const Value& element) {
  std::vector<int64_t> out;
  for (const Operation& op : view.ops()) {
    if (op.f != "read" || op.status != OpStatus::kOk || !op.value.is_array()) continue;
    const Value::Array& a = op.value.as_array();
    if (std::find(a.begin(), a.end(), element) == a.end()) continue;
    out.push_back(op.complete_index >= 0 ? op.complete_index : op.invoke_index);
    if (out.size() == kLinksPerFinding) break;
  }
  return out;
}

std::string FindingsHtml(const HistoryView& view, const CheckerOutcome& c) {
  std::vector<std::string> items;
  const Value& d = c.detail;
  auto fencing_op = [&](const Value* o, const std::string& what) {
    if (o == nullptr) return std::string("?");
    return OpLink(
        view, IntOf(o->find("complete_index")),
        "process " + Text(o->find("process")) + " " + what + " token " + Text(o->find("token")));
  };
  if (const Value::Array* lost = List(d, "lost")) {
    for (const Value& l : *lost) {
      std::string item = "<span class=\"tag lost\">lost</span> " + Escape(KeyPrefix(l)) +
                         "element " + Escape(Text(l.find("element"))) + " acknowledged by " +
                         OpLink(view, IntOf(l.find("add_index")), "its add") + ", missing from ";
      const Value* missing = l.find("missing_from");
      size_t n = 0;
      if (missing != nullptr && missing->is_array()) {
        for (const Value& m : missing->as_array()) {
          if (n == kLinksPerFinding) break;
          item += (n++ ? ", " : "") + OpLink(view, IntOf(&m), "read " + Text(&m));
        }
      }
      items.push_back(item + (n == 0 ? "a final read" : ""));
    }
  }
  if (const Value::Array* unexpected = List(d, "unexpected")) {
    for (const Value& u : *unexpected) {
      std::string item = "<span class=\"tag unexpected\">unexpected</span> element " +
                         Escape(Text(&u)) + " was read but never added: ";
      size_t n = 0;
      for (int64_t r : ReadsHolding(view, u)) {
        item += (n++ ? ", " : "") + OpLink(view, r, "read " + std::to_string(r));
      }
      items.push_back(item);
    }
  }
  if (const Value::Array* violations = List(d, "violations")) {
    for (const Value& v : *violations) {
      items.push_back(
          "<span class=\"tag bounds\">out of bounds</span> " + Escape(KeyPrefix(v)) +
          OpLink(view, IntOf(v.find("complete_index")),
                 "process " + Text(v.find("process")) + " read " + Text(v.find("value"))) +
          ", but it must be within [" + Escape(Text(v.find("lower"))) + ", " +
          Escape(Text(v.find("upper"))) + "]");
    }
  }
  if (const Value::Array* stale = List(d, "stale_writes")) {
    for (const Value& s : *stale) {
      items.push_back("<span class=\"tag stale\">stale write</span> " + Escape(KeyPrefix(s)) +
                      fencing_op(s.find("write"), "wrote with") + " was accepted after " +
                      fencing_op(s.find("earlier"), "wrote with"));
    }
  }
  if (const Value::Array* dups = List(d, "duplicate_tokens")) {
    for (const Value& s : *dups) {
      items.push_back("<span class=\"tag dup\">duplicate token</span> " + Escape(KeyPrefix(s)) +
                      "token " + Escape(Text(s.find("token"))) +
                      " granted twice: " + fencing_op(s.find("first"), "acquired") + " and " +
                      fencing_op(s.find("second"), "acquired"));
    }
  }
  // The mutex checker: two clients holding a lock at once (within both leases: invalid; after a
  // lease could have run out: reported on a valid verdict, as Jepsen's etcd lock analysis did).
  if (const Value::Array* overlaps = List(d, "overlaps")) {
    for (const Value& o : *overlaps) {
      auto hold = [&](const Value* h) {
        if (h == nullptr) return std::string("?");
        return OpLink(view, IntOf(h->find("acquire_complete_index")),
                      "process " + Text(h->find("process")) + " (token " + Text(h->find("token")) +
                          ", on " + Text(h->find("node")) + ")");
      };
      const Value* within = o.find("within_lease");
      const bool broken = within != nullptr && within->is_bool() && within->as_bool();
      items.push_back(std::string("<span class=\"tag ") + (broken ? "lost" : "stale") + "\">" +
                      (broken ? "two holders" : "two holders after a lease") + "</span> " +
                      Escape(KeyPrefix(o)) + hold(o.find("first")) + " and " +
                      hold(o.find("second")) + ": " + Escape(Text(o.find("summary"))));
    }
  }
  if (items.empty()) return "";
  std::string out = "<section class=\"findings\"><h3>" + Escape(c.name) + ": " + Escape(c.summary) +
                    "</h3>\n<ul>\n";
  for (size_t i = 0; i < items.size() && i < kShownFindings; ++i) {
    out += "<li>" + items[i] + "</li>\n";
  }
  if (items.size() > kShownFindings) {
    out += "<li>… and " + std::to_string(items.size() - kShownFindings) + " more</li>\n";
  }
  return out + "</ul></section>\n";
}

// ---- The page ---------------------------------------------------------------------------------

std::string HeaderHtml(const ReportSource& s, const HistoryView& view) {
  const HistoryView::Counts c = view.Count();
  std::string out = "<header class=\"" + std::string(VerdictClass(s.verdict)) + "\">\n<h1>" +
                    Escape(s.title) + " <span class=\"verdict\" id=\"verdict\">" +
                    VerdictWord(s.verdict) + "</span></h1>\n";
  if (!s.cause.empty()) out += "<p class=\"cause\">" + Escape(s.cause) + "</p>\n";
  out += "<table class=\"facts\">\n";
  for (const auto& [label, value] : s.facts) {
    out += "<tr><th>" + Escape(label) + "</th><td>" + Escape(value) + "</td></tr>\n";
  }
  if (view.timed()) {
    out += "<tr><th>history spans</th><td>" + Fixed(static_cast<double>(view.end()) / 1e6, 1) +
           " s</td></tr>\n";
  }
  out += "<tr><th>operations</th><td>" + std::to_string(c.invokes) +
         " invoked: " + std::to_string(c.ok) + " ok, " + std::to_string(c.fail) + " fail, " +
         std::to_string(c.info) + " info; " + std::to_string(c.nemesis) +
         " nemesis events</td></tr>\n";
  if (!c.errors.empty()) {
    std::vector<std::pair<int64_t, std::string>> by_count;
    for (const auto& [what, n] : c.errors) by_count.emplace_back(n, what);
    std::sort(by_count.rbegin(), by_count.rend());
    std::string errors;
    for (const auto& [n, what] : by_count) {
      errors += (errors.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    }
    out += "<tr><th>not ok, by error</th><td>" + Escape(errors) + "</td></tr>\n";
  }
  out += "</table>\n<ul class=\"checkers\">\n";
  for (const CheckerOutcome& ch : s.checkers) {
    out += "<li class=\"" + std::string(VerdictClass(ch.verdict)) + "\"><b>" + Escape(ch.name) +
           "</b> <span class=\"v\">" + checker::VerdictName(ch.verdict) + "</span> " +
           Escape(ch.summary) + "</li>\n";
  }
  out += "</ul>\n";
  if (!s.rerun.empty()) {
    out += "<p class=\"rerun\">rerun: <code>" + Escape(s.rerun) + "</code></p>\n";
  }
  if (!s.run_dir.empty()) {
    out += "<p class=\"files\">run folder <code>" + Escape(s.run_dir) +
           "</code>: <a href=\"history.jsonl\">history.jsonl</a> · <a "
           "href=\"results.json\">results.json</a> · <a href=\"test.json\">test.json</a> · <a "
           "href=\"report.txt\">report.txt</a> · <a href=\"faultline.log\">faultline.log</a></p>\n";
  }
  return out + "</header>\n";
}

std::string ReadWhole(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream text;
  if (*ok) text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string RenderHtmlReport(const History& history, const ReportSource& source,
                             const ReportOptions& options, std::string* note_out) {
  const HistoryView view(history, source.concurrency);
  std::vector<std::string> notes;
  if (!view.error().empty()) notes.push_back("the timeline is empty: " + view.error());
  bool have_dygraphs = false;
  std::string dygraphs = ReadWhole(options.dygraphs_path, &have_dygraphs);
  std::string note;
  // Its stylesheet beside it (legend, title and axis labels are placed by it).
  std::string dygraphs_css;
  if (have_dygraphs) {
    std::string css_path = options.dygraphs_path;
    if (css_path.size() > 3 && css_path.ends_with(".js")) {
      css_path.replace(css_path.size() - 3, 3, ".css");
      bool have_css = false;
      dygraphs_css = ReadWhole(css_path, &have_css);
    }
  }
  if (!have_dygraphs) {
    note = "plots left out: " + options.dygraphs_path + " is missing (install libjs-dygraphs)";
    notes.push_back(note);
  }
  if (note_out != nullptr) *note_out = note;

  std::string failures_html;
  int number = 0;
  for (const CheckerOutcome& c : source.checkers) {
    if (const Value* failures = c.detail.find("failures");
        failures != nullptr && failures->is_array()) {
      std::unique_ptr<checker::Model> model;
      if (const Value* m = c.detail.find("model"); m != nullptr && m->is_string()) {
        model = checker::MakeModel(m->as_string());
      }
      for (const Value& f : failures->as_array()) {
        if (number == static_cast<int>(kShownCounterexamples)) {
          failures_html += "<p class=\"note\">… and " +
                           std::to_string(failures->as_array().size() - kShownCounterexamples) +
                           " more failing keys: see results.json or report.txt</p>\n";
          break;
        }
        failures_html += CounterexampleHtml(view, c, f, model.get(), source.initial, ++number);
      }
    }
    // Findings of failing checkers, and the mutex checker's overlaps even on a valid verdict.
    if (c.verdict == Verdict::kInvalid || c.name == "mutex") failures_html += FindingsHtml(view, c);
  }

  Value::Object data;
  data.emplace_back("unit", Value::String(view.timed() ? "us" : "index"));
  data.emplace_back("end", Value::Int(view.end()));
  data.emplace_back("lanes", view.LanesValue());
  data.emplace_back("ops", view.OpsValue());
  data.emplace_back("nemesis", view.NemesisValue());

  std::string out;
  out.reserve(dygraphs.size() + history.events.size() * 24 + 65536);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
         Escape(source.title) + " — " + VerdictWord(source.verdict) +
         " — faultline report</title>\n<style>\n";
  out += dygraphs_css;
  out += kReportCss;
  out += "</style>\n</head><body>\n";
  out += HeaderHtml(source, view);
  out += "<div id=\"fl-status\" data-status=\"pending\"></div>\n";
  for (const std::string& n : notes) out += "<p class=\"note\">" + Escape(n) + "</p>\n";
  out += "<nav>";
  if (!failures_html.empty()) {
    out += "<a href=\"#failures\">counterexamples and findings" +
           (number > 0
                ? " (" + std::to_string(number) + (number == 1 ? " failing key)" : " failing keys)")
                : std::string()) +
           "</a> · ";
  }
  if (have_dygraphs) out += "<a href=\"#plots\">throughput and latency</a> · ";
  out += "<a href=\"#timeline\">timeline</a></nav>\n";
  if (!failures_html.empty()) {
    out +=
        "<h2 id=\"failures\">Counterexamples and findings</h2>\n<p class=\"hint\">Click an "
        "operation to show "
        "it in the timeline.</p>\n" +
        failures_html;
  }
  if (have_dygraphs) {
    out +=
        "<h2 id=\"plots\">Throughput and latency</h2>\n<div class=\"plot\" "
        "id=\"throughput\"></div>\n"
        "<div class=\"plot\" id=\"latency\"></div>\n";
  }
  out +=
      "<h2 id=\"timeline\">Timeline</h2>\n<p class=\"hint\">One lane per process, one bar per "
      "operation from invoke to completion (green ok, red fail, orange info; hatched: never "
      "completed); shaded: nemesis periods. Wheel to zoom, drag to pan, double-click to "
      "reset; hover for details.</p>\n<div class=\"tlbar\"><button id=\"tl-in\">zoom "
      "in</button> <button id=\"tl-out\">zoom out</button> <button "
      "id=\"tl-reset\">reset</button> <span id=\"tl-info\"></span></div>\n<div "
      "id=\"tl\"><canvas id=\"tl-canvas\"></canvas><div id=\"tl-tip\"></div></div>\n";
  out += "<footer>faultline report · written without network access; opens from disk.</footer>\n";
  out += "<script type=\"application/json\" id=\"fl-data\">" +
         ScriptSafe(Value::MakeObject(std::move(data)).ToJson()) + "</script>\n";
  if (have_dygraphs) {
    // The library's own text never holds "</script" (checked when it was packaged: 2.2.1); the
    // replacement keeps the element closed if a later version does.
    size_t at = 0;
    while ((at = dygraphs.find("</script", at)) != std::string::npos) dygraphs.insert(at + 1, "\\");
    out += "<script>\n" + dygraphs + "\n</script>\n";
  }
  out += "<script>\n";
  out += kReportJs;
  out += "</script>\n</body></html>\n";
  return out;
}

Result<ReportWritten> WriteHistoryReport(const std::string& path, const History& history,
                                         const ReportSource& source, const ReportOptions& options) {
  ReportWritten w;
  w.path = path;
  const std::string html = RenderHtmlReport(history, source, options, &w.note);
  w.bytes = html.size();
  if (Status s = WriteFileAtomic(path, html); !s.ok()) return s;
  return w;
}

Result<ReportWritten> WriteRunReport(const std::string& run_dir, const ReportOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    return Status::InvalidArgument(run_dir + ": not a folder");
  }
  const bool has_results = fs::exists(run_dir + "/results.json", ec);
  const bool has_history = fs::exists(run_dir + "/history.jsonl", ec);
  if (!has_results && !has_history) {
    return Status::InvalidArgument(run_dir +
                                   ": not a run folder (no results.json, no history.jsonl)");
  }
  if (!has_history && !fs::exists(run_dir + "/test.json", ec)) {
    // `faultline check --report DIR` writes results.json and report.html but no history.jsonl:
    // re-rendering from results.json alone would replace its report with an empty one.
    return Status::InvalidArgument(
        run_dir +
        ": not a run folder (no history.jsonl, no test.json); a `check --report` folder "
        "already has its report.html");
  }
  ReportSource source;
  source.run_dir = run_dir;
  std::vector<std::string> problems;
  Result<TestRecord> test = ReadTestJson(run_dir);
  if (test.ok()) {
    source.rerun = test->rerun;
    const Value& c = test->config;
    source.title = Text(c.find("name"));
    if (const Value* n = c.find("concurrency"); n != nullptr && n->is_int()) {
      source.concurrency = static_cast<int>(n->as_int());
    }
    for (const char* field :
         {"target", "nodes", "workload", "nemesis", "seed", "time_limit_s", "concurrency", "net"}) {
      if (const Value* v = c.find(field)) source.facts.emplace_back(field, Text(v));
    }
    // Deliberate bugs and read modes say what the run was testing: shown when set.
    if (const Value* o = c.find("raft_opts");
        o != nullptr && o->is_array() && !o->as_array().empty()) {
      source.facts.emplace_back("raft options", Text(o));
    }
    for (const char* field : {"etcd_reads", "zk_reads"}) {
      if (const Value* v = c.find(field)) source.facts.emplace_back(field, Text(v));
    }
    if (!test->started_at.empty()) source.facts.emplace_back("started", test->started_at);
    if (!test->faultline_version.empty()) {
      source.facts.emplace_back("faultline", test->faultline_version);
    }
  } else if (fs::exists(run_dir + "/test.json", ec)) {
    problems.push_back(test.status().message());
  }
  if (source.title.empty()) source.title = fs::path(run_dir).lexically_normal().string();
  if (has_results) {
    Result<RunResults> r = ReadRunResults(run_dir);
    if (!r.ok()) return Status::InvalidArgument(r.status().message());
    source.verdict = r->verdict;
    source.cause = r->cause;
    source.checkers = r->checkers;
    const RunStats& s = r->run;
    if (s.workload_s > 0) {
      source.facts.emplace_back(
          "duration", Fixed(s.workload_s, 1) + " s workload, " + Fixed(s.check_s, 1) + " s check" +
                          (s.completed ? "" : " (the workload did not run to its end)"));
    }
    if (s.faults > 0) source.facts.emplace_back("faults", std::to_string(s.faults) + " started");
    if (!s.net_backend.empty()) source.facts.emplace_back("network", s.net_backend);
    if (!s.nodes_exited.empty()) {
      std::string exited;
      for (const std::string& n : s.nodes_exited) exited += (exited.empty() ? "" : "; ") + n;
      source.facts.emplace_back("nodes that exited", exited);
    }
    if (!s.error.empty()) source.facts.emplace_back("test error", s.error);
  } else {
    source.cause = "no results.json: the run was not checked";
  }
  History history;
  if (has_history) {
    checker::io::LoadOptions load;
    load.format = checker::io::Format::kJsonl;
    Result<History> h = checker::io::LoadHistoryFile(run_dir + "/history.jsonl", load);
    if (h.ok()) {
      history = std::move(*h);
    } else {
      problems.push_back("history not shown: " + h.status().message());
    }
  }
  for (const std::string& p : problems) source.facts.emplace_back("note", p);
  return WriteHistoryReport(run_dir + "/report.html", history, source, options);
}

}  // namespace faultline::results
