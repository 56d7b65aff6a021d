#include "targets/raft/kv/command.h"

namespace faultline::raft::kv {
namespace {

constexpr uint8_t kVersion = 1;

}  // namespace

const char* OpName(Op op) {
  switch (op) {
    case Op::kGet:
      return "get";
    case Op::kPut:
      return "put";
    case Op::kCas:
      return "cas";
    case Op::kDelete:
      return "delete";
    case Op::kAcquire:
      return "acquire";
    case Op::kRelease:
      return "release";
  }
  return "?";
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {  // at most 10 bytes
    if (in->empty()) return false;
    const uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool GetString(std::string_view* in, std::string* s) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

std::string Encode(const Command& c) {
  std::string out;
  out.reserve(16 + c.key.size() + c.value.size() + c.from.size() + c.to.size() + c.owner.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(c.op));
  PutVarint(&out, c.time_ms);
  PutString(&out, c.key);
  switch (c.op) {
    case Op::kGet:
    case Op::kDelete:
      break;
    case Op::kPut:
      PutString(&out, c.value);
      break;
    case Op::kCas:
      PutString(&out, c.from);
      PutString(&out, c.to);
      break;
    case Op::kAcquire:
      PutString(&out, c.owner);
      PutVarint(&out, c.ttl_ms);
      break;
    case Op::kRelease:
      PutString(&out, c.owner);
      PutVarint(&out, c.token);
      break;
  }
  return out;
}

std::optional<Command> Decode(std::string_view in) {
  if (in.size() < 2 || static_cast<uint8_t>(in[0]) != kVersion) return std::nullopt;
  const uint8_t op = static_cast<uint8_t>(in[1]);
  if (op < static_cast<uint8_t>(Op::kGet) || op > static_cast<uint8_t>(Op::kRelease)) {
    return std::nullopt;
  }
  in.remove_prefix(2);
  Command c;
  c.op = static_cast<Op>(op);
  if (!GetVarint(&in, &c.time_ms) || !GetString(&in, &c.key)) return std::nullopt;
  bool ok = true;
  switch (c.op) {
    case Op::kGet:
    case Op::kDelete:
      break;
    case Op::kPut:
      ok = GetString(&in, &c.value);
      break;
    case Op::kCas:
      ok = GetString(&in, &c.from) && GetString(&in, &c.to);
      break;
    case Op::kAcquire:
      ok = GetString(&in, &c.owner) && GetVarint(&in, &c.ttl_ms);
      break;
    case Op::kRelease:
      ok = GetString(&in, &c.owner) && GetVarint(&in, &c.token);
      break;
  }
  if (!ok || !in.empty()) return std::nullopt;
  return c;
}

}  // namespace faultline::raft::kv
