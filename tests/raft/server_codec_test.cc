// Tests of raftkv's peer wire format (targets/raft/server/codec.h): round trips of every message
// type, frame layout, and strict rejection of truncated, trailing, corrupt and oversized input.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "targets/raft/core/types.h"
#include "targets/raft/kv/command.h"
#include "targets/raft/server/codec.h"

namespace faultline::raft::server {
namespace {

constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

constexpr MessageType kAllTypes[] = {
    MessageType::kPreVote,         MessageType::kPreVoteResponse,
    MessageType::kRequestVote,     MessageType::kRequestVoteResponse,
    MessageType::kAppendEntries,   MessageType::kAppendEntriesResponse,
    MessageType::kHeartbeat,       MessageType::kHeartbeatResponse,
    MessageType::kInstallSnapshot,
};

std::string BinaryData() {
  std::string s("a\0b\0\0\xff\x80\x7f", 8);
  s.push_back('\0');
  return s;
}

// A message with every field set to a non-default value.
Message FullMessage(MessageType type) {
  Message m;
  m.type = type;
  m.from = 3;
  m.to = kMax64;
  m.term = 1ull << 63;
  m.index = 127;     // largest one-byte varint
  m.log_term = 128;  // smallest two-byte varint
  m.commit = kMax64 - 1;
  m.reject = true;
  m.reject_hint = 0x123456789abcdefull;
  m.context = 42;
  m.entries.push_back(
      Entry{.term = 7, .index = 8, .type = EntryType::kNormal, .data = BinaryData()});
  m.entries.push_back(Entry{.term = kMax64, .index = kMax64, .type = EntryType::kNoop, .data = ""});
  m.entries.push_back(
      Entry{.term = 0, .index = 0, .type = EntryType::kNormal, .data = std::string(1000, '\0')});
  m.snapshot.index = 99;
  m.snapshot.term = kMax64;
  m.snapshot.data = std::make_shared<const std::string>(BinaryData() + std::string(300, 'x'));
  return m;
}

void ExpectSameMessage(const Message& a, const Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.log_term, b.log_term);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.reject, b.reject);
  EXPECT_EQ(a.reject_hint, b.reject_hint);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.snapshot.index, b.snapshot.index);
  EXPECT_EQ(a.snapshot.term, b.snapshot.term);
  ASSERT_EQ(a.snapshot.data == nullptr, b.snapshot.data == nullptr);
  if (a.snapshot.data) {
    EXPECT_EQ(*a.snapshot.data, *b.snapshot.data);
  }
}

Message RoundTrip(const Message& m) {
  const std::optional<Message> d = DecodeMessage(EncodeMessage(m));
  EXPECT_TRUE(d.has_value()) << DescribeMessage(m);
  return d.value_or(Message{});
}

TEST(CodecTest, RoundTripsEveryTypeWithAllFieldsSet) {
  for (MessageType t : kAllTypes) {
    SCOPED_TRACE(MessageTypeName(t));
    const Message m = FullMessage(t);
    ExpectSameMessage(m, RoundTrip(m));
  }
}

TEST(CodecTest, RoundTripsEveryTypeWithDefaultFields) {
  for (MessageType t : kAllTypes) {
    SCOPED_TRACE(MessageTypeName(t));
    Message m;
    m.type = t;
    const Message d = RoundTrip(m);
    ExpectSameMessage(m, d);
    EXPECT_EQ(d.snapshot.data, nullptr);
  }
}

TEST(CodecTest, RoundTripsZeroAndMaxValues) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                     uint64_t{16384}, uint64_t{1} << 32, uint64_t{1} << 56, kMax64 - 1, kMax64}) {
    SCOPED_TRACE(v);
    Message m;
    m.type = MessageType::kAppendEntriesResponse;
    m.from = m.to = m.term = m.index = m.log_term = m.commit = m.reject_hint = m.context = v;
    m.snapshot.index = m.snapshot.term = v;
    m.entries.push_back(Entry{.term = v, .index = v, .type = EntryType::kNoop, .data = {}});
    ExpectSameMessage(m, RoundTrip(m));
  }
}

TEST(CodecTest, RejectFlagAndHintRoundTrip) {
  for (bool reject : {false, true}) {
    Message m;
    m.type = MessageType::kAppendEntriesResponse;
    m.reject = reject;
    m.index = 10;
    m.reject_hint = 4;
    m.log_term = 2;
    const Message d = RoundTrip(m);
    EXPECT_EQ(d.reject, reject);
    EXPECT_EQ(d.reject_hint, 4u);
    EXPECT_EQ(d.log_term, 2u);
  }
}

TEST(CodecTest, EmptySnapshotDataIsDistinctFromNoData) {
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.snapshot.index = 5;
  m.snapshot.term = 2;
  m.snapshot.data = std::make_shared<const std::string>();
  const Message d = RoundTrip(m);
  ASSERT_NE(d.snapshot.data, nullptr);
  EXPECT_TRUE(d.snapshot.data->empty());
}

TEST(CodecTest, LargeSnapshotAndManyEntriesRoundTrip) {
  Message m;
  m.type = MessageType::kInstallSnapshot;
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  m.snapshot = Snapshot{.index = 1000, .term = 9, .data = std::make_shared<const std::string>(big)};
  for (uint64_t i = 1; i <= 5000; ++i) {
    m.entries.push_back(Entry{.term = i / 100,
                              .index = i,
                              .type = EntryType::kNormal,
                              .data = std::string(i % 17, static_cast<char>(i))});
  }
  ExpectSameMessage(m, RoundTrip(m));
}

TEST(CodecTest, AppendFrameWritesLittleEndianLengthThenPayload) {
  const Message m = FullMessage(MessageType::kAppendEntries);
  const std::string payload = EncodeMessage(m);
  ASSERT_GT(payload.size(), 256u);  // exercises more than one length byte
  std::string out = "prefix";
  AppendFrame(m, &out);
  AppendFrame(m, &out);  // appends, does not overwrite
  ASSERT_EQ(out.size(), 6 + 2 * (4 + payload.size()));
  EXPECT_EQ(out.substr(0, 6), "prefix");
  for (size_t frame = 0; frame < 2; ++frame) {
    const size_t at = 6 + frame * (4 + payload.size());
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= static_cast<uint32_t>(static_cast<uint8_t>(out[at + i])) << (8 * i);
    EXPECT_EQ(n, payload.size());
    EXPECT_EQ(out.substr(at + 4, n), payload);
    ASSERT_TRUE(DecodeMessage(std::string_view(out).substr(at + 4, n)).has_value());
  }
}

TEST(CodecTest, FrameBoundIsSane) {
  EXPECT_EQ(kMaxFrameBytes, 256u << 20);
  EXPECT_LE(kMaxFrameBytes, std::numeric_limits<uint32_t>::max());
}

// Every proper prefix of a valid encoding must be rejected. Each prefix is copied into its own
// exactly-sized heap buffer so that AddressSanitizer catches any read past its end.
TEST(CodecTest, EveryTruncationIsRejected) {
  for (MessageType t : kAllTypes) {
    SCOPED_TRACE(MessageTypeName(t));
    Message m = FullMessage(t);
    m.entries.resize(2);
    m.snapshot.data = std::make_shared<const std::string>(BinaryData());
    const std::string full = EncodeMessage(m);
    for (size_t len = 0; len < full.size(); ++len) {
      auto buf = std::make_unique<char[]>(len == 0 ? 1 : len);
      std::copy(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len), buf.get());
      EXPECT_FALSE(DecodeMessage(std::string_view(buf.get(), len)).has_value()) << "len=" << len;
    }
  }
}

TEST(CodecTest, TrailingBytesAreRejected) {
  const std::string full = EncodeMessage(FullMessage(MessageType::kHeartbeat));
  EXPECT_FALSE(DecodeMessage(full + '\0').has_value());
  EXPECT_FALSE(DecodeMessage(full + "garbage").has_value());
}

// Encoded prefix: version, type, from, to, term, index, log_term, commit, reject, reject_hint,
// context (all one-byte varints here) followed by whatever the test appends.
std::string Header(uint64_t version = 1, uint64_t type = 0, uint64_t reject = 0) {
  std::string s;
  kv::PutVarint(&s, version);
  kv::PutVarint(&s, type);
  for (int i = 0; i < 6; ++i) kv::PutVarint(&s, 1);
  kv::PutVarint(&s, reject);
  kv::PutVarint(&s, 0);
  kv::PutVarint(&s, 0);
  return s;
}

std::string NoSnapshot() { return std::string("\0\0\0", 3); }

TEST(CodecTest, HandBuiltMinimalFrameDecodes) {
  std::string s = Header();
  kv::PutVarint(&s, 0);  // no entries
  s += NoSnapshot();
  const std::optional<Message> m = DecodeMessage(s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, MessageType::kPreVote);
  EXPECT_EQ(m->from, 1u);
}

TEST(CodecTest, RejectsUnknownVersionTypeAndFlags) {
  auto frame = [](std::string h) {
    kv::PutVarint(&h, 0);
    return h + NoSnapshot();
  };
  EXPECT_TRUE(DecodeMessage(frame(Header())).has_value());
  EXPECT_FALSE(DecodeMessage(frame(Header(/*version=*/0))).has_value());
  EXPECT_FALSE(DecodeMessage(frame(Header(/*version=*/2))).has_value());
  EXPECT_TRUE(DecodeMessage(frame(Header(1, /*type=*/8))).has_value());
  EXPECT_FALSE(DecodeMessage(frame(Header(1, /*type=*/9))).has_value());
  EXPECT_FALSE(DecodeMessage(frame(Header(1, /*type=*/1000))).has_value());
  EXPECT_FALSE(DecodeMessage(frame(Header(1, 0, /*reject=*/2))).has_value());
  // has_data must be 0 or 1.
  std::string s = Header();
  kv::PutVarint(&s, 0);
  EXPECT_FALSE(DecodeMessage(s + std::string("\0\0\x02\0", 4)).has_value());
}

TEST(CodecTest, RejectsUnknownEntryType) {
  for (uint64_t etype : {uint64_t{2}, uint64_t{255}, uint64_t{256}, kMax64}) {
    std::string s = Header();
    kv::PutVarint(&s, 1);
    kv::PutVarint(&s, 1);
    kv::PutVarint(&s, 1);
    kv::PutVarint(&s, etype);
    kv::PutString(&s, "x");
    s += NoSnapshot();
    EXPECT_FALSE(DecodeMessage(s).has_value()) << etype;
  }
}

TEST(CodecTest, RejectsHugeEntryCountWithoutAllocating) {
  for (uint64_t count : {uint64_t{1}, uint64_t{2}, uint64_t{1} << 31, uint64_t{1} << 40, kMax64}) {
    std::string s = Header();
    kv::PutVarint(&s, count);
    s += NoSnapshot();  // three bytes: fewer than one 4-byte entry
    EXPECT_FALSE(DecodeMessage(s).has_value()) << count;
  }
}

TEST(CodecTest, RejectsDeclaredStringLengthBeyondInput) {
  for (uint64_t len : {uint64_t{5}, uint64_t{1} << 20, uint64_t{kMaxFrameBytes} + 1, kMax64}) {
    SCOPED_TRACE(len);
    // Entry data.
    std::string e = Header();
    kv::PutVarint(&e, 1);
    e += std::string("\x01\x01\x00", 3);
    kv::PutVarint(&e, len);
    e += "abcd";
    EXPECT_FALSE(DecodeMessage(e).has_value());
    // Snapshot data.
    std::string s = Header();
    kv::PutVarint(&s, 0);
    s += std::string("\x01\x01\x01", 3);
    kv::PutVarint(&s, len);
    s += "abcd";
    EXPECT_FALSE(DecodeMessage(s).has_value());
  }
}

TEST(CodecTest, RejectsOverlongVarints) {
  // A varint of ten continuation bytes (never terminated within 64 bits), and a terminated
  // 10-byte varint whose last byte overflows 64 bits.
  std::string s = Header();
  s[2] = '\xff';                        // `from` becomes a continuation byte...
  s.insert(3, std::string(9, '\xff'));  // ...followed by nine more.
  EXPECT_FALSE(DecodeMessage(s).has_value());
  std::string t(1, '\x01');
  t += '\0';
  t += std::string(9, '\xff') + '\x02';
  EXPECT_FALSE(DecodeMessage(t + std::string(40, '\0')).has_value());
}

TEST(CodecTest, GarbageNeverCrashes) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    const size_t len = rng() % 64;
    auto buf = std::make_unique<char[]>(len + 1);
    for (size_t j = 0; j < len; ++j) buf[j] = static_cast<char>(rng());
    (void)DecodeMessage(std::string_view(buf.get(), len));
  }
  EXPECT_FALSE(DecodeMessage("").has_value());
  EXPECT_FALSE(DecodeMessage(std::string(100, '\xff')).has_value());
  EXPECT_FALSE(DecodeMessage(std::string(100, '\0')).has_value());
}

// Single-byte corruption of a valid frame: decoding may succeed or fail, but must not crash or
// read out of bounds (checked under AddressSanitizer).
TEST(CodecTest, BitFlipsNeverCrash) {
  const std::string full = EncodeMessage(FullMessage(MessageType::kInstallSnapshot));
  std::mt19937_64 rng(7);
  for (size_t pos = 0; pos < full.size(); ++pos) {
    for (int k = 0; k < 4; ++k) {
      std::string bad = full;
      bad[pos] = static_cast<char>(rng());
      auto buf = std::make_unique<char[]>(bad.size());
      std::copy(bad.begin(), bad.end(), buf.get());
      (void)DecodeMessage(std::string_view(buf.get(), bad.size()));
    }
  }
}

}  // namespace
}  // namespace faultline::raft::server
