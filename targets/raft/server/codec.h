// The peer transport's wire format for raft::Message: a compact binary encoding (varints and
// length-prefixed strings, the helpers of kv/command.h) framed as [u32 length LE][payload].
// Standard library only; the decoder is strict (a short, overlong or unknown frame is rejected).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "targets/raft/core/types.h"

namespace faultline::raft::server {

// Bound on one frame (a snapshot travels in one frame). A larger length is treated as a corrupt
// stream and the connection is dropped.
inline constexpr uint32_t kMaxFrameBytes = 256u << 20;

// Appends [u32 length][encoded message] to *out.
void AppendFrame(const Message& m, std::string* out);
std::string EncodeMessage(const Message& m);
std::optional<Message> DecodeMessage(std::string_view bytes);

}  // namespace faultline::raft::server
