// The simulation's engine (see sim.h for what a run is). One object per run, single-threaded;
// it owns the event queue, the network, the nodes, the clients and the history. Its methods are
// split by concern over several files:
//   simulation.cc  the run's phases, the event loop, the per-step checks
//   network.cc     messages between nodes: delays, drops, duplicates, partitions
//   nodes.cc       booting, crashing (torn WAL tails, crashes mid-write) and restarting replicas
//   clients.cc     register clients, requests and replies, the history
//   lock_clients.cc  lock clients: acquire -> guarded write of the token -> release
//   nemesis.cc     random faults and their history events (DESIGN.md section 8's dialect)
//   figure8.cc     the scripted Figure 8 scenario
//   history_check.cc  the checks of the finished history
// Internal to sim/.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/rand.h"
#include "checker/value.h"
#include "targets/raft/core/invariants.h"
#include "targets/raft/replica/replica.h"
#include "targets/raft/sim/event_queue.h"
#include "targets/raft/sim/node.h"
#include "targets/raft/sim/sim.h"

namespace faultline::raft::sim {

std::string NodeName(NodeId id);

// Client <-> node latency (the clients sit on the test controller, as in Jepsen; the nemesis
// does not cut these links).
inline constexpr uint64_t kClientDelayMinUs = 100;
inline constexpr uint64_t kClientDelayMaxUs = 2000;
// Bound on the requests of one guarded write (as workloads/ kCasAttemptsMax).
inline constexpr int kCasAttemptsMax = 10;

enum class F : uint8_t { kRead, kWrite, kCas, kAcquire, kGuardedWrite, kRelease };
const char* FName(F f);  // the history's f: "read", "write", "cas", "acquire", "write", "release"

// One history operation.
struct ClientOp {
  uint64_t id = 0;
  int client = 0;
  int64_t process = 0;
  F f = F::kRead;
  int key = 0;           // register number, or lock number
  checker::Value value;  // the invoke's value
  bool done = false;
  bool final_read = false;
};

enum class LockPhase : uint8_t { kAcquire, kWrite, kRelease };

struct Client {
  int64_t process = 0;
  bool lock = false;  // a lock client (else a register client)
  bool busy = false;
  uint64_t op_id = 0;
  uint64_t request_id = 0;  // the request awaited; answers to older ones are ignored
  NodeId leader_hint = kNoNode;
  // Lock clients.
  LockPhase phase = LockPhase::kAcquire;
  std::string owner;
  uint64_t acquires = 0;
  uint64_t token = 0;
  bool pause = false;     // sleep 1.5 leases before this cycle's write (a GC pause)
  int attempts = 0;       // guarded write: reads sent so far
  bool cas_sent = false;  // guarded write: the awaited request is the cas
  std::string last_error;
};

struct Request {
  uint64_t id = 0;
  int client = 0;
  replica::ClientRequest request;
};

struct Reply {
  uint64_t request_id = 0;
  int client = 0;
  NodeId node = kNoNode;
  replica::ClientReply reply;
};

enum class FaultKind : uint8_t {
  kNone,
  kPartitionOne,
  kPartitionLeader,
  kPartitionHalves,
  kPartitionBridge,
  kCrashOne,
  kCrashLeader,
  kCrashMajority,
};
const char* FaultName(FaultKind k);

class Simulation {
 public:
  explicit Simulation(const SimOptions& options);
  SimResult Run();

 private:
  // --- phases and checks (simulation.cc)
  void Process(const Event& ev);
  bool SafetyPhaseStep();    // true when the safety phase is over
  bool LivenessPhaseStep();  // true when the run is over
  bool Converged() const;
  NodeId CurrentLeader() const;
  bool CheckStep();
  void Fail(std::string failure, std::string detail);
  void Trace(const std::string& line);
  bool tracing() const { return options_.trace_lines > 0; }

  // --- network (network.cc)
  static size_t Index(NodeId id) { return static_cast<size_t>(id - 1); }
  bool Linked(NodeId from, NodeId to) const { return !cut_[Index(from)][Index(to)]; }
  void SendMessage(Message m);
  void Deliver(int node, uint64_t slot);
  void CutLinks(const std::vector<std::vector<int>>& groups);  // only within groups stay
  void HealLinks();
  bool AnyLinkCut() const;
  checker::Value Grudge() const;  // {node: [nodes it cannot hear]}

  // --- nodes (nodes.cc)
  replica::Options ReplicaOptions(const SimNode& n) const;
  void Boot(int i);
  void Crash(int i);
  void CrashMidWrite(int i);  // arms the disk; the node dies at its next storage operations
  void Restart(int i);
  void HandleReady(int i);
  void AfterStep();  // reaps replicas that stopped: mid-write crashes, or node-stopped
  void AccumulateStats(const replica::Replica& r);
  SimNode& node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  const SimNode& node(int i) const { return *nodes_[static_cast<size_t>(i)]; }

  // --- clients and history (clients.cc, lock_clients.cc)
  void ClientStart(int c);
  void StartRegisterOp(int c);
  void StartLockOp(int c);
  ClientOp& Invoke(int c, F f, int key, checker::Value value, bool final_read);
  void SendRequest(int c, replica::ClientRequest request);
  void HandleRequest(int node, uint64_t slot);
  void OnReply(const Reply& r);
  void OnRegisterReply(Client& client, ClientOp& op, const Reply& r);
  void OnLockReply(Client& client, ClientOp& op, const Reply& r);
  void GuardedWriteRead(int c);
  void Complete(ClientOp& op, checker::EventType type, checker::Value value, std::string error);
  void OnClientTimeout(uint64_t op_id);
  void Record(int64_t process, bool nemesis, checker::EventType type, const std::string& f,
              std::optional<checker::Value> key, checker::Value value, std::string error);
  void RecordNemesis(const std::string& f, checker::Value value);
  checker::Value HistoryKey(const ClientOp& op) const;
  int total_clients() const { return options_.clients + options_.lock_clients; }
  void StartFinalReads();

  // --- nemesis (nemesis.cc)
  void NemesisStep();
  void StartFault();
  void StopFault();
  void Heal();
  checker::Value NodeList(const std::vector<int>& nodes) const;

  // --- the scripted Figure 8 scenario (figure8.cc)
  bool Figure8Step();
  void Partition(const std::vector<std::vector<int>>& groups, const std::string& why);
  void InvokeScripted(int target, int key, int64_t value);
  int LeaderAmong(const std::vector<int>& group, uint64_t min_term) const;

  // --- the finished history (history_check.cc)
  void CheckHistory();

  SimOptions options_;
  FaultSettings faults_;
  base::Rng rng_;
  SimResult result_;
  bool failed_ = false;

  EventQueue queue_;
  Slab<Message> messages_;
  Slab<Request> requests_;
  Slab<Reply> replies_;
  uint64_t next_request_id_ = 1;

  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::vector<bool>> cut_;  // cut_[a][b]: messages from a to b are dropped
  uint64_t network_drop_ppm_ = 0;
  uint64_t network_duplicate_ppm_ = 0;

  std::vector<Client> clients_;
  std::vector<ClientOp> ops_;  // by id
  uint64_t ops_invoked_ = 0;   // safety-phase operations invoked

  bool healed_ = false;
  bool final_reads_started_ = false;
  std::deque<int> final_keys_todo_;
  int final_keys_done_ = 0;
  uint64_t liveness_deadline_us_ = 0;

  FaultKind fault_ = FaultKind::kNone;
  std::vector<int> crashed_;
  bool partitioned_ = false;  // a start-partition is not yet stopped

  // Figure 8 scenario state: the paper's S1..S5 roles are node indexes a, b, c, d, e.
  struct Figure8 {
    int stage = 0;
    int a = -1, b = -1, c = -1, d = -1, e = -1, x = -1, y = -1;
    uint64_t index = 0;  // where the old-term entry sits
    uint64_t term_a = 0;
    bool b_has_entry = false;
    bool e_isolated = false;
    uint64_t deadline_us = 0;
    std::string outcome;  // how the script ended, for the report
  } f8_;

  InvariantChecker invariants_;
  std::vector<NodeObservation> observations_;
  std::set<uint64_t> leader_terms_;  // terms in which some node became leader
  std::deque<std::string> trace_;
};

}  // namespace faultline::raft::sim
