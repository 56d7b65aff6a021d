#include "workloads/workload.h"

#include <map>

#include "checker/io/render.h"
#include "checker/stats_checker.h"
#include "workloads/common.h"

namespace faultline::workloads {
KeySchedule::KeySchedule(int concurrency, int group_size, int ops_per_key)
    : group_size_(std::clamp(group_size, 1, std::max(concurrency, 1))),
      groups_((std::max(concurrency, 1) + group_size_ - 1) / group_size_),
      per_worker_(std::max<int64_t>(1, ops_per_key / group_size_)) {}

std::vector<int64_t> KeySchedule::KeysReached(const std::vector<int64_t>& ops_by_worker) const {
  std::map<int, int64_t> top;  // group -> furthest generation
  for (size_t w = 0; w < ops_by_worker.size(); ++w) {
    if (ops_by_worker[w] == 0) continue;
    const int g = group(static_cast<int>(w));
    const int64_t gen = generation(ops_by_worker[w] - 1);
    top[g] = top.count(g) ? std::max(top[g], gen) : gen;
  }
  std::vector<int64_t> keys;
  for (const auto& [g, last] : top) {
    for (int64_t gen = 0; gen <= last; ++gen) keys.push_back(gen * groups_ + g);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

CheckerResult CheckLinearizableOrUnknown(const checker::History& history, const std::string& model,
                                         const CheckSettings& settings,
                                         const std::vector<std::string>& fs) {
  base::Result<CheckerResult> lin = CheckLinearizable(history, model, settings, fs);
  if (lin.ok()) return std::move(*lin);
  return CheckerResult{
      "linearizable", checker::Verdict::kUnknown, "not checked: " + lin.status().message(),
      checker::Value::MakeObject({{"valid", checker::Value::String("unknown")},
                                  {"cause", checker::Value::String(lin.status().message())}})};
}

CheckerResult CheckStatsResult(const checker::History& history,
                               const std::vector<std::string>& fs) {
  const checker::StatsCheckResult r = checker::CheckStats(history, fs);
  return CheckerResult{"stats", r.verdict, r.summary, checker::StatsCheckResultToValue(r)};
}

checker::Completion CasLoop(targets::Client& client, const std::string& key,
                            const checker::Value& arg, const CasUpdate& update) {
  auto done = [&arg](checker::EventType type, std::string error, const std::string& node) {
    checker::Completion c;
    c.type = type;
    c.value = arg;
    c.error = std::move(error);
    c.node = node;
    return c;
  };
  checker::Completion last;
  last.error = "no-attempt";
  for (int attempt = 0; attempt < kCasAttemptsMax; ++attempt) {
    checker::Completion got = client.Get(key);
    if (got.type != checker::EventType::kOk) {
      last = std::move(got);
      continue;
    }
    std::string refusal;
    std::optional<checker::Value> next = update(got.value, &refusal);
    if (!next) return done(checker::EventType::kFail, std::move(refusal), got.node);
    checker::Completion cas = client.Cas(key, got.value, *next);
    if (cas.type == checker::EventType::kOk) return done(checker::EventType::kOk, "", cas.node);
    if (cas.type == checker::EventType::kInfo)
      return done(checker::EventType::kInfo, cas.error, cas.node);
    last = std::move(cas);
  }
  return done(checker::EventType::kFail, "retries-exhausted: " + last.error, last.node);
}

std::string WireKey(const std::string& prefix, const checker::Value& key) {
  return prefix + (key.is_string() ? key.as_string() : key.ToJson());
}

checker::Op MakeOp(std::string f, int64_t key, checker::Value value) {
  checker::Op op;
  op.f = std::move(f);
  op.has_key = true;
  op.key = checker::Value::Int(key);
  op.value = std::move(value);
  return op;
}

base::Result<CheckerResult> CheckLinearizable(const checker::History& history,
                                              const std::string& model,
                                              const CheckSettings& settings,
                                              const std::vector<std::string>& fs) {
  checker::History kept;
  const checker::History* input = &history;
  if (!fs.empty()) {
    kept.source = history.source;
    for (const checker::Event& e : history.events) {
      if (!e.nemesis && std::find(fs.begin(), fs.end(), e.f) != fs.end()) kept.events.push_back(e);
    }
    input = &kept;
  }
  checker::CheckOptions options;
  options.model = model;
  options.timeout_s = settings.timeout_s;
  options.memory_limit_mb = settings.memory_limit_mb;
  options.threads = settings.threads;
  base::Result<checker::CheckResult> r = checker::CheckHistory(*input, options);
  if (!r.ok()) return r.status();

  CheckerResult out;
  out.name = "linearizable";
  out.verdict = r->verdict;
  out.detail = checker::io::ResultToValue(history.source, *r);
  if (r->verdict != checker::Verdict::kValid) {
    out.counterexample = checker::io::RenderFirstCounterexample(*r);
    out.report = checker::io::RenderText(history.source, *r);
  }
  const std::string shape =
      model + ", " + std::to_string(r->ops) + " ops, " + std::to_string(r->keys.size()) + " keys";
  switch (r->verdict) {
    case checker::Verdict::kValid:
      out.summary = "linearizable (" + shape + ")";
      break;
    case checker::Verdict::kInvalid:
      out.summary = "not linearizable (" + shape + "): " + r->cause;
      break;
    case checker::Verdict::kUnknown:
      out.summary = "analysis incomplete (" + shape + "): " + r->cause;
      break;
  }
  return out;
}

std::vector<std::string> WorkloadNames() { return {"register", "set", "counter", "lock"}; }

base::Result<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                                     const WorkloadOptions& options) {
  using base::Status;
  if (options.concurrency < 1) {
    return Status::InvalidArgument("workload concurrency must be at least 1, not " +
                                   std::to_string(options.concurrency));
  }
  if (options.ops_per_key < 1) {
    return Status::InvalidArgument("workload ops-per-key must be at least 1, not " +
                                   std::to_string(options.ops_per_key));
  }
  if (options.lease_ms < 1) {
    return Status::InvalidArgument("lock lease must be at least 1 ms, not " +
                                   std::to_string(options.lease_ms));
  }
  if (name == "register") return MakeRegisterWorkload(options);
  if (name == "set") return MakeSetWorkload(options);
  if (name == "counter") return MakeCounterWorkload(options);
  if (name == "lock") return MakeLockWorkload(options);
  std::string known;
  for (const std::string& n : WorkloadNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown workload \"" + name + "\" (known: " + known + ")");
}

}  // namespace faultline::workloads
