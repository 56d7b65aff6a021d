#include "results/junit_cases.h"

namespace faultline::results {
namespace {

using checker::Value;

std::string Text(const Value* v) {
  if (v == nullptr || v->is_null()) return "";
  return v->is_string() ? v->as_string() : v->ToJson();
}

// "(run results/raft-register/20261207T101010.123)": where the whole story is.
std::string Where(const std::string& run_dir) {
  return run_dir.empty() ? "" : " (run " + run_dir + ")";
}

}  // namespace

std::vector<JunitCase> CheckerJunitCases(const std::vector<CheckerOutcome>& checkers,
                                         const std::string& run_dir, double seconds) {
  std::vector<JunitCase> cases;
  for (const CheckerOutcome& c : checkers) {
    cases.push_back({c.name, c.verdict, c.summary + Where(run_dir), seconds, ""});
    const Value* failures = c.detail.find("failures");
    if (failures == nullptr || !failures->is_array()) continue;
    int n = 0;
    for (const Value& f : failures->as_array()) {
      ++n;
      const std::string key = Text(f.find("key"));
      const Value* op = f.find("op");
      const std::string index = op != nullptr ? Text(op->find("index")) : "";
      std::string message = key.empty() ? "" : "key " + key + ": ";
      message += "operation " + (index.empty() ? "?" : index) +
                 " cannot be linearized: " + Text(f.find("reason")) + Where(run_dir);
      cases.push_back({c.name + (key.empty() ? " failure " + std::to_string(n) : " key " + key),
                       checker::Verdict::kInvalid, message, 0, ""});
    }
  }
  return cases;
}

}  // namespace faultline::results
