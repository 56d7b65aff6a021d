// FakeClient: an in-memory targets::Client for workload tests. One linearizable map and lock
// table (shared by every FakeClient over the same FakeStore, like the nodes of a healthy
// cluster), a manual clock for leases, and scripted faults.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "targets/client.h"

namespace faultline::workloads::testing {

using checker::Completion;
using checker::EventType;
using checker::Value;

// What the next request does instead of its normal behaviour.
struct Fault {
  EventType type = EventType::kFail;  // kFail: not applied; kInfo: applied if `applied`
  bool applied = false;
  std::string error = "not-leader";
};

struct FakeStore {
  struct Lock {
    bool held = false;
    std::string owner;
    int64_t token = 0;
    int64_t expires_ms = 0;
    int64_t last_token = 0;
  };
  std::map<std::string, Value> kv;  // absent keys are missing
  std::map<std::string, Lock> locks;
  int64_t now_ms = 0;
  std::deque<std::optional<Fault>> faults;  // one per request, front first; empty = none
  // Runs before each request with its description ("get s0", "cas s0", ...): lets a test slip
  // another client's write in between a CAS loop's Get and Cas.
  std::function<void(const std::string&)> before;
  std::vector<std::string> calls;  // every request, in order
};

class FakeClient : public targets::Client {
 public:
  explicit FakeClient(FakeStore* store, std::string node = "n1")
      : store_(store), node_(std::move(node)) {}

  const std::string& node() const override { return node_; }

  Completion Get(const std::string& key) override {
    return Run("get " + key, [&](Completion* c) {
      auto it = store_->kv.find(key);
      c->value = it == store_->kv.end() ? Value() : it->second;
    });
  }
  Completion Put(const std::string& key, const Value& value) override {
    return Run("put " + key, [&](Completion*) { Set(key, value); });
  }
  Completion Cas(const std::string& key, const Value& from, const Value& to) override {
    return Run("cas " + key, [&](Completion* c) {
      auto it = store_->kv.find(key);
      const Value current = it == store_->kv.end() ? Value() : it->second;
      if (current != from) {
        c->type = EventType::kFail;
        c->error = "mismatch";
        return;
      }
      Set(key, to);
    });
  }
  Completion Delete(const std::string& key) override {
    return Run("delete " + key, [&](Completion*) { store_->kv.erase(key); });
  }
  Completion Acquire(const std::string& name, const std::string& owner, int64_t ttl_ms) override {
    return Run("acquire " + name, [&](Completion* c) {
      FakeStore::Lock& l = store_->locks[name];
      if (l.held && store_->now_ms < l.expires_ms) {
        c->type = EventType::kFail;
        c->error = "held";
        return;
      }
      l.held = true;
      l.owner = owner;
      l.token = ++l.last_token;
      l.expires_ms = store_->now_ms + ttl_ms;
      c->value = Value::Int(l.token);
    });
  }
  Completion Release(const std::string& name, const std::string& owner, int64_t token) override {
    return Run("release " + name, [&](Completion* c) {
      FakeStore::Lock& l = store_->locks[name];
      if (!l.held || store_->now_ms >= l.expires_ms || l.owner != owner || l.token != token) {
        if (store_->now_ms >= l.expires_ms) l.held = false;
        c->type = EventType::kFail;
        c->error = "not-held";
        return;
      }
      l.held = false;
    });
  }
  std::optional<targets::NodeStatus> Status() override { return std::nullopt; }

 private:
  void Set(const std::string& key, const Value& v) {
    if (v.is_null()) {
      store_->kv.erase(key);
    } else {
      store_->kv[key] = v;
    }
  }

  template <typename F>
  Completion Run(const std::string& what, F apply) {
    store_->calls.push_back(what);
    if (store_->before) store_->before(what);
    std::optional<Fault> fault;
    if (!store_->faults.empty()) {
      fault = store_->faults.front();
      store_->faults.pop_front();
    }
    Completion c;
    c.type = EventType::kOk;
    c.node = node_;
    if (fault) {
      if (fault->type == EventType::kInfo && fault->applied) apply(&c);
      c = Completion{};
      c.type = fault->type;
      c.error = fault->error;
      c.node = node_;
      return c;
    }
    apply(&c);
    return c;
  }

  FakeStore* store_;
  std::string node_;
};

}  // namespace faultline::workloads::testing
