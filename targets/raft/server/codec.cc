#include "targets/raft/server/codec.h"

#include <memory>
#include <utility>

#include "targets/raft/kv/command.h"

namespace faultline::raft::server {
namespace {

constexpr uint64_t kVersion = 1;
constexpr uint64_t kMaxType = static_cast<uint64_t>(MessageType::kInstallSnapshot);

using kv::GetString;
using kv::GetVarint;
using kv::PutString;
using kv::PutVarint;

}  // namespace

std::string EncodeMessage(const Message& m) {
  std::string out;
  PutVarint(&out, kVersion);
  PutVarint(&out, static_cast<uint64_t>(m.type));
  PutVarint(&out, m.from);
  PutVarint(&out, m.to);
  PutVarint(&out, m.term);
  PutVarint(&out, m.index);
  PutVarint(&out, m.log_term);
  PutVarint(&out, m.commit);
  PutVarint(&out, m.reject ? 1 : 0);
  PutVarint(&out, m.reject_hint);
  PutVarint(&out, m.context);
  PutVarint(&out, m.entries.size());
  for (const Entry& e : m.entries) {
    PutVarint(&out, e.term);
    PutVarint(&out, e.index);
    PutVarint(&out, static_cast<uint64_t>(e.type));
    PutString(&out, e.data);
  }
  PutVarint(&out, m.snapshot.index);
  PutVarint(&out, m.snapshot.term);
  PutVarint(&out, m.snapshot.data ? 1 : 0);
  if (m.snapshot.data) PutString(&out, *m.snapshot.data);
  return out;
}

void AppendFrame(const Message& m, std::string* out) {
  const std::string payload = EncodeMessage(m);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(payload);
}

std::optional<Message> DecodeMessage(std::string_view in) {
  uint64_t version = 0, type = 0, reject = 0, count = 0, has_data = 0;
  Message m;
  if (!GetVarint(&in, &version) || version != kVersion) return std::nullopt;
  if (!GetVarint(&in, &type) || type > kMaxType) return std::nullopt;
  m.type = static_cast<MessageType>(type);
  if (!GetVarint(&in, &m.from) || !GetVarint(&in, &m.to) || !GetVarint(&in, &m.term) ||
      !GetVarint(&in, &m.index) || !GetVarint(&in, &m.log_term) || !GetVarint(&in, &m.commit) ||
      !GetVarint(&in, &reject) || reject > 1 || !GetVarint(&in, &m.reject_hint) ||
      !GetVarint(&in, &m.context) || !GetVarint(&in, &count)) {
    return std::nullopt;
  }
  m.reject = reject == 1;
  // Each entry takes at least 4 bytes: a count beyond that is a corrupt frame, not a reason to
  // reserve gigabytes.
  if (count > in.size() / 4) return std::nullopt;
  m.entries.resize(count);
  for (Entry& e : m.entries) {
    uint64_t etype = 0;
    if (!GetVarint(&in, &e.term) || !GetVarint(&in, &e.index) || !GetVarint(&in, &etype) ||
        etype > static_cast<uint64_t>(EntryType::kNoop) || !GetString(&in, &e.data)) {
      return std::nullopt;
    }
    e.type = static_cast<EntryType>(etype);
  }
  if (!GetVarint(&in, &m.snapshot.index) || !GetVarint(&in, &m.snapshot.term) ||
      !GetVarint(&in, &has_data) || has_data > 1) {
    return std::nullopt;
  }
  if (has_data == 1) {
    std::string data;
    if (!GetString(&in, &data)) return std::nullopt;
    m.snapshot.data = std::make_shared<const std::string>(std::move(data));
  }
  if (!in.empty()) return std::nullopt;
  return m;
}

}  // namespace faultline::raft::server
