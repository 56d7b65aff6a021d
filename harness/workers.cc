#include "harness/workers.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace faultline::harness {

using Clock = std::chrono::steady_clock;

void RunWorker(WorkerShared* shared, int worker, std::unique_ptr<targets::Client> client, int64_t* last_process) {
  int64_t process = worker;
  std::mt19937_64 rng(shared->seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(worker) + 1);
  // Each worker takes rate/concurrency of the total, spaced with jitter so that workers do not
  // march in step; a worker that falls behind does not burst to catch up.
  const double interval_s = shared->rate > 0 ? shared->concurrency / shared->rate : 0;
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto due = Clock::now() + seconds(interval_s * jitter(rng) * 0.5);
  while (!shared->stop.load(std::memory_order_relaxed)) {
    if (interval_s > 0) {
      const auto now = Clock::now();
      if (due > now) {
        std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::milliseconds(50)));
        continue;
      }
      due = std::max(due + seconds(interval_s * jitter(rng)), now);
    }
    const checker::Op op = shared->workload->Next(worker);
    int64_t t = 0;
    if (shared->recorder != nullptr) t = shared->recorder->Invoke(process, op);
    const checker::Completion c = shared->workload->Execute(*client, worker, op);
    if (shared->recorder != nullptr) shared->recorder->Complete(process, op, c, t);
    shared->completed.fetch_add(1, std::memory_order_relaxed);
    if (c.type == checker::EventType::kInfo) process += shared->concurrency;
  }
  *last_process = process;
}

}  // namespace faultline::harness
