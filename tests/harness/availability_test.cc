// Workers that back off from a node that is not there (harness/backoff.h) and each node's
// availability computed from a history (harness/availability.h).
#include "harness/availability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/backoff.h"

namespace {

using faultline::checker::Completion;
using faultline::checker::Event;
using faultline::checker::EventType;
using faultline::checker::History;
using faultline::harness::AvailabilityCount;
using faultline::harness::AvailabilityLines;
using faultline::harness::AvailabilityValue;
using faultline::harness::Backoff;
using faultline::harness::ComputeAvailability;
using faultline::harness::NeverReachedNode;
using faultline::harness::NodeUnavailable;
using Ms = std::chrono::milliseconds;

TEST(Backoff, DoublesFrom100MsTo1SAndASuccessResetsIt) {
  Backoff b;
  EXPECT_EQ(b.current(), Ms(0));
  std::vector<int64_t> waits;
  for (int i = 0; i < 7; ++i) waits.push_back(b.Failed().count());
  EXPECT_EQ(waits, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000, 1000}));
  b.Succeeded();
  EXPECT_EQ(b.current(), Ms(0));
  EXPECT_EQ(b.Failed(), Ms(100));
}

Completion Done(EventType type, std::string error) {
  Completion c;
  c.type = type;
  c.error = std::move(error);
  return c;
}

TEST(Backoff, WhatCountsAsANodeThatIsNotThere) {
  // Refused before anything was sent: never reached the node, and the node is unavailable.
  EXPECT_TRUE(NeverReachedNode(Done(EventType::kFail, "connection-refused")));
  EXPECT_TRUE(NeverReachedNode(Done(EventType::kFail, "retries-exhausted: connection-refused")));
  EXPECT_TRUE(NodeUnavailable(Done(EventType::kFail, "connection-refused")));
  // Refused on a reused connection may have been sent: info, neither.
  EXPECT_FALSE(NeverReachedNode(Done(EventType::kInfo, "connection-refused")));
  EXPECT_FALSE(NodeUnavailable(Done(EventType::kInfo, "connection-refused")));
  // A 503 without a leader to follow: unavailable, but it reached the node.
  for (const char* e :
       {"not-leader", "busy", "stopped", "http-503", "retries-exhausted: not-leader"}) {
    EXPECT_TRUE(NodeUnavailable(Done(EventType::kFail, e))) << e;
    EXPECT_FALSE(NeverReachedNode(Done(EventType::kFail, e))) << e;
  }
  // Definite answers of a serving node, and successes.
  for (const char* e :
       {"mismatch", "held", "not-held", "stale-token", "retries-exhausted: mismatch"}) {
    EXPECT_FALSE(NodeUnavailable(Done(EventType::kFail, e))) << e;
  }
  EXPECT_FALSE(NodeUnavailable(Done(EventType::kOk, "")));
  EXPECT_FALSE(NodeUnavailable(Done(EventType::kInfo, "timeout")));
}

Event Op(int64_t process, EventType type) {
  Event e;
  e.process = process;
  e.type = type;
  e.f = "read";
  return e;
}

Event Nemesis(const std::string& f) {
  Event e;
  e.nemesis = true;
  e.f = f;
  return e;
}

TEST(Availability, SharePerNodeOverallAndPerFault) {
  // Two nodes, four workers: workers 0 and 2 talk to n1, 1 and 3 to n2. Process 4 is worker 0
  // again (retired after an info); process 9 is a final read and is left out.
  History h;
  auto op = [&h](int64_t p, EventType t, std::string error = "") {
    h.events.push_back(Op(p, EventType::kInvoke));
    h.events.push_back(Op(p, t));
    h.events.back().error = std::move(error);
  };
  op(0, EventType::kOk);
  op(1, EventType::kOk);
  op(2, EventType::kFail, "connection-refused");  // no fault: n1 1 of 2, n2 2 of 2
  op(3, EventType::kFail, "mismatch");            // served: the node answered definitely
  h.events.push_back(Nemesis("start-kill"));
  op(0, EventType::kInfo);                // n1, kill
  op(4, EventType::kOk);                  // worker 0 again: n1, kill
  op(3, EventType::kFail, "not-leader");  // n2, kill
  h.events.push_back(Nemesis("stop-kill"));
  h.events.push_back(Nemesis("start-partition"));
  op(1, EventType::kOk);  // n2, partition
  h.events.push_back(Nemesis("stop-partition"));
  op(9, EventType::kFail);  // a final read: not a worker's
  const auto a = ComputeAvailability(h, {"n1", "n2", "n1", "n2"}, 7);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].node, "n1");
  EXPECT_EQ(a[0].overall, (AvailabilityCount{2, 4}));
  EXPECT_EQ(a[0].during.at("none"), (AvailabilityCount{1, 2}));
  EXPECT_EQ(a[0].during.at("kill"), (AvailabilityCount{1, 2}));
  EXPECT_EQ(a[0].during.count("partition"), 0u);
  EXPECT_EQ(a[1].node, "n2");
  EXPECT_EQ(a[1].overall, (AvailabilityCount{3, 4}));
  EXPECT_EQ(a[1].during.at("none"), (AvailabilityCount{2, 2}));
  EXPECT_EQ(a[1].during.at("kill"), (AvailabilityCount{0, 1}));
  EXPECT_EQ(a[1].during.at("partition"), (AvailabilityCount{1, 1}));

  const std::vector<std::string> lines = AvailabilityLines(a);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "n1 50.0% of 4 ops (no fault 50.0%, kill 50.0%)");
  EXPECT_EQ(lines[1], "n2 75.0% of 4 ops (no fault 100.0%, kill 0.0%, partition 100.0%)");
  const std::string json = AvailabilityValue(a).ToJson();
  EXPECT_THAT(json, ::testing::HasSubstr("\"n2\":{\"during\":{"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"kill\":{\"ok\":0,\"share\":0"));
}

TEST(Availability, NoWorkersNoNodes) {
  EXPECT_TRUE(ComputeAvailability(History{}, {}, 0).empty());
  const auto a = ComputeAvailability(History{}, {"n1"}, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].overall.total, 0u);
  EXPECT_EQ(AvailabilityLines(a).front(), "n1 0.0% of 0 ops");
}

}  // namespace
