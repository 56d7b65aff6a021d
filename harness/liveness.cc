#include "harness/liveness.h"

#include <map>
#include <memory>
#include <thread>

namespace faultline::harness {

namespace {

using checker::EventType;
using checker::Value;
using Clock = std::chrono::steady_clock;

std::string Seconds1(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string Outcome(const checker::Completion& c) {
  return std::string(checker::EventTypeName(c.type)) + (c.error.empty() ? "" : " " + c.error);
}

}  // namespace

RecoveryProbe ProbeRecovery(const targets::Target& target,
                            const std::vector<base::NodeAddress>& nodes,
                            const targets::ClientOptions& options, Clock::time_point deadline,
                            const std::function<bool()>& cancelled) {
  RecoveryProbe probe;
  probe.asked = true;
  const auto start = Clock::now();
  std::vector<std::unique_ptr<targets::Client>> clients;
  for (const base::NodeAddress& a : nodes) clients.push_back(target.NewClient(a, options));
  std::map<std::string, std::string> last;  // node -> its last answer that was not ok
  // The probe key is the harness's own: no workload uses it.
  const std::string key = "faultline-liveness";
  // One write and one read through node i; true when both went through.
  auto attempt = [&](size_t i) {
    ++probe.attempts;
    const checker::Completion w = clients[i]->Put(key, Value::Int(probe.attempts));
    if (w.type != EventType::kOk) {
      last[nodes[i].id] = "write " + Outcome(w);
      return false;
    }
    const checker::Completion r = clients[i]->Get(key);
    if (r.type != EventType::kOk) {
      last[nodes[i].id] = "read " + Outcome(r);
      return false;
    }
    probe.ok = true;
    probe.node = r.node.empty() ? nodes[i].id : r.node;
    return true;
  };
  // Every node is asked at least once, even when the recovery wait used up the time.
  bool first_round = true;
  auto go_on = [&] {
    if (cancelled && cancelled()) return false;
    return first_round || Clock::now() < deadline;
  };
  while (!probe.ok && !clients.empty() && go_on()) {
    for (size_t i = 0; i < clients.size() && !probe.ok && go_on(); ++i) attempt(i);
    first_round = false;
    if (!probe.ok && go_on()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // An interrupted probe says nothing about the cluster.
  if (!probe.ok && cancelled && cancelled()) probe.asked = false;
  probe.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const auto& [id, what] : last) {
    probe.last_errors += (probe.last_errors.empty() ? "" : ", ") + id + " " + what;
  }
  return probe;
}

workloads::CheckerResult LivenessResult(const RecoveryProbe& probe, double recovery_s) {
  workloads::CheckerResult r;
  r.name = "liveness";
  if (!probe.asked) {
    r.verdict = checker::Verdict::kUnknown;
    r.summary = "not checked: the run ended before its recovery phase";
  } else if (probe.ok) {
    r.verdict = checker::Verdict::kValid;
    r.summary = "a write and a read went through " + probe.node + " " + Seconds1(probe.seconds) +
                " s after healing";
  } else {
    r.verdict = checker::Verdict::kInvalid;
    r.summary = "the cluster took no write and read within " + Seconds1(recovery_s) +
                " s of healing (" + std::to_string(probe.attempts) + " attempts" +
                (probe.last_errors.empty() ? "" : "; last: " + probe.last_errors) + ")";
  }
  r.detail = Value::MakeObject({{"valid", checker::VerdictValue(r.verdict)},
                                {"summary", Value::String(r.summary)},
                                {"recovered", Value::Bool(probe.ok)},
                                {"seconds", Value::Double(probe.seconds)},
                                {"bound_s", Value::Double(recovery_s)},
                                {"node", Value::String(probe.node)},
                                {"attempts", Value::Int(probe.attempts)},
                                {"last_errors", Value::String(probe.last_errors)}});
  return r;
}

workloads::CheckerResult ApplyLivenessMode(workloads::CheckerResult r, const std::string& mode) {
  if (r.verdict != checker::Verdict::kInvalid || mode == "invalid") return r;
  r.verdict = mode == "unknown" ? checker::Verdict::kUnknown : checker::Verdict::kValid;
  if (mode == "report") r.summary = "(reported only) " + r.summary;
  if (r.detail.is_object()) {
    for (auto& [key, value] : r.detail.as_object()) {
      if (key == "valid") value = checker::VerdictValue(r.verdict);
      if (key == "summary") value = Value::String(r.summary);
    }
  }
  return r;
}

std::string NodeExitLine(const NodeExit& exit) {
  std::string line = exit.id + " " + exit.description + " on its own";
  if (exit.start > 1) line += " (after restart " + std::to_string(exit.start - 1) + ")";
  if (!exit.stderr_tail.empty()) line += "; stderr ends: " + exit.stderr_tail.back();
  return line;
}

workloads::CheckerResult NodeExitsResult(const std::vector<NodeExit>& exits) {
  workloads::CheckerResult r;
  r.name = "node-exits";
  Value::Array list;
  for (const NodeExit& e : exits) {
    Value::Array tail;
    for (const std::string& l : e.stderr_tail) tail.push_back(Value::String(l));
    list.push_back(Value::MakeObject({{"node", Value::String(e.id)},
                                      {"exit", Value::String(e.description)},
                                      {"start", Value::Int(e.start)},
                                      {"stderr_tail", Value::MakeArray(std::move(tail))}}));
  }
  if (exits.empty()) {
    r.summary = "no node exited on its own";
  } else {
    r.verdict = checker::Verdict::kInvalid;
    // Per node: how it ended (the last exit) and how often; the last stderr line of the first.
    std::vector<std::string> order;
    std::map<std::string, std::pair<int, std::string>> by_node;
    for (const NodeExit& e : exits) {
      if (!by_node.count(e.id)) order.push_back(e.id);
      auto& [n, how] = by_node[e.id];
      ++n;
      how = e.description;
    }
    std::string what;
    for (const std::string& id : order) {
      const auto& [n, how] = by_node[id];
      what += (what.empty() ? "" : ", ") + id + " " + how +
              (n > 1 ? " (" + std::to_string(n) + " times)" : "");
    }
    r.summary = std::to_string(exits.size()) + (exits.size() == 1 ? " exit" : " exits") +
                " no fault caused: " + what;
    for (const NodeExit& e : exits) {
      if (e.stderr_tail.empty()) continue;
      r.summary += "; " + e.id + " stderr ends: " + e.stderr_tail.back();
      break;
    }
  }
  r.detail = Value::MakeObject({{"valid", checker::VerdictValue(r.verdict)},
                                {"summary", Value::String(r.summary)},
                                {"exits", Value::MakeArray(std::move(list))}});
  return r;
}

}  // namespace faultline::harness
