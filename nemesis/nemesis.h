// Nemesis: starts and stops one fault at a time on a cluster, and heals everything at the end
// (DESIGN.md section 8). It chooses what to break from a seeded generator, carries the fault out
// through a NodeControl (pause, kill) and a NetBackend (partitions), and reports every start
// and stop as an event for the history.
//
// Faults and their aims:
//  - partition: a shape from partition.h (halves, random-halves, one, leader, majorities-ring,
//    bridge), cut by the net backend.
//  - pause: SIGSTOP of one node, a minority, a majority, all nodes, or the leader; stop = SIGCONT.
//  - kill: SIGKILL of the same kinds of targets; stop = restart on the same data.
//
// Thread safety: one thread drives a Nemesis (the controller's main thread); ActiveSummary may be
// read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/rand.h"
#include "base/status.h"
#include "nemesis/net.h"
#include "nemesis/node_control.h"
#include "nemesis/partition.h"

namespace faultline::nemesis {

enum class FaultKind { kPartition, kPause, kKill };
const char* FaultKindName(FaultKind kind);  // "partition", "pause", "kill"

// "none" -> {}; "all" -> every kind; otherwise a comma list of partition, pause, kill. Unknown
// names get a one-line error.
base::Result<std::vector<FaultKind>> ParseFaultKinds(const std::string& spec);

// A fault start or stop, recorded in the history as process "nemesis", type "info". Plain data:
// the nemesis knows nodes, not history values (DESIGN.md section 1), so the harness turns an
// event into the history's `value` (harness::NemesisEventValue): the grudge as an object for
// start-partition, the node list for pause and kill, null for stop-partition.
struct NemesisEvent {
  std::string f;  // "start-partition", "stop-partition", "start-pause", "stop-kill", ...
  std::optional<Grudge> grudge;                   // start-partition only
  std::optional<std::vector<std::string>> nodes;  // start and stop of pause and kill
};

class Nemesis {
 public:
  using EventSink = std::function<void(const NemesisEvent&)>;

  // `net` may be null when no partition is asked for.
  Nemesis(NodeControl* nodes, NetBackend* net, std::vector<FaultKind> kinds, uint64_t seed,
          EventSink sink);

  // Starts the next fault from the seeded schedule (ends the current one first, if any).
  // Reports the start event before acting: a fault is in the history before its effects.
  base::Status StartNext();
  // Ends the current fault, if any, and reports its stop event.
  base::Status StopCurrent();
  // Ends everything that may still be broken: heals the network, resumes every node, restarts
  // every node this nemesis killed. Safe to call at any time, more than once.
  base::Status HealAll();

  // e.g. "partition halves", "kill n2 n4", "" when nothing is active. Thread-safe.
  std::string ActiveSummary() const;
  int faults_started() const { return faults_started_; }

 private:
  std::vector<std::string> PickTargets(bool leader_aim_ok);
  void Report(NemesisEvent event);
  void SetActive(std::string s);

  NodeControl* nodes_;
  NetBackend* net_;
  std::vector<FaultKind> kinds_;
  base::Rng rng_;
  EventSink sink_;

  std::optional<FaultKind> active_;
  std::vector<std::string> active_targets_;  // paused or killed nodes
  std::set<std::string> killed_;             // killed and not yet restarted
  std::set<std::string> paused_;
  bool cut_ = false;
  int faults_started_ = 0;

  mutable std::mutex summary_mu_;
  std::string summary_;  // GUARDED_BY(summary_mu_)
};

}  // namespace faultline::nemesis
