// The commands of raftkv's replicated state machine and their compact byte encoding (the payload
// of a Raft log entry). Standard library only.
//
// Values are opaque JSON texts: the server canonicalizes JSON before proposing (so that equal
// values have equal text and a compare-and-set can compare bytes). The JSON text "null" means
// "absent" (DESIGN.md section 2: a read of null means never written or deleted).
//
// Encoding (all integers unsigned LEB128 varints, strings as varint length + bytes):
//   version (=1) | op | time_ms | op-specific fields
//     get: key              put: key value           cas: key from to
//     delete: key           acquire: name owner ttl_ms   release: name owner token
// Decoding is strict: an unknown version or op, a short or overlong buffer is rejected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::raft::kv {

enum class Op : uint8_t {
  kGet = 1,  // a read through the log (the alternative to ReadIndex)
  kPut = 2,
  kCas = 3,
  kDelete = 4,
  kAcquire = 5,  // lock with a lease: `key` is the lock name
  kRelease = 6,
};
const char* OpName(Op op);

struct Command {
  Op op = Op::kGet;
  std::string key;      // kv key, or lock name
  std::string value;    // put: JSON text
  std::string from;     // cas: expected JSON text ("null": absent)
  std::string to;       // cas: new JSON text ("null": delete)
  std::string owner;    // acquire, release
  uint64_t ttl_ms = 0;  // acquire: lease length
  uint64_t token = 0;   // release: the fencing token acquire returned
  // The proposing leader's clock (ms). Leases are judged by this time, carried in the log, never
  // by a replica's own clock: every replica must decide the same.
  uint64_t time_ms = 0;

  friend bool operator==(const Command&, const Command&) = default;
};

std::string Encode(const Command& command);
std::optional<Command> Decode(std::string_view bytes);

// Varint and length-prefixed string helpers, shared with the state machine's snapshot format.
void PutVarint(std::string* out, uint64_t v);
void PutString(std::string* out, std::string_view s);
// Each reads from the front of *in and advances it; false when *in is too short or malformed.
bool GetVarint(std::string_view* in, uint64_t* v);
bool GetString(std::string_view* in, std::string* s);

}  // namespace faultline::raft::kv
