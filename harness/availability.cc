#include "harness/availability.h"

#include <cstdio>
#include <set>

#include "harness/backoff.h"

namespace faultline::harness {

using checker::EventType;
using checker::Value;

std::vector<NodeAvailability> ComputeAvailability(const checker::History& history,
                                                  const std::vector<std::string>& worker_nodes,
                                                  int64_t max_worker_process) {
  std::vector<NodeAvailability> out;
  std::map<std::string, size_t> index;
  for (const std::string& node : worker_nodes) {
    if (index.emplace(node, out.size()).second) out.push_back(NodeAvailability{node, {}, {}});
  }
  if (worker_nodes.empty()) return out;
  const auto concurrency = static_cast<int64_t>(worker_nodes.size());
  std::multiset<std::string> active;  // fault kinds started and not yet stopped
  for (const checker::Event& e : history.events) {
    if (e.nemesis) {
      if (e.f.rfind("start-", 0) == 0) active.insert(e.f.substr(6));
      if (e.f.rfind("stop-", 0) == 0) {
        auto it = active.find(e.f.substr(5));
        if (it != active.end()) active.erase(it);
      }
      continue;
    }
    if (e.type == EventType::kInvoke || e.process < 0 || e.process > max_worker_process) continue;
    NodeAvailability& n = out[index[worker_nodes[e.process % concurrency]]];
    // Served: ok, or a definite answer of a serving node (a cas mismatch is the node working).
    const bool ok = e.type == EventType::kOk ||
                    (e.type == EventType::kFail && !NodeUnavailable(e.type, e.error));
    auto add = [ok](AvailabilityCount& c) {
      c.ok += ok;
      ++c.total;
    };
    add(n.overall);
    if (active.empty()) add(n.during["none"]);
    for (const std::string& kind : std::set<std::string>(active.begin(), active.end())) {
      add(n.during[kind]);
    }
  }
  return out;
}

namespace {

Value CountValue(const AvailabilityCount& c) {
  return Value::MakeObject({{"ok", Value::Int(static_cast<int64_t>(c.ok))},
                            {"total", Value::Int(static_cast<int64_t>(c.total))},
                            {"share", Value::Double(c.share())}});
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * share);
  return buf;
}

}  // namespace

Value AvailabilityValue(const std::vector<NodeAvailability>& nodes) {
  Value::Object o;
  for (const NodeAvailability& n : nodes) {
    Value::Object during;
    for (const auto& [kind, c] : n.during) during.emplace_back(kind, CountValue(c));
    Value node = CountValue(n.overall);
    Value::Object fields = node.as_object();
    fields.emplace_back("during", Value::MakeObject(std::move(during)));
    o.emplace_back(n.node, Value::MakeObject(std::move(fields)));
  }
  return Value::MakeObject(std::move(o));
}

std::vector<std::string> AvailabilityLines(const std::vector<NodeAvailability>& nodes) {
  std::vector<std::string> lines;
  for (const NodeAvailability& n : nodes) {
    std::string line = n.node + " " + Percent(n.overall.share()) + " of " +
                       std::to_string(n.overall.total) + " ops";
    std::string during;
    // "no fault" first, then the fault kinds in name order.
    if (auto it = n.during.find("none"); it != n.during.end()) {
      during = "no fault " + Percent(it->second.share());
    }
    for (const auto& [kind, c] : n.during) {
      if (kind == "none") continue;
      during += (during.empty() ? "" : ", ") + kind + " " + Percent(c.share());
    }
    lines.push_back(line + (during.empty() ? "" : " (" + during + ")"));
  }
  return lines;
}

}  // namespace faultline::harness
