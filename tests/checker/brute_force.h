// An independent brute-force linearizability check for small histories, the reference the
// search is compared with (random_test, prune_test).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "checker/history.h"
#include "checker/model.h"

namespace faultline::checker {

// Brute force: tries every order of the operations consistent with real time, every subset of
// the indeterminate ones. Independent of the search's list, memo and cache.
inline bool BruteForceLinearizable(const Model& model, const Value& initial, const History& h) {
  base::Result<std::vector<Operation>> paired = PairOperations(h);
  EXPECT_TRUE(paired.ok());
  std::vector<Operation> ops;
  for (Operation& op : *paired) {
    if (op.status == OpStatus::kMismatch && op.f != "cas") op.status = OpStatus::kFail;
    if (op.status == OpStatus::kFail || model.Irrelevant(op)) continue;
    ops.push_back(op);
  }
  const size_t n = ops.size();
  std::vector<const Operation*> partition;
  for (const Operation& op : ops) partition.push_back(&op);
  std::vector<bool> used(n, false);
  auto determinate = [&](size_t i) { return ops[i].status != OpStatus::kInfo; };
  std::function<bool(const Value&)> dfs = [&](const Value& state) {
    bool all = true;
    for (size_t i = 0; i < n; ++i) all &= used[i] || !determinate(i);
    if (all) return true;
    for (size_t i = 0; i < n; ++i) {
      if (used[i]) continue;
      // i may go next only if every determinate op that completed before i's invoke is placed.
      bool ready = true;
      for (size_t j = 0; j < n && ready; ++j) {
        if (!used[j] && j != i && determinate(j) && ops[j].complete_pos < ops[i].invoke_pos) {
          ready = false;
        }
      }
      if (!ready) continue;
      // An indeterminate op with several possible effects may take any one of them.
      std::vector<Operation> effects;
      if (!determinate(i)) effects = model.Alternatives(ops[i], partition);
      if (effects.empty()) effects.push_back(ops[i]);
      for (const Operation& effect : effects) {
        Value next;
        if (!model.Step(state, effect, &next, nullptr)) continue;
        used[i] = true;
        bool ok = dfs(next);
        used[i] = false;
        if (ok) return true;
      }
    }
    return false;
  };
  return dfs(initial);
}

}  // namespace faultline::checker
