#include "checker/unique_values.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>
#include <unordered_map>

namespace faultline::checker {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();  // an indeterminate op's return

// One operation as an analysis sees it: a whole key's history, or a prefix of it in which the
// operations still running at its end are indeterminate.
struct Item {
  int op;            // position in ops
  bool determinate;  // must be linearized (else it may be, or not)
  int64_t inv;       // invoke position
  int64_t ret;       // completion position; kNever when indeterminate
};

enum class Answer { kUnknown, kValid, kInvalid };

struct Analysis {
  Answer answer = Answer::kUnknown;
  std::string why;         // kUnknown: the failed precondition; kInvalid: the contradiction
  std::vector<int> order;  // kValid: positions in ops, in linearization order
  int cycle_op = -1;       // kInvalid: an operation the contradiction involves, when one
};

Analysis Unknown(std::string why) { return Analysis{Answer::kUnknown, std::move(why), {}, -1}; }
Analysis Invalid(std::string why) { return Analysis{Answer::kInvalid, std::move(why), {}, -1}; }

// A value whose canonical JSON does not tell it apart from another one: Value::Any, and NaN
// (both print as null). Values are interned by their JSON, so these go to the search.
bool Ambiguous(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kAny:
      return true;
    case Value::Kind::kDouble:
      return v.as_double() != v.as_double();
    case Value::Kind::kArray:
      for (const Value& e : v.as_array()) {
        if (Ambiguous(e)) return true;
      }
      return false;
    case Value::Kind::kObject:
      for (const auto& [k, e] : v.as_object()) {
        if (Ambiguous(e)) return true;
      }
      return false;
    default:
      return false;
  }
}

// A string for a person, shortened to its end when long (appended strings accumulate).
std::string Shown(const std::string& s) {
  constexpr size_t kMax = 48;
  if (s.size() <= kMax) return "`" + s + "`";
  return "`..." + s.substr(s.size() - (kMax - 3)) + "`";
}

// The precedence graph: operations, time points and helper nodes, with labelled edges.
enum class EdgeKind : uint8_t {
  kCompletes,  // op -> the time point of its completion
  kTime,       // time point -> the next one
  kBegins,     // the time point of an op's invocation -> op
  kVersion,    // a write -> the next version's write
  kReadsFrom,  // the write of what a read saw -> the read
  kAnti,       // a read -> the write of the next version, which it did not see
  kLast,       // the last version's write, or a get -> the end of what gets saw
  kUnseen,     // that end -> an append no get saw
  kMismatch,   // placement of a mismatch observation (register)
};

class Graph {
 public:
  int AddNode() { return nodes_++; }
  int size() const { return nodes_; }
  void AddEdge(int from, int to, EdgeKind kind) { edges_.push_back({from, to, kind}); }

  // Kahn's algorithm: true and the order when acyclic.
  bool TopoSort(std::vector<int>* order) {
    Build();
    std::vector<int> indegree(nodes_, 0);
    for (const Edge& e : edges_) ++indegree[e.to];
    order->clear();
    order->reserve(nodes_);
    for (int v = 0; v < nodes_; ++v) {
      if (indegree[v] == 0) order->push_back(v);
    }
    for (size_t i = 0; i < order->size(); ++i) {
      const int v = (*order)[i];
      for (int k = start_[v]; k < start_[v + 1]; ++k) {
        if (--indegree[sorted_[k].to] == 0) order->push_back(sorted_[k].to);
      }
    }
    remaining_.assign(nodes_, 0);
    for (int v = 0; v < nodes_; ++v) remaining_[v] = indegree[v] > 0;
    return static_cast<int>(order->size()) == nodes_;
  }

  // After a failed TopoSort: a short cycle, as (node, kind of the edge to the next node), through
  // `prefer` when it lies on one.
  std::vector<std::pair<int, EdgeKind>> Cycle(int prefer) {
    if (prefer >= 0 && remaining_[prefer]) {
      auto c = ShortestCycleThrough(prefer);
      if (!c.empty()) return c;
    }
    // Every remaining node has a remaining predecessor: walk back until a node repeats.
    std::vector<int> rstart(nodes_ + 1, 0), rsorted(edges_.size());
    for (const Edge& e : edges_) ++rstart[e.to + 1];
    for (int v = 0; v < nodes_; ++v) rstart[v + 1] += rstart[v];
    {
      std::vector<int> fill(rstart.begin(), rstart.end() - 1);
      for (const Edge& e : edges_) rsorted[fill[e.to]++] = e.from;
    }
    int v =
        static_cast<int>(std::find(remaining_.begin(), remaining_.end(), 1) - remaining_.begin());
    std::vector<int> seen_at(nodes_, -1);
    for (int step = 0; seen_at[v] < 0; ++step) {
      seen_at[v] = step;
      int next = -1;
      for (int k = rstart[v]; k < rstart[v + 1] && next < 0; ++k) {
        if (remaining_[rsorted[k]]) next = rsorted[k];
      }
      v = next;
    }
    return ShortestCycleThrough(v);
  }

 private:
  struct Edge {
    int from, to;
    EdgeKind kind;
  };

  void Build() {
    start_.assign(nodes_ + 1, 0);
    for (const Edge& e : edges_) ++start_[e.from + 1];
    for (int v = 0; v < nodes_; ++v) start_[v + 1] += start_[v];
    sorted_.resize(edges_.size());
    std::vector<int> fill(start_.begin(), start_.end() - 1);
    for (const Edge& e : edges_) sorted_[fill[e.from]++] = e;
  }

  // Breadth-first over remaining nodes from s back to s; empty when s is on no cycle.
  std::vector<std::pair<int, EdgeKind>> ShortestCycleThrough(int s) {
    std::vector<int> parent(nodes_, -1);
    std::vector<EdgeKind> via(nodes_, EdgeKind::kTime);
    std::vector<int> queue = {s};
    int found = -1;
    EdgeKind closing = EdgeKind::kTime;
    for (size_t i = 0; i < queue.size() && found < 0; ++i) {
      const int v = queue[i];
      for (int k = start_[v]; k < start_[v + 1]; ++k) {
        const Edge& e = sorted_[k];
        if (!remaining_[e.to]) continue;
        if (e.to == s) {
          found = v;
          closing = e.kind;
          break;
        }
        if (parent[e.to] >= 0 || e.to == s) continue;
        parent[e.to] = v;
        via[e.to] = e.kind;
        queue.push_back(e.to);
      }
    }
    if (found < 0) return {};
    std::vector<std::pair<int, EdgeKind>> cycle = {{found, closing}};
    for (int v = found; v != s; v = parent[v]) cycle.push_back({parent[v], via[v]});
    std::reverse(cycle.begin(), cycle.end());
    return cycle;
  }

  int nodes_ = 0;
  std::vector<Edge> edges_;
  std::vector<int> start_;
  std::vector<Edge> sorted_;
  std::vector<char> remaining_;
};

// Time points: one node per invoke or completion position of the items, chained in order, so
// that "a completed before b began" is a path a -> T(ret a) -> ... -> T(inv b) -> b with O(n)
// edges. Items are nodes 0..items-1.
void AddRealTime(Graph* g, const std::vector<Item>& items) {
  std::vector<int64_t> points;
  points.reserve(items.size() * 2);
  for (const Item& it : items) {
    points.push_back(it.inv);
    if (it.ret != kNever) points.push_back(it.ret);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  const int first = g->size();
  for (size_t i = 0; i < points.size(); ++i) {
    const int node = g->AddNode();
    if (i > 0) g->AddEdge(node - 1, node, EdgeKind::kTime);
  }
  auto point = [&](int64_t p) {
    return first +
           static_cast<int>(std::lower_bound(points.begin(), points.end(), p) - points.begin());
  };
  for (size_t i = 0; i < items.size(); ++i) {
    g->AddEdge(point(items[i].inv), static_cast<int>(i), EdgeKind::kBegins);
    if (items[i].ret != kNever) {
      g->AddEdge(static_cast<int>(i), point(items[i].ret), EdgeKind::kCompletes);
    }
  }
}

class Decider {
 public:
  Decider(const Model& model, const Value& initial, const std::vector<const Operation*>& ops,
          const std::atomic<int>* stop)
      : model_(model), initial_(initial), ops_(ops), stop_(stop) {}

  UniqueOutcome Decide();

 private:
  bool Stopped() const { return stop_ != nullptr && stop_->load(std::memory_order_relaxed) != 0; }

  std::vector<Item> FullView() const {
    std::vector<Item> items;
    items.reserve(ops_.size());
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Operation& op = *ops_[i];
      const bool det = op.status != OpStatus::kInfo && op.complete_pos != Operation::kNoCompletion;
      items.push_back({static_cast<int>(i), det, static_cast<int64_t>(op.invoke_pos),
                       det ? static_cast<int64_t>(op.complete_pos) : kNever});
    }
    return items;
  }

  // The history as the search sees it when stuck at the completion at position r: what
  // completed by r must be linearized; what was running at r may or may not have taken effect
  // (a read or a mismatch observation then constrains nothing and is left out).
  std::vector<Item> PrefixView(int64_t r) const {
    std::vector<Item> items;
    for (const Item& it : full_) {
      if (it.inv >= r) continue;
      if (it.determinate && it.ret <= r) {
        items.push_back(it);
        continue;
      }
      const Operation& op = *ops_[it.op];
      if (op.f == "read" || op.f == "get" || op.status == OpStatus::kMismatch) continue;
      items.push_back({it.op, false, it.inv, kNever});
    }
    return items;
  }

  Analysis Analyze(const std::vector<Item>& items) {
    return kv_ ? AnalyzeKv(items) : set_ ? AnalyzeSet(items) : AnalyzeRegister(items);
  }
  Analysis AnalyzeKv(const std::vector<Item>& items);
  Analysis AnalyzeSet(const std::vector<Item>& items);
  Analysis AnalyzeRegister(const std::vector<Item>& items);

  // Checks a claimed linearization: every determinate item exactly once, nothing else, real
  // time respected, and (with `replay`) every step legal in the model.
  bool Certify(const std::vector<Item>& items, const std::vector<int>& order,
               bool replay = true) const;

  // "the get at event 812", "the append of `x 5 1 y` at event 700".
  std::string Name(int op) const {
    const Operation& o = *ops_[op];
    const int64_t at = o.complete_index >= 0 ? o.complete_index : o.invoke_index;
    std::string s = "the " + o.f;
    if (o.f == "append" && o.value.is_string()) s += " of " + Shown(o.value.as_string());
    if (o.f != "get" && o.f != "append") {
      const std::string d = model_.DescribeOp(o);
      if (d.size() <= 60) s = "the `" + d + "`";
    }
    s += " at event " + std::to_string(at);
    if ((o.status == OpStatus::kInfo || o.complete_index < 0) &&
        s.find("(info)") == std::string::npos) {
      s += " (indeterminate)";
    }
    return s;
  }
  std::string Events(int op) const {
    const Operation& o = *ops_[op];
    return o.complete_index >= 0 && o.status != OpStatus::kInfo
               ? "events " + std::to_string(o.invoke_index) + "-" + std::to_string(o.complete_index)
               : "from event " + std::to_string(o.invoke_index) + ", indeterminate";
  }
  // `end`: the node after every version (or -1); a step through it is about an unseen write.
  std::string DescribeCycle(const std::vector<Item>& items,
                            const std::vector<std::pair<int, EdgeKind>>& cycle, int end) const;

  const Model& model_;
  const Value& initial_;
  const std::vector<const Operation*>& ops_;
  const std::atomic<int>* stop_;
  bool kv_ = false;
  bool set_ = false;
  std::vector<Item> full_;
  int prefer_op_ = -1;  // the operation a cycle's words should start at, when on one
};

bool Decider::Certify(const std::vector<Item>& items, const std::vector<int>& order,
                      bool replay) const {
  std::vector<int> item_of(ops_.size(), -1);
  for (size_t i = 0; i < items.size(); ++i) item_of[items[i].op] = static_cast<int>(i);
  std::vector<char> placed(items.size(), 0);
  for (int op : order) {
    if (op < 0 || op >= static_cast<int>(ops_.size()) || item_of[op] < 0) return false;
    if (placed[item_of[op]]++) return false;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].determinate && !placed[i]) return false;
  }
  // Real time: nothing placed after an operation may have completed before it began.
  int64_t min_ret = kNever;
  for (size_t k = order.size(); k-- > 0;) {
    const Item& it = items[item_of[order[k]]];
    if (min_ret <= it.inv) return false;
    min_ret = std::min(min_ret, it.ret);
  }
  if (!replay) return true;
  Value state = initial_;
  for (int op : order) {
    Value next;
    if (!model_.Step(state, *ops_[op], &next, nullptr)) return false;
    state = std::move(next);
  }
  return true;
}

std::string Decider::DescribeCycle(const std::vector<Item>& items,
                                   const std::vector<std::pair<int, EdgeKind>>& cycle,
                                   int end) const {
  const int n = static_cast<int>(items.size());
  auto is_op = [&](int node) { return node < n; };
  // Rotate so that the cycle starts at an operation.
  size_t start = 0;
  while (start < cycle.size() && !is_op(cycle[start].first)) ++start;
  if (start == cycle.size()) return "a cycle of constraints";
  std::vector<std::pair<int, EdgeKind>> c(cycle.begin() + start, cycle.end());
  c.insert(c.end(), cycle.begin(), cycle.begin() + start);
  // Steps between consecutive operations: (from op, to op, how).
  struct Step {
    int from, to;
    EdgeKind kind;  // kCompletes: a real-time path; kUnseen: one through the end node
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < c.size();) {
    const int from = items[c[i].first].op;
    EdgeKind kind = c[i].second;
    size_t j = i + 1;
    bool via_end = false;
    for (; j < c.size() && !is_op(c[j].first); ++j) via_end |= c[j].first == end;
    const int to = items[c[j % c.size()].first].op;
    if (j > i + 1 && kind != EdgeKind::kCompletes) {
      kind = via_end ? EdgeKind::kUnseen : EdgeKind::kVersion;
    }
    steps.push_back({from, to, kind});
    i = j;
  }
  auto value_of = [&](int op) {
    const Value& v = ops_[op]->value;
    if (v.is_string()) return Shown(v.as_string());
    const std::string json = v.ToJson();
    if (v.is_array() && json.size() > 48) {
      return std::to_string(v.as_array().size()) + " elements";
    }
    return "`" + json + "`";
  };
  auto reader = [&](int op) { return ops_[op]->f == "get" || ops_[op]->f == "read"; };
  // The common case in words of its own: a read that missed a write that completed first.
  if (steps.size() == 2) {
    for (int k = 0; k < 2; ++k) {
      const Step& a = steps[k];
      const Step& b = steps[1 - k];
      if (a.kind != EdgeKind::kCompletes && b.kind == EdgeKind::kCompletes && reader(a.from) &&
          !reader(a.to)) {
        return Name(a.from) + " saw " + value_of(a.from) + " but not " + value_of(a.to) +
               ", whose " + ops_[a.to]->f + " (" + Events(a.to) + ") completed before that " +
               ops_[a.from]->f + " began";
      }
    }
  }
  std::string out = "these constraints form a cycle: ";
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (i > 0) out += "; ";
    if (s.kind == EdgeKind::kCompletes) {
      out += Name(s.from) + " completed before " + Name(s.to) + " began";
    } else if (reader(s.from) && !reader(s.to)) {
      out += Name(s.from) + " did not see " + value_of(s.to) + ", so it came before " + Name(s.to);
    } else if (!reader(s.from) && reader(s.to)) {
      out += Name(s.to) + " saw " + value_of(s.from) + ", so it came after " + Name(s.from);
    } else if (s.kind == EdgeKind::kUnseen) {
      out += "no read saw " + value_of(s.to) + ", so " + Name(s.to) + " came after " + Name(s.from);
    } else if (!reader(s.from) && !reader(s.to)) {
      out += "the reads show " + value_of(s.from) + " before " + value_of(s.to) + ", so " +
             Name(s.from) + " came before " + Name(s.to);
    } else {
      out += Name(s.from) + " came before " + Name(s.to);
    }
  }
  return out;
}

// kv: get -> string, append string. See the header for the argument.
Analysis Decider::AnalyzeKv(const std::vector<Item>& items) {
  const int n = static_cast<int>(items.size());
  std::unordered_map<std::string_view, int> token;  // appended string -> item
  std::vector<size_t> lengths;
  int longest = -1;  // the item of the longest get
  std::vector<int> gets;
  for (int i = 0; i < n; ++i) {
    const Operation& op = *ops_[items[i].op];
    if (op.f == "get") {
      if (!op.value.is_string() && !op.value.is_null()) return Unknown("a get of a non-string");
      gets.push_back(i);
      const size_t len = op.value.is_string() ? op.value.as_string().size() : 0;
      if (longest < 0 || len > (ops_[items[longest].op]->value.is_string()
                                    ? ops_[items[longest].op]->value.as_string().size()
                                    : 0)) {
        longest = i;
      }
    } else if (op.f == "append") {
      if (!op.value.is_string()) return Unknown("an append of a non-string");
      const std::string& s = op.value.as_string();
      if (s.empty()) continue;  // changes nothing: placed by real time alone
      if (!token.emplace(s, i).second) return Unknown("the string " + Shown(s) + " appended twice");
      if (std::find(lengths.begin(), lengths.end(), s.size()) == lengths.end()) {
        if (lengths.size() >= 64) return Unknown("appended strings of too many lengths");
        lengths.push_back(s.size());
      }
    } else {
      return Unknown("a " + op.f + " (only get and append are decided without search)");
    }
  }
  auto text = [&](int item) -> std::string_view {
    const Value& v = ops_[items[item].op]->value;
    return v.is_string() ? std::string_view(v.as_string()) : std::string_view();
  };
  const std::string_view whole = longest >= 0 ? text(longest) : std::string_view();
  // Every get is a prefix of the longest: appends only extend the value.
  for (int g : gets) {
    const std::string_view s = text(g);
    if (whole.substr(0, s.size()) != s) {
      Analysis a = Invalid(Name(items[g].op) + " saw " + Shown(std::string(s)) + " and " +
                           Name(items[longest].op) + " saw " + Shown(std::string(whole)) +
                           ": neither is a prefix of the other, but appends only extend the value");
      a.cycle_op = items[g].op;
      return a;
    }
  }
  // Parse the longest get into appended strings; each step must have exactly one candidate.
  std::vector<int> version_writer;  // item of the i-th appended string (version i+1)
  std::vector<size_t> boundary = {0};
  std::vector<char> used(n, 0);
  for (size_t pos = 0; pos < whole.size();) {
    int match = -1, matches = 0;
    for (size_t len : lengths) {
      if (pos + len > whole.size()) continue;
      auto it = token.find(whole.substr(pos, len));
      if (it == token.end()) continue;
      match = it->second;
      ++matches;
    }
    if (matches > 1) return Unknown("the longest get parses into appended strings in two ways");
    if (matches == 0) {
      Analysis a =
          Invalid(Name(items[longest].op) + " saw " + Shown(std::string(whole)) +
                  ", which no sequence of the appends makes: no appended string "
                  "starts at its offset " +
                  std::to_string(pos) + " (" + Shown(std::string(whole.substr(pos, 24))) + ")");
      a.cycle_op = items[longest].op;
      return a;
    }
    if (used[match]++) {
      Analysis a = Invalid(Name(items[longest].op) + " saw " +
                           Shown(ops_[items[match].op]->value.as_string()) + " twice, but " +
                           Name(items[match].op) + " appended it once");
      a.cycle_op = items[longest].op;
      return a;
    }
    version_writer.push_back(match);
    pos += text(match).size();
    boundary.push_back(pos);
  }
  const int versions = static_cast<int>(version_writer.size());
  // The version each get saw.
  std::vector<int> version_of(n, -1);
  for (int g : gets) {
    const size_t len = text(g).size();
    auto it = std::lower_bound(boundary.begin(), boundary.end(), len);
    if (it == boundary.end() || *it != len) {
      Analysis a = Invalid(Name(items[g].op) + " saw " + Shown(std::string(text(g))) +
                           ", which ends inside an appended string (" +
                           Shown(std::string(text(version_writer[it - boundary.begin() - 1]))) +
                           "): an append takes effect whole");
      a.cycle_op = items[g].op;
      return a;
    }
    version_of[g] = static_cast<int>(it - boundary.begin());
  }
  if (Stopped()) return Unknown("stopped");
  // Appends no get saw: a determinate one comes after everything the gets saw, and after every
  // get; an indeterminate one is left out (it may never have taken effect). The kept items are
  // the graph's nodes 0..m-1; then the end of what gets saw, then time points.
  std::vector<Item> kept;
  std::vector<int> node_of(n, -1);
  std::vector<char> unseen(n, 0);
  for (int i = 0; i < n; ++i) {
    const Operation& op = *ops_[items[i].op];
    unseen[i] = op.f == "append" && !op.value.as_string().empty() && !used[i];
    if (unseen[i] && !items[i].determinate) continue;
    node_of[i] = static_cast<int>(kept.size());
    kept.push_back(items[i]);
  }
  Graph g;
  for (size_t i = 0; i < kept.size(); ++i) g.AddNode();
  const int end = g.AddNode();
  for (int v = 0; v + 1 < versions; ++v) {
    g.AddEdge(node_of[version_writer[v]], node_of[version_writer[v + 1]], EdgeKind::kVersion);
  }
  if (versions > 0) g.AddEdge(node_of[version_writer[versions - 1]], end, EdgeKind::kLast);
  for (int x : gets) {
    const int v = version_of[x];
    if (v > 0) g.AddEdge(node_of[version_writer[v - 1]], node_of[x], EdgeKind::kReadsFrom);
    if (v < versions) {
      g.AddEdge(node_of[x], node_of[version_writer[v]], EdgeKind::kAnti);
    } else {
      g.AddEdge(node_of[x], end, EdgeKind::kLast);
    }
  }
  for (int i = 0; i < n; ++i) {
    if (unseen[i] && node_of[i] >= 0) g.AddEdge(end, node_of[i], EdgeKind::kUnseen);
  }
  AddRealTime(&g, kept);
  std::vector<int> order;
  const int m = static_cast<int>(kept.size());
  if (!g.TopoSort(&order)) {
    // The failing operation, when it is on a cycle, starts the words.
    int prefer = -1;
    for (int i = 0; i < m; ++i) {
      if (kept[i].op == prefer_op_) prefer = i;
    }
    Analysis a = Invalid(DescribeCycle(kept, g.Cycle(prefer), end));
    return a;
  }
  Analysis a;
  for (int node : order) {
    if (node < m) a.order.push_back(kept[node].op);
  }
  if (!Certify(items, a.order)) return Unknown("the inferred order did not replay (a bug)");
  a.answer = Answer::kValid;
  return a;
}

// set: add x, read -> the whole set. With every element added once, the reads must form a
// chain under inclusion (adds only grow the set), which pins the version order up to the order
// of the adds between two consecutive versions, which nothing observes. Gates between versions
// keep the graph linear: the reads of version j-1 -> in_j -> the adds new in version j -> out_j
// -> the reads of version j and in_{j+1}.
Analysis Decider::AnalyzeSet(const std::vector<Item>& items) {
  const int n = static_cast<int>(items.size());
  // Elements by canonical JSON, as the set model tells them apart. Doubles (whose text may
  // equal an integer's) and ambiguous values go to the search.
  auto plain = [](const Value& v) { return !v.is_double() && !Ambiguous(v); };
  std::unordered_map<std::string, int> element;  // -> the item that added it
  std::vector<int> reads;
  for (int i = 0; i < n; ++i) {
    const Operation& op = *ops_[items[i].op];
    if (op.f == "add") {
      if (!plain(op.value)) return Unknown("an element the fast path does not compare");
      if (!element.emplace(op.value.ToJson(), i).second) {
        return Unknown("the element `" + op.value.ToJson() + "` added twice");
      }
    } else if (op.f == "read" && op.value.is_array()) {
      reads.push_back(i);
    } else {
      return Unknown("a " + op.f + " the fast path does not take");
    }
  }
  // Each read as the sorted items that added what it saw.
  std::vector<std::vector<int>> seen(reads.size());
  for (size_t r = 0; r < reads.size(); ++r) {
    const Operation& op = *ops_[items[reads[r]].op];
    for (const Value& e : op.value.as_array()) {
      if (!plain(e)) return Unknown("an element the fast path does not compare");
      auto it = element.find(e.ToJson());
      if (it == element.end()) {
        Analysis a = Invalid(Name(items[reads[r]].op) + " saw `" + e.ToJson() +
                             "`, which no operation added");
        a.cycle_op = items[reads[r]].op;
        return a;
      }
      seen[r].push_back(it->second);
    }
    std::sort(seen[r].begin(), seen[r].end());
    seen[r].erase(std::unique(seen[r].begin(), seen[r].end()), seen[r].end());
  }
  std::vector<int> by_size(reads.size());
  for (size_t r = 0; r < reads.size(); ++r) by_size[r] = static_cast<int>(r);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](int a, int b) { return seen[a].size() < seen[b].size(); });
  // Versions: the distinct sets, each containing the one before.
  std::vector<int> version_of(reads.size(), 0);
  std::vector<std::vector<int>> fresh;  // per version (from 1), the items new in it
  const std::vector<int> empty;
  const std::vector<int>* last = &empty;
  int last_read = -1;
  for (int r : by_size) {
    const std::vector<int>& cur = seen[r];
    if (cur != *last) {
      std::vector<int> lacking;
      std::set_difference(last->begin(), last->end(), cur.begin(), cur.end(),
                          std::back_inserter(lacking));
      if (!lacking.empty()) {
        Analysis a = Invalid(Name(items[reads[last_read]].op) + " saw " +
                             ("`" + ops_[items[lacking[0]].op]->value.ToJson() + "`") + " but " +
                             Name(items[reads[r]].op) +
                             " did not, though it saw as many elements or more: an element once "
                             "added never leaves the set");
        a.cycle_op = items[reads[r]].op;
        return a;
      }
      fresh.emplace_back();
      std::set_difference(cur.begin(), cur.end(), last->begin(), last->end(),
                          std::back_inserter(fresh.back()));
      last = &cur;
    }
    version_of[r] = static_cast<int>(fresh.size());
    last_read = r;
  }
  if (Stopped()) return Unknown("stopped");
  const int versions = static_cast<int>(fresh.size());
  std::vector<char> used(n, 0);
  for (const std::vector<int>& f : fresh) {
    for (int i : f) used[i] = 1;
  }
  std::vector<Item> kept;
  std::vector<int> node_of(n, -1);
  for (int i = 0; i < n; ++i) {
    const bool unseen = ops_[items[i].op]->f == "add" && !used[i];
    if (unseen && !items[i].determinate) continue;
    node_of[i] = static_cast<int>(kept.size());
    kept.push_back(items[i]);
  }
  Graph g;
  for (size_t i = 0; i < kept.size(); ++i) g.AddNode();
  const int gates = g.size();
  for (int j = 0; j < versions; ++j) {
    g.AddNode();  // in_{j+1}: gates + 2j
    g.AddNode();  // out_{j+1}: gates + 2j + 1
  }
  const int end = g.AddNode();
  auto in = [&](int j) { return j <= versions ? gates + 2 * (j - 1) : end; };  // j >= 1
  auto out = [&](int j) { return gates + 2 * (j - 1) + 1; };
  for (int j = 1; j <= versions; ++j) {
    for (int i : fresh[j - 1]) {
      g.AddEdge(in(j), node_of[i], EdgeKind::kVersion);
      g.AddEdge(node_of[i], out(j), EdgeKind::kVersion);
    }
    g.AddEdge(in(j), out(j), EdgeKind::kVersion);
    g.AddEdge(out(j), in(j + 1), EdgeKind::kVersion);
  }
  for (size_t r = 0; r < reads.size(); ++r) {
    const int j = version_of[r];
    const int node = node_of[reads[r]];
    if (j > 0) g.AddEdge(out(j), node, EdgeKind::kReadsFrom);
    g.AddEdge(node, in(j + 1), EdgeKind::kAnti);
  }
  for (int i = 0; i < n; ++i) {
    if (ops_[items[i].op]->f == "add" && !used[i] && node_of[i] >= 0) {
      g.AddEdge(end, node_of[i], EdgeKind::kUnseen);
    }
  }
  AddRealTime(&g, kept);
  std::vector<int> order;
  const int m = static_cast<int>(kept.size());
  if (!g.TopoSort(&order)) {
    int prefer = -1;
    for (int i = 0; i < m; ++i) {
      if (kept[i].op == prefer_op_) prefer = i;
    }
    return Invalid(DescribeCycle(kept, g.Cycle(prefer), end));
  }
  Analysis a;
  for (int node : order) {
    if (node < m) a.order.push_back(kept[node].op);
  }
  // The replay, on element numbers (the model's own step would sort the whole set per add).
  if (!Certify(items, a.order, false)) return Unknown("the inferred order did not replay (a bug)");
  std::vector<int> item_of(ops_.size(), -1);
  for (int i = 0; i < n; ++i) item_of[items[i].op] = i;
  std::vector<int> read_of(n, -1);
  for (size_t r = 0; r < reads.size(); ++r) read_of[reads[r]] = static_cast<int>(r);
  std::vector<char> present(n, 0);
  size_t count = 0;
  for (int op : a.order) {
    const int i = item_of[op];
    if (read_of[i] < 0) {
      if (!present[i]) ++count;
      present[i] = 1;
      continue;
    }
    const std::vector<int>& s = seen[read_of[i]];
    if (s.size() != count ||
        !std::all_of(s.begin(), s.end(), [&](int e) { return present[e] != 0; })) {
      return Unknown("the inferred order did not replay (a bug)");
    }
  }
  a.answer = Answer::kValid;
  return a;
}

// register and cas-register: read -> v, write v, cas [from, to]. See the header.
Analysis Decider::AnalyzeRegister(const std::vector<Item>& items) {
  const int n = static_cast<int>(items.size());
  enum Kind : uint8_t { kRead, kWrite, kCas, kMismatchCas };
  // Values by kind and canonical JSON (integers, the common case, without printing them).
  std::unordered_map<std::string, int> ids;
  std::unordered_map<int64_t, int> int_ids;
  std::vector<const Value*> values;
  auto intern = [&](const Value& v) {
    if (v.is_int()) {
      auto [it, inserted] = int_ids.try_emplace(v.as_int(), static_cast<int>(values.size()));
      if (inserted) values.push_back(&v);
      return it->second;
    }
    std::string key(1, static_cast<char>(v.kind()));
    v.AppendJson(&key);
    auto [it, inserted] = ids.try_emplace(std::move(key), static_cast<int>(values.size()));
    if (inserted) values.push_back(&v);
    return it->second;
  };
  ids.reserve(items.size());
  int_ids.reserve(items.size());
  auto shown = [&](int v) { return "`" + values[v]->ToJson() + "`"; };
  // "`1050`", or "`1050` or a value a cas made from it (`1056`, `1062`)" for a cas chain.
  auto chain_words = [&](const std::vector<int>& chain) {
    std::string out = shown(chain[0]);
    if (chain.size() < 2) return out;
    out += " or a value a cas made from it (";
    for (size_t i = 1; i < chain.size() && i <= 4; ++i)
      out += (i > 1 ? ", " : "") + shown(chain[i]);
    return out + (chain.size() > 5 ? ", ...)" : ")");
  };
  intern(initial_);  // value 0
  std::vector<uint8_t> kind(n);
  std::vector<int> from(n, -1), to(n, -1);
  for (int i = 0; i < n; ++i) {
    const Operation& op = *ops_[items[i].op];
    if (!op.value.is_int() && Ambiguous(op.value)) {
      return Unknown("a value whose JSON is ambiguous (NaN, or one that matches anything)");
    }
    if (op.f == "read") {
      kind[i] = kRead;
      from[i] = intern(op.value);
    } else if (op.f == "write") {
      kind[i] = kWrite;
      to[i] = intern(op.value);
    } else if (op.f == "cas" && op.value.is_array() && op.value.as_array().size() == 2) {
      from[i] = intern(op.value.as_array()[0]);
      if (op.status == OpStatus::kMismatch) {
        kind[i] = kMismatchCas;
      } else {
        kind[i] = kCas;
        to[i] = intern(op.value.as_array()[1]);
      }
    } else {
      return Unknown("an operation " + op.f);
    }
  }
  const int num_values = static_cast<int>(values.size());
  std::vector<int> writer(num_values, -1);
  for (int i = 0; i < n; ++i) {
    if (to[i] < 0) continue;
    if (to[i] == 0) return Unknown("a write of the initial value " + shown(0));
    if (writer[to[i]] >= 0) return Unknown("the value " + shown(to[i]) + " written twice");
    writer[to[i]] = i;
  }
  // Forced: what every linearization holds. Determinate operations; and an indeterminate write
  // whose value a forced operation observed (nothing else writes it).
  std::vector<char> forced(n, 0), observed(num_values, 0);
  std::vector<int> work;
  auto observe = [&](int v) {
    if (!observed[v]) {
      observed[v] = 1;
      work.push_back(v);
    }
  };
  for (int i = 0; i < n; ++i) {
    if (!items[i].determinate) continue;
    forced[i] = 1;
    if (kind[i] == kRead || kind[i] == kCas) observe(from[i]);
  }
  while (!work.empty()) {
    const int w = writer[work.back()];
    work.pop_back();
    if (w < 0 || forced[w]) continue;
    forced[w] = 1;
    if (kind[w] == kCas) observe(from[w]);
  }
  auto observes = [&](int i) { return forced[i] && (kind[i] == kRead || kind[i] == kCas); };
  for (int i = 0; i < n; ++i) {
    if (!observes(i) || from[i] == 0 || writer[from[i]] >= 0) continue;
    Analysis a =
        Invalid(Name(items[i].op) + (kind[i] == kRead ? " read " : " found the register holding ") +
                shown(from[i]) + ", which no operation wrote (and the register starts at " +
                shown(0) + ")");
    a.cycle_op = items[i].op;
    return a;
  }
  // A forced cas [a, b] pins b right after a: at most one per a.
  std::vector<int> succ(num_values, -1);
  for (int i = 0; i < n; ++i) {
    if (!forced[i] || kind[i] != kCas) continue;
    if (succ[from[i]] >= 0) {
      Analysis a = Invalid(Name(items[succ[from[i]]].op) + " and " + Name(items[i].op) +
                           " both moved the register from " + shown(from[i]) +
                           ", which is written only once");
      a.cycle_op = items[i].op;
      return a;
    }
    succ[from[i]] = i;
  }
  // A read that completed before the write of its value began.
  for (int i = 0; i < n; ++i) {
    if (!observes(i) || from[i] == 0) continue;
    const int w = writer[from[i]];
    if (items[i].ret < items[w].inv) {
      Analysis a = Invalid(Name(items[i].op) + " saw " + shown(from[i]) + ", but " +
                           Name(items[w].op) + ", the only write of it, began after that " +
                           ops_[items[i].op]->f + " completed");
      a.cycle_op = items[i].op;
      return a;
    }
  }
  if (Stopped()) return Unknown("stopped");
  // The construction, over `included`: the forced items, and on a second try also the
  // indeterminate writes nothing observed (each may have taken effect, which a mismatch
  // observation may need: the register held something else for a while). They make chains of
  // their own that are never forward nor inside a forward zone, so the contradictions below can
  // only come from forced items.
  auto construct = [&](const std::vector<char>& included) -> Analysis {
    // Chains: the initial value and each written value start one; forced cas extend them.
    std::vector<int> seg(num_values, -1);
    std::vector<std::vector<int>> chains;
    auto chain_from = [&](int head) {
      const int s = static_cast<int>(chains.size());
      chains.emplace_back();
      for (int v = head; v >= 0;) {
        if (seg[v] >= 0) return false;
        seg[v] = s;
        chains[s].push_back(v);
        v = succ[v] >= 0 ? to[succ[v]] : -1;
      }
      return true;
    };
    if (!chain_from(0)) return Unknown("a cycle of cas");
    for (int i = 0; i < n; ++i) {
      if (included[i] && kind[i] == kWrite && !chain_from(to[i])) return Unknown("a cycle of cas");
    }
    for (int v = 1; v < num_values; ++v) {
      if (writer[v] >= 0 && included[writer[v]] && seg[v] < 0) return Unknown("a cycle of cas");
    }
    // Zones: a chain holds the register throughout [the first completion, the last invocation]
    // of its operations when that span is not empty (forward), and two chains cannot both.
    struct Zone {
      int64_t lo = kNever, hi = -1;  // min completion, max invocation
      int lo_item = -1, hi_item = -1;
      bool forward() const { return lo < hi; }
    };
    const int num_chains = static_cast<int>(chains.size());
    std::vector<Zone> zone(num_chains);
    auto touch = [&](int s, int i) {
      Zone& z = zone[s];
      if (items[i].ret < z.lo) {
        z.lo = items[i].ret;
        z.lo_item = i;
      }
      if (items[i].inv > z.hi) {
        z.hi = items[i].inv;
        z.hi_item = i;
      }
    };
    for (int i = 0; i < n; ++i) {
      if (!included[i]) continue;
      if (to[i] >= 0) touch(seg[to[i]], i);
      if (kind[i] == kRead || kind[i] == kCas) touch(seg[from[i]], i);
    }
    zone[0].lo = -1;  // the initial value holds from the start
    zone[0].lo_item = -1;
    auto span = [&](int s) {
      const Zone& z = zone[s];
      std::string out =
          z.lo_item >= 0 ? "from " + Name(items[z.lo_item].op) + " completing" : "from the start";
      return out + " until " + Name(items[z.hi_item].op) + " began, the register holds " +
             chain_words(chains[s]);
    };
    auto verb = [&](int i) {  // what operation i did to the register: "saw `3`"
      if (kind[i] == kRead) return "saw " + shown(from[i]);
      if (kind[i] == kCas) return "found " + shown(from[i]);
      return "wrote " + shown(to[i]);
    };
    std::vector<int> forward;
    for (int s = 0; s < num_chains; ++s) {
      if (zone[s].forward()) forward.push_back(s);
    }
    std::sort(forward.begin(), forward.end(),
              [&](int a, int b) { return zone[a].lo < zone[b].lo; });
    for (size_t k = 1; k < forward.size(); ++k) {
      const int a = forward[k - 1], b = forward[k];
      if (zone[b].lo < zone[a].hi) {
        Analysis r = Invalid(span(a) + "; but " + span(b) +
                             ", and these spans overlap (a value written once cannot come back)");
        r.cycle_op = items[zone[b].lo_item].op;
        return r;
      }
    }
    // Backward chains (all their operations overlap a common instant) are placed at an instant
    // of that span outside every forward zone; inside one, they contradict it. Which instant is
    // a choice: the first one (early), else the last one (late).
    std::vector<int64_t> early(num_chains, 0), late(num_chains, 0), middle(num_chains, 0);
    for (int s = 1; s < num_chains; ++s) {
      const Zone& z = zone[s];
      if (z.forward()) {
        early[s] = late[s] = middle[s] = 2 * z.lo;
        continue;
      }
      auto containing = [&](int64_t p) -> int {  // the forward zone around p, or -1
        auto it = std::upper_bound(forward.begin(), forward.end(), p,
                                   [&](int64_t q, int f) { return q < zone[f].lo; });
        if (it == forward.begin() || p > zone[*(it - 1)].hi) return -1;
        return *(it - 1);
      };
      early[s] = 2 * z.hi;
      if (const int f = containing(z.hi); f >= 0) {
        if (z.lo <= zone[f].hi) {
          // "the read at event 9 saw `0`, but the `write 1` at event 3 took effect after the
          // start and before that read began".
          const Zone& h = zone[f];
          const int w = writer[chains[s][0]];
          Analysis r = Invalid(
              Name(items[h.hi_item].op) + " " + verb(h.hi_item) + ", so from " +
              (h.lo_item >= 0 ? Name(items[h.lo_item].op) + " completing" : "the start") +
              " until that " + ops_[items[h.hi_item].op]->f + " began, the register must hold " +
              chain_words(chains[f]) + "; but " + Name(items[w].op) +
              (chains[s].size() > 1 || z.lo_item != w || z.hi_item != w
                   ? " and the operations that used " + shown(chains[s][0]) + " after it"
                   : "") +
              " had to take effect inside that span (a value written once cannot come back)");
          r.cycle_op = items[h.hi_item].op;
          return r;
        }
        early[s] = 2 * zone[f].hi + 1;
      }
      if (z.lo == kNever) {
        late[s] = std::numeric_limits<int64_t>::max();
      } else if (const int f = containing(z.lo); f >= 0) {
        late[s] = 2 * zone[f].lo - 1;
      } else {
        late[s] = 2 * z.lo - 1;
      }
      middle[s] = z.lo == kNever ? early[s] : std::max(early[s], z.hi + z.lo);
    }
    std::vector<Item> kept;
    std::vector<int> node_of(n, -1);
    for (int i = 0; i < n; ++i) {
      if (!included[i]) continue;
      node_of[i] = static_cast<int>(kept.size());
      kept.push_back(items[i]);
    }
    auto writer_node = [&](int v) { return v == 0 ? -1 : node_of[writer[v]]; };
    // One attempt: the chains in the order of `key`, a mismatch observation placed after the
    // write that ends its value's life (else before the write that starts it; `before_first`
    // tries them the other way round); then the graph, a topological order, and its replay.
    auto attempt = [&](const std::vector<int64_t>& key, bool before_first) -> Analysis {
      std::vector<int> chain_order(num_chains - 1);
      for (int s = 1; s < num_chains; ++s) chain_order[s - 1] = s;
      std::sort(chain_order.begin(), chain_order.end(), [&](int a, int b) {
        if (key[a] != key[b]) return key[a] < key[b];
        return zone[a].lo < zone[b].lo;
      });
      chain_order.insert(chain_order.begin(), 0);
      std::vector<int> version;
      for (int s : chain_order) version.insert(version.end(), chains[s].begin(), chains[s].end());
      std::vector<int> place(num_values, -1);
      for (size_t k = 0; k < version.size(); ++k) place[version[k]] = static_cast<int>(k);
      Graph g;
      for (size_t i = 0; i < kept.size(); ++i) g.AddNode();
      for (size_t k = 0; k + 1 < version.size(); ++k) {
        const int w = writer_node(version[k]);
        if (w >= 0) g.AddEdge(w, writer_node(version[k + 1]), EdgeKind::kVersion);
      }
      for (int i = 0; i < n; ++i) {
        if (!observes(i)) continue;
        const int v = from[i];
        if (v != 0) g.AddEdge(writer_node(v), node_of[i], EdgeKind::kReadsFrom);
        const size_t k = static_cast<size_t>(place[v]);
        if (k + 1 < version.size() && writer_node(version[k + 1]) != node_of[i]) {
          g.AddEdge(node_of[i], writer_node(version[k + 1]), EdgeKind::kAnti);
        }
      }
      for (int i = 0; i < n; ++i) {
        if (!forced[i] || kind[i] != kMismatchCas) continue;
        const int v = from[i];
        if (v != 0 && (writer[v] < 0 || !included[writer[v]])) continue;  // never the value
        const size_t k = static_cast<size_t>(place[v]);
        const int next = k + 1 < version.size() ? writer_node(version[k + 1]) : -1;
        const bool after = next >= 0 && kept[next].inv < items[i].ret;
        const bool before = v != 0 && !(items[writer[v]].ret < items[i].inv);
        if (after && (!before_first || !before)) {
          g.AddEdge(next, node_of[i], EdgeKind::kMismatch);
        } else if (before) {
          g.AddEdge(node_of[i], writer_node(v), EdgeKind::kMismatch);
        } else {
          return Unknown("a mismatch observation the chosen order cannot place");
        }
      }
      AddRealTime(&g, kept);
      std::vector<int> order;
      if (!g.TopoSort(&order)) return Unknown("the order chosen for the chains did not work out");
      Analysis a;
      const int m = static_cast<int>(kept.size());
      for (int node : order) {
        if (node < m) a.order.push_back(kept[node].op);
      }
      if (!Certify(items, a.order)) return Unknown("the inferred order did not replay (a bug)");
      a.answer = Answer::kValid;
      return a;
    };
    Analysis first;
    // The middle of the span, after the first instant outside forward zones, last.
    const std::vector<int64_t>* keys[] = {&early, &late, &middle};
    for (int strategy = 0; strategy < 6; ++strategy) {
      if (Stopped()) return Unknown("stopped");
      Analysis a = attempt(*keys[strategy % 3], strategy >= 3);
      if (a.answer == Answer::kValid) return a;
      if (strategy == 0) first = std::move(a);
    }
    return first;
  };
  Analysis result = construct(forced);
  if (result.answer != Answer::kUnknown) return result;
  std::vector<char> with_optional = forced;
  bool optional = false;
  for (int i = 0; i < n; ++i) {
    if (!forced[i] && kind[i] == kWrite) {
      with_optional[i] = 1;
      optional = true;
    }
  }
  if (!optional || Stopped()) return result;
  Analysis second = construct(with_optional);
  return second.answer == Answer::kValid ? second : result;
}

UniqueOutcome Decider::Decide() {
  UniqueOutcome out;
  const std::string_view name = model_.name();
  kv_ = name == "kv";
  set_ = name == "set";
  if (!kv_ && !set_ && name != "register" && name != "cas-register") {
    out.not_applicable = "model " + std::string(name);
    return out;
  }
  if (kv_ && !(initial_.is_string() && initial_.as_string().empty())) {
    out.not_applicable = "a non-empty initial value";
    return out;
  }
  if (set_ && !(initial_.is_array() && initial_.as_array().empty())) {
    out.not_applicable = "a non-empty initial set";
    return out;
  }
  full_ = FullView();
  Analysis full = Analyze(full_);
  if (full.answer == Answer::kUnknown) {
    out.not_applicable = full.why;
    return out;
  }
  if (full.answer == Answer::kValid) {
    out.kind = UniqueOutcome::Kind::kValid;
    return out;
  }
  // The failing operation is the search's: the first completion r whose prefix (what completed
  // by r must be linearized, what was running may be) is not linearizable. Invalid prefixes
  // only grow, so a binary search over completions finds it.
  std::vector<std::pair<int64_t, int>> returns;
  for (const Item& it : full_) {
    if (it.determinate) returns.push_back({it.ret, it.op});
  }
  std::sort(returns.begin(), returns.end());
  auto invalid_at = [&](size_t k, Analysis* a) {
    prefer_op_ = returns[k].second;
    *a = Analyze(PrefixView(returns[k].first));
    return a->answer == Answer::kInvalid;
  };
  Analysis at;
  if (returns.empty() || !invalid_at(returns.size() - 1, &at)) {
    out.not_applicable = "no prefix found invalid";
    return out;
  }
  size_t lo = 0, hi = returns.size() - 1;  // invalid at hi
  Analysis found = at;
  while (lo < hi) {
    if (Stopped()) {
      out.not_applicable = "stopped";
      return out;
    }
    const size_t mid = lo + (hi - lo) / 2;
    if (invalid_at(mid, &at)) {
      hi = mid;
      found = at;
    } else {
      lo = mid + 1;
    }
  }
  if (found.answer != Answer::kInvalid || prefer_op_ != returns[hi].second) {
    invalid_at(hi, &found);
  }
  Analysis before;
  if (hi > 0) {
    before = Analyze(PrefixView(returns[hi - 1].first));
    if (before.answer != Answer::kValid) {
      out.not_applicable = "the prefix before the failing operation is not decided";
      return out;
    }
  }
  out.kind = UniqueOutcome::Kind::kInvalid;
  out.failing_op = returns[hi].second;
  out.prefix = before.order;
  Value state = initial_;
  for (int op : out.prefix) {
    Value next;
    if (model_.Step(state, *ops_[op], &next, nullptr)) state = std::move(next);
  }
  out.states.push_back(std::move(state));
  out.reason = found.why;
  if (!kv_ && !set_) {
    // As the search's reasons begin ("read 0, but the register holds 1 or 2"): the operation.
    const Operation& f = *ops_[out.failing_op];
    out.reason =
        (f.f == "read" ? "read " + f.value.ToJson() : model_.DescribeOp(f)) + ": " + found.why;
  }
  return out;
}

}  // namespace

UniqueOutcome DecideUniqueValues(const Model& model, const Value& initial,
                                 const std::vector<const Operation*>& ops,
                                 const std::atomic<int>* stop) {
  if (ops.empty()) {
    UniqueOutcome out;
    out.kind = UniqueOutcome::Kind::kValid;
    return out;
  }
  return Decider(model, initial, ops, stop).Decide();
}

}  // namespace faultline::checker
