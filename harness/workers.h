// Client workers: one thread per worker, one operation at a time through the worker's own
// Client, paced to a share of the total rate, each invoke and completion recorded.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "harness/recorder.h"
#include "targets/client.h"
#include "workloads/workload.h"

namespace faultline::harness {

struct WorkerShared {
  workloads::Workload* workload = nullptr;
  HistoryRecorder* recorder = nullptr;  // null: operations run but are not recorded (benchmarks)
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> completed{0};
  int concurrency = 1;
  double rate = 0;  // total ops/s over all workers; 0 = unlimited
  uint64_t seed = 0;
};

// Runs until shared->stop. After an info completion the process is retired and the worker goes
// on as process + concurrency (DESIGN.md section 2). Stores the last process number it used.
// A node that is unavailable (connection refused, a 503 such as not-leader without a leader to
// follow) makes the worker wait before its next attempt (harness/backoff.h: 100 ms doubling to
// 1 s, reset by an answer); an operation refused before it was sent is tried again instead of
// drawing the next one.
void RunWorker(WorkerShared* shared, int worker, std::unique_ptr<targets::Client> client,
               int64_t* last_process);

}  // namespace faultline::harness
