#include "checker/history.h"

#include <string>
#include <unordered_map>

namespace faultline::checker {

using base::Result;
using base::Status;

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kInvoke:
      return "invoke";
    case EventType::kOk:
      return "ok";
    case EventType::kFail:
      return "fail";
    case EventType::kInfo:
      return "info";
  }
  return "?";
}

const char* OpStatusName(OpStatus s) {
  switch (s) {
    case OpStatus::kOk:
      return "ok";
    case OpStatus::kInfo:
      return "info";
    case OpStatus::kMismatch:
      return "fail (mismatch)";
    case OpStatus::kFail:
      return "fail";
  }
  return "?";
}

namespace {

std::string Where(const History& h, const Event& e) {
  return h.source + ":" + std::to_string(e.line) + ": ";
}

}  // namespace

Result<std::vector<Operation>> PairOperations(const History& history) {
  std::vector<Operation> ops;
  ops.reserve(history.events.size() / 2 + 1);
  // process -> position in ops of its outstanding invocation.
  std::unordered_map<int64_t, size_t> outstanding;
  outstanding.reserve(64);
  for (size_t pos = 0; pos < history.events.size(); ++pos) {
    const Event& e = history.events[pos];
    // Indices name events in reports ("[events 5..8]"): they must increase with the file.
    if (pos > 0 && e.index <= history.events[pos - 1].index) {
      return Status::Corruption(Where(history, e) + "index " + std::to_string(e.index) +
                                " does not follow the previous event's index " +
                                std::to_string(history.events[pos - 1].index) +
                                " (indices must increase)");
    }
    if (e.nemesis) continue;
    if (e.type == EventType::kInvoke) {
      auto [it, inserted] = outstanding.try_emplace(e.process, ops.size());
      if (!inserted) {
        const Operation& prior = ops[it->second];
        return Status::Corruption(Where(history, e) + "process " + std::to_string(e.process) +
                                  " invokes " + e.f + " while its " + prior.f +
                                  " invoked at line " +
                                  std::to_string(history.events[prior.invoke_pos].line) +
                                  " has not completed (a process has one operation at a time)");
      }
      Operation op;
      op.process = e.process;
      op.f = e.f;
      op.has_key = e.has_key;
      op.key = e.key;
      op.value = e.value;
      op.status = OpStatus::kInfo;
      op.invoke_pos = pos;
      op.invoke_index = e.index;
      op.invoke_time = e.time;
      op.node = e.node;
      ops.push_back(std::move(op));
      continue;
    }
    auto it = outstanding.find(e.process);
    if (it == outstanding.end()) {
      return Status::Corruption(Where(history, e) + EventTypeName(e.type) + " of " + e.f +
                                " by process " + std::to_string(e.process) +
                                " has no outstanding invoke");
    }
    Operation& op = ops[it->second];
    outstanding.erase(it);
    if (e.f != op.f) {
      return Status::Corruption(Where(history, e) + EventTypeName(e.type) + " of " + e.f +
                                " completes process " + std::to_string(e.process) + "'s " + op.f +
                                " (f differs)");
    }
    if (op.has_key && e.has_key && !(op.key == e.key)) {
      return Status::Corruption(Where(history, e) + EventTypeName(e.type) + " of " + e.f +
                                " with key " + e.key.ToJson() + " completes process " +
                                std::to_string(e.process) + "'s " + op.f + " on key " +
                                op.key.ToJson() + " (key differs)");
    }
    op.complete_pos = pos;
    op.complete_index = e.index;
    op.complete_time = e.time;
    op.error = e.error;
    if (!e.node.empty()) op.node = e.node;
    switch (e.type) {
      case EventType::kOk:
        op.status = OpStatus::kOk;
        // The completion carries the result (reads) and repeats the argument otherwise.
        if (!e.value.is_null() || op.f == "read" || op.f == "get") op.value = e.value;
        break;
      case EventType::kFail:
        op.status = e.error == "mismatch" ? OpStatus::kMismatch : OpStatus::kFail;
        break;
      case EventType::kInfo:
        op.status = OpStatus::kInfo;
        break;
      case EventType::kInvoke:
        break;  // handled above
    }
    // The key may be given on the completion only.
    if (!op.has_key && e.has_key) {
      op.has_key = true;
      op.key = e.key;
    }
  }
  return ops;
}

}  // namespace faultline::checker
