#include "harness/counterexample.h"

#include <map>

namespace faultline::harness {
namespace {

using checker::Value;

// The node of the event with this index ("" when the history names none).
class Nodes {
 public:
  explicit Nodes(const checker::History& h) {
    for (const checker::Event& e : h.events) {
      if (!e.node.empty()) by_index_[e.index] = e.node;
    }
  }
  std::string On(const Value* index) const {
    if (index == nullptr || !index->is_int()) return "";
    auto it = by_index_.find(index->as_int());
    return it == by_index_.end() ? "" : " on " + it->second;
  }

 private:
  std::map<int64_t, std::string> by_index_;
};

std::string Text(const Value* v) {
  if (v == nullptr) return "?";
  return v->is_string() ? v->as_string() : v->ToJson();
}

const Value* First(const Value& detail, const char* list) {
  const Value* l = detail.find(list);
  if (l == nullptr || !l->is_array() || l->as_array().empty()) return nullptr;
  return &l->as_array().front();
}

std::string Key(const Value& item) {
  const Value* k = item.find("key");
  return k == nullptr || k->is_null() ? "" : "key " + Text(k) + ": ";
}

// {"process", "invoke_index", "complete_index", ...} as "process 3 ... on n2  [events 10..12]".
std::string Span(const Value& op) {
  return "[events " + Text(op.find("invoke_index")) + ".." + Text(op.find("complete_index")) + "]";
}

std::string SetFinding(const Value& d, const Nodes& nodes) {
  if (const Value* lost = First(d, "lost")) {
    std::string out = Key(*lost) + "element " + Text(lost->find("element")) +
                      " was acknowledged (event " + Text(lost->find("add_index")) +
                      nodes.On(lost->find("add_index")) + ") and is missing from ";
    const Value* missing = lost->find("missing_from");
    std::string reads;
    size_t n = 0;
    if (missing != nullptr && missing->is_array()) {
      n = missing->as_array().size();
      for (size_t i = 0; i < n && i < 5; ++i) {
        // missing_from holds invoke indices; the completion follows, its node is the reader's.
        reads += (reads.empty() ? "" : ", ") + Text(&missing->as_array()[i]);
      }
      if (n > 5) reads += ", ...";
    }
    out += std::to_string(n) + " final read" + (n == 1 ? "" : "s") + " (invoked at events " +
           reads + ")\n";
    return out;
  }
  if (const Value* unexpected = First(d, "unexpected")) {
    return "element " + Text(unexpected) + " was read but never added\n";
  }
  return "";
}

std::string CounterFinding(const Value& d, const Nodes& nodes) {
  const Value* v = First(d, "violations");
  if (v == nullptr) return "";
  return Key(*v) + "process " + Text(v->find("process")) + " read " + Text(v->find("value")) +
         nodes.On(v->find("complete_index")) + "  " + Span(*v) + "\n  but it must be within [" +
         Text(v->find("lower")) + ", " + Text(v->find("upper")) +
         "] (acknowledged adds before it, attempted adds)\n";
}

std::string FencingFinding(const Value& d, const Nodes& nodes) {
  auto op = [&nodes](const Value* o, const char* what) {
    if (o == nullptr) return std::string("?");
    return "process " + Text(o->find("process")) + " " + what + " token " + Text(o->find("token")) +
           nodes.On(o->find("complete_index")) + "  " + Span(*o);
  };
  if (const Value* s = First(d, "stale_writes")) {
    return Key(*s) + "a write with an older token was accepted:\n    " +
           op(s->find("write"), "wrote with") + "\n  after\n    " +
           op(s->find("earlier"), "wrote with") + "\n";
  }
  if (const Value* dup = First(d, "duplicate_tokens")) {
    return Key(*dup) + "token " + Text(dup->find("token")) + " was granted twice:\n    " +
           op(dup->find("first"), "acquired") + "\n    " + op(dup->find("second"), "acquired") +
           "\n";
  }
  return "";
}

// The first overlap while both leases ran (what makes the mutex checker INVALID).
std::string MutexFinding(const Value& d, const Nodes& nodes) {
  const Value* list = d.find("overlaps");
  if (list == nullptr || !list->is_array()) return "";
  for (const Value& o : list->as_array()) {
    const Value* within = o.find("within_lease");
    if (within == nullptr || !within->is_bool() || !within->as_bool()) continue;
    auto hold = [&nodes](const Value* h) {
      if (h == nullptr) return std::string("?");
      const Value* released = h->find("release_invoke_index");
      return "process " + Text(h->find("process")) + " acquired token " + Text(h->find("token")) +
             nodes.On(h->find("acquire_complete_index")) + "  [events " +
             Text(h->find("acquire_invoke_index")) + ".." +
             Text(h->find("acquire_complete_index")) + "]" +
             (released != nullptr && released->is_int() && released->as_int() >= 0
                  ? ", released at event " + Text(released)
                  : ", never released");
    };
    return Key(o) + "two clients held the lock at once while both leases ran:\n    " +
           hold(o.find("first")) + "\n    " + hold(o.find("second")) + "\n";
  }
  return "";
}

}  // namespace

std::string FirstFinding(const workloads::CheckerResult& r, const checker::History& history) {
  if (r.verdict != checker::Verdict::kInvalid) return "";
  if (!r.counterexample.empty()) return r.counterexample;
  if (!r.detail.is_object()) return "";
  const Nodes nodes(history);
  if (r.name == "set") return SetFinding(r.detail, nodes);
  if (r.name == "counter") return CounterFinding(r.detail, nodes);
  if (r.name == "fencing") return FencingFinding(r.detail, nodes);
  if (r.name == "mutex") return MutexFinding(r.detail, nodes);
  return "";
}

}  // namespace faultline::harness
