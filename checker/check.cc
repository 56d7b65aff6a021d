#include "checker/check.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "checker/linearizability.h"
#include "checker/model.h"
#include "checker/unique_values.h"

namespace faultline::checker {

using base::Result;
using base::Status;

Value VerdictValue(Verdict v) {
  if (v == Verdict::kValid) return Value::Bool(true);
  if (v == Verdict::kInvalid) return Value::Bool(false);
  return Value::String("unknown");
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

std::vector<std::string> ModelNames() { return AllModelNames(); }

namespace {

// The first number in a file (memory.max, memory.current), or nothing ("max", unreadable).
std::optional<uint64_t> ReadNumber(const char* path) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

// A /proc/meminfo line's value in bytes ("MemAvailable:   123456 kB").
std::optional<uint64_t> ReadMeminfo(const std::string& name) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == name + ":") return kb * 1024;
  }
  return std::nullopt;
}

}  // namespace

uint64_t DefaultMemoryLimitMb() {
  std::optional<uint64_t> available = ReadMeminfo("MemAvailable");
  auto lower = [&](uint64_t bytes) {
    if (!available || bytes < *available) available = bytes;
  };
  if (std::optional<uint64_t> max = ReadNumber("/sys/fs/cgroup/memory.max")) {
    const uint64_t current = ReadNumber("/sys/fs/cgroup/memory.current").value_or(0);
    lower(*max > current ? *max - current : 0);
  }
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit rl {};
    if (getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) lower(rl.rlim_cur);
  }
  if (!available) return 4096;
  return std::max<uint64_t>(64, *available / 2 >> 20);
}

namespace {

using Clock = std::chrono::steady_clock;

// One key's sub-history.
struct Partition {
  bool has_key = false;
  Value key;
  std::vector<const Operation*> ops;  // relevant to the search, in invocation order
  uint64_t all_ops = 0;               // including failed and irrelevant ones
};

OpRef MakeRef(const Model& model, const Operation& op) {
  OpRef r;
  r.process = op.process;
  r.f = op.f;
  r.value = op.value;
  r.status = op.status;
  r.invoke_index = op.invoke_index;
  r.complete_index = op.complete_index;
  r.text = model.DescribeOp(op);
  r.node = op.node;
  return r;
}

Counterexample BuildCounterexample(const Model& model, const Partition& p, int failing_op,
                                   const std::vector<int>& prefix, const std::vector<Value>& states,
                                   bool states_truncated) {
  Counterexample cx;
  const Operation& bad = *p.ops[failing_op];
  cx.op = MakeRef(model, bad);
  // Concurrent: intervals overlapping [invoke, complete]; indeterminate ones never end.
  for (const Operation* o : p.ops) {
    if (o == &bad) continue;
    size_t end = o->status == OpStatus::kInfo ? Operation::kNoCompletion : o->complete_pos;
    if (o->invoke_pos < bad.complete_pos && end > bad.invoke_pos) {
      cx.concurrent.push_back(MakeRef(model, *o));
    }
  }
  for (const Value& st : states) cx.states.push_back(model.DescribeState(st));
  cx.states_truncated = states_truncated;
  for (int i : prefix) cx.prefix.push_back(MakeRef(model, *p.ops[i]));
  cx.reason = model.Reject(bad, states);
  return cx;
}

}  // namespace

Result<CheckResult> CheckHistory(const History& history, const CheckOptions& options) {
  const auto started = options.started.value_or(Clock::now());
  std::unique_ptr<Model> model = MakeModel(options.model);
  if (!model) {
    std::string names;
    for (const std::string& n : AllModelNames()) names += (names.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("unknown model '" + options.model + "' (expected one of " +
                                   names + ")");
  }
  Result<Value> initial = model->Initial(options.initial);
  if (!initial.ok()) return initial.status();

  Result<std::vector<Operation>> paired = PairOperations(history);
  if (!paired.ok()) return paired.status();
  std::vector<Operation>& ops = *paired;

  // Split by key, in order of first appearance.
  std::vector<Partition> parts;
  std::unordered_map<std::string, size_t> part_of;
  for (Operation& op : ops) {
    // Only a cas can observe a mismatch; any other fail has no effect (DESIGN.md section 2).
    if (op.status == OpStatus::kMismatch && op.f != "cas") op.status = OpStatus::kFail;
    std::string key_text = op.has_key ? op.key.ToJson() : std::string();
    auto [it, inserted] = part_of.try_emplace(std::move(key_text), parts.size());
    if (inserted) {
      parts.emplace_back();
      parts.back().has_key = op.has_key;
      parts.back().key = op.key;
    }
    Partition& p = parts[it->second];
    ++p.all_ops;
    if (op.status == OpStatus::kFail) continue;
    Status valid = model->Validate(op);
    if (!valid.ok()) {
      const Event& e = history.events[op.invoke_pos];
      return Status::InvalidArgument(history.source + ":" + std::to_string(e.line) + ": " +
                                     valid.message());
    }
    if (model->Irrelevant(op)) continue;
    p.ops.push_back(&op);
  }

  CheckResult result;
  result.model = std::string(model->name());
  result.keys.resize(parts.size());

  // Limits past 2^40 MB would overflow in bytes: no limit.
  const uint64_t limit_mb =
      options.memory_limit_mb == 0 ? DefaultMemoryLimitMb() : options.memory_limit_mb;
  result.memory_limit_mb = limit_mb < (1ull << 40) ? limit_mb : 0;
  MemoryBudget budget(result.memory_limit_mb << 20);
  std::atomic<int> stop{0};
  SearchLimits limits{&stop, &budget, options.reductions};
  const std::string memory_cause = "memory-limit: the search needed more than " +
                                   std::to_string(result.memory_limit_mb) + " MB (--memory-limit)";

  // Searches one key. A memory limit ends that key's search only: its memory is released and
  // every other key is still decided. Returns true when the key ran out of memory while other
  // searches held a large part of the shared budget (it may be decidable alone).
  auto search = [&](size_t i) {
    const Partition& p = parts[i];
    KeyResult& kr = result.keys[i];
    kr.has_key = p.has_key;
    kr.key = p.key;
    kr.ops = p.all_ops;
    kr.verdict = Verdict::kUnknown;
    kr.cause = memory_cause;
    const auto t0 = Clock::now();
    SearchOutcome s;
    try {
      // Keys whose written values are all unique are decided without a search when the
      // unique-value fast path applies (see unique_values.h); the others, and those it cannot
      // decide, are searched. Its memory is linear in the key's operations (a few hundred bytes
      // each, charged up front); when the budget says no, the search is refused too.
      const uint64_t fast_bytes = 512 * static_cast<uint64_t>(p.ops.size());
      if (options.unique_fast_path && budget.Charge(fast_bytes)) {
        struct Held {
          MemoryBudget& budget;
          uint64_t bytes;
          ~Held() { budget.Release(bytes); }
        } held{budget, fast_bytes};
        const UniqueOutcome u = DecideUniqueValues(*model, *initial, p.ops, &stop);
        if (u.kind != UniqueOutcome::Kind::kNotApplicable) {
          kr.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          kr.fast_path = true;
          kr.cause.clear();
          kr.verdict = Verdict::kValid;
          if (u.kind == UniqueOutcome::Kind::kInvalid) {
            kr.verdict = Verdict::kInvalid;
            kr.counterexample =
                BuildCounterexample(*model, p, u.failing_op, u.prefix, u.states, true);
            kr.counterexample->reason = u.reason;
            kr.cause = u.reason;
          }
          return false;
        }
      }
      s = SearchLinearization(*model, *initial, p.ops, limits);
    } catch (const std::bad_alloc&) {
      // The allocator said no before the budget did: the same verdict as the limit, for this
      // key alone (what it allocated is freed by the unwinding).
      kr.cause = "memory-limit: an allocation failed";
      kr.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      return false;
    }
    kr.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    kr.verdict = s.verdict;
    kr.steps = s.steps;
    kr.cache_entries = s.cache_entries;
    if (s.verdict == Verdict::kUnknown) {
      kr.cause = s.stop_cause == StopCause::kMemoryLimit ? memory_cause : "timeout";
      return s.stop_cause == StopCause::kMemoryLimit && budget.limit() != 0 &&
             s.others_bytes > budget.limit() / 8;
    }
    if (s.verdict == Verdict::kInvalid) {
      kr.counterexample =
          BuildCounterexample(*model, p, s.failing_op, s.prefix, s.states, s.states_truncated);
      kr.cause = kr.counterexample->reason;
    } else {
      kr.cause.clear();
    }
    return false;
  };

  // Largest partitions first, so one big key does not start last.
  std::vector<size_t> order(parts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return parts[a].ops.size() > parts[b].ops.size(); });
  std::atomic<size_t> cursor{0};
  std::vector<size_t> retry;  // guarded by mu (below)
  std::mutex mu;
  auto work = [&] {
    while (true) {
      if (stop.load(std::memory_order_relaxed) != 0) return;
      size_t slot = cursor.fetch_add(1);
      if (slot >= order.size()) return;
      if (search(order[slot])) {
        std::lock_guard<std::mutex> lock(mu);
        retry.push_back(order[slot]);
      }
    }
  };

  std::string internal_error;  // guarded by mu
  auto worker = [&] {
    try {
      work();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu);
      internal_error = e.what();
      stop.store(static_cast<int>(StopCause::kTimeout));
    }
  };
  // Runs the keys of `order` on up to `threads` threads until done or out of time.
  auto run_pool = [&](int threads) -> Status {
    cursor = 0;
    threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(1, order.size())));
    std::condition_variable cv;
    int running = threads;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      try {
        pool.emplace_back([&] {
          worker();
          std::lock_guard<std::mutex> lock(mu);
          --running;
          cv.notify_all();
        });
      } catch (const std::system_error&) {
        // Fewer threads than asked for: the ones running take every key.
        std::lock_guard<std::mutex> lock(mu);
        running -= threads - t;
        if (pool.empty()) return Status::Internal("checker: cannot start a thread");
        break;
      }
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      // Past about 30 years a deadline would overflow the clock: no limit.
      if (options.timeout_s > 0 && options.timeout_s < 1e9) {
        auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.timeout_s));
        if (!cv.wait_until(lock, deadline, [&] { return running == 0; })) {
          int expected = 0;
          stop.compare_exchange_strong(expected, static_cast<int>(StopCause::kTimeout));
        }
      }
      cv.wait(lock, [&] { return running == 0; });
    }
    for (std::thread& t : pool) t.join();
    if (!internal_error.empty()) return Status::Internal("checker: " + internal_error);
    return Status::Ok();
  };
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (Status st = run_pool(threads); !st.ok()) return st;
  // Keys refused memory while other searches held much of the shared budget get all of it, one
  // at a time, within what is left of the time limit.
  if (!retry.empty() && stop.load() == 0) {
    order.assign(retry.begin(), retry.end());
    retry.clear();
    if (Status st = run_pool(1); !st.ok()) return st;
  }

  // Keys never reached because the check was stopped are unknown too.
  const int stopped = stop.load();
  for (size_t i = 0; i < parts.size(); ++i) {
    KeyResult& kr = result.keys[i];
    if (kr.ops == 0 && parts[i].all_ops != 0) {
      kr.has_key = parts[i].has_key;
      kr.key = parts[i].key;
      kr.ops = parts[i].all_ops;
      kr.verdict = Verdict::kUnknown;
      kr.cause = stopped == static_cast<int>(StopCause::kMemoryLimit) ? memory_cause : "timeout";
    }
  }

  // A file with no client operation was probably misread (or is empty): a CI gate must not
  // pass on it.
  if (ops.empty()) {
    result.verdict = Verdict::kUnknown;
    result.cause = "no client operations";
    result.peak_memory_bytes = budget.peak();
    result.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    return result;
  }

  size_t invalid = 0, unknown = 0;
  for (const KeyResult& kr : result.keys) {
    result.ops += kr.ops;
    result.steps += kr.steps;
    if (kr.verdict == Verdict::kInvalid) ++invalid;
    if (kr.verdict == Verdict::kUnknown) ++unknown;
  }
  const bool keyed = parts.size() > 1 || (parts.size() == 1 && parts[0].has_key);
  if (invalid > 0) {
    result.verdict = Verdict::kInvalid;
    result.cause = keyed ? std::to_string(invalid) + " of " + std::to_string(parts.size()) +
                               (parts.size() == 1 ? " key" : " keys") + " not linearizable"
                         : result.keys[0].cause;
  } else if (unknown > 0) {
    result.verdict = Verdict::kUnknown;
    for (const KeyResult& kr : result.keys) {
      if (kr.verdict == Verdict::kUnknown) {
        result.cause = kr.cause;
        break;
      }
    }
  }
  result.peak_memory_bytes = budget.peak();
  result.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return result;
}

}  // namespace faultline::checker
