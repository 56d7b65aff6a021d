#include "targets/raft/core/invariants.h"

#include <limits>
#include <string>

namespace faultline::raft {
namespace {

constexpr uint64_t kUnknown = std::numeric_limits<uint64_t>::max();

std::string N(NodeId id) { return "node " + std::to_string(id); }
std::string At(uint64_t index, uint64_t term) {
  return std::to_string(index) + "@" + std::to_string(term);
}

uint64_t LastIndex(const NodeObservation& n) { return n.first_index + n.entries.size() - 1; }

uint64_t LastTerm(const NodeObservation& n) {
  return n.entries.empty() ? n.snapshot_term : n.entries.back().term;
}

// The term at `index` in n's log; kUnknown when compacted away or beyond the end.
uint64_t TermAt(const NodeObservation& n, uint64_t index) {
  if (index == n.snapshot_index) return n.snapshot_term;
  if (index == 0) return 0;
  if (index < n.first_index || index > LastIndex(n)) return kUnknown;
  return n.entries[index - n.first_index].term;
}

const Entry* EntryAt(const NodeObservation& n, uint64_t index) {
  if (index < n.first_index || index > LastIndex(n)) return nullptr;
  return &n.entries[index - n.first_index];
}

}  // namespace

uint64_t DataHash(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t EntryHash(const Entry& e) {
  uint64_t h = DataHash(e.data);
  h ^= static_cast<uint64_t>(e.type) + 1;
  h *= 0x100000001b3ULL;
  return h;
}

NodeObservation ObserveNode(const Raft& raft, uint64_t incarnation) {
  NodeObservation n;
  n.id = raft.id();
  n.up = true;
  n.incarnation = incarnation;
  n.role = raft.role();
  n.term = raft.term();
  n.voted_for = raft.voted_for();
  n.commit_index = raft.commit_index();
  n.applied_index = raft.applied_index();
  n.snapshot_index = raft.log().snapshot().index;
  n.snapshot_term = raft.log().snapshot().term;
  n.first_index = raft.log().first_index();
  n.entries = raft.log().entries();
  return n;
}

void InvariantChecker::CheckEntry(const NodeObservation& n, const Entry& e,
                                  std::vector<Violation>* out) {
  const uint64_t hash = EntryHash(e);
  const uint64_t prev_term = e.index > 0 ? TermAt(n, e.index - 1) : 0;
  auto [it, inserted] = entries_.try_emplace({e.index, e.term}, EntryRecord{hash, prev_term, n.id});
  if (inserted) return;
  EntryRecord& rec = it->second;
  if (rec.hash != hash) {
    out->push_back({"Log Matching", N(n.id) + " holds entry " + At(e.index, e.term) +
                                        " with content that differs from the one " +
                                        N(rec.seen_on) + " held"});
  }
  if (prev_term != kUnknown) {
    if (rec.prev_term == kUnknown) {
      rec.prev_term = prev_term;
    } else if (rec.prev_term != prev_term) {
      out->push_back({"Log Matching", "entry " + At(e.index, e.term) + " follows term " +
                                          std::to_string(prev_term) + " on " + N(n.id) +
                                          " but term " + std::to_string(rec.prev_term) + " on " +
                                          N(rec.seen_on) + ": the logs differ before it"});
    }
  }
}

void InvariantChecker::CheckLeaderHasCommitted(const NodeObservation& leader, uint64_t index,
                                               const CommitRecord& rec,
                                               std::vector<Violation>* out) const {
  std::string problem;
  if (index == leader.snapshot_index) {
    if (leader.snapshot_term != rec.term) {
      problem = "its snapshot ends with " + At(index, leader.snapshot_term);
    }
  } else if (index > LastIndex(leader)) {
    problem = "its log ends at " + std::to_string(LastIndex(leader));
  } else if (const Entry* e = EntryAt(leader, index)) {
    if (e->term != rec.term || (rec.hash != 0 && EntryHash(*e) != rec.hash)) {
      problem = "it holds " + At(index, e->term) + " there";
    }
  }
  // Below the leader's first index (compacted into its snapshot): committed there, not checkable.
  if (!problem.empty()) {
    out->push_back({"Leader Completeness",
                    "entry " + At(index, rec.term) + " was committed (seen by " + N(rec.observer) +
                        " in term " + std::to_string(rec.observer_term) + ") but " + N(leader.id) +
                        ", leader of later term " + std::to_string(leader.term) +
                        ", lacks it: " + problem});
  }
}

std::vector<Violation> InvariantChecker::Check(std::span<const NodeObservation> nodes) {
  std::vector<Violation> out;
  for (const NodeObservation& n : nodes) {
    if (!n.up) continue;
    const uint64_t last = LastIndex(n);

    // --- checkBasic: the node's own state is coherent.
    if (!n.entries.empty() && n.entries.front().index != n.first_index) {
      out.push_back({"Node State", N(n.id) + ": first entry is not at first_index"});
    }
    if (n.commit_index > last) {
      out.push_back({"Node State", N(n.id) + ": commit index " + std::to_string(n.commit_index) +
                                       " beyond its log (last " + std::to_string(last) + ")"});
    }
    if (n.applied_index > n.commit_index) {
      out.push_back({"Node State", N(n.id) + ": applied " + std::to_string(n.applied_index) +
                                       " beyond commit " + std::to_string(n.commit_index)});
    }

    // Election Safety: at most one leader per term over the whole run.
    if (n.role == Role::kLeader) {
      auto [it, inserted] = leaders_.try_emplace(n.term, n.id);
      if (!inserted && it->second != n.id) {
        out.push_back({"Election Safety", N(it->second) + " and " + N(n.id) +
                                              " were both leader in term " +
                                              std::to_string(n.term)});
      }
    }

    // --- checkDelta: against this node's previous observation.
    auto pit = prev_.find(n.id);
    const bool have_prev = pit != prev_.end();
    const Prev p = have_prev ? pit->second : Prev{};
    const bool same_life = have_prev && p.incarnation == n.incarnation;
    if (have_prev) {
      // Figure 2: currentTerm and votedFor are persistent; a restart must not roll them back.
      if (n.term < p.term) {
        out.push_back({"Persistent State", N(n.id) + ": term went back from " +
                                               std::to_string(p.term) + " to " +
                                               std::to_string(n.term)});
      } else if (n.term == p.term && p.voted_for != kNoNode && n.voted_for != p.voted_for) {
        out.push_back({"Persistent State", N(n.id) + " voted for node " +
                                               std::to_string(p.voted_for) + " and then for node " +
                                               std::to_string(n.voted_for) + " in term " +
                                               std::to_string(n.term)});
      }
      if (same_life && n.commit_index < p.commit_index) {
        out.push_back({"Node State", N(n.id) + ": commit index went back from " +
                                         std::to_string(p.commit_index) + " to " +
                                         std::to_string(n.commit_index)});
      }
      if (same_life && n.applied_index < p.applied_index) {
        out.push_back({"Node State", N(n.id) + ": applied index went back"});
      }
      // Leader Append-Only (§5.3): while it stays leader of one term, a node's log only grows.
      if (same_life && p.role == Role::kLeader && n.role == Role::kLeader && p.term == n.term) {
        if (last < p.last_index) {
          out.push_back(
              {"Leader Append-Only", N(n.id) + ", leader of term " + std::to_string(n.term) +
                                         ", shrank its log from " + std::to_string(p.last_index) +
                                         " to " + std::to_string(last)});
        }
        for (const Entry& e : n.appended) {
          if (e.index <= p.last_index) {
            out.push_back({"Leader Append-Only",
                           N(n.id) + ", leader of term " + std::to_string(n.term) +
                               ", rewrote its entry " + std::to_string(e.index) +
                               " (its log ended at " + std::to_string(p.last_index) + ")"});
            break;
          }
        }
        const uint64_t t = TermAt(n, p.last_index);
        if (t != kUnknown && t != p.last_term) {
          out.push_back({"Leader Append-Only", N(n.id) + " replaced its entry " +
                                                   At(p.last_index, p.last_term) + " by " +
                                                   At(p.last_index, t)});
        }
      }
    }

    // Log Matching, for every entry this step wrote.
    for (const Entry& e : n.appended) {
      if (TermAt(n, e.index) == e.term) CheckEntry(n, e, &out);
    }

    // State Machine Safety: every node applies the same entry at each index.
    for (size_t k = 0; k < n.applied.size(); ++k) {
      const Entry& e = n.applied[k];
      if (k > 0 && e.index != n.applied[k - 1].index + 1) {
        out.push_back({"State Machine Safety", N(n.id) + " applied entries out of order"});
      }
      const uint64_t hash = EntryHash(e);
      auto [it, inserted] = applied_.try_emplace(e.index, AppliedRecord{e.term, hash, n.id});
      if (!inserted && (it->second.term != e.term || it->second.hash != hash)) {
        out.push_back({"State Machine Safety",
                       N(n.id) + " applied " + At(e.index, e.term) + " but " + N(it->second.node) +
                           " applied " + At(e.index, it->second.term) +
                           (it->second.term == e.term ? " with other content" : "")});
      }
    }
    for (const SnapshotRecord& s : n.snapshots) {
      auto [it, inserted] = snapshots_.try_emplace(s.index, s);
      if (!inserted && (it->second.term != s.term || it->second.data_hash != s.data_hash)) {
        out.push_back({"State Machine Safety", N(n.id) + "'s state machine snapshot at " +
                                                   At(s.index, s.term) +
                                                   " differs from another node's at that index"});
      }
      auto ait = applied_.find(s.index);
      if (ait != applied_.end() && ait->second.term != s.term) {
        out.push_back({"State Machine Safety",
                       N(n.id) + " has a snapshot ending with " + At(s.index, s.term) + " but " +
                           N(ait->second.node) + " applied " + At(s.index, ait->second.term)});
      }
    }

    // Newly committed entries: record them; two different entries committed at one index can
    // both be applied somewhere. A leader of a later term must already hold them.
    const uint64_t recorded_from = same_life ? p.commit_recorded : 0;
    for (uint64_t i = std::max(recorded_from + 1, n.first_index); i <= n.commit_index; ++i) {
      const Entry* e = EntryAt(n, i);
      if (e == nullptr) continue;
      const uint64_t hash = EntryHash(*e);
      auto [it, inserted] = committed_.try_emplace(i, CommitRecord{e->term, hash, n.term, n.id});
      if (inserted) {
        for (const NodeObservation& l : nodes) {
          if (l.up && l.role == Role::kLeader && l.term > n.term) {
            CheckLeaderHasCommitted(l, i, it->second, &out);
          }
        }
      } else if (it->second.term != e->term || it->second.hash != hash) {
        out.push_back({"State Machine Safety", "entry " + At(i, e->term) + " is committed on " +
                                                   N(n.id) + " but " + N(it->second.observer) +
                                                   " committed " + At(i, it->second.term) +
                                                   " at that index"});
      }
    }

    // Leader Completeness (§5.4): checked in full whenever a node becomes leader.
    const bool new_leader =
        n.role == Role::kLeader && (!same_life || p.role != Role::kLeader || p.term != n.term);
    if (new_leader) {
      const uint64_t from = std::min(n.first_index, n.snapshot_index);
      for (auto it = committed_.lower_bound(from); it != committed_.end(); ++it) {
        if (it->second.observer_term < n.term)
          CheckLeaderHasCommitted(n, it->first, it->second, &out);
      }
    }

    Prev& np = prev_[n.id];
    np.incarnation = n.incarnation;
    np.role = n.role;
    np.term = n.term;
    np.voted_for = n.voted_for;
    np.commit_index = n.commit_index;
    np.applied_index = n.applied_index;
    np.last_index = last;
    np.last_term = LastTerm(n);
    np.commit_recorded = std::max(n.commit_index, same_life ? p.commit_recorded : 0);
  }
  return out;
}

std::vector<Violation> InvariantChecker::CheckFull(std::span<const NodeObservation> nodes) {
  std::vector<Violation> out;
  for (const NodeObservation& n : nodes) {
    if (!n.up) continue;
    for (size_t k = 0; k < n.entries.size(); ++k) {
      const Entry& e = n.entries[k];
      if (e.index != n.first_index + k) {
        out.push_back({"Node State",
                       N(n.id) + ": log indexes are not contiguous at " + std::to_string(e.index)});
        break;
      }
      if (k > 0 && e.term < n.entries[k - 1].term) {
        out.push_back({"Node State",
                       N(n.id) + ": terms decrease along its log at " + std::to_string(e.index)});
      }
      CheckEntry(n, e, &out);
    }
    if (n.role == Role::kLeader) {
      for (auto it = committed_.lower_bound(std::min(n.first_index, n.snapshot_index));
           it != committed_.end(); ++it) {
        if (it->second.observer_term < n.term)
          CheckLeaderHasCommitted(n, it->first, it->second, &out);
      }
    }
  }
  return out;
}

}  // namespace faultline::raft
