#include "checker/model.h"

#include <set>

namespace faultline::checker {

bool Model::Irrelevant(const Operation& op) const {
  return op.f == "read" && (op.status == OpStatus::kInfo || op.value.is_any());
}

std::vector<Operation> Model::Alternatives(const Operation&,
                                           const std::vector<const Operation*>&) const {
  return {};
}

std::vector<char> Model::Droppable(const std::vector<const Operation*>&) const { return {}; }

std::string Model::DescribeState(const Value& state) const { return state.ToJson(); }

std::string Model::DescribeOp(const Operation& op) const {
  std::string s = op.f;
  if (op.f == "read" || op.f == "get" || op.f == "dequeue") {
    if (op.status == OpStatus::kOk) s += " -> " + op.value.ToJson();
  } else if (!op.value.is_null()) {
    s += " " + op.value.ToJson();
  }
  if (op.status == OpStatus::kInfo) s += " (info)";
  if (op.status == OpStatus::kMismatch) s += " (failed: mismatch)";
  return s;
}

std::string Model::Reject(const Operation& op, const std::vector<Value>& states) const {
  // Distinct reasons, in order of first appearance.
  std::vector<std::string> reasons;
  std::set<std::string> seen;
  for (const Value& s : states) {
    Value next;
    std::string why;
    if (Step(s, op, &next, &why)) continue;
    if (why.empty()) why = "not allowed in state " + DescribeState(s);
    if (seen.insert(why).second) reasons.push_back(why);
  }
  std::string out = DescribeOp(op) + ", but ";
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i > 0) out += i + 1 == reasons.size() ? " or " : ", ";
    out += reasons[i];
  }
  if (reasons.empty()) out += "no linearization reaches it";
  return out;
}

}  // namespace faultline::checker
