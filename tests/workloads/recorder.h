// Recorder: drives a Workload against a FakeClient the way the harness would, one operation at
// a time, and records the history (DESIGN.md section 2 process numbering: after an info the
// worker continues as process + concurrency).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "checker/history.h"
#include "tests/workloads/fake_client.h"
#include "workloads/workload.h"

namespace faultline::workloads::testing {

class Recorder {
 public:
  explicit Recorder(int concurrency) : concurrency_(concurrency) {
    for (int w = 0; w < concurrency; ++w) process_.push_back(w);
  }

  void Invoke(int worker, const checker::Op& op) {
    Add(process_[worker], checker::EventType::kInvoke, op, op.value, "");
  }
  void Complete(int worker, const checker::Op& op, const Completion& c) {
    Add(process_[worker], c.type, op, c.value, c.error);
    if (c.type == EventType::kInfo) process_[worker] += concurrency_;
  }

  // Next + Execute + record, for worker `worker`.
  Completion Step(Workload& wl, targets::Client& client, int worker) {
    checker::Op op = wl.Next(worker);
    Invoke(worker, op);
    Completion c = wl.Execute(client, worker, op);
    Complete(worker, op, c);
    return c;
  }

  // The final reads on each client, as a final-reads process per client.
  void FinalReads(Workload& wl, const std::vector<targets::Client*>& clients) {
    int64_t process = 1000000;
    for (targets::Client* client : clients) {
      for (const checker::Op& op : wl.FinalReads()) {
        Add(process, checker::EventType::kInvoke, op, op.value, "");
        Completion c = wl.Execute(*client, 0, op);
        Add(process, c.type, op, c.value, c.error);
        ++process;
      }
    }
  }

  const checker::History& history() const { return h_; }

  // When set, each event's time (ns) is clock_ns() plus its index (kept strictly rising), e.g. a
  // fake store's manual clock; otherwise event i is at i µs.
  std::function<int64_t()> clock_ns;

 private:
  void Add(int64_t process, checker::EventType type, const checker::Op& op, const Value& value,
           const std::string& error) {
    checker::Event e;
    e.index = static_cast<int64_t>(h_.events.size());
    e.line = e.index + 1;
    e.time = clock_ns ? clock_ns() + e.index : e.index * 1000;
    e.process = process;
    e.type = type;
    e.f = op.f;
    e.has_key = op.has_key;
    e.key = op.key;
    e.value = value;
    e.error = error;
    h_.events.push_back(std::move(e));
  }

  int concurrency_;
  std::vector<int64_t> process_;
  checker::History h_{"recorded", {}};
};

}  // namespace faultline::workloads::testing
