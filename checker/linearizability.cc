#include "checker/linearizability.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/check.h"
#include "base/rand.h"
#include "checker/json_reader.h"

namespace faultline::checker {

using base::Result;
using base::Status;

bool MemoryBudget::Charge(uint64_t bytes) {
  uint64_t now = used_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (limit_ != 0 && now > limit_) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    return false;
  }
  uint64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

namespace {

constexpr int32_t kIllegal = -1;
constexpr int32_t kNotComputed = -2;

bool ContainsAny(const Value& v) {
  if (v.is_any()) return true;
  if (v.is_array()) {
    for (const Value& e : v.as_array()) {
      if (ContainsAny(e)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) {
      if (ContainsAny(e)) return true;
    }
  }
  return false;
}

// The value part of an operation class's key: canonical JSON, except that Value::Any (which
// prints as null) gets a token of its own at any depth, so a read that constrains nothing never
// shares a class with a read of null.
void AppendClassKey(const Value& v, std::string* out) {
  if (!ContainsAny(v)) {
    v.AppendJson(out);
  } else if (v.is_any()) {
    *out += "\x01any";
  } else if (v.is_array()) {
    *out += '[';
    for (const Value& e : v.as_array()) {
      AppendClassKey(e, out);
      *out += ',';
    }
    *out += ']';
  } else {  // an object: members in key order, as in canonical JSON
    Value::Object members = v.as_object();
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    *out += '{';
    for (const auto& [k, e] : members) {
      *out += Value::String(k).ToJson() + ':';
      AppendClassKey(e, out);
      *out += ',';
    }
    *out += '}';
  }
}

// Charges a budget for the lifetime of the owner; releases on destruction.
class Charger {
 public:
  explicit Charger(MemoryBudget* budget) : budget_(budget) {}
  ~Charger() {
    if (budget_) budget_->Release(charged_);
  }
  bool Charge(uint64_t bytes) {
    if (budget_ && !budget_->Charge(bytes)) {
      const uint64_t used = budget_->used();
      others_ = used > charged_ ? used - charged_ : 0;
      return false;
    }
    charged_ += bytes;
    peak_ = std::max(peak_, charged_);
    return true;
  }
  void Release(uint64_t bytes) {
    if (budget_) budget_->Release(bytes);
    charged_ -= bytes;
  }
  uint64_t peak() const { return peak_; }
  uint64_t others() const { return others_; }

 private:
  MemoryBudget* budget_;
  uint64_t others_ = 0;  // others' bytes on the budget at the last refusal
  uint64_t charged_ = 0;
  uint64_t peak_ = 0;
};

// Interns model states (by canonical JSON) and memoizes transitions, so a search step is a table
// lookup: Knossos' memo, built lazily. Operations are grouped into classes of equal
// (f, status, value); a class's transitions are computed once per state.
//
// Layout is flat on purpose: state texts live back to back in one arena and every index is open
// addressing over plain arrays. A hard history can intern millions of states, and freeing
// millions of small objects took seconds, which a --timeout must not.
class Memo {
 public:
  // `ops` are the operations to step: one per call entry of the search.
  Memo(const Model& model, const std::vector<const Operation*>& ops, Charger* charger)
      : model_(model), charger_(charger) {
    std::unordered_map<std::string, int32_t> classes;
    op_class_.reserve(ops.size());
    for (const Operation* op : ops) {
      std::string key = op->f;
      key += '\0';
      key += static_cast<char>(op->status);
      key += '\0';
      AppendClassKey(op->value, &key);
      auto [it, inserted] = classes.try_emplace(std::move(key), class_rep_.size());
      if (inserted) class_rep_.push_back(op);
      op_class_.push_back(it->second);
    }
    num_classes_ = static_cast<int32_t>(class_rep_.size());
  }

  int32_t op_class(int op) const { return op_class_[op]; }
  bool out_of_memory() const { return oom_; }

  // The state with this id, decoded. Its text came from Value::ToJson, which every Value the
  // importers build round-trips through (they refuse invalid UTF-8, ##Inf and integers past 64
  // bits: issue 13); a model may wrap an input value one level deeper than the importers allow,
  // hence the extra depth. Should that ever fail, it is an internal error of this one check
  // (CheckHistory reports it, exit 255 for the file), not an abort of the whole process.
  Value state(int32_t id) const {
    internal::JsonReader reader(Text(id));
    reader.set_max_depth(2 * internal::kMaxJsonDepth);
    Value v;
    if (!reader.ParseValue(&v) || !reader.AtEnd()) {
      throw std::runtime_error("an interned model state does not parse: " + reader.error());
    }
    return v;
  }

  int32_t Intern(const Value& v) {
    // Into a buffer kept across calls: a fresh string per large state was a fresh mapping,
    // faulted in page by page, each time (a fifth of a 10,000-append kv history's time).
    text_.clear();
    v.AppendJson(&text_);
    const std::string& text = text_;
    const uint64_t hash = std::hash<std::string_view>()(text);
    if ((spans_.size() + 1) * 2 > index_.size() && !GrowIndex()) return kIllegal;
    size_t i = hash & (index_.size() - 1);
    for (; index_[i] >= 0; i = (i + 1) & (index_.size() - 1)) {
      const int32_t id = index_[i];
      if (hashes_[id] == hash && Text(id) == text) return id;
    }
    const int32_t id = static_cast<int32_t>(spans_.size());
    const uint64_t bytes = sizeof(Span) + sizeof(uint64_t);
    // Dense rows while they stay small; the sparse map for states past the cap.
    const bool dense =
        static_cast<uint64_t>(id + 1) * num_classes_ <= kDenseCap && id == dense_rows_;
    if (!charger_->Charge(bytes)) {
      oom_ = true;
      return kIllegal;
    }
    // Buffers grow by doubling: charge the new capacity before it is allocated.
    if (dense && !Reserve(&transitions_, transitions_.size() + num_classes_)) return kIllegal;
    if (!Reserve(&arena_, arena_.size() + text.size())) return kIllegal;
    if (dense) {
      transitions_.resize(transitions_.size() + num_classes_, kNotComputed);
      ++dense_rows_;
    }
    spans_.push_back({arena_.size(), static_cast<uint32_t>(text.size())});
    hashes_.push_back(hash);
    arena_ += text;
    index_[i] = id;
    return id;
  }

  // The state after applying class c in state s, or kIllegal.
  inline int32_t Step(int32_t s, int32_t c) {
    if (s < dense_rows_) {
      const size_t at = static_cast<size_t>(s) * num_classes_ + c;
      int32_t t = transitions_[at];
      if (t == kNotComputed) {
        t = Compute(s, c);  // may grow transitions_: no reference into it across this call
        transitions_[at] = t;
      }
      return t;
    }
    return SparseStep(s, c);
  }

 private:
  static constexpr uint64_t kDenseCap = 4u << 20;  // transition entries (16 MiB)
  static constexpr uint64_t kEmpty = ~0ull;

  struct Span {
    uint64_t offset;
    uint32_t size;
  };
  struct SparseSlot {
    uint64_t key;  // state << 32 | class; kEmpty when free
    int32_t next;
  };

  // Grows c's capacity to hold `size` elements, doubling, charging the difference first.
  template <typename C>
  bool Reserve(C* c, size_t size) {
    if (size <= c->capacity()) return true;
    const size_t capacity = std::max(size, 2 * c->capacity());
    if (!charger_->Charge((capacity - c->capacity()) * sizeof(typename C::value_type))) {
      oom_ = true;
      return false;
    }
    c->reserve(capacity);
    return true;
  }

  std::string_view Text(int32_t id) const {
    return std::string_view(arena_).substr(spans_[id].offset, spans_[id].size);
  }

  bool GrowIndex() {
    const size_t capacity = index_.empty() ? 256 : index_.size() * 2;
    if (!charger_->Charge(capacity * sizeof(int32_t))) {
      oom_ = true;
      return false;
    }
    charger_->Release(index_.size() * sizeof(int32_t));
    index_.assign(capacity, -1);
    for (int32_t id = 0; id < static_cast<int32_t>(spans_.size()); ++id) {
      size_t i = hashes_[id] & (capacity - 1);
      while (index_[i] >= 0) i = (i + 1) & (capacity - 1);
      index_[i] = id;
    }
    return true;
  }

  int32_t SparseStep(int32_t s, int32_t c) {
    const uint64_t key = (static_cast<uint64_t>(s) << 32) | static_cast<uint32_t>(c);
    if ((sparse_size_ + 1) * 2 > sparse_.size()) {
      const size_t capacity = sparse_.empty() ? 1024 : sparse_.size() * 2;
      if (!charger_->Charge(capacity * sizeof(SparseSlot))) {
        oom_ = true;
        return kIllegal;
      }
      std::vector<SparseSlot> old(capacity, SparseSlot{kEmpty, 0});
      old.swap(sparse_);
      charger_->Release(old.size() * sizeof(SparseSlot));
      for (const SparseSlot& slot : old) {
        if (slot.key == kEmpty) continue;
        size_t i = Mix(slot.key) & (capacity - 1);
        while (sparse_[i].key != kEmpty) i = (i + 1) & (capacity - 1);
        sparse_[i] = slot;
      }
    }
    size_t i = Mix(key) & (sparse_.size() - 1);
    for (; sparse_[i].key != kEmpty; i = (i + 1) & (sparse_.size() - 1)) {
      if (sparse_[i].key == key) return sparse_[i].next;
    }
    const int32_t t = Compute(s, c);
    // Compute may not grow sparse_ (it only interns), so slot i is still the free one.
    sparse_[i] = SparseSlot{key, t};
    ++sparse_size_;
    return t;
  }

  static uint64_t Mix(uint64_t x) {
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 32);
  }

  int32_t Compute(int32_t s, int32_t c) {
    // Two decoded states are kept: consecutive steps mostly come from one state (the search
    // tries each candidate in turn), and the state a step produced is usually the next one
    // stepped from (the search moves on to it). Keeping the latter saves decoding its text
    // again, which made a history with one possible order quadratic in the size of its states
    // (a set of 20,000 elements added one by one; issue 13).
    int from = decoded_id_[0] == s ? 0 : decoded_id_[1] == s ? 1 : -1;
    if (from < 0) {
      from = decoded_id_[0] == last_used_ ? 1 : 0;
      decoded_id_[from] = -1;  // state() may throw: leave the slot empty, not stale
      decoded_[from] = state(s);
      decoded_id_[from] = s;
    }
    last_used_ = s;
    Value next;
    if (!model_.Step(decoded_[from], *class_rep_[c], &next, nullptr)) return kIllegal;
    const int32_t t = Intern(next);
    if (t >= 0 && t != s) {
      decoded_[1 - from] = std::move(next);
      decoded_id_[1 - from] = t;
    }
    return t;
  }

  const Model& model_;
  Charger* charger_;
  std::vector<int32_t> op_class_;
  std::vector<const Operation*> class_rep_;
  int32_t num_classes_ = 0;
  std::string arena_;
  std::vector<Span> spans_;
  std::vector<uint64_t> hashes_;
  std::vector<int32_t> index_;  // open addressing over state ids; -1 = free
  std::vector<int32_t> transitions_;
  int32_t dense_rows_ = 0;
  std::vector<SparseSlot> sparse_;
  size_t sparse_size_ = 0;
  std::string text_;                  // Intern's scratch
  int32_t decoded_id_[2] = {-1, -1};  // the states decoded_ holds
  Value decoded_[2];
  int32_t last_used_ = -1;  // the state the last Compute stepped from
  bool oom_ = false;
};

// The set of configurations (linearized set, state) already explored, Lowe's memoization,
// with subsumption by indeterminate operations.
//
// A configuration is stored as a 96-bit fingerprint of its linearized set (two independent
// Zobrist hashes, 64 + 32 bits, maintained incrementally in O(1) per push and pop, after Horn &
// Kroening) plus the exact state id, in 16 bytes. Storing the sets themselves would cost n/8
// bytes per entry, which on a million-operation key is 125 KB per configuration; with 96 bits
// the chance that any two of a billion distinct configurations collide is below 1e-11. A
// collision could only prune a branch (never accept a history), i.e. it errs toward "invalid".
//
// With `mask_words` > 0 the fingerprint covers only the determinate operations of the set, and
// its indeterminate ones are kept exactly, as a bit mask of `mask_words` words beside the slot.
// Add then answers kSeen when an explored configuration has the same state, the same
// determinate operations and a subset of the indeterminate ones: the new one is subsumed
// (see SearchLinearization for why pruning it is sound). Equal keys with different masks share
// a probe sequence; the lookup tests each.
class ConfigCache {
 public:
  enum class Insert { kNew, kSeen, kOutOfMemory };

  ConfigCache(Charger* charger, int mask_words) : charger_(charger), words_(mask_words) {}

  // Sizes the table for about `expected` entries up front, so easy histories never rehash.
  bool Reserve(uint64_t expected) {
    while (capacity_ < 2 * expected) {
      if (!Grow()) return false;
    }
    return true;
  }

  // `mask`: `mask_words` words, the indeterminate operations of the set (ignored when none).
  Insert Add(uint64_t h1, uint64_t h2, int32_t state, const uint64_t* mask) {
    if ((size_ + 1) * 2 > capacity_ && !Grow()) return Insert::kOutOfMemory;
    h1 |= 1;  // 0 marks an empty slot; the low bit is given up for it
    const uint64_t tag = (h2 << 32) | static_cast<uint32_t>(state);
    size_t i = Index(h1, state);
    while (true) {
      Slot& slot = slots_[i];
      if (slot.h1 == 0) {
        slot = Slot{h1, tag};
        if (words_ > 0) std::copy(mask, mask + words_, &masks_[i * words_]);
        ++size_;
        return Insert::kNew;
      }
      if (slot.h1 == h1 && slot.tag == tag && Subset(&masks_[i * words_], mask)) {
        return Insert::kSeen;
      }
      i = (i + 1) & (capacity_ - 1);
    }
  }

  uint64_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t h1;   // first fingerprint, low bit set; 0 = empty
    uint64_t tag;  // high 32 bits of the second fingerprint, then the state id
  };

  bool Subset(const uint64_t* stored, const uint64_t* mask) const {
    for (int w = 0; w < words_; ++w) {
      if ((stored[w] & ~mask[w]) != 0) return false;
    }
    return true;
  }

  size_t Index(uint64_t h1, int32_t state) const {
    uint64_t x = h1 ^ (static_cast<uint64_t>(static_cast<uint32_t>(state)) * 0x9E3779B97F4A7C15ull);
    return static_cast<size_t>(x ^ (x >> 29)) & (capacity_ - 1);
  }

  bool Grow() {
    size_t new_capacity = capacity_ == 0 ? 1024 : capacity_ * 2;
    if (!charger_->Charge(new_capacity * (sizeof(Slot) + words_ * sizeof(uint64_t)))) {
      return false;
    }
    std::unique_ptr<Slot[]> old = std::move(slots_);
    std::unique_ptr<uint64_t[]> old_masks = std::move(masks_);
    size_t old_capacity = capacity_;
    slots_ = std::make_unique<Slot[]>(new_capacity);  // value-initialized: all empty
    if (words_ > 0) masks_ = std::make_unique<uint64_t[]>(new_capacity * words_);
    capacity_ = new_capacity;
    for (size_t j = 0; j < old_capacity; ++j) {
      if (old[j].h1 == 0) continue;
      size_t i = Index(old[j].h1, static_cast<int32_t>(old[j].tag & 0xFFFFFFFFu));
      while (slots_[i].h1 != 0) i = (i + 1) & (capacity_ - 1);
      slots_[i] = old[j];
      if (words_ > 0) {
        std::copy(&old_masks[j * words_], &old_masks[(j + 1) * words_], &masks_[i * words_]);
      }
    }
    charger_->Release(old_capacity * (sizeof(Slot) + words_ * sizeof(uint64_t)));
    return true;
  }

  Charger* charger_;
  const int words_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint64_t[]> masks_;  // words_ per slot
  size_t capacity_ = 0;
  uint64_t size_ = 0;
};

}  // namespace

// Reductions on top of Wing & Gong with Lowe's memoization, each sound (the verdict, the
// failing operation and the states before it are those of the plain search):
//
// 1. Indeterminate operations the model calls droppable (Model::Droppable: a write whose
//    value nothing observed) get no entry at all.
//
// 2. Subsumption. Let configuration C = (L, s) be explored (it was or will be searched to the
//    end, since the search is exhaustive below every configuration it records), and C' =
//    (L', s) with L' = L + X where X holds only indeterminate operations. Then everything
//    reachable from C' is reachable from C, so C' can be pruned:
//    - Candidates. The next operations that may be linearized from a configuration are the
//      unlinearized call entries before its first unlinearized return entry. Indeterminate
//      operations have no return entry, so C and C' have the same first unlinearized return R,
//      and the candidates of C' (before R, not in L') are candidates of C (before R, not in L).
//    - By induction on a sequence of steps from C' (each legal in state s, then the same state
//      on both sides), the same sequence is legal from C, and the configurations after it again
//      differ only by X.
//    - A linearization is found when every determinate operation is linearized; X has none, so
//      C' + sequence succeeds iff C + sequence does. And the return entries either side gets
//      stuck at, with their states, are the same (the counterexample does not change).
//    So a failing C means a failing C', and a successful C' means the search from C succeeds.
//    The cache stores the indeterminate part of L exactly (ConfigCache) and answers kSeen for
//    any explored subset with the same state and determinate part.
//
// 3. Indeterminate candidates last. Subsumption prunes the configuration with more
//    indeterminate operations when the one with fewer was explored first, so the search tries
//    determinate candidates before indeterminate ones: the indeterminate call entries live in a
//    list of their own, scanned (up to R) once the main list reaches R. The order of candidates
//    never changes what is reachable, only what is found first (and so the cost of a valid
//    history: the queue models opt out, see Model::DeferIndeterminate).
SearchOutcome SearchLinearization(const Model& model, const Value& initial,
                                  const std::vector<const Operation*>& ops,
                                  const SearchLimits& limits) {
  SearchOutcome out;
  const int n = static_cast<int>(ops.size());
  if (n == 0) return out;

  Charger charger(limits.memory);
  std::vector<char> dropped;
  if (limits.reductions) dropped = model.Droppable(ops);
  dropped.resize(n, 0);

  // Bits of the indeterminate operations that stay, for subsumption (at most kMaxMaskWords
  // words of them; past that the cache is exact, as Lowe's).
  constexpr int kMaxMaskWords = 16;
  std::vector<int32_t> info_bit(n, -1);
  int infos = 0;
  for (int i = 0; i < n; ++i) {
    if (ops[i]->status == OpStatus::kInfo && !dropped[i]) info_bit[i] = infos++;
  }
  int mask_words = (infos + 63) / 64;
  if (mask_words > kMaxMaskWords || !limits.reductions) {
    mask_words = 0;
    std::fill(info_bit.begin(), info_bit.end(), -1);
  }
  ConfigCache cache(&charger, mask_words);
  std::vector<uint64_t> mask(std::max(1, mask_words), 0);

  // Operations with several possible effects get one call entry per alternative.
  // Equal indeterminate operations (same f, status and value: every dequeue that timed out)
  // have equal alternatives, computed once.
  std::vector<std::vector<Operation>> alternative_sets;
  std::vector<int32_t> alternatives_of(n, -1);
  {
    std::unordered_map<std::string, int32_t> by_class;
    for (int i = 0; i < n; ++i) {
      if (ops[i]->status != OpStatus::kInfo || dropped[i]) continue;
      std::string key = ops[i]->f;
      key += '\0';
      AppendClassKey(ops[i]->value, &key);
      auto [it, inserted] = by_class.try_emplace(std::move(key), alternative_sets.size());
      if (inserted) alternative_sets.push_back(model.Alternatives(*ops[i], ops));
      if (!alternative_sets[it->second].empty()) alternatives_of[i] = it->second;
    }
  }
  auto stopped = [&]() {
    return limits.stop != nullptr && limits.stop->load(std::memory_order_relaxed) != 0;
  };
  auto give_up = [&](StopCause cause) {
    out.verdict = Verdict::kUnknown;
    out.stop_cause = cause;
    out.memory_bytes = charger.peak();
    out.others_bytes = charger.others();
    return out;
  };

  // The entry list: every call, and a return for each determinate operation, in file order.
  // An operation's call entries are adjacent.
  struct Entry {
    size_t pos;
    int32_t op;
    int32_t step;  // index into step_ops for a call, -1 for a return
  };
  std::vector<Entry> entries;
  std::vector<const Operation*> step_ops;  // per call entry, in the order created below
  {
    // Alternatives can multiply the entries (info dequeues x enqueued values): charge them all
    // up front (entry, node, step op, and the search's per-node arrays), poll the stop flag.
    uint64_t count = 0;
    for (int i = 0; i < n; ++i) {
      count += 2 + (alternatives_of[i] >= 0 ? alternative_sets[alternatives_of[i]].size() : 0);
    }
    if (!charger.Charge(count * (sizeof(Entry) + 16 + sizeof(void*) + 8) + n * 48)) {
      return give_up(StopCause::kMemoryLimit);
    }
    entries.reserve(count);
    step_ops.reserve(count);
  }
  int remaining = 0;  // determinate operations not yet linearized
  for (int i = 0; i < n; ++i) {
    if ((i & 0xFFF) == 0 && stopped()) return give_up(static_cast<StopCause>(limits.stop->load()));
    if (dropped[i]) continue;
    if (alternatives_of[i] < 0) {
      entries.push_back({ops[i]->invoke_pos, i, static_cast<int32_t>(step_ops.size())});
      step_ops.push_back(ops[i]);
    } else {
      for (const Operation& alt : alternative_sets[alternatives_of[i]]) {
        entries.push_back({ops[i]->invoke_pos, i, static_cast<int32_t>(step_ops.size())});
        step_ops.push_back(&alt);
      }
    }
    if (ops[i]->status != OpStatus::kInfo && ops[i]->complete_pos != Operation::kNoCompletion) {
      entries.push_back({ops[i]->complete_pos, i, -1});
      ++remaining;
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.pos < b.pos; });
  Memo memo(model, step_ops, &charger);
  const int m = static_cast<int>(entries.size());
  // Node k (1..m) is entry k-1, so node order is file order. Two lists run through them: the
  // main list (head 0, tail m+1) holds the determinate operations' calls and returns, the info
  // list (head m+2, tail m+3) the indeterminate operations' calls. The info tail's index is
  // above every entry's, which ends a scan of the info list bounded by a return entry.
  // One 16-byte node per entry, so that a scan touches one cache line per four entries.
  struct Node {
    int32_t next;
    int32_t prev;
    int32_t op;
    int32_t cls;  // the memo class of a call entry; -1 for a return entry
  };
  const int head = 0, tail = m + 1, info_head = m + 2, info_tail = m + 3;
  const bool defer = limits.reductions && mask_words > 0 && model.DeferIndeterminate();
  std::vector<Node> nodes(m + 4, Node{0, 0, -1, -1});
  std::vector<int32_t> first_call(n, 0), last_call(n, 0), ret_node(n, 0);
  {
    int last_main = head, last_info = info_head;
    auto append = [&](int* last, int k) {
      nodes[*last].next = k;
      nodes[k].prev = *last;
      *last = k;
    };
    for (int k = 1; k <= m; ++k) {
      const Entry& e = entries[k - 1];
      nodes[k].op = e.op;
      if (e.step >= 0) {
        nodes[k].cls = memo.op_class(e.step);
        if (first_call[e.op] == 0) first_call[e.op] = k;
        last_call[e.op] = k;
      } else {
        ret_node[e.op] = k;
      }
      const bool info_list = defer && ops[e.op]->status == OpStatus::kInfo;
      append(info_list ? &last_info : &last_main, k);
    }
    append(&last_main, tail);
    append(&last_info, info_tail);
  }
  // Zobrist keys, from a fixed seed so that runs are reproducible. Indeterminate operations
  // with a mask bit are kept out of the hashes (the mask holds them).
  std::vector<uint64_t> z1(n), z2(n);
  base::Rng rng1(0x5EED0001u), rng2(0xC0FFEE02u);
  for (int i = 0; i < n; ++i) {
    z1[i] = rng1.Next();
    z2[i] = rng2.Next();
    if (info_bit[i] >= 0) z1[i] = z2[i] = 0;
  }
  auto flip = [&](int op) {
    if (info_bit[op] >= 0) mask[info_bit[op] >> 6] ^= uint64_t{1} << (info_bit[op] & 63);
  };

  auto lift = [&](int op) {  // unlinks the op's block of call entries and its return
    const int first = first_call[op], last = last_call[op];
    nodes[nodes[first].prev].next = nodes[last].next;
    nodes[nodes[last].next].prev = nodes[first].prev;
    const int r = ret_node[op];
    if (r != 0) {
      nodes[nodes[r].prev].next = nodes[r].next;
      nodes[nodes[r].next].prev = nodes[r].prev;
    }
  };
  auto unlift = [&](int op) {  // exactly reverses lift
    const int r = ret_node[op];
    if (r != 0) {
      nodes[nodes[r].prev].next = r;
      nodes[nodes[r].next].prev = r;
    }
    const int first = first_call[op], last = last_call[op];
    nodes[nodes[first].prev].next = first;
    nodes[nodes[last].next].prev = last;
  };

  struct Frame {
    int32_t node;   // the call entry linearized
    int32_t state;  // the state before it
    int32_t bound;  // for an indeterminate call entry: the return entry that bounded the scan
  };
  std::vector<Frame> stack;
  stack.reserve(n);

  // Evidence for a counterexample: the furthest return entry at which the search got stuck
  // is the first completed operation that no linearization of the history before it can
  // include. `snapshot` holds the stack when it was first reached, kept up to date lazily:
  // stack[0, common) has not changed since the snapshot was taken.
  int max_stuck = 0;
  std::vector<int32_t> snapshot;
  size_t common = 0;
  std::vector<int32_t> stuck_states;
  constexpr size_t kMaxStates = 8;

  int32_t state = memo.Intern(initial);
  uint64_t h1 = 0, h2 = 0;

  // The scan: `e` walks the main list while `bound` is 0; at the first return entry, `bound`
  // becomes it and `e` walks the info list up to it.
  int e = nodes[head].next;
  int bound = 0;
  uint64_t iterations = 0;
  uint64_t steps = 0;  // transitions asked of the (memoized) model
  auto finish = [&](Verdict v, StopCause cause) {
    out.verdict = v;
    out.stop_cause = cause;
    out.steps = steps;
    out.cache_entries = cache.size();
    out.memory_bytes = charger.peak();
    out.others_bytes = charger.others();
    return out;
  };

  if (state < 0) return finish(Verdict::kUnknown, StopCause::kMemoryLimit);
  // An easy history memoizes a handful of configurations per operation (7 to 8 at concurrency
  // 10 in checker_bench); sizing for 8 avoids most rehashing, at 16 slots of 16 bytes per op.
  // Best effort: under a tight --memory-limit the table just grows as it needs to.
  cache.Reserve(8 * static_cast<uint64_t>(n));
  if (cache.Add(h1, h2, state, mask.data()) == ConfigCache::Insert::kOutOfMemory) {
    return finish(Verdict::kUnknown, StopCause::kMemoryLimit);
  }

  while (remaining > 0) {
    // Polled often: one iteration can cost as much as a model step on a large state.
    if ((++iterations & 0xF) == 0 && limits.stop != nullptr) {
      int stop = limits.stop->load(std::memory_order_relaxed);
      if (stop != 0) return finish(Verdict::kUnknown, static_cast<StopCause>(stop));
    }
    if (bound == 0 && nodes[e].cls < 0) {  // the main list's first return: the info list next
      bound = e;
      e = nodes[info_head].next;
      continue;
    }
    if (bound == 0 || e < bound) {  // a candidate call entry
      const Node& node = nodes[e];
      const int op = node.op;
      const int32_t t = memo.Step(state, node.cls);
      ++steps;
      if (t >= 0) {
        const uint64_t n1 = h1 ^ z1[op], n2 = h2 ^ z2[op];
        flip(op);
        ConfigCache::Insert r = cache.Add(n1, n2, t, mask.data());
        if (r == ConfigCache::Insert::kNew) {
          stack.push_back({e, state, bound});
          state = t;
          h1 = n1;
          h2 = n2;
          lift(op);
          if (ret_node[op] != 0) --remaining;
          e = nodes[head].next;
          bound = 0;
          continue;
        }
        flip(op);
        if (r == ConfigCache::Insert::kOutOfMemory) {
          return finish(Verdict::kUnknown, StopCause::kMemoryLimit);
        }
      } else if (memo.out_of_memory()) {
        return finish(Verdict::kUnknown, StopCause::kMemoryLimit);
      }
      e = node.next;
      continue;
    }
    // Every candidate tried: stuck at the return entry `bound`, of an operation not yet
    // linearized. This path cannot go on.
    if (bound > max_stuck) {
      max_stuck = bound;
      snapshot.resize(common);
      for (size_t i = common; i < stack.size(); ++i) snapshot.push_back(nodes[stack[i].node].op);
      common = stack.size();
      stuck_states.clear();
      out.states_truncated = false;
    }
    if (bound == max_stuck &&
        std::find(stuck_states.begin(), stuck_states.end(), state) == stuck_states.end()) {
      if (stuck_states.size() < kMaxStates) {
        stuck_states.push_back(state);
      } else {
        out.states_truncated = true;
      }
    }
    if (stack.empty()) {
      out.failing_op = nodes[max_stuck].op;
      out.prefix.assign(snapshot.begin(), snapshot.end());
      for (int32_t s : stuck_states) out.states.push_back(memo.state(s));
      // The dropped operations invoked before the stuck return could have taken effect just
      // before it, from any of these states (a step legal there leaves the path stuck at the
      // same return: see Model::Droppable). Their states belong to the evidence too.
      const size_t stuck_pos = entries[max_stuck - 1].pos;
      for (size_t k = 0; k < out.states.size(); ++k) {
        for (int i = 0; i < n; ++i) {
          if (!dropped[i] || ops[i]->invoke_pos >= stuck_pos) continue;
          Value next;
          if (!model.Step(out.states[k], *ops[i], &next, nullptr)) continue;
          if (std::find(out.states.begin(), out.states.end(), next) != out.states.end()) continue;
          if (out.states.size() >= kMaxStates) {
            out.states_truncated = true;
            break;
          }
          out.states.push_back(std::move(next));
        }
      }
      return finish(Verdict::kInvalid, StopCause::kNone);
    }
    const Frame f = stack.back();
    stack.pop_back();
    common = std::min(common, stack.size());
    const int op = nodes[f.node].op;
    state = f.state;
    h1 ^= z1[op];
    h2 ^= z2[op];
    flip(op);
    unlift(op);
    if (ret_node[op] != 0) ++remaining;
    e = nodes[f.node].next;  // the next candidate: this op's next alternative, or the next op
    bound = f.bound;
  }
  return finish(Verdict::kValid, StopCause::kNone);
}

}  // namespace faultline::checker
