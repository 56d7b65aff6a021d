#include "targets/raft/core/types.h"

#include <string>

namespace faultline::raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kRequestVote:
      return "RequestVote";
    case MessageType::kRequestVoteResponse:
      return "RequestVoteResponse";
    case MessageType::kAppendEntries:
      return "AppendEntries";
    case MessageType::kAppendEntriesResponse:
      return "AppendEntriesResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kInstallSnapshot:
      return "InstallSnapshot";
  }
  return "?";
}

std::string DescribeMessage(const Message& m) {
  std::string s = std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
                  MessageTypeName(m.type) + " term=" + std::to_string(m.term);
  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kRequestVote:
      s += " last_log_index=" + std::to_string(m.index) +
           " last_log_term=" + std::to_string(m.log_term);
      break;
    case MessageType::kPreVoteResponse:
    case MessageType::kRequestVoteResponse:
      s += m.reject ? " rejected" : " granted";
      break;
    case MessageType::kAppendEntries:
      s += " prev_log_index=" + std::to_string(m.index) +
           " prev_log_term=" + std::to_string(m.log_term) + " commit=" + std::to_string(m.commit) +
           " entries=[";
      for (size_t i = 0; i < m.entries.size(); ++i) {
        if (i > 0) s += ' ';
        s += std::to_string(m.entries[i].index) + "@" + std::to_string(m.entries[i].term);
        if (m.entries[i].type == EntryType::kNoop) s += "(noop)";
      }
      s += "]";
      break;
    case MessageType::kAppendEntriesResponse:
      if (m.reject) {
        s += " reject index=" + std::to_string(m.index) + " hint=" + std::to_string(m.reject_hint) +
             "@" + std::to_string(m.log_term);
      } else {
        s += " index=" + std::to_string(m.index);
      }
      break;
    case MessageType::kHeartbeat:
      if (m.index != 0) s += " last_index=" + std::to_string(m.index);
      s += " commit=" + std::to_string(m.commit) + " context=" + std::to_string(m.context);
      break;
    case MessageType::kHeartbeatResponse:
      s += " context=" + std::to_string(m.context);
      if (m.reject) s += " reject index=" + std::to_string(m.index);
      break;
    case MessageType::kInstallSnapshot:
      s += " snapshot=" + std::to_string(m.snapshot.index) + "@" + std::to_string(m.snapshot.term);
      break;
  }
  return s;
}

}  // namespace faultline::raft
