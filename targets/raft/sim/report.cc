// The report of a run for people, and its history as JSON Lines.
#include <string>

#include "checker/io/jsonl_writer.h"
#include "targets/raft/sim/sim.h"

namespace faultline::raft::sim {

std::string HistoryToJsonl(const checker::History& history) {
  return checker::io::HistoryToJsonl(history);
}

std::string DescribeResult(const SimResult& r) {
  const SimOptions& o = r.options;
  std::string s = "sim seed " + std::to_string(r.seed) + ": " + SimOutcomeName(r.outcome);
  if (!r.failure.empty()) s += " (" + r.failure + ")";
  s += "\n";
  s += "  reproduce: " + ReproduceLine(o) + "\n";
  s += "  settings: " + r.faults.Describe() + "\n";
  if (!r.scenario_outcome.empty())
    s += "  scenario " + o.scenario + ": " + r.scenario_outcome + "\n";
  if (r.outcome != SimOutcome::kPass) {
    if (r.failure == "history" || r.failure == "fencing" || r.failure == "checker-error" ||
        r.failure == "checker-unknown") {
      s += "  " + r.failure + " (the whole history, " + std::to_string(r.history.events.size()) +
           " events): " + r.detail + "\n";
    } else {
      s += "  " + r.failure + " at step " + std::to_string(r.failed_at_step) +
           " (t=" + std::to_string(r.failed_at_ms) + " ms): " + r.detail + "\n";
    }
  }

  if (r.check && r.check->verdict == checker::Verdict::kInvalid) {
    for (const checker::KeyResult& k : r.check->keys) {
      if (k.verdict != checker::Verdict::kInvalid || !k.counterexample) continue;
      const checker::Counterexample& c = *k.counterexample;
      s += "  key " + k.key.ToJson() + ": cannot linearize process " +
           std::to_string(c.op.process) + " " + c.op.text + " (history index " +
           std::to_string(c.op.index()) + "): " + c.reason + "\n";
      for (const std::string& state : c.states)
        s += "    possible state before it: " + state + "\n";
      size_t shown = 0;
      for (const checker::OpRef& op : c.concurrent) {
        if (++shown > 8) {
          s += "    ...\n";
          break;
        }
        s += "    concurrent: process " + std::to_string(op.process) + " " + op.text + "\n";
      }
    }
  }
  if (r.fencing && r.fencing->verdict == checker::Verdict::kInvalid) {
    s += "  fencing: " + r.fencing->summary + "\n";
    for (const checker::StaleWrite& w : r.fencing->stale_writes) {
      s += "    stale write: process " + std::to_string(w.write.process) + " token " +
           std::to_string(w.write.token) + " (history index " +
           std::to_string(w.write.complete_index) + ") accepted after token " +
           std::to_string(w.earlier.token) + " (history index " +
           std::to_string(w.earlier.complete_index) + ")\n";
    }
  }
  const SimStats& st = r.stats;
  s += "  stats: steps=" + std::to_string(st.steps) + " sim_ms=" + std::to_string(st.sim_time_ms) +
       " msgs=" + std::to_string(st.messages_sent) +
       " dropped=" + std::to_string(st.messages_dropped) +
       " duplicated=" + std::to_string(st.messages_duplicated) +
       " leaders=" + std::to_string(st.leaders_elected) + " crashes=" + std::to_string(st.crashes) +
       " (mid-write " + std::to_string(st.crashes_mid_write) + ", torn " +
       std::to_string(st.torn_crashes) + ")" + " partitions=" + std::to_string(st.partitions) +
       " snapshots=" + std::to_string(st.snapshots_taken) + "/" +
       std::to_string(st.snapshots_installed) + " installed ops=" + std::to_string(st.ops_invoked) +
       " ok=" + std::to_string(st.ops_ok) + " fail=" + std::to_string(st.ops_fail) +
       " info=" + std::to_string(st.ops_info) + " commit=" + std::to_string(st.max_commit_index) +
       " lock: acquired=" + std::to_string(st.lock_acquired) +
       " writes_ok=" + std::to_string(st.lock_writes_ok) +
       " stale_refused=" + std::to_string(st.lock_writes_stale) +
       " sent_first=" + std::to_string(st.sent_first) + "/" + std::to_string(st.readies) +
       " readies\n";
  if (!r.trace.empty()) {
    s += "  last " + std::to_string(r.trace.size()) + " steps:\n";
    for (const std::string& line : r.trace) s += "    " + line + "\n";
  }
  return s;
}

}  // namespace faultline::raft::sim
