// HistoryRecorder: writes the history (DESIGN.md section 2) as the test runs.
//
// Every event is formatted as one whole line under a mutex that also assigns `index` and `time`,
// so the file's order is the order events happened in. An invoke is recorded before its request
// is sent and a completion after its answer arrives, which is what makes real-time order in the
// file trustworthy for the checker.
//
// A writer thread hands the waiting lines to the kernel with one write(2): it wakes when the
// first line arrives, lets a millisecond's lines gather, and writes them together. Per-line
// writes and per-line wake-ups both cost raftkv throughput (a write dirties the history's inode
// and the nodes' fsyncs commit the journal that holds it; a wake-up per line cost the controller
// ~15 us of CPU per operation; see bench/harness_bench). A crash of the controller therefore
// loses at most the last millisecond of lines, never the file and never half a line; Flush()
// and the destructor write everything.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "checker/op.h"
#include "checker/value.h"
#include "nemesis/nemesis.h"

namespace faultline::harness {

// A nemesis event as the history's `value` (DESIGN.md section 2): start-partition's grudge as an
// object {"n1": ["n4", "n5"], ...} (nodes that drop nothing left out), the node list of a pause
// or kill, null for stop-partition.
checker::Value NemesisEventValue(const nemesis::NemesisEvent& event);

class HistoryRecorder {
 public:
  static base::Result<std::unique_ptr<HistoryRecorder>> Open(const std::string& path);
  ~HistoryRecorder();
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  // Nanoseconds since the recorder opened: the history's clock.
  int64_t Now() const;

  // Records the invoke; returns its time.
  int64_t Invoke(int64_t process, const checker::Op& op);
  // Records the completion of `op`, invoked at `invoke_time` (for latency_ns).
  void Complete(int64_t process, const checker::Op& op, const checker::Completion& c,
                int64_t invoke_time);
  // A nemesis event: process "nemesis", type info.
  void Nemesis(const std::string& f, const checker::Value& value);

  struct Counts {
    uint64_t invokes = 0, ok = 0, fail = 0, info = 0, nemesis = 0;
  };
  Counts counts() const;
  // Completions that were not ok, by type and error: {"fail mismatch": 12, "info timeout": 3}.
  std::map<std::string, uint64_t> errors() const;
  // The first write error, if any (the disk filled up, ...); recording stops after it.
  std::string error() const;
  // Waits until every line recorded so far has been handed to the kernel.
  void Flush();

 private:
  HistoryRecorder(int fd, std::string path);
  void Append(std::string_view body);  // body: the line after {"index":..,"time":.., and its '}'

  const int fd_;
  const std::string path_;
  void WriterLoop();

  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::condition_variable wake_;     // the writer: lines are waiting, or closing
  std::condition_variable written_;  // Flush: the writer went idle
  int64_t next_index_ = 0;           // GUARDED_BY(mu_)
  std::string error_;                // GUARDED_BY(mu_)
  std::string pending_;              // GUARDED_BY(mu_): whole lines not yet written
  bool writing_ = false;             // GUARDED_BY(mu_): the writer holds a batch outside the lock
  bool closing_ = false;             // GUARDED_BY(mu_)
  std::thread writer_;
  std::map<std::string, uint64_t> errors_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> invokes_{0}, ok_{0}, fail_{0}, info_{0}, nemesis_{0};
};

}  // namespace faultline::harness
