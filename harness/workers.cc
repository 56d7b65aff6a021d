#include "harness/workers.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "base/rand.h"
#include "harness/backoff.h"

namespace faultline::harness {

using Clock = std::chrono::steady_clock;

void RunWorker(WorkerShared* shared, int worker, std::unique_ptr<targets::Client> client,
               int64_t* last_process) {
  int64_t process = worker;
  base::Rng rng(base::MixSeed(shared->seed, static_cast<uint64_t>(worker)));
  // Each worker takes rate/concurrency of the total, spaced with jitter so that workers do not
  // march in step; a worker that falls behind does not burst to catch up.
  const double interval_s = shared->rate > 0 ? shared->concurrency / shared->rate : 0;
  auto jitter = [&rng] {  // uniform in [0.5, 1.5), the same on every standard library
    constexpr uint64_t kSteps = 1 << 20;
    return 0.5 + static_cast<double>(rng.Uniform(kSteps)) / kSteps;
  };
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto due = Clock::now() + seconds(interval_s * jitter() * 0.5);
  Backoff backoff;
  std::optional<checker::Op> again;  // an operation that never reached the node, to try again
  while (!shared->stop.load(std::memory_order_relaxed)) {
    if (interval_s > 0) {
      const auto now = Clock::now();
      if (due > now) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(due - now, std::chrono::milliseconds(50)));
        continue;
      }
      due = std::max(due + seconds(interval_s * jitter()), now);
    }
    // A refused operation is tried again rather than replaced: it never reached the node, and
    // drawing the next one would count it toward --ops-per-key (the key would rotate away while
    // the node is down). The seed's sequence of operations stays the same.
    const checker::Op op = again ? *std::move(again) : shared->workload->Next(worker);
    again.reset();
    int64_t t = 0;
    if (shared->recorder != nullptr) t = shared->recorder->Invoke(process, op);
    const checker::Completion c = shared->workload->Execute(*client, worker, op);
    if (shared->recorder != nullptr) shared->recorder->Complete(process, op, c, t);
    shared->completed.fetch_add(1, std::memory_order_relaxed);
    if (c.type == checker::EventType::kInfo) process += shared->concurrency;
    if (NeverReachedNode(c)) again = op;
    if (!NodeUnavailable(c)) {
      backoff.Succeeded();
      continue;
    }
    // The node is not there: wait before the next attempt, in steps so that a stop is prompt.
    const auto until = Clock::now() + backoff.Failed();
    while (!shared->stop.load(std::memory_order_relaxed) && Clock::now() < until) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
    }
  }
  *last_process = process;
}

}  // namespace faultline::harness
