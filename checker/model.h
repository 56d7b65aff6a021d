// Models: sequential specifications that the linearizability search steps through
// (DESIGN.md section 3; names follow Knossos).
//
// A model is a pure function of (state, operation). States are Values so that one memo layer can
// intern any model's states by their canonical JSON and turn every step into a table lookup
// (see Memo in linearizability.h); a model's Step is therefore called once per distinct
// (state, operation class) pair, not once per search step, and may be written for clarity.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "checker/history.h"
#include "checker/value.h"

namespace faultline::checker {

class Model {
 public:
  virtual ~Model() = default;

  virtual std::string_view name() const = 0;

  // The initial state: `initial` as given with --initial, or the model's default when absent.
  // Errors name the model and say what it expects.
  virtual base::Result<Value> Initial(const std::optional<Value>& initial) const = 0;

  // Whether the model knows this operation (its f and the shape of its value). Called once per
  // operation before the search. Operations with status kFail never reach a model.
  virtual base::Status Validate(const Operation& op) const = 0;

  // True when op can be left out of the search because it neither constrains nor changes the
  // state: a read whose result is unknown (info) or unconstrained (Value::Any).
  virtual bool Irrelevant(const Operation& op) const;

  // An indeterminate operation whose effect depends on a result that never came back (a dequeue
  // took one element, but which?) can be linearized as any one of several operations. Returns
  // them (each is stepped like an ok operation), or nothing when op has one effect. `partition`
  // is every operation of op's sub-history, for the candidates.
  virtual std::vector<Operation> Alternatives(const Operation& op,
                                              const std::vector<const Operation*>& partition) const;

  // Which operations of `partition` (one key's, as the search gets them) are indeterminate ones
  // the search may leave out: every linearization that includes one of them stays a
  // linearization when it is removed, so a history is linearizable with them iff without them.
  // Returns one flag per operation (or nothing: none). The default drops none; the register,
  // kv and set models drop an indeterminate write whose value no operation ever observed (the
  // argument is beside each).
  virtual std::vector<char> Droppable(const std::vector<const Operation*>& partition) const;

  // Whether the search should try indeterminate operations after the determinate candidates
  // (which lets it prune more; see SearchLinearization). True by default. The queue models say
  // no: a FIFO queue's order follows real time, and trying a timed-out enqueue after later ones
  // sends the search through many orders the queue rejects (100 ms became 100 s on a
  // 40-operation history in random_test).
  virtual bool DeferIndeterminate() const { return true; }

  // Applies op (status kOk, kInfo or kMismatch) to state. Returns false when op cannot happen in
  // state; then *why (if non-null) says so for a person, e.g. "the register holds 4".
  virtual bool Step(const Value& state, const Operation& op, Value* next,
                    std::string* why) const = 0;

  // A person's rendering of a state and of an operation ("read -> 3", "cas 1 -> 2").
  virtual std::string DescribeState(const Value& state) const;
  virtual std::string DescribeOp(const Operation& op) const;

  // Why op cannot be linearized after any of `states`, e.g. "read 3, but the register holds 0
  // or 4". The default joins the per-state reasons from Step.
  virtual std::string Reject(const Operation& op, const std::vector<Value>& states) const;
};

// Builds a model by name; nullptr for an unknown name.
std::unique_ptr<Model> MakeModel(std::string_view name);
std::vector<std::string> AllModelNames();

}  // namespace faultline::checker
