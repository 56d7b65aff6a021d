// Tests of PeerTransport (targets/raft/server/transport.h) over real loopback sockets: delivery
// both ways, reconnection to a peer that comes up late, clean Stop(), and a full queue dropping
// instead of blocking the Raft loop. No sleeps: every wait is on a condition with a deadline.
#include "targets/raft/server/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/kit/ports.h"

namespace faultline::raft::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeliveryDeadline = std::chrono::seconds(10);

// A loopback port reserved for the rest of the test process (tests/kit/ports.h): never handed
// out twice, and nobody else can take it. PeerTransport binds it with SO_REUSEADDR, which a held
// reservation allows; a port whose node is never started refuses connections.
uint16_t FreePort() {
  static auto* held = new std::vector<testkit::ReservedPort>();
  held->push_back(testkit::ReservedPort::Reserve());
  EXPECT_NE(held->back().port(), 0) << held->back().error();
  return held->back().port();
}

// Collects delivered messages; Wait() blocks until a predicate over them holds.
class Inbox {
 public:
  PeerTransport::DeliverFn Fn() {
    return [this](Message m) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        messages_.push_back(std::move(m));
      }
      cv_.notify_all();
    };
  }
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout = kDeliveryDeadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
  }
  // Waits for a message whose context is at least `context`.
  bool WaitForContext(uint64_t context, std::chrono::milliseconds timeout = kDeliveryDeadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout,
                        [&] { return !messages_.empty() && messages_.back().context >= context; });
  }
  std::vector<Message> Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
};

Message Heartbeat(NodeId from, NodeId to, uint64_t term, uint64_t context) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = from;
  m.to = to;
  m.term = term;
  m.context = context;
  return m;
}

std::map<NodeId, PeerAddress> Peers(uint16_t port1, uint16_t port2) {
  return {{1, PeerAddress{"127.0.0.1", port1}}, {2, PeerAddress{"127.0.0.1", port2}}};
}

TEST(PeerTransportTest, TwoTransportsExchangeMessagesInOrder) {
  const uint16_t p1 = FreePort();
  const uint16_t p2 = FreePort();
  Inbox in1, in2;
  PeerTransport t1(1, Peers(p1, p2), in1.Fn());
  PeerTransport t2(2, Peers(p1, p2), in2.Fn());
  ASSERT_EQ(t1.Start("127.0.0.1", p1), "");
  ASSERT_EQ(t2.Start("127.0.0.1", p2), "");

  // An AppendEntries with entries survives the trip intact.
  Message ae;
  ae.type = MessageType::kAppendEntries;
  ae.from = 1;
  ae.to = 2;
  ae.term = 3;
  ae.index = 7;
  ae.log_term = 2;
  ae.commit = 6;
  ae.entries.push_back(Entry{3, 8, EntryType::kNormal, "put x 1"});
  ae.entries.push_back(Entry{3, 9, EntryType::kNoop, ""});
  t1.Send(ae);
  ASSERT_TRUE(in2.WaitForCount(1));
  const Message got = in2.Snapshot().front();
  EXPECT_EQ(got.type, MessageType::kAppendEntries);
  EXPECT_EQ(got.from, 1u);
  EXPECT_EQ(got.term, 3u);
  EXPECT_EQ(got.index, 7u);
  EXPECT_EQ(got.commit, 6u);
  EXPECT_EQ(got.entries, ae.entries);

  // Both directions, and one connection keeps the order of what was sent on it. (The first
  // message may be dropped if the connection is not up yet; the sender was connected above.)
  constexpr uint64_t kCount = 500;
  for (uint64_t i = 1; i <= kCount; ++i) {
    t1.Send(Heartbeat(1, 2, 3, i));
    t2.Send(Heartbeat(2, 1, 3, i));
  }
  ASSERT_TRUE(in2.WaitForCount(1 + kCount));
  // t2 connects lazily: its first messages may be dropped while it connects, the rest arrive.
  ASSERT_TRUE(in1.WaitForContext(kCount)) << "got " << in1.size();
  const std::vector<Message> at2 = in2.Snapshot();
  for (uint64_t i = 1; i <= kCount; ++i) EXPECT_EQ(at2[i].context, i);
  uint64_t last = 0;
  for (const Message& m : in1.Snapshot()) {
    EXPECT_EQ(m.from, 2u);
    EXPECT_GT(m.context, last);  // in order, possibly missing a prefix
    last = m.context;
  }
  EXPECT_EQ(last, kCount);
  t1.Stop();
  t2.Stop();
}

TEST(PeerTransportTest, PeerThatComesUpLateGetsMessagesAfterReconnect) {
  const uint16_t p1 = FreePort();
  const uint16_t p2 = FreePort();
  Inbox in1, in2;
  PeerTransport t1(1, Peers(p1, p2), in1.Fn());
  ASSERT_EQ(t1.Start("127.0.0.1", p1), "");
  // Node 2 is down: messages to it are dropped (never queued without bound, never blocking).
  for (uint64_t i = 0; i < 100; ++i) t1.Send(Heartbeat(1, 2, 1, i));

  PeerTransport t2(2, Peers(p1, p2), in2.Fn());
  ASSERT_EQ(t2.Start("127.0.0.1", p2), "");
  // The sender retries with backoff (at most 1 s apart), dropping what was queued at each
  // failed attempt; keep sending, as Raft's heartbeats do, until new messages arrive. (What was
  // queued since the last failed attempt may still be delivered first: staleness is bounded by
  // the backoff.)
  const auto deadline = Clock::now() + kDeliveryDeadline;
  uint64_t context = 1000;
  while (!in2.WaitForContext(1001, std::chrono::milliseconds(20)) && Clock::now() < deadline) {
    t1.Send(Heartbeat(1, 2, 1, ++context));
  }
  ASSERT_GT(in2.size(), 0u) << "no message after the peer came up";
  EXPECT_GT(in2.Snapshot().back().context, 1000u) << "no new message after the peer came up";
  EXPECT_LE(in2.size(), 100u + (context - 1000)) << "more delivered than sent";
  const std::vector<Message> got = in2.Snapshot();
  for (size_t i = 1; i < got.size(); ++i) EXPECT_GT(got[i].context, got[i - 1].context);

  // The peer goes down and comes back on the same port: the sender notices the broken
  // connection and reconnects.
  t2.Stop();
  Inbox in2b;
  PeerTransport t2b(2, Peers(p1, p2), in2b.Fn());
  ASSERT_EQ(t2b.Start("127.0.0.1", p2), "");
  const auto deadline2 = Clock::now() + kDeliveryDeadline;
  while (in2b.size() == 0 && Clock::now() < deadline2) {
    t1.Send(Heartbeat(1, 2, 1, ++context));
    in2b.WaitForCount(1, std::chrono::milliseconds(20));
  }
  EXPECT_GT(in2b.size(), 0u) << "no message after the peer restarted";
  t1.Stop();
  t2b.Stop();
}

TEST(PeerTransportTest, StopJoinsWithConnectionsOpenAndPeersDown) {
  const uint16_t p1 = FreePort();
  const uint16_t p2 = FreePort();
  const uint16_t p3 = FreePort();  // never started
  std::map<NodeId, PeerAddress> peers = Peers(p1, p2);
  peers[3] = PeerAddress{"127.0.0.1", p3};
  Inbox in1, in2;
  auto t1 = std::make_unique<PeerTransport>(1, peers, in1.Fn());
  auto t2 = std::make_unique<PeerTransport>(2, peers, in2.Fn());
  ASSERT_EQ(t1->Start("127.0.0.1", p1), "");
  ASSERT_EQ(t2->Start("127.0.0.1", p2), "");
  const auto deadline = Clock::now() + kDeliveryDeadline;
  uint64_t context = 0;
  while ((in1.size() == 0 || in2.size() == 0) && Clock::now() < deadline) {
    t1->Send(Heartbeat(1, 2, 1, ++context));
    t2->Send(Heartbeat(2, 1, 1, context));
    t1->Send(Heartbeat(1, 3, 1, context));
    in1.WaitForCount(1, std::chrono::milliseconds(20));
  }
  ASSERT_GT(in1.size(), 0u);
  ASSERT_GT(in2.size(), 0u);
  // Open inbound and outbound connections, a sender backing off from a dead peer: Stop()
  // closes and joins all of it promptly (the backoff wait is interruptible).
  const auto t0 = Clock::now();
  t1->Stop();
  t1->Stop();  // idempotent
  t1.reset();  // the destructor after Stop() is a no-op
  t2.reset();  // Stop() through the destructor
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
  // Sending after Stop() is a harmless no-op.
  PeerTransport t3(1, peers, in1.Fn());
  ASSERT_EQ(t3.Start("127.0.0.1", p1), "");
  t3.Stop();
  t3.Send(Heartbeat(1, 2, 1, 1));
}

TEST(PeerTransportTest, StopWithoutStartIsFine) {
  Inbox in;
  PeerTransport t(1, Peers(FreePort(), FreePort()), in.Fn());
  t.Send(Heartbeat(1, 2, 1, 1));
  t.Stop();
}

TEST(PeerTransportTest, StartFailsOnAPortInUse) {
  const uint16_t p1 = FreePort();
  Inbox in;
  PeerTransport a(1, Peers(p1, FreePort()), in.Fn());
  ASSERT_EQ(a.Start("127.0.0.1", p1), "");
  PeerTransport b(1, Peers(p1, FreePort()), in.Fn());
  EXPECT_NE(b.Start("127.0.0.1", p1), "");
}

TEST(PeerTransportTest, FullQueueDropsInsteadOfBlocking) {
  // Peer 2 is a socket that accepts connections (the kernel does, from its backlog) but never
  // reads: the sender's write blocks once the socket buffers are full, and its queue fills.
  const int sink = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(sink, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::getsockname(sink, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(sink, 4), 0);
  const uint16_t p1 = FreePort();
  Inbox in;
  PeerTransport t(1, Peers(p1, ntohs(addr.sin_port)), in.Fn());
  ASSERT_EQ(t.Start("127.0.0.1", p1), "");

  Message big;
  big.type = MessageType::kAppendEntries;
  big.from = 1;
  big.to = 2;
  big.term = 1;
  big.entries.push_back(Entry{1, 1, EntryType::kNormal, std::string(16 << 10, 'x')});
  // Far more than the socket buffers and the queue hold: 4 x kMaxQueuedMessages x 16 KiB.
  const size_t n = 4 * PeerTransport::kMaxQueuedMessages;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) t.Send(big);
  const auto send_time = Clock::now() - t0;
  // Send() only ever queues or drops: the whole burst takes copying time, never a network
  // stall (the sender's blocked write times out only after 2 s).
  EXPECT_LT(send_time, std::chrono::seconds(2));
  // At most one queue's worth waits, one more is in the blocked write, and the socket
  // buffers (a few MiB on loopback) hold a few hundred: everything else was dropped.
  EXPECT_GE(t.dropped_messages(), n - 2 * PeerTransport::kMaxQueuedMessages - 1024)
      << "the queue is bounded: most of the burst must have been dropped";
  // Stop() interrupts the blocked write.
  const auto t1 = Clock::now();
  t.Stop();
  EXPECT_LT(Clock::now() - t1, std::chrono::seconds(3));
  ::close(sink);
}

}  // namespace
}  // namespace faultline::raft::server
