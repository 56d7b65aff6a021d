// One simulated server: a real replica::Replica over the real DiskStorage on its own
// fault-injecting in-memory disk, with a skewed clock on the simulation's time. The disk
// outlives the replica: a crash destroys the replica (whatever it buffered is gone) and rolls
// the disk back to what it had synced; a restart opens a new replica on the same disk.
// Internal to sim/.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "targets/raft/core/invariants.h"
#include "targets/raft/core/types.h"
#include "targets/raft/replica/replica.h"
#include "targets/raft/storage/fault_injection_env.h"

namespace faultline::raft::sim {

// The node's wall clock: the simulation's time plus a fixed skew (nodes disagree a little, as
// real ones do; leases are judged by the proposing leader's clock).
class SimClock final : public replica::Clock {
 public:
  SimClock(const uint64_t* now_us, uint64_t skew_ms) : now_us_(now_us), skew_ms_(skew_ms) {}
  uint64_t NowMs() override { return *now_us_ / 1000 + skew_ms_; }

 private:
  const uint64_t* now_us_;
  uint64_t skew_ms_;
};

// Collects what one step changed on a node, for the invariant checker (invariants.h wants the
// entries persisted, applied and the snapshots of each step), plus run-wide statistics.
class StepObserver final : public replica::Observer {
 public:
  void Persisted(const std::vector<Entry>& entries) override {
    appended.insert(appended.end(), entries.begin(), entries.end());
  }
  void Applied(const Entry& entry) override {
    applied.push_back(entry);
    if (entry.index > max_applied_index) max_applied_index = entry.index;
  }
  void Snapshotted(uint64_t index, uint64_t term, const std::string& data, bool) override {
    snapshots.push_back(SnapshotRecord{index, term, DataHash(data)});
  }
  void RoleChanged(Role role, uint64_t term) override {
    if (role == Role::kLeader) leader_terms->insert(term);
    role_changes.push_back({role, term});
  }
  void ClearStep() {
    appended.clear();
    applied.clear();
    snapshots.clear();
    role_changes.clear();
  }

  std::vector<Entry> appended;
  std::vector<Entry> applied;
  std::vector<SnapshotRecord> snapshots;
  std::vector<std::pair<Role, uint64_t>> role_changes;  // for the trace
  std::set<uint64_t>* leader_terms = nullptr;           // shared by all nodes
  uint64_t max_applied_index = 0;
};

struct SimNode {
  SimNode(NodeId node_id, const uint64_t* now_us, uint64_t skew_ms)
      : id(node_id), clock(now_us, skew_ms), data_dir("/n" + std::to_string(node_id)) {}

  bool up() const { return replica != nullptr; }
  std::string wal_path() const { return data_dir + "/wal.log"; }

  const NodeId id;
  uint64_t incarnation = 0;
  // A crash in the middle of a write is under way: the disk fails one of the next operations
  // (FaultInjectionEnv::FailAfter), the replica stops on it, and the simulation crashes it.
  bool dying = false;
  storage::FaultInjectionEnv env;
  SimClock clock;
  StepObserver observer;
  const std::string data_dir;
  std::unique_ptr<replica::Replica> replica;  // null while crashed
};

}  // namespace faultline::raft::sim
