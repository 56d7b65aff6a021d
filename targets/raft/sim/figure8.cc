// The scripted Figure 8 scenario (see below).
#include <string>
#include <utility>

#include "base/check.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/sim/simulation.h"

namespace faultline::raft::sim {

using checker::Value;

// The Figure 8 scenario (paper §5.4.2). Random faults rarely produce it: a leader must commit an
// entry of an earlier term by counting replicas and then lose contact before its next message
// (the entry of its own term) reaches anyone -- a window of one network delay. The script forces
// it with partitions alone, on 5 nodes, with one entry per AppendEntries and one in flight:
//   1. leader a is cut off with b ({a,b} | {c,d,e}); a write to a reaches b only: entry
//      `index` of a's term;
//   2. c, d, e elect a leader, called e; e is isolated at once, so its own no-op (also at
//      `index`, from a later term) stays on e alone;
//   3. {a,b,c} | {d} | {e}: a or b becomes leader (x) in a newer term and replicates the old
//      entry to c, one entry per message. With unsafe_commit_old_terms x counts {a,b,c} and
//      commits it; x is isolated in that very step, before its own no-op reaches c;
//   4. {c,d,e}: e's last term beats c's and d's, so e wins -- and overwrites the committed
//      entry (Leader Completeness breaks; the write acknowledged by x is lost).
// Without the bug x commits nothing before its no-op is on a majority including c, and e cannot
// win in step 4: the run must pass.

int Simulation::LeaderAmong(const std::vector<int>& group, uint64_t min_term) const {
  for (int i : group) {
    const SimNode& n = node(i);
    if (n.up() && n.replica->raft().role() == Role::kLeader &&
        n.replica->raft().term() > min_term) {
      return i;
    }
  }
  return -1;
}

void Simulation::Partition(const std::vector<std::vector<int>>& groups, const std::string& why) {
  if (partitioned_) RecordNemesis("stop-partition", Value::Null());
  CutLinks(groups);
  RecordNemesis("start-partition", Grudge());
  partitioned_ = true;
  ++result_.stats.partitions;
  if (tracing()) Trace("figure8: partition for " + why);
}

void Simulation::InvokeScripted(int target, int key, int64_t value) {
  FAULTLINE_CHECK(!clients_[0].busy, "scripted client busy");
  Invoke(0, F::kWrite, key, Value::Int(value), false);
  replica::ClientRequest req;
  req.kind = replica::ClientRequest::Kind::kCommand;
  req.command.op = kv::Op::kPut;
  req.command.key = "k" + std::to_string(key);
  req.command.value = std::to_string(value);
  clients_[0].request_id = next_request_id_++;
  // Delivered at once: the script needs the entry in the log before anything else happens.
  HandleRequest(target, requests_.Put(Request{clients_[0].request_id, 0, std::move(req)}));
}

bool Simulation::Figure8Step() {
  Figure8& f = f8_;
  if (f.stage == 0) f.deadline_us = queue_.now_us() + 20000 * kUsPerMs;
  if (queue_.now_us() > f.deadline_us && f.stage < 5) {
    f.outcome = "stopped at stage " + std::to_string(f.stage) + " (setup did not happen)";
    return true;
  }
  switch (f.stage) {
    case 0: {  // a stable leader with its no-op committed everywhere
      if (!Converged()) return false;
      f.a = static_cast<int>(Index(CurrentLeader()));
      std::vector<int> others;
      for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
        if (i != f.a) others.push_back(i);
      }
      f.b = others[0];
      f.c = others[1];
      f.d = others[2];
      f.e = others[3];
      f.term_a = node(f.a).replica->raft().term();
      Partition({{f.a, f.b}, {f.c, f.d, f.e}}, "figure8-1");
      InvokeScripted(f.a, 0, 1);
      f.index = node(f.a).replica->raft().log().last_index();
      f.stage = 1;
      return false;
    }
    case 1: {  // the write reaches b; c, d, e elect a leader, isolated as soon as it exists
      const Raft& b = node(f.b).replica->raft();
      if (b.log().TermAt(f.index) == f.term_a) f.b_has_entry = true;
      if (!f.e_isolated) {
        const int leader = LeaderAmong({f.c, f.d, f.e}, f.term_a);
        if (leader >= 0) {
          if (leader != f.e) std::swap(leader == f.c ? f.c : f.d, f.e);
          f.e_isolated = true;
          Partition({{f.a, f.b}, {f.c, f.d}, {f.e}}, "figure8-2");
        }
      }
      if (!f.b_has_entry || !f.e_isolated) return false;
      const Raft& e = node(f.e).replica->raft();
      if (e.log().last_index() != f.index || e.log().last_term() <= f.term_a) {
        f.outcome = "stopped: the isolated leader's log does not end at the entry's index";
        return true;
      }
      Partition({{f.a, f.b, f.c}, {f.d}, {f.e}}, "figure8-3");
      f.stage = 3;
      return false;
    }
    case 3: {  // a or b leads a newer term; the moment it commits `index`, cut it off
      const int x = LeaderAmong({f.a, f.b}, node(f.e).replica->raft().term());
      if (x < 0 || node(x).replica->raft().commit_index() < f.index) return false;
      f.x = x;
      f.y = x == f.a ? f.b : f.a;
      Partition({{f.x}, {f.y}, {f.c, f.d, f.e}}, "figure8-4");
      f.stage = 4;
      f.deadline_us = queue_.now_us() + 3000 * kUsPerMs;
      return false;
    }
    case 4: {  // c, d, e: does e win?
      const int winner = LeaderAmong({f.c, f.d, f.e}, node(f.x).replica->raft().term());
      if (winner == f.e) {
        f.outcome = "e (" + NodeName(node(f.e).id) + ") won with the conflicting entry";
      } else if (winner >= 0) {
        f.outcome = "a node holding x's entry (" + NodeName(node(winner).id) + ") won; e could not";
      } else if (queue_.now_us() < f.deadline_us) {
        return false;
      } else {
        f.outcome = "no leader among c, d, e (the old-term entry was safe)";
      }
      f.stage = 5;
      return true;
    }
    default:
      return true;
  }
}

}  // namespace faultline::raft::sim
