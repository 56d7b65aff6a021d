#include "targets/raft/core/raft.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <utility>

#include "base/check.h"

namespace faultline::raft {
namespace {

MessageType ResponseTypeFor(MessageType request) {
  return request == MessageType::kPreVote ? MessageType::kPreVoteResponse
                                          : MessageType::kRequestVoteResponse;
}

bool IsFromLeader(MessageType type) {
  return type == MessageType::kAppendEntries || type == MessageType::kHeartbeat ||
         type == MessageType::kInstallSnapshot;
}

// The quorum-th largest of `values`: the highest value that a quorum has reached.
uint64_t QuorumValue(std::vector<uint64_t> values, size_t quorum) {
  std::sort(values.begin(), values.end(), std::greater<uint64_t>());
  return values[quorum - 1];
}

}  // namespace

const char* RequestErrorName(RequestError e) {
  switch (e) {
    case RequestError::kOk:
      return "ok";
    case RequestError::kNotLeader:
      return "not-leader";
    case RequestError::kBusy:
      return "busy";
    case RequestError::kStopped:
      return "stopped";
  }
  return "?";
}

std::string Raft::Validate(const Config& config, const StorageView& storage) {
  if (config.id == kNoNode) return "node id must be positive";
  std::set<NodeId> voters;
  for (NodeId v : config.voters) {
    if (v == kNoNode) return "voter ids must be positive";
    if (!voters.insert(v).second) return "voter " + std::to_string(v) + " listed twice";
  }
  if (!voters.count(config.id)) return "node " + std::to_string(config.id) + " is not a voter";
  if (config.heartbeat_tick <= 0 || config.election_tick <= config.heartbeat_tick) {
    return "need 0 < heartbeat_tick < election_tick";
  }
  if (config.max_entries_per_msg == 0 || config.max_inflight_msgs == 0 ||
      config.max_committed_entries_per_ready == 0 || config.max_uncommitted_entries == 0 ||
      config.max_pending_reads == 0) {
    return "limits must be positive";
  }
  const HardState& hs = storage.hard_state;
  const Snapshot& snap = storage.snapshot;
  if (hs.voted_for != kNoNode && !voters.count(hs.voted_for)) return "voted for a non-member";
  if (snap.index == 0 && snap.term != 0) return "snapshot without index has a term";
  if (snap.index > 0 && (snap.term == 0 || !snap.data)) return "snapshot lacks term or data";
  if (snap.term > hs.term) return "snapshot term above current term";
  uint64_t last = snap.index;
  if (!storage.entries.empty()) {
    const std::vector<Entry>& es = storage.entries;
    if (es.front().index == 0) return "log index 0 is reserved";
    if (es.front().index > snap.index + 1) return "hole between snapshot and log";
    if (es.back().index < snap.index) return "log ends before the snapshot";
    for (size_t k = 0; k < es.size(); ++k) {
      if (k > 0 && es[k].index != es[k - 1].index + 1) return "log indexes not contiguous";
      if (k > 0 && es[k].term < es[k - 1].term) return "log terms decrease";
      if (es[k].term == 0 || es[k].term > hs.term) return "log term out of range";
      if (es[k].index == snap.index && es[k].term != snap.term) return "log disagrees w/ snapshot";
    }
    last = es.back().index;
  }
  if (hs.commit > last) return "commit index beyond the log";
  return "";
}

Raft::Raft(const Config& config, const StorageView& storage)
    : config_(config), rng_(base::MixSeed(config.seed, config.id)), log_(storage) {
  const std::string problem = Validate(config, storage);
  FAULTLINE_CHECK(problem.empty(), problem);
  term_ = storage.hard_state.term;
  voted_for_ = storage.hard_state.voted_for;
  // Every entry in the snapshot is committed even if the persisted commit index lags (it is
  // written lazily).
  commit_index_ = std::max(storage.hard_state.commit, storage.snapshot.index);
  applied_index_ = storage.snapshot.index;
  prev_hard_state_ = storage.hard_state;
  for (NodeId v : config_.voters) progress_.emplace(v, Progress(config_.max_inflight_msgs));
  BecomeFollower(term_, kNoNode);
  prev_soft_state_ = SoftState{role_, leader_};
}

bool Raft::IsVoter(NodeId id) const { return progress_.count(id) > 0; }

void Raft::Send(Message m) {
  m.from = config_.id;
  msgs_.push_back(std::move(m));
}

void Raft::Stop(std::string reason) {
  if (fatal_error_.empty()) fatal_error_ = std::move(reason);
}

// ---------------------------------------------------------------------------------------------
// Role transitions.

void Raft::ResetTerm(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    voted_for_ = kNoNode;  // one vote per term (§5.2): a new term starts without one
  }
}

void Raft::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  // §5.2: randomized timeouts make split votes rare and let one server time out first.
  randomized_election_timeout_ =
      config_.election_tick + static_cast<int>(rng_.Uniform(config_.election_tick));
}

void Raft::BecomeFollower(uint64_t term, NodeId leader) {
  ResetTerm(term);
  role_ = Role::kFollower;
  leader_ = leader;
  ResetTimers();
  votes_.clear();
  // A leader's pending reads die with its leadership: nothing confirms them any more. The driver
  // times them out (they are harmless to retry).
  reads_.clear();
  reads_before_noop_.clear();
  append_pending_ = commit_pending_ = read_round_pending_ = false;
}

void Raft::BecomePreCandidate() {
  // Thesis §9.6: a pre-candidate asks whether it could win before bumping its term, so a node
  // that was partitioned away cannot disrupt a stable leader by rejoining with a higher term.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  ResetTimers();
  votes_.clear();
}

void Raft::BecomeCandidate() {
  ResetTerm(term_ + 1);
  voted_for_ = config_.id;
  role_ = Role::kCandidate;
  leader_ = kNoNode;
  ResetTimers();
  votes_.clear();
}

void Raft::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = config_.id;
  ResetTimers();
  votes_.clear();
  for (auto& [peer, pr] : progress_) {
    pr = Progress(config_.max_inflight_msgs);
    pr.next_index = log_.last_index() + 1;
  }
  // §8 / thesis §6.4: the leader's first act is an entry of its own term. Committing it tells
  // the leader which entries are committed (earlier-term entries only commit indirectly, §5.4.2)
  // and is the precondition for serving ReadIndex reads.
  AppendNoop();
}

void Raft::AppendNoop() {
  Entry e;
  e.term = term_;
  e.index = log_.last_index() + 1;
  e.type = EntryType::kNoop;
  log_.Append(std::move(e));
  append_pending_ = true;
}

void Raft::Campaign() {
  if (!fatal_error_.empty() || role_ == Role::kLeader) return;
  StartElection(config_.pre_vote);
}

void Raft::StartElection(bool pre_vote) {
  MessageType type;
  uint64_t term;
  if (pre_vote) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_ + 1;  // the term it would campaign in; its own term does not change yet
  } else {
    BecomeCandidate();
    type = MessageType::kRequestVote;
    term = term_;
  }
  const Role role = role_;
  TallyVote(config_.id, true);
  if (role_ != role) return;  // a single-node cluster wins at once
  for (NodeId peer : config_.voters) {
    if (peer == config_.id) continue;
    Message m;
    m.type = type;
    m.to = peer;
    m.term = term;
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    Send(std::move(m));
  }
}

void Raft::TallyVote(NodeId from, bool granted) {
  votes_.emplace(from, granted);  // the first answer of each voter counts
  size_t yes = 0;
  size_t no = 0;
  for (const auto& [voter, g] : votes_) (g ? yes : no)++;
  if (yes >= Quorum()) {
    if (role_ == Role::kPreCandidate) {
      StartElection(false);
    } else {
      BecomeLeader();
    }
  } else if (config_.voters.size() - no < Quorum()) {
    BecomeFollower(term_, kNoNode);  // lost: wait for another timeout
  }
}

// ---------------------------------------------------------------------------------------------
// Ticks.

void Raft::Tick() {
  if (!fatal_error_.empty()) return;
  if (role_ == Role::kLeader) {
    TickLeader();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    StartElection(config_.pre_vote);
  }
}

void Raft::TickLeader() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    // Thesis §6.2: a leader cut off from a quorum steps down after an election timeout, so
    // that clients stop waiting on it and the followers' "leader lease" (they ignore votes while
    // they hear from a leader) cannot outlive the leader's own belief in its leadership.
    if (config_.check_quorum && !QuorumActive()) {
      BecomeFollower(term_, kNoNode);
      return;
    }
  }
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id || pr.state != Progress::State::kSnapshot) continue;
    // No acknowledgement of the snapshot within an election timeout: assume it was lost and
    // probe again (which resends it if the follower still needs it).
    if (++pr.snapshot_elapsed >= config_.election_tick) {
      pr.BecomeProbe();
      append_pending_ = true;
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    SendHeartbeats();
  }
}

bool Raft::QuorumActive() {
  size_t active = 0;
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id || pr.recent_active) ++active;
    pr.recent_active = false;
  }
  return active >= Quorum();
}

// ---------------------------------------------------------------------------------------------
// Messages.

void Raft::Step(const Message& m) {
  if (!fatal_error_.empty()) return;
  FAULTLINE_CHECK(m.to == config_.id, "message for " + std::to_string(m.to) + " delivered to " +
                                          std::to_string(config_.id));
  if (m.from == config_.id || !IsVoter(m.from)) return;  // not a member: ignore

  if (m.term > term_) {
    if (m.type == MessageType::kPreVote || m.type == MessageType::kRequestVote) {
      // Thesis §4.2.3 with §6.2: a server that heard from a leader within the minimum election
      // timeout ignores vote requests, so a server that cannot reach the leader (but can reach
      // us) does not depose a working leader.
      const bool in_lease =
          config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_tick;
      if (in_lease) return;
    }
    if (m.type == MessageType::kPreVote) {
      // Never adopt a pre-vote's term: that is the point of pre-vote.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // A granted pre-vote echoes the term we would run in; counted below.
    } else {
      // Figure 2, "rules for all servers": a higher term demotes us to follower.
      BecomeFollower(m.term, IsFromLeader(m.type) ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type == MessageType::kAppendEntries || m.type == MessageType::kHeartbeat)) {
      // A stale leader. With pre-vote and CheckQuorum our higher term may come from an election
      // it never heard of; tell it, or it would keep sending heartbeats forever.
      Message r;
      r.type = MessageType::kAppendEntriesResponse;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      Send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      // Let a pre-candidate with a stale term learn ours, or it could never win.
      Message r;
      r.type = MessageType::kPreVoteResponse;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      Send(std::move(r));
    }
    return;  // everything else from an older term is ignored (Figure 2)
  }

  if (m.type == MessageType::kPreVote || m.type == MessageType::kRequestVote) {
    HandleVoteRequest(m);
    return;
  }
  switch (role_) {
    case Role::kLeader:
      StepLeader(m);
      break;
    case Role::kPreCandidate:
    case Role::kCandidate:
      StepCandidate(m);
      break;
    case Role::kFollower:
      StepFollower(m);
      break;
  }
}

void Raft::HandleVoteRequest(const Message& m) {
  // §5.2: one vote per term, first come first served; a follower that knows the term's leader
  // does not vote. A pre-vote for a higher term binds nothing and may always be granted.
  const bool can_vote = voted_for_ == m.from || (voted_for_ == kNoNode && leader_ == kNoNode) ||
                        (m.type == MessageType::kPreVote && m.term > term_);
  Message r;
  r.type = ResponseTypeFor(m.type);
  r.to = m.from;
  // §5.4.1: only a candidate whose log is at least as up-to-date as ours gets our vote, which
  // guarantees that the winner holds every committed entry (Leader Completeness).
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    r.term = m.term;
    if (m.type == MessageType::kRequestVote) {
      election_elapsed_ = 0;
      voted_for_ = m.from;  // persisted (Ready::hard_state) before the response is sent
    }
  } else {
    r.term = term_;
    r.reject = true;
  }
  Send(std::move(r));
}

void Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendEntries:
    case MessageType::kHeartbeat:
    case MessageType::kInstallSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      if (m.type == MessageType::kAppendEntries) HandleAppendEntries(m);
      if (m.type == MessageType::kHeartbeat) HandleHeartbeat(m);
      if (m.type == MessageType::kInstallSnapshot) HandleInstallSnapshot(m);
      break;
    default:
      break;  // stale responses to an earlier candidacy or leadership
  }
}

void Raft::StepCandidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendEntries:
    case MessageType::kHeartbeat:
    case MessageType::kInstallSnapshot:
      // §5.2: a candidate that hears from a leader of its own term recognizes it.
      BecomeFollower(m.term, m.from);
      StepFollower(m);
      break;
    case MessageType::kPreVoteResponse:
      if (role_ != Role::kPreCandidate) break;
      // A grant counts only for the round we are running (it echoes term_ + 1).
      if (!m.reject && m.term != term_ + 1) break;
      TallyVote(m.from, !m.reject);
      break;
    case MessageType::kRequestVoteResponse:
      if (role_ != Role::kCandidate) break;
      TallyVote(m.from, !m.reject);
      break;
    default:
      break;
  }
}

void Raft::StepLeader(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendEntriesResponse:
      HandleAppendEntriesResponse(m);
      break;
    case MessageType::kHeartbeatResponse:
      HandleHeartbeatResponse(m);
      break;
    case MessageType::kAppendEntries:
    case MessageType::kHeartbeat:
    case MessageType::kInstallSnapshot:
      if (config_.tolerate_lost_writes) {
        // A node forgot its vote in a crash and elected a second leader in our term: give way
        // to it (our uncommitted entries may be overwritten; Config::tolerate_lost_writes).
        BecomeFollower(term_, m.from);
        StepFollower(m);
        break;
      }
      // Another leader in our term: Election Safety (§5.2) is broken somewhere (a lost vote, a
      // rolled-back term). Continuing could only spread the damage.
      Stop("node " + std::to_string(m.from) + " acts as leader in term " + std::to_string(term_) +
           ", in which node " + std::to_string(config_.id) + " is leader");
      break;
    default:
      break;
  }
}

void Raft::HandleAppendEntries(const Message& m) {
  Message r;
  r.type = MessageType::kAppendEntriesResponse;
  r.to = m.from;
  r.term = term_;
  if (m.index < commit_index_ && !config_.tolerate_lost_writes) {
    // Everything up to our commit index is committed, hence already in the leader's log
    // (Leader Completeness); tell the leader where to continue.
    r.index = commit_index_;
    Send(std::move(r));
    return;
  }
  for (size_t k = 0; k < m.entries.size(); ++k) {
    if (m.entries[k].index != m.index + 1 + k || m.entries[k].term > m.term ||
        m.entries[k].term == 0) {
      Stop("malformed AppendEntries from node " + std::to_string(m.from) + ": " +
           DescribeMessage(m));
      return;
    }
  }
  const std::optional<uint64_t> prev_term = log_.TermAt(m.index);
  if (config_.tolerate_lost_writes && !prev_term && m.index < log_.snapshot().index) {
    // Lost writes possible: the leader's log below our commitIndex is not trusted but checked,
    // yet this part lies inside our snapshot. Only the entry at the snapshot's index can be
    // compared; acknowledge no further than it, so that the leader continues from there with
    // entries we can check.
    const Snapshot& snap = log_.snapshot();
    const uint64_t last_new = m.index + m.entries.size();
    if (last_new >= snap.index && m.entries[snap.index - m.index - 1].term != snap.term) {
      DiscardDivergedState();
      r.reject = true;
      r.index = m.index;
    } else {
      r.index = std::min(last_new, snap.index);
    }
    Send(std::move(r));
    return;
  }
  if (!prev_term || *prev_term != m.log_term) {
    // §5.3 consistency check failed. Hint: the last index at or before prevLogIndex whose term
    // is at most prevLogTerm; every entry after it in our log is from a term the leader's log
    // does not have at that position, so the leader may skip them all in one round trip.
    const auto [hint_index, hint_term] =
        log_.FindConflictByTerm(std::min(m.index, log_.last_index()), m.log_term);
    r.reject = true;
    r.index = m.index;
    r.reject_hint = hint_index;
    r.log_term = hint_term;
    Send(std::move(r));
    return;
  }
  // §5.3 steps 3-4: skip entries we already have, cut the log at the first conflict, append
  // the rest. Never truncate on a mere prefix: a delayed, shorter AppendEntries must not erase
  // entries a later one appended.
  size_t k = 0;
  while (k < m.entries.size() && log_.TermAt(m.entries[k].index) == m.entries[k].term) ++k;
  if (k < m.entries.size()) {
    const uint64_t from = m.entries[k].index;
    if (from <= commit_index_ && config_.tolerate_lost_writes) {
      // Writes the cluster acknowledged were lost: the leader's log lacks entries we committed
      // and applied. Start over from an empty log; the leader probes back and catches us up.
      DiscardDivergedState();
      r.reject = true;
      r.index = m.index;
      Send(std::move(r));
      return;
    }
    if (from <= commit_index_) {
      Stop("AppendEntries from node " + std::to_string(m.from) + " would overwrite committed " +
           "entry " + std::to_string(from));
      return;
    }
    log_.TruncateAndAppend(
        std::vector<Entry>(m.entries.begin() + static_cast<std::ptrdiff_t>(k), m.entries.end()));
  }
  const uint64_t last_new = m.index + m.entries.size();
  // Figure 2: commitIndex = min(leaderCommit, index of last new entry) -- not our last index,
  // which may hold unverified entries beyond what this message matched.
  CommitTo(std::min(m.commit, last_new));
  r.index = last_new;
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const Message& m) {
  if (config_.tolerate_lost_writes && m.index < commit_index_) {
    // We committed an entry beyond the leader's log (m.index is its last index). Every entry
    // this leader appends after m.index has its term, so if ours does not, the cluster lost
    // writes we applied: start over. (A stale heartbeat cannot trigger this: the entries the
    // leader appended since it was sent carry its term.) An entry inside our snapshot has a
    // term at most the snapshot's, and our terms are at most m.term.
    const uint64_t next = m.index + 1;
    const std::optional<uint64_t> known = log_.TermAt(next);
    const uint64_t term = known                           ? *known
                          : next <= log_.snapshot().index ? log_.snapshot().term
                                                          : m.term;
    if (term != m.term) DiscardDivergedState();
  }
  // The leader caps the commit it sends at our matchIndex, so our log agrees with its log up to
  // there; the min is a guard against a log that lost its tail.
  CommitTo(std::min(m.commit, log_.last_index()));
  Message r;
  r.type = MessageType::kHeartbeatResponse;
  r.to = m.from;
  r.term = term_;
  r.context = m.context;
  if (config_.tolerate_lost_writes && m.commit > log_.last_index()) {
    // The leader believes we hold entries we lost in a crash (the commit it sends is capped at
    // our matchIndex); without telling it, it would never send them again.
    r.reject = true;
    r.index = log_.last_index();
  }
  Send(std::move(r));
}

void Raft::HandleInstallSnapshot(const Message& m) {
  const Snapshot& s = m.snapshot;
  Message r;
  r.type = MessageType::kAppendEntriesResponse;
  r.to = m.from;
  r.term = term_;
  const bool diverged = config_.tolerate_lost_writes && s.index <= commit_index_ &&
                        log_.TermAt(s.index).value_or(s.term) != s.term;
  if (diverged) {
    // Our committed entries disagree with the leader's snapshot (lost writes): drop them and
    // install the snapshot below.
    DiscardDivergedState();
  }
  if (s.index <= commit_index_ && config_.tolerate_lost_writes) {
    // Acknowledge only the snapshot's index, which we hold (or which lies inside our own
    // snapshot): our commitIndex may lie beyond the leader's log.
    r.index = s.index;
  } else if (s.index <= commit_index_) {
    r.index = commit_index_;
  } else if (log_.TermAt(s.index) == s.term) {
    // §7: our log already has the snapshot's last entry; keep the entries after it.
    CommitTo(s.index);
    r.index = s.index;
  } else {
    if (!s.data || s.term == 0) {
      Stop("malformed InstallSnapshot from node " + std::to_string(m.from));
      return;
    }
    // §7: discard the whole log; the state machine is reset from the snapshot.
    log_.Restore(s);
    commit_index_ = s.index;
    pending_snapshot_ = s;
    r.index = s.index;
  }
  Send(std::move(r));
}

void Raft::HandleAppendEntriesResponse(const Message& m) {
  auto it = progress_.find(m.from);
  Progress& pr = it->second;
  pr.recent_active = true;
  if (m.reject) {
    // Fast backtracking: jump to the last index of ours whose term is at most the follower's
    // term at its hint; at most one round trip per term in conflict.
    uint64_t probe = m.reject_hint;
    if (m.log_term > 0) probe = log_.FindConflictByTerm(m.reject_hint, m.log_term).first;
    if (config_.tolerate_lost_writes && m.index <= pr.match_index &&
        pr.state != Progress::State::kSnapshot) {
      // The follower lacks an entry it acknowledged: it lost writes in a crash (or discarded
      // its log, DiscardDivergedState), unless the rejection is merely stale. Forget what it
      // matched and probe again from its hint; for a stale rejection that costs a round trip.
      pr.match_index = 0;
      pr.BecomeProbe();
      pr.next_index = std::max<uint64_t>(1, std::min(m.index, probe + 1));
      SendAppend(m.from, true);
      return;
    }
    if (pr.MaybeDecrTo(m.index, probe)) {
      if (pr.state == Progress::State::kReplicate) pr.BecomeProbe();
      SendAppend(m.from, true);
    }
    return;
  }
  // A follower cannot match beyond our log (it only has what we sent); such an answer comes from
  // a previous life of this node in the same term and tells nothing.
  if (m.index > log_.last_index()) return;
  const bool updated = pr.MaybeUpdate(m.index);
  if (!updated && !(pr.state == Progress::State::kProbe && m.index == pr.match_index)) return;
  switch (pr.state) {
    case Progress::State::kProbe:
      pr.BecomeReplicate();  // the follower's position is known: start pipelining
      break;
    case Progress::State::kSnapshot:
      if (pr.match_index + 1 >= log_.first_index()) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case Progress::State::kReplicate:
      pr.inflights.FreeLE(m.index);
      break;
  }
  const bool committed = MaybeCommit();
  // Keep the pipeline full: bounded by max_inflight_msgs and by the log.
  while (SendAppend(m.from, false)) {
  }
  // Followers behind on the commit index hear of it at the next GetReady (FlushLeader).
  if (committed || pr.commit_sent < commit_index_) commit_pending_ = true;
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  Progress& pr = progress_.find(m.from)->second;
  pr.recent_active = true;
  pr.probe_sent = false;
  // If every message filling the window was lost, only this reopens it.
  if (pr.state == Progress::State::kReplicate && pr.inflights.Full()) pr.inflights.FreeFirst();
  if (config_.tolerate_lost_writes && m.reject && m.index < pr.match_index &&
      pr.state != Progress::State::kSnapshot) {
    // The follower lost entries it acknowledged (see HandleHeartbeat): probe from its end.
    pr.match_index = 0;
    pr.BecomeProbe();
    pr.next_index = m.index + 1;
  }
  if (pr.match_index < log_.last_index()) SendAppend(m.from, true);
  if (m.context > pr.read_ack) {
    pr.read_ack = m.context;
    AdvanceReads();
  }
}

void Raft::DiscardDivergedState() {
  FAULTLINE_CHECK(config_.tolerate_lost_writes, "discarding state needs lost writes");
  log_.Restore(Snapshot{});
  commit_index_ = 0;
  applied_index_ = 0;
  pending_snapshot_.reset();
  pending_reset_ = true;
}

// ---------------------------------------------------------------------------------------------
// Replication (leader).

bool Raft::SendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.find(to)->second;
  if (pr.IsPaused()) return false;
  const uint64_t prev = pr.next_index - 1;
  const std::optional<uint64_t> prev_term = log_.TermAt(prev);
  if (!prev_term) {
    SendSnapshot(to, pr);  // §7: the follower needs entries we compacted away
    return true;
  }
  std::vector<Entry> entries;
  if (pr.next_index <= log_.last_index()) {
    entries = log_.Slice(pr.next_index, log_.last_index(), config_.max_entries_per_msg,
                         config_.max_bytes_per_msg);
  }
  if (entries.empty() && !send_if_empty) return false;
  if (!entries.empty() && pr.state == Progress::State::kReplicate) {
    pr.next_index = entries.back().index + 1;  // optimistic: pipelining
    pr.inflights.Add(entries.back().index);
  }
  if (pr.state == Progress::State::kProbe) pr.probe_sent = true;
  Message m;
  m.type = MessageType::kAppendEntries;
  m.to = to;
  m.term = term_;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = commit_index_;
  pr.commit_sent = std::max(pr.commit_sent, commit_index_);
  m.entries = std::move(entries);
  Send(std::move(m));
  return true;
}

void Raft::SendSnapshot(NodeId to, Progress& pr) {
  const Snapshot& s = log_.snapshot();
  FAULTLINE_CHECK(!s.empty(), "log compacted without a snapshot");
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.to = to;
  m.term = term_;
  m.snapshot = s;
  Send(std::move(m));
  pr.BecomeSnapshot(s.index);
}

void Raft::SendHeartbeats() {
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = peer;
    m.term = term_;
    m.commit = std::min(pr.match_index, commit_index_);
    m.context = read_round_;
    if (config_.tolerate_lost_writes) m.index = log_.last_index();  // see HandleHeartbeat
    pr.commit_sent = std::max(pr.commit_sent, m.commit);
    Send(std::move(m));
  }
}

void Raft::FlushLeader() {
  if (role_ != Role::kLeader || !fatal_error_.empty()) return;
  if (read_round_pending_) {
    // One heartbeat round confirms every read registered since the last one (batching).
    read_round_pending_ = false;
    ++read_round_;
    heartbeat_elapsed_ = 0;
    SendHeartbeats();
  }
  if (!append_pending_ && !commit_pending_) return;
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id) continue;
    bool sent = false;
    while (SendAppend(peer, false)) sent = true;  // bounded by the window and the log
    // Tell an idle follower about a new commit index at once, so it applies without waiting
    // for the next heartbeat. Only when nothing is in flight: an empty AppendEntries overtaking
    // in-flight ones would be rejected and restart probing.
    if (!sent && pr.commit_sent < commit_index_ && pr.state == Progress::State::kReplicate &&
        pr.next_index == pr.match_index + 1) {
      SendAppend(peer, true);
    }
  }
  append_pending_ = commit_pending_ = false;
}

bool Raft::MaybeCommit() {
  std::vector<uint64_t> matches;
  matches.reserve(progress_.size());
  for (const auto& [peer, pr] : progress_) {
    // The leader counts its own entries only once they are on its disk (Advance).
    matches.push_back(peer == config_.id ? log_.stable_index() : pr.match_index);
  }
  const uint64_t n = QuorumValue(std::move(matches), Quorum());
  if (n <= commit_index_) return false;
  // §5.4.2 (Figure 8): an entry from an earlier term is never committed by counting replicas;
  // it commits only indirectly, when an entry of the current term after it does.
  if (!config_.unsafe_commit_old_terms && log_.TermAt(n) != term_) return false;
  const bool had_current_term_commit = CommittedInCurrentTerm();
  CommitTo(n);
  if (!had_current_term_commit && CommittedInCurrentTerm()) ReleaseWaitingReads();
  return true;
}

void Raft::CommitTo(uint64_t index) {
  if (index <= commit_index_) return;
  FAULTLINE_CHECK(index <= log_.last_index(), "commit beyond the log");
  commit_index_ = index;
}

// ---------------------------------------------------------------------------------------------
// Client requests.

ProposeResult Raft::Propose(std::string data) {
  ProposeResult r;
  if (!fatal_error_.empty()) {
    r.error = RequestError::kStopped;
  } else if (role_ != Role::kLeader) {
    r.error = RequestError::kNotLeader;
  } else if (log_.last_index() - commit_index_ >= config_.max_uncommitted_entries) {
    r.error = RequestError::kBusy;
  } else {
    Entry e;
    e.term = term_;
    e.index = log_.last_index() + 1;
    e.data = std::move(data);
    r.index = e.index;
    r.term = e.term;
    log_.Append(std::move(e));
    append_pending_ = true;
  }
  return r;
}

RequestError Raft::ReadIndex(uint64_t context) {
  if (!fatal_error_.empty()) return RequestError::kStopped;
  if (role_ != Role::kLeader) return RequestError::kNotLeader;
  if (reads_.size() + reads_before_noop_.size() >= config_.max_pending_reads) {
    return RequestError::kBusy;
  }
  if (!CommittedInCurrentTerm()) {
    // Thesis §6.4 step 1: until its no-op commits, a new leader does not know the commit index
    // (earlier-term entries it holds may be committed); a read now could miss a write.
    reads_before_noop_.push_back(context);
    return RequestError::kOk;
  }
  if (config_.voters.size() == 1) {
    read_states_.push_back(ReadState{commit_index_, context});
    return RequestError::kOk;
  }
  // Thesis §6.4 steps 2-3: record the commit index, then confirm with a heartbeat round that no
  // newer leader existed when the read arrived.
  reads_.push_back(PendingRead{read_round_ + 1, commit_index_, context});
  read_round_pending_ = true;
  return RequestError::kOk;
}

void Raft::ReleaseWaitingReads() {
  std::deque<uint64_t> waiting;
  waiting.swap(reads_before_noop_);
  for (uint64_t context : waiting) {
    if (config_.voters.size() == 1) {
      read_states_.push_back(ReadState{commit_index_, context});
    } else {
      reads_.push_back(PendingRead{read_round_ + 1, commit_index_, context});
      read_round_pending_ = true;
    }
  }
}

void Raft::AdvanceReads() {
  if (reads_.empty()) return;
  std::vector<uint64_t> acks;
  acks.reserve(progress_.size());
  for (const auto& [peer, pr] : progress_) {
    acks.push_back(peer == config_.id ? read_round_ : pr.read_ack);
  }
  const uint64_t confirmed = QuorumValue(std::move(acks), Quorum());
  while (!reads_.empty() && reads_.front().round <= confirmed) {
    read_states_.push_back(ReadState{reads_.front().index, reads_.front().context});
    reads_.pop_front();
  }
}

void Raft::Compact(uint64_t index, std::shared_ptr<const std::string> data,
                   uint64_t retain_entries) {
  FAULTLINE_CHECK(!ready_in_flight_, "Compact between GetReady and Advance");
  if (index <= log_.snapshot().index) return;
  FAULTLINE_CHECK(index <= applied_index_,
                  "snapshot of an unapplied index " + std::to_string(index));
  FAULTLINE_CHECK(data != nullptr, "snapshot without data");
  const std::optional<uint64_t> term = log_.TermAt(index);
  FAULTLINE_CHECK(term.has_value(), "snapshot index not in the log");
  Snapshot s;
  s.index = index;
  s.term = *term;
  s.data = std::move(data);
  log_.Compact(std::move(s), index > retain_entries ? index - retain_entries : 0);
}

// ---------------------------------------------------------------------------------------------
// Ready / Advance.

bool Raft::HasReady() const {
  if (!fatal_error_.empty()) return false;
  return SoftState{role_, leader_} != prev_soft_state_ || hard_state() != prev_hard_state_ ||
         log_.stable_index() < log_.last_index() || pending_snapshot_.has_value() ||
         pending_reset_ || !msgs_.empty() || !read_states_.empty() ||
         commit_index_ > applied_index_ || append_pending_ || commit_pending_ ||
         read_round_pending_;
}

Ready Raft::GetReady() {
  FAULTLINE_CHECK(!ready_in_flight_, "GetReady called twice without Advance");
  FlushLeader();
  Ready rd;
  const SoftState ss{role_, leader_};
  if (ss != prev_soft_state_) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  const HardState hs = hard_state();
  if (hs != prev_hard_state_) {
    rd.hard_state = hs;
    rd.must_sync = hs.term != prev_hard_state_.term || hs.voted_for != prev_hard_state_.voted_for;
    prev_hard_state_ = hs;
  }
  rd.entries = log_.UnstableEntries();
  if (pending_snapshot_) rd.snapshot = *pending_snapshot_;
  rd.reset = pending_reset_;
  rd.must_sync = rd.must_sync || !rd.entries.empty() || rd.snapshot.has_value() || rd.reset;

  const uint64_t applied_from =
      std::max(applied_index_, pending_snapshot_ ? pending_snapshot_->index : 0);
  const uint64_t apply_to = std::min(commit_index_, log_.last_index());
  if (apply_to > applied_from) {
    rd.committed_entries =
        log_.Slice(applied_from + 1, apply_to, config_.max_committed_entries_per_ready,
                   std::numeric_limits<uint64_t>::max());
  }
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();

  ready_in_flight_ = true;
  ready_stable_to_ = log_.last_index();
  ready_applied_to_ =
      rd.committed_entries.empty() ? applied_from : rd.committed_entries.back().index;
  return rd;
}

void Raft::Advance() {
  FAULTLINE_CHECK(ready_in_flight_, "Advance without GetReady");
  ready_in_flight_ = false;
  pending_snapshot_.reset();
  pending_reset_ = false;
  log_.StableTo(ready_stable_to_);
  applied_index_ = std::max(applied_index_, ready_applied_to_);
  // Our own entries now count towards a quorum.
  if (role_ == Role::kLeader && fatal_error_.empty() && MaybeCommit()) commit_pending_ = true;
}

const Progress* Raft::progress(NodeId peer) const {
  if (role_ != Role::kLeader) return nullptr;
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace faultline::raft
