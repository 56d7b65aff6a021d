// History types (DESIGN.md section 2) and the pairing of invocations with completions.
//
// A History is what an importer produces: events in file order, already translated into
// faultline semantics (a `fail` has no effect unless it is a cas carrying error "mismatch"; an
// `ok` read of null means absent; `info` and never-completed invokes are indeterminate).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/value.h"

namespace faultline::checker {

enum class EventType : uint8_t { kInvoke, kOk, kFail, kInfo };
const char* EventTypeName(EventType t);

struct Event {
  int64_t index = 0;     // the event's `index` (its position in the file when the file has none)
  int64_t time = -1;     // nanoseconds since the test started; -1 when unknown
  int64_t process = 0;   // client process number; meaningless when nemesis is true
  bool nemesis = false;  // process was "nemesis" (or any non-integer process): not searched
  EventType type = EventType::kInvoke;
  std::string f;
  bool has_key = false;
  Value key;          // string or integer, when has_key
  Value value;        // null when absent
  std::string error;  // empty when absent; non-string errors are kept as their JSON text
  std::string node;   // the node that served it ("n2"), empty when absent; only for reports
  int64_t line = 0;   // 1-based line in the source file, for error messages
};

struct History {
  std::string source;  // file name, for messages
  std::vector<Event> events;
};

// How a paired operation ended, as the search sees it.
enum class OpStatus : uint8_t {
  kOk,        // took effect; value is the result
  kInfo,      // indeterminate: took effect at some point after its invoke, or never
  kMismatch,  // a cas whose compare executed and did not match: a definite observation
  kFail,      // definitely did not take effect: ignored by the search
};
const char* OpStatusName(OpStatus s);

struct Operation {
  int64_t process = 0;
  std::string f;
  bool has_key = false;
  Value key;
  // The completion's value for ok/mismatch ops (it carries read results); the invocation's value
  // for indeterminate ones, or when the completion has none.
  Value value;
  OpStatus status = OpStatus::kInfo;
  std::string error;
  std::string node;                     // the completion's node (else the invoke's); may be empty
  size_t invoke_pos = 0;                // position of the invoke in History::events
  size_t complete_pos = kNoCompletion;  // position of the completion, kNoCompletion if none
  int64_t invoke_index = 0;             // the invoke event's index field
  int64_t complete_index = -1;          // the completion's index field, -1 if none
  int64_t invoke_time = -1;
  int64_t complete_time = -1;

  static constexpr size_t kNoCompletion = static_cast<size_t>(-1);
};

// Pairs every client invoke with its process's next completion. Nemesis events are skipped.
// Errors (a completion with no outstanding invoke, a second invoke while one is outstanding, a
// completion whose f differs from its invoke's) name the source file and line.
base::Result<std::vector<Operation>> PairOperations(const History& history);

}  // namespace faultline::checker
