// The models of DESIGN.md section 3. Each is a pure sequential specification; semantics that a
// reader could doubt are defended where they are decided.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "checker/model.h"

namespace faultline::checker {

using base::Result;
using base::Status;
namespace {

std::string Join(const std::vector<std::string>& parts, const char* last_sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? last_sep : ", ";
    out += parts[i];
  }
  return out;
}

Status BadOp(std::string_view model, const Operation& op, std::string_view expected) {
  return Status::InvalidArgument("model " + std::string(model) + " cannot judge operation '" +
                                 op.f + "' with value " + op.value.ToJson() + " (expected " +
                                 std::string(expected) + ")");
}

bool IsPair(const Value& v) { return v.is_array() && v.as_array().size() == 2; }

// Sorts and deduplicates by canonical JSON, so that equal sets have equal Values.
Value CanonicalSet(const Value::Array& elements, bool dedupe) {
  std::vector<std::pair<std::string, const Value*>> keyed;
  keyed.reserve(elements.size());
  for (const Value& e : elements) keyed.emplace_back(e.ToJson(), &e);
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (dedupe) {
    keyed.erase(std::unique(keyed.begin(), keyed.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                keyed.end());
  }
  Value::Array out;
  out.reserve(keyed.size());
  for (const auto& [text, v] : keyed) out.push_back(*v);
  return Value::MakeArray(std::move(out));
}

// register and cas-register: read -> v, write v, and (cas-register) cas [from, to].
class RegisterModel : public Model {
 public:
  explicit RegisterModel(bool cas) : cas_(cas) {}
  std::string_view name() const override { return cas_ ? "cas-register" : "register"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    return initial ? *initial : Value::Null();
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "read" || op.f == "write") return Status::Ok();
    if (cas_ && op.f == "cas") {
      return IsPair(op.value) ? Status::Ok() : BadOp(name(), op, "cas with value [from, to]");
    }
    return BadOp(name(), op, cas_ ? "read, write or cas" : "read or write");
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    if (op.f == "read") {
      if (op.value.is_any() || op.value == state) {
        *next = state;
        return true;
      }
      if (why) *why = "the register holds " + state.ToJson();
      return false;
    }
    if (op.f == "write") {
      *next = op.value;
      return true;
    }
    // cas. A mismatch is an observation that the register did not hold `from` at the point the
    // compare executed (Porcupine semantics, DESIGN.md section 2); it changes nothing.
    const Value& from = op.value.as_array()[0];
    const Value& to = op.value.as_array()[1];
    if (op.status == OpStatus::kMismatch) {
      if (state != from) {
        *next = state;
        return true;
      }
      if (why) *why = "the register holds " + state.ToJson() + ", so the compare would match";
      return false;
    }
    if (state == from) {
      *next = to;
      return true;
    }
    if (why) *why = "the register holds " + state.ToJson();
    return false;
  }

  // An indeterminate write of v (or cas to v) that no operation observes can be left out. Take
  // any linearization with it at point p, and let the window be the operations between p and
  // the next operation that changes the register. Every operation in the window sees v: a read
  // there returns v, an effective cas there has from == v, a mismatch cas there has from != v.
  // With no read of v and no cas from v anywhere, the window holds only mismatch casts and
  // operations that change the register (which end it). Without the write the window sees the
  // value u from before p instead, which a mismatch cas [u, ...] would contradict: so the write
  // is dropped only when the key has no mismatch observation at all. Then removing it leaves
  // every other operation's outcome unchanged, and a linearization.
  std::vector<char> Droppable(const std::vector<const Operation*>& partition) const override {
    if (std::none_of(partition.begin(), partition.end(), [](const Operation* op) {
          return op->status == OpStatus::kInfo && op->f != "read";
        })) {
      return {};
    }
    std::unordered_set<std::string> observed;  // values read, or compared against
    for (const Operation* op : partition) {
      if (op->status == OpStatus::kMismatch) return {};
      if (op->f == "read" && op->status == OpStatus::kOk && !op->value.is_any()) {
        observed.insert(op->value.ToJson());
      } else if (op->f == "cas" && IsPair(op->value)) {
        observed.insert(op->value.as_array()[0].ToJson());
      }
    }
    std::vector<char> drop(partition.size(), 0);
    for (size_t i = 0; i < partition.size(); ++i) {
      const Operation& op = *partition[i];
      if (op.status != OpStatus::kInfo) continue;
      const Value* written = op.f == "write"                     ? &op.value
                             : op.f == "cas" && IsPair(op.value) ? &op.value.as_array()[1]
                                                                 : nullptr;
      if (written && !written->is_any() && !observed.count(written->ToJson())) drop[i] = 1;
    }
    return drop;
  }

  std::string DescribeOp(const Operation& op) const override {
    if (op.f == "cas" && IsPair(op.value)) {
      std::string s =
          "cas " + op.value.as_array()[0].ToJson() + " -> " + op.value.as_array()[1].ToJson();
      if (op.status == OpStatus::kInfo) s += " (info)";
      if (op.status == OpStatus::kMismatch) s += " (failed: mismatch)";
      return s;
    }
    return Model::DescribeOp(op);
  }

  // "read 3, but the register holds 0 or 4".
  std::string Reject(const Operation& op, const std::vector<Value>& states) const override {
    std::vector<std::string> held;
    for (const Value& s : states) held.push_back(s.ToJson());
    std::string head = DescribeOp(op);
    if (op.f == "read") head = "read " + op.value.ToJson();
    if (op.f == "cas" && op.status == OpStatus::kMismatch) {
      return head + ", but the register holds " + Join(held, " or ") +
             ", so the compare would have matched";
    }
    return head + ", but the register holds " + Join(held, " or ");
  }

 private:
  bool cas_;
};

// multi-register: txn [[read|write, k, v], ...] over registers named k; missing keys read null.
class MultiRegisterModel : public Model {
 public:
  std::string_view name() const override { return "multi-register"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::MakeObject({});
    if (!initial->is_object()) {
      return Status::InvalidArgument(
          "model multi-register takes an --initial object such as "
          "{\"x\":0}, not " +
          initial->ToJson());
    }
    return Canonical(*initial);
  }

  Status Validate(const Operation& op) const override {
    if (op.f != "txn" || !op.value.is_array()) return BadOp(name(), op, "txn [[f, k, v], ...]");
    for (const Value& micro : op.value.as_array()) {
      if (!micro.is_array() || micro.as_array().size() != 3 || !micro.as_array()[0].is_string() ||
          (micro.as_array()[0].as_string() != "read" &&
           micro.as_array()[0].as_string() != "write")) {
        return BadOp(name(), op, "txn [[read|write, k, v], ...]");
      }
    }
    return Status::Ok();
  }

  bool Irrelevant(const Operation& op) const override {
    if (op.f != "txn" || !op.value.is_array()) return false;
    for (const Value& micro : op.value.as_array()) {
      if (micro.as_array()[0].as_string() == "write") return false;
      if (op.status == OpStatus::kOk && !micro.as_array()[2].is_any()) return false;
    }
    return true;
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    std::map<std::string, Value> regs;
    for (const auto& [k, v] : state.as_object()) regs[k] = v;
    for (const Value& micro : op.value.as_array()) {
      const auto& m = micro.as_array();
      std::string k = m[1].is_string() ? m[1].as_string() : m[1].ToJson();
      if (m[0].as_string() == "write") {
        regs[k] = m[2];
        continue;
      }
      // A read inside an indeterminate txn reports nothing: its result never came back.
      if (op.status != OpStatus::kOk || m[2].is_any()) continue;
      auto it = regs.find(k);
      const Value current = it == regs.end() ? Value::Null() : it->second;
      if (current != m[2]) {
        if (why) *why = k + " holds " + current.ToJson();
        return false;
      }
    }
    Value::Object out;
    for (auto& [k, v] : regs) out.emplace_back(k, std::move(v));
    *next = Value::MakeObject(std::move(out));
    return true;
  }

 private:
  static Value Canonical(const Value& obj) {
    std::map<std::string, Value> sorted(obj.as_object().begin(), obj.as_object().end());
    Value::Object out(sorted.begin(), sorted.end());
    return Value::MakeObject(std::move(out));
  }
};

// kv: per key, get -> string ("" if absent), put s, append s (concatenate).
class KvModel : public Model {
 public:
  std::string_view name() const override { return "kv"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::String("");
    if (!initial->is_string()) {
      return Status::InvalidArgument("model kv takes an --initial string, not " +
                                     initial->ToJson());
    }
    return *initial;
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "get") {
      if (op.status != OpStatus::kOk || op.value.is_string() || op.value.is_null() ||
          op.value.is_any()) {
        return Status::Ok();
      }
      return BadOp(name(), op, "get -> string");
    }
    if ((op.f == "put" || op.f == "append") && op.value.is_string()) return Status::Ok();
    return BadOp(name(), op, "get, put string or append string");
  }

  bool Irrelevant(const Operation& op) const override {
    return op.f == "get" && (op.status != OpStatus::kOk || op.value.is_any());
  }

  // An indeterminate put or append of s that no get saw can be left out. Linearized at p, it
  // puts s into the value, and s stays a substring of the value until the next put: every get
  // in that window returns a string containing s. If no get's result contains s, the window has
  // no get, and without the operation every other one (puts and appends, which always apply)
  // still applies; the gets outside the window see what they saw. An empty append changes
  // nothing and is always dropped. The substring test is bounded (gets x bytes), so a huge key
  // keeps every operation rather than spend quadratic time here.
  std::vector<char> Droppable(const std::vector<const Operation*>& partition) const override {
    std::vector<const std::string*> gets;
    uint64_t bytes = 0;
    size_t infos = 0;
    for (const Operation* op : partition) {
      if (op->f == "get" && op->status == OpStatus::kOk && op->value.is_string()) {
        gets.push_back(&op->value.as_string());
        bytes += op->value.as_string().size();
      }
      infos += op->status == OpStatus::kInfo;
    }
    if (infos == 0 || static_cast<double>(infos) * static_cast<double>(bytes) > 2e8) return {};
    std::vector<char> drop(partition.size(), 0);
    for (size_t i = 0; i < partition.size(); ++i) {
      const Operation& op = *partition[i];
      if (op.status != OpStatus::kInfo || (op.f != "put" && op.f != "append")) continue;
      if (!op.value.is_string()) continue;
      const std::string& s = op.value.as_string();
      if (s.empty()) {
        drop[i] = op.f == "append";
        continue;
      }
      drop[i] = std::none_of(gets.begin(), gets.end(),
                             [&](const std::string* g) { return g->find(s) != std::string::npos; });
    }
    return drop;
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    if (op.f == "get") {
      // An absent key reads "" (DESIGN.md section 3); null is accepted as the same.
      const std::string got = op.value.is_string() ? op.value.as_string() : std::string();
      if (got == state.as_string()) {
        *next = state;
        return true;
      }
      if (why) *why = "the value is " + state.ToJson();
      return false;
    }
    if (op.f == "put") {
      *next = op.value;
    } else {
      *next = Value::String(state.as_string() + op.value.as_string());
    }
    return true;
  }
};

// mutex: acquire, release (Knossos' mutex: at most one holder; release only when held).
class MutexModel : public Model {
 public:
  std::string_view name() const override { return "mutex"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::Bool(false);
    if (!initial->is_bool()) {
      return Status::InvalidArgument("model mutex takes --initial true (held) or false (free)");
    }
    return *initial;
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "acquire" || op.f == "release") return Status::Ok();
    return BadOp(name(), op, "acquire or release");
  }

  bool Irrelevant(const Operation&) const override { return false; }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    const bool held = state.as_bool();
    const bool acquiring = op.f == "acquire";
    if (held == acquiring) {
      if (why) *why = held ? "the lock is held" : "the lock is free";
      return false;
    }
    *next = Value::Bool(acquiring);
    return true;
  }

  std::string DescribeState(const Value& state) const override {
    return state.as_bool() ? "held" : "free";
  }
};

// fencing-lock: acquire -> token, release. Each granted token must exceed every token granted
// before it. A lease may expire without a release, which a history cannot show, so a grant does
// not require the lock to be free; what it requires is the fencing property itself: tokens
// rise in linearization order. A release must name the current token (when it names one) and
// succeeds once per grant. State: {"held": bool, "token": max granted or null}.
class FencingLockModel : public Model {
 public:
  std::string_view name() const override { return "fencing-lock"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial || initial->is_null()) return Make(false, Value::Null());
    const Value* held = initial->find("held");
    const Value* token = initial->find("token");
    if (!held || !held->is_bool() || !token || !(token->is_int() || token->is_null())) {
      return Status::InvalidArgument(
          "model fencing-lock takes --initial {\"held\":false,\"token\":null} or with an integer "
          "token");
    }
    return Make(held->as_bool(), *token);
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "acquire") {
      if (op.status != OpStatus::kOk || op.value.is_int()) return Status::Ok();
      return BadOp(name(), op, "acquire -> integer token");
    }
    if (op.f == "release" && (op.value.is_null() || op.value.is_int())) return Status::Ok();
    return BadOp(name(), op, "acquire or release [token]");
  }

  bool Irrelevant(const Operation&) const override { return false; }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    const bool held = state.find("held")->as_bool();
    const Value& token = *state.find("token");
    if (op.f == "acquire") {
      if (op.status != OpStatus::kOk) {
        // An indeterminate grant: held from here on, with a token we never learned.
        *next = Make(true, token);
        return true;
      }
      if (!token.is_null() && op.value.as_int() <= token.as_int()) {
        if (why) *why = "token " + token.ToJson() + " was already granted";
        return false;
      }
      *next = Make(true, op.value);
      return true;
    }
    if (!held) {
      if (why) *why = "the lock is free";
      return false;
    }
    if (op.value.is_int() && op.status == OpStatus::kOk && !token.is_null() &&
        op.value.as_int() != token.as_int()) {
      if (why) *why = "the current token is " + token.ToJson();
      return false;
    }
    *next = Make(false, token);
    return true;
  }

  std::string DescribeState(const Value& state) const override {
    return std::string(state.find("held")->as_bool() ? "held" : "free") + ", highest token " +
           state.find("token")->ToJson();
  }

 private:
  static Value Make(bool held, Value token) {
    return Value::MakeObject({{"held", Value::Bool(held)}, {"token", std::move(token)}});
  }
};

// set: add x, read -> array that must equal the whole set.
class SetModel : public Model {
 public:
  std::string_view name() const override { return "set"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::MakeArray({});
    if (!initial->is_array()) {
      return Status::InvalidArgument("model set takes an --initial array, not " +
                                     initial->ToJson());
    }
    return CanonicalSet(initial->as_array(), true);
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "add") return Status::Ok();
    if (op.f == "read" &&
        (op.status != OpStatus::kOk || op.value.is_array() || op.value.is_any())) {
      return Status::Ok();
    }
    return BadOp(name(), op, "add x or read -> array");
  }

  // An indeterminate add of x that no read saw can be left out: linearized at p, x is in the set
  // from p on (nothing removes it), so every read after p contains x. No read contains x, so no
  // read comes after p, and without the add every other add still applies and every read sees
  // what it saw.
  std::vector<char> Droppable(const std::vector<const Operation*>& partition) const override {
    std::set<std::string> seen;
    size_t infos = 0;
    for (const Operation* op : partition) {
      infos += op->status == OpStatus::kInfo;
      if (op->f != "read" || op->status != OpStatus::kOk || !op->value.is_array()) continue;
      for (const Value& e : op->value.as_array()) seen.insert(e.ToJson());
    }
    if (infos == 0) return {};
    std::vector<char> drop(partition.size(), 0);
    for (size_t i = 0; i < partition.size(); ++i) {
      const Operation& op = *partition[i];
      if (op.status == OpStatus::kInfo && op.f == "add" && !op.value.is_any() &&
          !seen.count(op.value.ToJson())) {
        drop[i] = 1;
      }
    }
    return drop;
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    if (op.f == "add") {
      // The state is canonical (sorted by JSON text, no duplicates): one binary search places
      // the element. Sorting the whole set again, with the text of every element, made each
      // add cost k log k on a set of k elements (20,000 adds in one process took 54 s; issue
      // 13).
      const Value::Array& held = state.as_array();
      const std::string text = op.value.ToJson();
      const auto at =
          std::lower_bound(held.begin(), held.end(), text,
                           [](const Value& e, const std::string& t) { return e.ToJson() < t; });
      if (at != held.end() && at->ToJson() == text) {
        *next = state;
        return true;
      }
      Value::Array elements;
      elements.reserve(held.size() + 1);
      elements.insert(elements.end(), held.begin(), at);
      elements.push_back(op.value);
      elements.insert(elements.end(), at, held.end());
      *next = Value::MakeArray(std::move(elements));
      return true;
    }
    if (CanonicalSet(op.value.as_array(), true) == state) {
      *next = state;
      return true;
    }
    if (why) *why = "the set is " + state.ToJson();
    return false;
  }

  // A read that matches no possible state, as a diff against each of them rather than each whole
  // set (a set of hundreds of elements printed once per state buried the difference): "read 40
  // elements, but the set holds 41 elements (the read lacks 17) or [1,2,3] (the read lacks 3;
  // extra 9)". Small sets are printed whole; lists and states are capped.
  std::string Reject(const Operation& op, const std::vector<Value>& states) const override {
    if (op.f != "read" || !op.value.is_array()) return Model::Reject(op, states);
    const Value read = CanonicalSet(op.value.as_array(), true);
    std::vector<std::string> parts;
    for (size_t i = 0; i < states.size() && i < kMaxStates; ++i) {
      const Value::Array& held = states[i].as_array();
      const Value::Array& got = read.as_array();
      Value::Array lacks;
      Value::Array extra;
      // Both are sorted by canonical JSON (CanonicalSet): one merge finds both differences.
      size_t a = 0;
      size_t b = 0;
      while (a < held.size() || b < got.size()) {
        const int cmp = a == held.size()  ? 1
                        : b == got.size() ? -1
                                          : held[a].ToJson().compare(got[b].ToJson());
        if (cmp < 0) {
          lacks.push_back(held[a++]);
        } else if (cmp > 0) {
          extra.push_back(got[b++]);
        } else {
          ++a;
          ++b;
        }
      }
      std::string diff;
      if (!lacks.empty()) diff = "the read lacks " + Elements(lacks);
      if (!extra.empty())
        diff += (diff.empty() ? "the read has extra " : "; extra ") + Elements(extra);
      parts.push_back(Describe(states[i]) + " (" + diff + ")");
    }
    if (states.size() > kMaxStates)
      parts.push_back(std::to_string(states.size() - kMaxStates) + " more states");
    return "read " + Describe(read) + ", but the set holds " + Join(parts, " or ");
  }

 private:
  static constexpr size_t kMaxStates = 4;    // states diffed in a reason
  static constexpr size_t kMaxElements = 5;  // elements listed per difference
  static constexpr size_t kMaxWhole = 5;     // a set this small is printed whole

  // "[1,2,3]" for a small set, "41 elements" otherwise.
  static std::string Describe(const Value& set) {
    const size_t n = set.as_array().size();
    return n <= kMaxWhole ? set.ToJson() : std::to_string(n) + " elements";
  }

  // "17, 23" or "1, 2, 3, 4, 5 ... and 12 more", integers in numeric order.
  static std::string Elements(Value::Array elements) {
    std::stable_sort(elements.begin(), elements.end(), [](const Value& x, const Value& y) {
      if (x.is_int() && y.is_int()) return x.as_int() < y.as_int();
      return x.is_int() && !y.is_int();
    });
    std::string out;
    for (size_t i = 0; i < elements.size() && i < kMaxElements; ++i)
      out += (i == 0 ? "" : ", ") + elements[i].ToJson();
    if (elements.size() > kMaxElements)
      out += " ... and " + std::to_string(elements.size() - kMaxElements) + " more";
    return out;
  }
};

// unordered-queue and fifo-queue: enqueue x, dequeue -> x. An ok dequeue of null observed an
// empty queue. A dequeue whose result never came back took one of the enqueued elements, or
// nothing: its alternatives are a dequeue of each distinct enqueued value.
class QueueModel : public Model {
 public:
  explicit QueueModel(bool fifo) : fifo_(fifo) {}
  std::string_view name() const override { return fifo_ ? "fifo-queue" : "unordered-queue"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::MakeArray({});
    if (!initial->is_array()) {
      return Status::InvalidArgument("model " + std::string(name()) +
                                     " takes an --initial array, not " + initial->ToJson());
    }
    return fifo_ ? *initial : CanonicalSet(initial->as_array(), false);
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "enqueue" || op.f == "dequeue") return Status::Ok();
    return BadOp(name(), op, "enqueue x or dequeue -> x");
  }

  bool DeferIndeterminate() const override { return false; }
  bool Irrelevant(const Operation&) const override { return false; }

  std::vector<Operation> Alternatives(
      const Operation& op, const std::vector<const Operation*>& partition) const override {
    if (op.f != "dequeue" || op.status == OpStatus::kOk) return {};
    std::vector<Operation> out;
    std::set<std::string> seen;
    for (const Operation* o : partition) {
      if (o->f != "enqueue" || !seen.insert(o->value.ToJson()).second) continue;
      Operation alt = op;
      alt.status = OpStatus::kOk;
      alt.value = o->value;
      out.push_back(std::move(alt));
    }
    return out;
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    Value::Array items = state.as_array();
    if (op.f == "enqueue") {
      items.push_back(op.value);
      *next = fifo_ ? Value::MakeArray(std::move(items)) : CanonicalSet(items, false);
      return true;
    }
    if (op.value.is_null()) {
      if (items.empty()) {
        *next = state;
        return true;
      }
      if (why) *why = "the queue holds " + state.ToJson();
      return false;
    }
    auto it = fifo_ ? (items.empty() || items.front() != op.value ? items.end() : items.begin())
                    : std::find(items.begin(), items.end(), op.value);
    if (it == items.end()) {
      if (why) *why = "the queue holds " + state.ToJson();
      return false;
    }
    items.erase(it);
    *next = Value::MakeArray(std::move(items));
    return true;
  }

 private:
  bool fifo_;
};

// counter: add n, read -> integer.
class CounterModel : public Model {
 public:
  std::string_view name() const override { return "counter"; }

  Result<Value> Initial(const std::optional<Value>& initial) const override {
    if (!initial) return Value::Int(0);
    if (!initial->is_int()) {
      return Status::InvalidArgument("model counter takes an --initial integer, not " +
                                     initial->ToJson());
    }
    return *initial;
  }

  Status Validate(const Operation& op) const override {
    if (op.f == "add" && op.value.is_int()) return Status::Ok();
    if (op.f == "read" && (op.status != OpStatus::kOk || op.value.is_int() || op.value.is_any())) {
      return Status::Ok();
    }
    return BadOp(name(), op, "add integer or read -> integer");
  }

  bool Step(const Value& state, const Operation& op, Value* next, std::string* why) const override {
    if (op.f == "add") {
      int64_t sum;
      if (__builtin_add_overflow(state.as_int(), op.value.as_int(), &sum)) {
        if (why) *why = "the counter would overflow 64 bits";
        return false;
      }
      *next = Value::Int(sum);
      return true;
    }
    if (op.value.as_int() == state.as_int()) {
      *next = state;
      return true;
    }
    if (why) *why = "the counter is " + state.ToJson();
    return false;
  }

  // "read 54, but the counter is 89, 85, 87 or 83", as the register's "holds 4 or 3".
  std::string Reject(const Operation& op, const std::vector<Value>& states) const override {
    if (op.f != "read" || !op.value.is_int() || states.empty()) return Model::Reject(op, states);
    std::vector<std::string> values;
    for (const Value& s : states) values.push_back(s.ToJson());
    return "read " + op.value.ToJson() + ", but the counter is " + Join(values, " or ");
  }
};

}  // namespace

std::unique_ptr<Model> MakeModel(std::string_view name) {
  if (name == "register") return std::make_unique<RegisterModel>(false);
  if (name == "cas-register") return std::make_unique<RegisterModel>(true);
  if (name == "multi-register") return std::make_unique<MultiRegisterModel>();
  if (name == "kv") return std::make_unique<KvModel>();
  if (name == "mutex") return std::make_unique<MutexModel>();
  if (name == "fencing-lock") return std::make_unique<FencingLockModel>();
  if (name == "set") return std::make_unique<SetModel>();
  if (name == "unordered-queue") return std::make_unique<QueueModel>(false);
  if (name == "fifo-queue") return std::make_unique<QueueModel>(true);
  if (name == "counter") return std::make_unique<CounterModel>();
  return nullptr;
}

std::vector<std::string> AllModelNames() {
  return {"register",     "cas-register", "multi-register",  "kv",         "mutex",
          "fencing-lock", "set",          "unordered-queue", "fifo-queue", "counter"};
}

}  // namespace faultline::checker
