#include "checker/mutex_checker.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <utility>

namespace faultline::checker {

using base::Result;
using base::Status;
namespace {

constexpr size_t kOpen = std::numeric_limits<size_t>::max();  // a hold with no release

struct Hold {
  MutexHold info;
  size_t start_pos = 0;    // the acquire's completion in History::events
  size_t end_pos = kOpen;  // the release's invocation
};

struct Lock {
  bool has_key = false;
  Value key;
  std::vector<Hold> holds;                                    // in order of start_pos
  std::map<int64_t, std::vector<const Operation*>> released;  // token -> releases, invoke order
};

Value HoldValue(const MutexHold& h) {
  return Value::MakeObject({{"process", Value::Int(h.process)},
                            {"token", Value::Int(h.token)},
                            {"node", Value::String(h.node)},
                            {"acquire_invoke_index", Value::Int(h.acquire_invoke_index)},
                            {"acquire_complete_index", Value::Int(h.acquire_complete_index)},
                            {"release_invoke_index", Value::Int(h.release_invoke_index)}});
}

std::string Seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(ns) / 1e9);
  return buf;
}

// "1 time", "3 times".
std::string Count(int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string Describe(const MutexOverlap& o) {
  std::string s = "process " + std::to_string(o.second.process) + " got token " +
                  std::to_string(o.second.token) + " (event " +
                  std::to_string(o.second.acquire_complete_index) + ") while process " +
                  std::to_string(o.first.process) + " held token " + std::to_string(o.first.token) +
                  " (event " + std::to_string(o.first.acquire_complete_index) + ")";
  if (o.has_key) s = "lock " + o.key.ToJson() + ": " + s;
  if (o.start_time >= 0 && o.end_time >= o.start_time) {
    s += ", both held for " + Seconds(o.end_time - o.start_time) + " from " + Seconds(o.start_time);
  }
  return s;
}

}  // namespace

Result<MutexCheckResult> CheckMutex(const History& history, int64_t lease_ns) {
  Result<std::vector<Operation>> paired = PairOperations(history);
  if (!paired.ok()) return paired.status();
  int64_t history_end_time = -1;
  for (const Event& e : history.events) history_end_time = std::max(history_end_time, e.time);

  MutexCheckResult r;
  r.lease_ns = lease_ns;
  std::map<std::string, Lock> locks;
  for (const Operation& op : *paired) {
    if (op.f != "acquire" && op.f != "release") continue;
    Lock& lock = locks[op.has_key ? op.key.ToJson() : std::string()];
    lock.has_key = op.has_key;
    lock.key = op.key;
    if (op.f == "release") {
      // The invocation carries the token; a release without one ends no hold.
      const Event& invoke = history.events[op.invoke_pos];
      if (invoke.value.is_int()) lock.released[invoke.value.as_int()].push_back(&op);
      continue;
    }
    if (op.status != OpStatus::kOk) continue;
    if (!op.value.is_int()) {
      return Status::InvalidArgument(history.source + ": event " +
                                     std::to_string(op.complete_index) +
                                     ": ok acquire with a non-integer token " + op.value.ToJson());
    }
    Hold h;
    h.start_pos = op.complete_pos;
    h.info.process = op.process;
    h.info.token = op.value.as_int();
    h.info.node = op.node;
    h.info.acquire_invoke_index = op.invoke_index;
    h.info.acquire_complete_index = op.complete_index;
    h.info.acquire_invoke_time = op.invoke_time;
    h.info.acquire_complete_time = op.complete_time;
    lock.holds.push_back(std::move(h));
    ++r.holds;
  }

  for (auto& [text, lock] : locks) {
    if (lock.holds.empty()) continue;
    ++r.locks;
    std::sort(lock.holds.begin(), lock.holds.end(),
              [](const Hold& a, const Hold& b) { return a.start_pos < b.start_pos; });
    // Each hold ends at the first release of its token invoked after it started; a release ends
    // one hold at most.
    for (Hold& h : lock.holds) {
      auto it = lock.released.find(h.info.token);
      if (it == lock.released.end()) continue;
      for (const Operation*& rel : it->second) {
        if (rel == nullptr || rel->invoke_pos < h.start_pos) continue;
        h.end_pos = rel->invoke_pos;
        h.info.release_invoke_index = rel->invoke_index;
        h.info.release_invoke_time = rel->invoke_time;
        rel = nullptr;
        break;
      }
    }
    // Sweep by start: `open` holds every earlier hold that had not ended when this one began.
    std::vector<const Hold*> open;
    std::vector<bool> overlapping(lock.holds.size(), false);
    for (const Hold& h : lock.holds) {
      std::erase_if(open, [&h](const Hold* o) { return o->end_pos < h.start_pos; });
      for (const Hold* o : open) {
        MutexOverlap ov;
        ov.has_key = lock.has_key;
        ov.key = lock.key;
        ov.first = o->info;
        ov.second = h.info;
        ov.start_time = h.info.acquire_complete_time;
        const int64_t end_first =
            o->end_pos == kOpen ? history_end_time : o->info.release_invoke_time;
        const int64_t end_second =
            h.end_pos == kOpen ? history_end_time : h.info.release_invoke_time;
        ov.end_time = std::min(end_first, end_second);
        const int64_t invoked = std::min(o->info.acquire_invoke_time, h.info.acquire_invoke_time);
        // Both leases certainly ran when the overlap began: each was granted after its acquire
        // was invoked, so it lasted at least until that invocation plus the lease.
        ov.within_lease =
            lease_ns <= 0 || invoked < 0 || ov.start_time < 0 || ov.start_time < invoked + lease_ns;
        (ov.within_lease ? r.overlaps_within_lease : r.overlaps_after_lease)++;
        overlapping[static_cast<size_t>(o - lock.holds.data())] = true;
        overlapping[static_cast<size_t>(&h - lock.holds.data())] = true;
        r.overlaps.push_back(std::move(ov));
      }
      open.push_back(&h);
    }
    r.holds_overlapping += std::count(overlapping.begin(), overlapping.end(), true);
  }
  std::stable_sort(r.overlaps.begin(), r.overlaps.end(),
                   [](const MutexOverlap& a, const MutexOverlap& b) {
                     return a.second.acquire_complete_index < b.second.acquire_complete_index;
                   });

  const std::string counts = std::to_string(r.holds) + " grants of " + std::to_string(r.locks) +
                             (r.locks == 1 ? " lock" : " locks");
  if (r.overlaps.empty()) {
    r.verdict = Verdict::kValid;
    r.summary = "no two clients held a lock at once (" + counts + ")";
    return r;
  }
  if (r.overlaps_within_lease > 0) {
    r.verdict = Verdict::kInvalid;
    const MutexOverlap& first = *std::find_if(r.overlaps.begin(), r.overlaps.end(),
                                              [](const MutexOverlap& o) { return o.within_lease; });
    r.summary = Count(r.overlaps_within_lease, "time") + " (" +
                std::to_string(r.holds_overlapping) + " of " + std::to_string(r.holds) +
                " grants involved) two clients held a lock at once while both leases certainly "
                "ran; first: " +
                Describe(first);
    if (r.overlaps_after_lease > 0) {
      r.summary += " (and " + std::to_string(r.overlaps_after_lease) + " after a lease ran out)";
    }
    return r;
  }
  r.verdict = Verdict::kValid;
  r.summary = Count(r.overlaps_after_lease, "time") + " (" + std::to_string(r.holds_overlapping) +
              " of " + std::to_string(r.holds) +
              " grants involved) two clients held a lock at once after a lease (" +
              std::to_string(lease_ns / 1000000) +
              " ms) could have run out, as a lease lock allows (safe only with fencing tokens); "
              "first: " +
              Describe(r.overlaps.front());
  return r;
}

Value MutexCheckResultToValue(const MutexCheckResult& r, size_t max_list) {
  Value::Array overlaps;
  for (size_t i = 0; i < r.overlaps.size() && i < max_list; ++i) {
    const MutexOverlap& o = r.overlaps[i];
    overlaps.push_back(Value::MakeObject({{"key", o.has_key ? o.key : Value()},
                                          {"within_lease", Value::Bool(o.within_lease)},
                                          {"start_ns", Value::Int(o.start_time)},
                                          {"end_ns", Value::Int(o.end_time)},
                                          {"summary", Value::String(Describe(o))},
                                          {"first", HoldValue(o.first)},
                                          {"second", HoldValue(o.second)}}));
  }
  return Value::MakeObject({
      {"valid", VerdictValue(r.verdict)},
      {"summary", Value::String(r.summary)},
      {"holds", Value::Int(r.holds)},
      {"locks", Value::Int(r.locks)},
      {"lease_ms", Value::Int(r.lease_ns / 1000000)},
      {"overlaps_within_lease", Value::Int(r.overlaps_within_lease)},
      {"overlaps_after_lease", Value::Int(r.overlaps_after_lease)},
      {"holds_overlapping", Value::Int(r.holds_overlapping)},
      {"overlaps", Value::MakeArray(std::move(overlaps))},
  });
}

}  // namespace faultline::checker
