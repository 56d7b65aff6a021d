#include "checker/counter_checker.h"

#include <algorithm>
#include <limits>
#include <map>

namespace faultline::checker {

using base::Result;
using base::Status;
namespace {

int64_t SatAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// Sorts by a key through a permutation: moving the structs themselves inside std::sort trips
// GCC 12's -Wmaybe-uninitialized on Value's variant (a false positive).
template <typename T, typename Key>
void SortBy(std::vector<T>* v, Key key) {
  std::vector<size_t> order(v->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return key((*v)[a]) < key((*v)[b]); });
  std::vector<T> sorted;
  sorted.reserve(v->size());
  for (size_t i : order) sorted.push_back(std::move((*v)[i]));
  *v = std::move(sorted);
}

// Prefix sums of the positive and of the negative amounts of adds sorted by one position, so
// that "the adds before position p" is one binary search.
class PrefixSums {
 public:
  void Add(size_t pos, int64_t n) { items_.push_back({pos, n}); }

  void Build() {
    std::sort(items_.begin(), items_.end(),
              [](const Item& a, const Item& b) { return a.pos < b.pos; });
    plus_.assign(1, 0);
    minus_.assign(1, 0);
    for (const Item& i : items_) {
      plus_.push_back(SatAdd(plus_.back(), std::max<int64_t>(i.n, 0)));
      minus_.push_back(SatAdd(minus_.back(), std::min<int64_t>(i.n, 0)));
    }
  }

  // Sums over the items whose position is < pos.
  std::pair<int64_t, int64_t> Before(size_t pos) const {
    const size_t k =
        static_cast<size_t>(std::lower_bound(items_.begin(), items_.end(), pos,
                                             [](const Item& i, size_t p) { return i.pos < p; }) -
                            items_.begin());
    return {plus_[k], minus_[k]};
  }

 private:
  struct Item {
    size_t pos;
    int64_t n;
  };
  std::vector<Item> items_;
  std::vector<int64_t> plus_, minus_;
};

struct Counter {
  bool has_key = false;
  Value key;
  PrefixSums certain;   // ok adds by completion position
  PrefixSums possible;  // ok and indeterminate adds by invocation position
  std::vector<const Operation*> reads;
};

}  // namespace

Result<CounterCheckResult> CheckCounter(const History& history) {
  Result<std::vector<Operation>> paired = PairOperations(history);
  if (!paired.ok()) return paired.status();

  CounterCheckResult r;
  std::map<std::string, Counter> counters;
  for (const Operation& op : *paired) {
    if (op.f != "add" && op.f != "read") continue;
    Counter& c = counters[op.has_key ? op.key.ToJson() : std::string()];
    c.has_key = op.has_key;
    c.key = op.key;
    if (op.f == "read") {
      if (op.status == OpStatus::kOk) c.reads.push_back(&op);
      continue;
    }
    if (op.status == OpStatus::kFail || op.status == OpStatus::kMismatch) {
      ++r.adds_failed;
      continue;
    }
    if (!op.value.is_int()) {
      return Status::InvalidArgument(history.source + ": event " + std::to_string(op.invoke_index) +
                                     ": counter add of a non-integer " + op.value.ToJson());
    }
    c.possible.Add(op.invoke_pos, op.value.as_int());
    if (op.status == OpStatus::kOk) {
      ++r.adds_ok;
      c.certain.Add(op.complete_pos, op.value.as_int());
    } else {
      ++r.adds_indeterminate;
    }
  }
  r.keys = static_cast<int64_t>(counters.size());

  for (auto& [text, c] : counters) {
    c.certain.Build();
    c.possible.Build();
    for (const Operation* read : c.reads) {
      ++r.reads_ok;
      const auto [d_plus, d_minus] = c.certain.Before(read->invoke_pos);
      const auto [p_plus, p_minus] = c.possible.Before(read->complete_pos);
      const int64_t lower = SatAdd(d_plus, p_minus);
      const int64_t upper = SatAdd(p_plus, d_minus);
      const bool in_bounds = read->value.is_null()
                                 ? lower <= 0 && 0 <= upper
                                 : read->value.is_int() && lower <= read->value.as_int() &&
                                       read->value.as_int() <= upper;
      if (in_bounds) continue;
      CounterViolation v;
      v.has_key = c.has_key;
      v.key = c.key;
      v.process = read->process;
      v.invoke_index = read->invoke_index;
      v.complete_index = read->complete_index;
      v.value = read->value;
      v.lower = lower;
      v.upper = upper;
      r.violations.push_back(std::move(v));
    }
  }
  SortBy(&r.violations, [](const CounterViolation& v) { return v.complete_index; });

  if (!r.violations.empty()) {
    r.verdict = Verdict::kInvalid;
    const CounterViolation& v = r.violations.front();
    r.summary = std::to_string(r.violations.size()) + " of " + std::to_string(r.reads_ok) +
                " reads out of bounds; first: read " + v.value.ToJson() + " at event " +
                std::to_string(v.complete_index) + ", expected " + std::to_string(v.lower) + ".." +
                std::to_string(v.upper);
  } else if (r.reads_ok == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no read succeeded";
  } else {
    r.verdict = Verdict::kValid;
    r.summary = "all " + std::to_string(r.reads_ok) + " reads within bounds (" +
                std::to_string(r.adds_ok) + " acknowledged, " +
                std::to_string(r.adds_indeterminate) + " indeterminate adds)";
  }
  return r;
}

Value CounterCheckResultToValue(const CounterCheckResult& r, size_t max_list) {
  Value::Array violations;
  for (size_t i = 0; i < r.violations.size() && i < max_list; ++i) {
    const CounterViolation& v = r.violations[i];
    violations.push_back(Value::MakeObject({{"key", v.has_key ? v.key : Value()},
                                            {"process", Value::Int(v.process)},
                                            {"invoke_index", Value::Int(v.invoke_index)},
                                            {"complete_index", Value::Int(v.complete_index)},
                                            {"value", v.value},
                                            {"lower", Value::Int(v.lower)},
                                            {"upper", Value::Int(v.upper)}}));
  }
  return Value::MakeObject({
      {"valid", VerdictValue(r.verdict)},
      {"summary", Value::String(r.summary)},
      {"keys", Value::Int(r.keys)},
      {"adds_ok", Value::Int(r.adds_ok)},
      {"adds_indeterminate", Value::Int(r.adds_indeterminate)},
      {"adds_failed", Value::Int(r.adds_failed)},
      {"reads_ok", Value::Int(r.reads_ok)},
      {"violation_count", Value::Int(static_cast<int64_t>(r.violations.size()))},
      {"violations", Value::MakeArray(std::move(violations))},
  });
}

}  // namespace faultline::checker
