// The checks of the finished history: the registers ("k..." keys) for linearizability with the
// cas-register model; the lock ("l..." acquire/release, "r..." guarded writes) as the harness's
// lock workload is judged: the fencing checker, and acquire/release with the fencing-lock model.
#include <string>
#include <utility>

#include "base/status.h"
#include "checker/fencing_checker.h"
#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::Value;

namespace {

// The client events whose key starts with one of `prefixes` (nemesis events are left out: the
// checkers skip them anyway).
checker::History Select(const checker::History& h, const std::string& prefixes) {
  checker::History out;
  out.source = h.source;
  for (const checker::Event& e : h.events) {
    if (e.nemesis || !e.has_key || !e.key.is_string() || e.key.as_string().empty()) continue;
    if (prefixes.find(e.key.as_string()[0]) == std::string::npos) continue;
    out.events.push_back(e);
  }
  return out;
}

}  // namespace

void Simulation::CheckHistory() {
  checker::CheckOptions co;
  co.timeout_s = options_.check_timeout_s;
  co.threads = 1;  // one core per seed; a sweep parallelizes across seeds

  std::string unknown;
  co.model = "cas-register";
  co.initial = Value::Null();
  base::Result<checker::CheckResult> registers =
      checker::CheckHistory(Select(result_.history, "k"), co);
  if (!registers.ok()) return Fail("checker-error", registers.status().message());
  result_.check = std::move(registers.value());
  if (result_.check->verdict == checker::Verdict::kInvalid) {
    return Fail("history", "not linearizable: " + result_.check->cause);
  }
  if (result_.check->verdict == checker::Verdict::kUnknown) unknown = result_.check->cause;

  const checker::History lock = Select(result_.history, "lr");
  if (!lock.events.empty()) {
    base::Result<checker::FencingCheckResult> fencing = checker::CheckFencing(lock);
    if (!fencing.ok()) return Fail("checker-error", "fencing: " + fencing.status().message());
    result_.fencing = std::move(fencing.value());
    if (result_.fencing->verdict == checker::Verdict::kInvalid) {
      return Fail("fencing", result_.fencing->summary);
    }
    co.model = "fencing-lock";
    co.initial.reset();
    base::Result<checker::CheckResult> acquires = checker::CheckHistory(Select(lock, "l"), co);
    if (!acquires.ok()) return Fail("checker-error", "lock: " + acquires.status().message());
    result_.lock_check = std::move(acquires.value());
    if (result_.lock_check->verdict == checker::Verdict::kInvalid) {
      return Fail("history", "lock not linearizable (fencing-lock): " + result_.lock_check->cause);
    }
    if (result_.lock_check->verdict == checker::Verdict::kUnknown && unknown.empty()) {
      unknown = "lock: " + result_.lock_check->cause;
    }
  }
  if (!unknown.empty()) {
    result_.outcome = SimOutcome::kUnknown;
    result_.failure = "checker-unknown";
    result_.detail = unknown;
  }
}

}  // namespace faultline::raft::sim
