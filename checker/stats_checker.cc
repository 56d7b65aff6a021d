#include "checker/stats_checker.h"

#include <algorithm>
#include <unordered_map>

namespace faultline::checker {

namespace {

std::string Outcome(const Event& e) {
  std::string what = EventTypeName(e.type);
  return e.error.empty() ? what : what + " " + e.error;
}

}  // namespace

std::string NotOkLine(const std::map<std::string, int64_t>& not_ok, size_t max) {
  std::vector<std::pair<int64_t, std::string>> by_count;
  for (const auto& [what, n] : not_ok) by_count.emplace_back(-n, what);
  std::sort(by_count.begin(), by_count.end());
  std::string out;
  for (size_t i = 0; i < by_count.size() && i < max; ++i) {
    out +=
        (out.empty() ? "" : ", ") + std::to_string(-by_count[i].first) + " " + by_count[i].second;
  }
  if (by_count.size() > max) out += " and " + std::to_string(by_count.size() - max) + " more";
  return out;
}

StatsCheckResult CheckStats(const History& history, const std::vector<std::string>& expected) {
  StatsCheckResult r;
  // The f of each process's outstanding invoke: an invoke with no completion is an info.
  std::unordered_map<int64_t, std::string> open;
  for (const Event& e : history.events) {
    if (e.nemesis) continue;
    OpKindStats& s = r.by_f[e.f];
    switch (e.type) {
      case EventType::kInvoke:
        ++s.invoked;
        open[e.process] = e.f;
        break;
      case EventType::kOk:
        ++s.ok;
        open.erase(e.process);
        break;
      case EventType::kFail:
        ++s.fail;
        ++s.not_ok[Outcome(e)];
        open.erase(e.process);
        break;
      case EventType::kInfo:
        ++s.info;
        ++s.not_ok[Outcome(e)];
        open.erase(e.process);
        break;
    }
  }
  for (const auto& [process, f] : open) {
    ++r.by_f[f].info;
    ++r.by_f[f].not_ok["info unfinished"];
  }

  int64_t invoked = 0, ok = 0;
  std::map<std::string, int64_t> all_not_ok;
  for (const auto& [f, s] : r.by_f) {
    invoked += s.invoked;
    ok += s.ok;
    for (const auto& [what, n] : s.not_ok) all_not_ok[what] += n;
  }
  if (invoked == 0) {
    r.verdict = Verdict::kUnknown;
    r.summary = "no client operation was invoked";
    return r;
  }
  std::vector<std::string> invoked_kinds, never_invoked;
  for (const auto& [f, s] : r.by_f) {
    if (s.invoked > 0) invoked_kinds.push_back(f);
  }
  for (const std::string& f : expected) {
    auto it = r.by_f.find(f);
    if (it == r.by_f.end() || it->second.invoked == 0) never_invoked.push_back(f);
  }
  std::string missing;
  if (ok == 0 && invoked_kinds.size() > 1) {
    missing = "no operation ever succeeded: " + NotOkLine(all_not_ok);
  } else {
    for (const std::string& f : invoked_kinds) {
      const OpKindStats& s = r.by_f.at(f);
      const bool wanted =
          ok == 0 || std::find(expected.begin(), expected.end(), f) != expected.end();
      if (s.ok > 0 || !wanted) continue;
      missing +=
          (missing.empty() ? "" : "; ") + ("no " + f + " ever succeeded: " + NotOkLine(s.not_ok));
    }
  }
  if (!never_invoked.empty()) {
    std::string names;
    for (const std::string& f : never_invoked) names += (names.empty() ? "" : ", ") + f;
    missing += (missing.empty() ? "" : "; ") + names + " never invoked";
  }
  if (!missing.empty()) {
    r.verdict = Verdict::kUnknown;
    r.summary = missing;
    return r;
  }
  std::string kinds;
  for (const auto& [f, s] : r.by_f) {
    if (s.invoked == 0) continue;
    kinds += (kinds.empty() ? "" : ", ") + f + " " + std::to_string(s.ok) + "/" +
             std::to_string(s.invoked);
  }
  r.summary = "every kind succeeded at least once (ok/invoked: " + kinds + ")";
  return r;
}

Value StatsCheckResultToValue(const StatsCheckResult& result) {
  Value::Object by_f;
  for (const auto& [f, s] : result.by_f) {
    Value::Object not_ok;
    for (const auto& [what, n] : s.not_ok) not_ok.emplace_back(what, Value::Int(n));
    by_f.emplace_back(f, Value::MakeObject({{"invoked", Value::Int(s.invoked)},
                                            {"ok", Value::Int(s.ok)},
                                            {"fail", Value::Int(s.fail)},
                                            {"info", Value::Int(s.info)},
                                            {"not_ok", Value::MakeObject(std::move(not_ok))}}));
  }
  return Value::MakeObject({{"valid", VerdictValue(result.verdict)},
                            {"summary", Value::String(result.summary)},
                            {"by_f", Value::MakeObject(std::move(by_f))}});
}

}  // namespace faultline::checker
