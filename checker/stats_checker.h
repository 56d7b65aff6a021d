// The stats checker (after Jepsen's jepsen.checker/stats): a history in which nothing, or some
// kind of operation, never succeeded gives the other checkers nothing to judge, and their
// "valid" would mean nothing. A store without lock endpoints answers every acquire with a 404;
// the lock checkers then see no grant at all and find no anomaly in it.
//
// Counts per operation kind (`f`): invoked, ok, fail, info, and the not-ok outcomes by error
// ("info http-404", "fail connection-refused"; an invoke that never completed counts as
// "info unfinished"). Nemesis events are ignored.
//
// Verdict: unknown when no client operation succeeded at all, or when one of the `expected`
// kinds (the kinds the workload issues) has no ok completion: "no acquire ever succeeded:
// 7483 info http-404; write, release never invoked" (several kinds that all failed: "no operation
// ever succeeded: <the not-ok counts>"); a kind never invoked is named too. Otherwise valid. The
// stats checker never says invalid: it finds no anomaly, it only refuses to let an empty judgement
// pass as a verdict.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

struct OpKindStats {
  int64_t invoked = 0;
  int64_t ok = 0;
  int64_t fail = 0;
  int64_t info = 0;                       // info completions and invokes that never completed
  std::map<std::string, int64_t> not_ok;  // "fail mismatch", "info http-404", ... -> count
};

struct StatsCheckResult {
  Verdict verdict = Verdict::kValid;
  std::string summary;  // one line for people
  std::map<std::string, OpKindStats> by_f;
};

// Never fails: any history can be counted. `expected` may be empty (then only "some operation
// succeeded" is required).
StatsCheckResult CheckStats(const History& history, const std::vector<std::string>& expected);

// {"valid", "summary", "by_f": {f: {"invoked", "ok", "fail", "info", "not_ok": {what: n}}}}
Value StatsCheckResultToValue(const StatsCheckResult& result);

// "7483 info http-404, 12 fail connection-refused": the largest counts first, at most `max`
// kinds, then "and N more".
std::string NotOkLine(const std::map<std::string, int64_t>& not_ok, size_t max = 3);

}  // namespace faultline::checker
