#include "checker/fencing_checker.h"

#include <algorithm>
#include <map>

namespace faultline::checker {

using base::Result;
using base::Status;
namespace {

struct Write {
  const Operation* op;
  int64_t token;
};

struct Resource {
  bool has_key = false;
  Value key;
  std::vector<Write> accepted;                  // ok writes
  std::map<int64_t, const Operation*> granted;  // token -> first ok acquire of it
};

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

FencingOp Ref(const Operation& op, int64_t token) {
  return FencingOp{op.process, op.invoke_index, op.complete_index, token};
}

Value RefValue(const FencingOp& op) {
  return Value::MakeObject({{"process", Value::Int(op.process)},
                            {"invoke_index", Value::Int(op.invoke_index)},
                            {"complete_index", Value::Int(op.complete_index)},
                            {"token", Value::Int(op.token)}});
}

Status NotAToken(const History& history, const Operation& op) {
  return Status::InvalidArgument(history.source + ": event " + std::to_string(op.complete_index) +
                                 ": ok " + op.f + " with a non-integer token " + op.value.ToJson());
}

}  // namespace

Result<FencingCheckResult> CheckFencing(const History& history) {
  Result<std::vector<Operation>> paired = PairOperations(history);
  if (!paired.ok()) return paired.status();

  FencingCheckResult r;
  std::map<std::string, Resource> resources;
  for (const Operation& op : *paired) {
    if (op.f != "write" && op.f != "acquire") continue;
    if (op.f == "write") ++r.writes;
    if (op.f == "write" && (op.status == OpStatus::kFail || op.status == OpStatus::kMismatch)) {
      ++r.writes_rejected;
    }
    if (op.status != OpStatus::kOk) continue;
    if (!op.value.is_int()) return NotAToken(history, op);
    Resource& res = resources[op.has_key ? op.key.ToJson() : std::string()];
    res.has_key = op.has_key;
    res.key = op.key;
    const int64_t token = op.value.as_int();
    if (op.f == "write") {
      ++r.writes_accepted;
      res.accepted.push_back({&op, token});
      continue;
    }
    ++r.acquires_ok;
    auto [it, fresh] = res.granted.try_emplace(token, &op);
    if (!fresh) {
      r.duplicate_tokens.push_back(
          {res.has_key, res.key, token, Ref(*it->second, token), Ref(op, token)});
    }
  }

  for (auto& [text, res] : resources) {
    // Sweep the writes in invocation order while folding in, by completion order, every write
    // that completed before the current one began: the running maximum is the highest token
    // the resource had certainly accepted by then.
    std::vector<Write> by_complete = res.accepted;
    std::sort(by_complete.begin(), by_complete.end(), [](const Write& a, const Write& b) {
      return a.op->complete_pos < b.op->complete_pos;
    });
    std::vector<Write> by_invoke = res.accepted;
    std::sort(by_invoke.begin(), by_invoke.end(),
              [](const Write& a, const Write& b) { return a.op->invoke_pos < b.op->invoke_pos; });
    const Write* highest = nullptr;
    size_t next = 0;
    for (const Write& w : by_invoke) {
      while (next < by_complete.size() && by_complete[next].op->complete_pos < w.op->invoke_pos) {
        if (!highest || by_complete[next].token > highest->token) highest = &by_complete[next];
        ++next;
      }
      if (highest && w.token < highest->token) {
        r.stale_writes.push_back(
            {res.has_key, res.key, Ref(*w.op, w.token), Ref(*highest->op, highest->token)});
      }
    }
  }
  SortBy(&r.stale_writes, [](const StaleWrite& s) { return s.write.complete_index; });
  SortBy(&r.duplicate_tokens, [](const DuplicateToken& d) { return d.second.complete_index; });

  if (!r.stale_writes.empty() || !r.duplicate_tokens.empty()) {
    r.verdict = Verdict::kInvalid;
    std::vector<std::string> parts;
    if (!r.stale_writes.empty()) {
      const StaleWrite& s = r.stale_writes.front();
      parts.push_back(std::to_string(r.stale_writes.size()) +
                      " stale writes accepted; first: token " + std::to_string(s.write.token) +
                      " at event " + std::to_string(s.write.complete_index) + " after token " +
                      std::to_string(s.earlier.token) + " at event " +
                      std::to_string(s.earlier.complete_index));
    }
    if (!r.duplicate_tokens.empty()) {
      parts.push_back(std::to_string(r.duplicate_tokens.size()) + " tokens granted twice; first: " +
                      std::to_string(r.duplicate_tokens.front().token));
    }
    for (size_t i = 0; i < parts.size(); ++i) r.summary += (i ? "; " : "") + parts[i];
  } else {
    r.verdict = Verdict::kValid;
    r.summary = std::to_string(r.writes_accepted) + " accepted writes in token order (" +
                std::to_string(r.writes_rejected) + " rejected, " + std::to_string(r.acquires_ok) +
                " grants)";
  }
  return r;
}

Value FencingCheckResultToValue(const FencingCheckResult& r, size_t max_list) {
  Value::Array stale;
  for (size_t i = 0; i < r.stale_writes.size() && i < max_list; ++i) {
    const StaleWrite& s = r.stale_writes[i];
    stale.push_back(Value::MakeObject({{"key", s.has_key ? s.key : Value()},
                                       {"write", RefValue(s.write)},
                                       {"earlier", RefValue(s.earlier)}}));
  }
  Value::Array dups;
  for (size_t i = 0; i < r.duplicate_tokens.size() && i < max_list; ++i) {
    const DuplicateToken& d = r.duplicate_tokens[i];
    dups.push_back(Value::MakeObject({{"key", d.has_key ? d.key : Value()},
                                      {"token", Value::Int(d.token)},
                                      {"first", RefValue(d.first)},
                                      {"second", RefValue(d.second)}}));
  }
  return Value::MakeObject({
      {"valid", VerdictValue(r.verdict)},
      {"summary", Value::String(r.summary)},
      {"writes", Value::Int(r.writes)},
      {"writes_accepted", Value::Int(r.writes_accepted)},
      {"writes_rejected", Value::Int(r.writes_rejected)},
      {"acquires_ok", Value::Int(r.acquires_ok)},
      {"stale_write_count", Value::Int(static_cast<int64_t>(r.stale_writes.size()))},
      {"stale_writes", Value::MakeArray(std::move(stale))},
      {"duplicate_token_count", Value::Int(static_cast<int64_t>(r.duplicate_tokens.size()))},
      {"duplicate_tokens", Value::MakeArray(std::move(dups))},
  });
}

}  // namespace faultline::checker
