// Generated histories of the shapes that are hard for a linearizability search (issue 13):
// many clients on one key, many indeterminate operations, and keys made non-linearizable by
// one corrupted read, which the search can only call invalid after exhausting every order.
//
// Shared by tests/checker (differential and limit tests) and bench/checker_hard_bench.
//
// Each key is a real object (a cas-register, or a kv string that appends concatenate) driven
// by `clients` simulated processes: every operation takes effect at one random instant between
// its invoke and its completion, so an uncorrupted key is linearizable. An indeterminate
// operation takes effect or not (a coin), then completes `info` or never completes; its process
// is retired and the client goes on under process + clients * keys (Jepsen's convention).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/rand.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker::testing {

struct HardShape {
  // "register": read / write / cas on a cas-register (model cas-register, initial null).
  // "append": get / append on a string (model kv, initial "").
  std::string kind = "register";
  int keys = 1;
  int clients = 5;         // concurrent processes per key
  int ops_per_key = 80;    // operations started per key
  double info = 0.2;       // share of operations that end indeterminate
  int values = 5;          // register: values drawn from [0, values); 0 = every write unique
  int corrupt_keys = 0;    // keys (the first ones) given one wrong read
  double reads = 1.0 / 3;  // share of reads (get); the rest split between write and cas
  bool keyed = true;       // give events a `key` (always when keys > 1)
  uint64_t seed = 1;

  std::string model() const { return kind == "append" ? "kv" : "cas-register"; }
};

namespace hard_internal {

struct Client {
  bool active = false;
  bool applied = false;
  bool info = false;
  bool took_effect = false;
  int64_t process = 0;
  int f = 0;  // 0 read/get, 1 write/append, 2 cas
  Value in, out;
  bool mismatch = false;
  Value last_seen;  // register: the last value this client read (a cas moves from it)
};

inline Value AppendToken(int64_t client, int64_t n) {
  return Value::String("x " + std::to_string(client) + " " + std::to_string(n) + " y");
}

}  // namespace hard_internal

// The history of `shape`, events of all keys interleaved.
inline History GenerateHard(const HardShape& shape) {
  using hard_internal::Client;
  base::Rng rng(shape.seed * 0x9E3779B97F4A7C15ull + 7);
  const bool append = shape.kind == "append";
  const int keys = std::max(1, shape.keys);
  const int per_key = std::max(1, shape.clients);
  const int procs = keys * per_key;
  std::vector<Client> clients(procs);
  for (int p = 0; p < procs; ++p) clients[p].process = p;
  std::vector<Value> state(keys, append ? Value::String("") : Value());
  std::vector<int> started(keys, 0);
  std::vector<int64_t> counter(procs, 0);
  int64_t unique = 0;
  int active = 0, done_keys = 0;
  History h{"generated-hard", {}};
  auto chance = [&](double p) {
    return static_cast<double>(rng.Uniform(1u << 30)) < p * (1u << 30);
  };
  auto emit = [&](const Client& c, int key, EventType type, Value value) {
    Event e;
    e.index = static_cast<int64_t>(h.events.size());
    e.line = e.index + 1;
    e.time = e.index * 1000;
    e.process = c.process;
    e.type = type;
    static const char* kRegister[] = {"read", "write", "cas"};
    static const char* kAppend[] = {"get", "append", "append"};
    e.f = append ? kAppend[c.f] : kRegister[c.f];
    if (shape.keyed || keys > 1) {
      e.has_key = true;
      e.key = Value::String("k" + std::to_string(key));
    }
    e.value = std::move(value);
    if (type == EventType::kFail && c.mismatch) e.error = "mismatch";
    h.events.push_back(std::move(e));
  };
  auto fresh = [&](int64_t client) -> Value {
    if (append) return hard_internal::AppendToken(client, counter[client]++);
    if (shape.values <= 0) return Value::Int(++unique);
    return Value::Int(static_cast<int64_t>(rng.Uniform(shape.values)));
  };
  while (done_keys < keys || active > 0) {
    const int p = static_cast<int>(rng.Uniform(procs));
    const int key = p / per_key;
    Client& c = clients[p];
    if (!c.active) {
      if (started[key] >= shape.ops_per_key) continue;
      if (++started[key] == shape.ops_per_key) ++done_keys;
      ++active;
      c.active = true;
      c.applied = false;
      c.took_effect = false;
      c.mismatch = false;
      c.info = chance(shape.info);
      const bool read = chance(shape.reads);
      c.f = read ? 0 : (append || rng.Uniform(2) == 0 ? 1 : 2);
      if (c.f == 0) {
        c.in = Value();
      } else if (c.f == 1) {
        c.in = fresh(p);
      } else {
        const Value from = shape.values > 0
                               ? Value::Int(static_cast<int64_t>(rng.Uniform(shape.values)))
                               : c.last_seen;
        c.in = Value::MakeArray({from, fresh(p)});
      }
      emit(c, key, EventType::kInvoke, c.in);
    } else if (!c.applied) {
      c.applied = true;
      if (c.info && rng.Uniform(2) == 0) continue;  // never takes effect
      c.took_effect = true;
      Value& st = state[key];
      if (c.f == 0) {
        c.out = st;
        c.last_seen = st;
      } else if (append) {
        st = Value::String(st.as_string() + c.in.as_string());
      } else if (c.f == 1) {
        st = c.in;
      } else if (st == c.in.as_array()[0]) {
        st = c.in.as_array()[1];
      } else {
        c.mismatch = true;
      }
    } else {
      c.active = false;
      --active;
      if (c.info) {
        if (rng.Uniform(4) != 0) emit(c, key, EventType::kInfo, c.in);  // else never completes
        c.process += procs;
      } else if (c.mismatch) {
        emit(c, key, EventType::kFail, c.in);
      } else {
        emit(c, key, EventType::kOk, c.f == 0 ? c.out : c.in);
      }
    }
  }
  // Corruption: one ok read per corrupted key returns what no linearization allows. A register
  // read returns a value never written; an append get drops one element whose append completed
  // before the get began (appended elements are unique, so no state equals the result).
  for (int key = 0; key < std::min(shape.corrupt_keys, keys); ++key) {
    const std::string name = "k" + std::to_string(key);
    auto on_key = [&](const Event& e) {
      return !e.has_key || (e.key.is_string() && e.key.as_string() == name);
    };
    // Candidates: ok reads, from the last one back (a late read is the hardest to refute).
    for (size_t i = h.events.size(); i-- > 0;) {
      Event& e = h.events[i];
      if (e.nemesis || e.type != EventType::kOk || !on_key(e)) continue;
      if (e.f != (append ? "get" : "read")) continue;
      if (!append) {
        e.value = Value::Int(shape.values > 0 ? shape.values + 1000 : -1);
        break;
      }
      // The get's invoke position: the last invoke of its process before i.
      size_t invoke = i;
      while (invoke-- > 0) {
        if (h.events[invoke].process == e.process && !h.events[invoke].nemesis) break;
      }
      // An append completed ok before that invoke whose element the get saw.
      const std::string seen = e.value.as_string();
      std::string drop;
      for (size_t j = 0; j < invoke && drop.empty(); ++j) {
        const Event& a = h.events[j];
        if (a.type == EventType::kOk && a.f == "append" && on_key(a) &&
            seen.find(a.value.as_string()) != std::string::npos) {
          drop = a.value.as_string();
        }
      }
      if (drop.empty()) continue;
      std::string v = seen;
      v.erase(v.find(drop), drop.size());
      e.value = Value::String(v);
      break;
    }
  }
  return h;
}

}  // namespace faultline::checker::testing
