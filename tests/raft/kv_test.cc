#include <gtest/gtest.h>

#include <string>

#include "targets/raft/kv/command.h"
#include "targets/raft/kv/state_machine.h"

namespace faultline::raft::kv {
namespace {

Command Put(std::string key, std::string value) {
  Command c;
  c.op = Op::kPut;
  c.key = std::move(key);
  c.value = std::move(value);
  return c;
}

Command Cas(std::string key, std::string from, std::string to) {
  Command c;
  c.op = Op::kCas;
  c.key = std::move(key);
  c.from = std::move(from);
  c.to = std::move(to);
  return c;
}

Command Acquire(std::string name, std::string owner, uint64_t ttl_ms, uint64_t time_ms) {
  Command c;
  c.op = Op::kAcquire;
  c.key = std::move(name);
  c.owner = std::move(owner);
  c.ttl_ms = ttl_ms;
  c.time_ms = time_ms;
  return c;
}

Command Release(std::string name, std::string owner, uint64_t token, uint64_t time_ms) {
  Command c;
  c.op = Op::kRelease;
  c.key = std::move(name);
  c.owner = std::move(owner);
  c.token = token;
  c.time_ms = time_ms;
  return c;
}

TEST(KvCommandTest, EveryOpRoundTrips) {
  Command get;
  get.op = Op::kGet;
  get.key = "k";
  Command del;
  del.op = Op::kDelete;
  del.key = "k";
  for (const Command& c : {get, Put("k", "{\"a\":[1,2]}"), Cas("k", "1", "null"), del,
                           Acquire("lock", "me", 5000, 1ULL << 40), Release("lock", "me", 7, 99)}) {
    std::optional<Command> back = Decode(Encode(c));
    ASSERT_TRUE(back.has_value()) << OpName(c.op);
    EXPECT_EQ(*back, c) << OpName(c.op);
  }
}

TEST(KvCommandTest, MalformedBytesAreRejected) {
  const std::string good = Encode(Put("key", "\"value\""));
  EXPECT_FALSE(Decode("").has_value());
  EXPECT_FALSE(Decode(good.substr(0, good.size() - 1)).has_value());
  EXPECT_FALSE(Decode(good + "x").has_value());
  std::string bad_version = good;
  bad_version[0] = 9;
  EXPECT_FALSE(Decode(bad_version).has_value());
  std::string bad_op = good;
  bad_op[1] = 42;
  EXPECT_FALSE(Decode(bad_op).has_value());
  EXPECT_FALSE(Decode(std::string("\x01\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12)));
}

TEST(KvStateMachineTest, PutGetDeleteAndNullMeansAbsent) {
  StateMachine sm;
  EXPECT_EQ(sm.Apply(Put("a", "1")).outcome, Outcome::kOk);
  EXPECT_EQ(sm.Get("a"), "1");
  Command get;
  get.op = Op::kGet;
  get.key = "a";
  EXPECT_EQ(sm.Apply(get).value, "1");
  sm.Apply(Put("a", "null"));
  EXPECT_FALSE(sm.Get("a").has_value());
  sm.Apply(Put("a", "2"));
  Command del;
  del.op = Op::kDelete;
  del.key = "a";
  sm.Apply(del);
  EXPECT_FALSE(sm.Get("a").has_value());
  EXPECT_FALSE(sm.Apply(get).value.has_value());
}

TEST(KvStateMachineTest, CasComparesTextAndReportsMismatch) {
  StateMachine sm;
  EXPECT_EQ(sm.Apply(Cas("a", "1", "2")).outcome, Outcome::kMismatch);
  EXPECT_EQ(sm.Apply(Cas("a", "null", "2")).outcome, Outcome::kOk) << "null matches absent";
  EXPECT_EQ(sm.Get("a"), "2");
  EXPECT_EQ(sm.Apply(Cas("a", "1", "3")).outcome, Outcome::kMismatch);
  EXPECT_EQ(sm.Get("a"), "2");
  EXPECT_EQ(sm.Apply(Cas("a", "2", "null")).outcome, Outcome::kOk);
  EXPECT_FALSE(sm.Get("a").has_value());
}

TEST(KvStateMachineTest, InvalidCommandHasNoEffect) {
  StateMachine sm;
  sm.Apply(Put("a", "1"));
  const std::string before = sm.Snapshot();
  EXPECT_EQ(sm.Apply(std::string_view("garbage")).outcome, Outcome::kInvalid);
  EXPECT_EQ(sm.Snapshot(), before);
}

TEST(KvLockTest, FencingTokensStrictlyIncreaseAndLeasesExpireByLogTime) {
  StateMachine sm;
  Result a = sm.Apply(Acquire("l", "alice", 1000, 10000));
  ASSERT_EQ(a.outcome, Outcome::kOk);
  EXPECT_EQ(sm.Apply(Acquire("l", "bob", 1000, 10500)).outcome, Outcome::kHeld);
  EXPECT_EQ(sm.Apply(Acquire("l", "alice", 1000, 10600)).outcome, Outcome::kHeld)
      << "held means held, also for its owner";
  Result b = sm.Apply(Acquire("l", "bob", 1000, 11000));  // alice's lease ended at 11000
  ASSERT_EQ(b.outcome, Outcome::kOk);
  EXPECT_GT(b.token, a.token);
  EXPECT_EQ(sm.Apply(Release("l", "alice", a.token, 11100)).outcome, Outcome::kNotHeld);
  EXPECT_EQ(sm.Apply(Release("l", "bob", a.token, 11100)).outcome, Outcome::kNotHeld)
      << "a stale token";
  EXPECT_EQ(sm.Apply(Release("l", "bob", b.token, 11100)).outcome, Outcome::kOk);
  EXPECT_EQ(sm.Apply(Release("l", "bob", b.token, 11100)).outcome, Outcome::kNotHeld);
  Result c = sm.Apply(Acquire("l", "carol", 1000, 11200));
  EXPECT_GT(c.token, b.token);
  EXPECT_EQ(sm.Apply(Acquire("other", "carol", 1000, 11200)).token, 1u) << "tokens are per lock";
}

TEST(KvLockTest, LogTimeNeverRunsBackwards) {
  StateMachine sm;
  Result a = sm.Apply(Acquire("l", "alice", 1000, 50000));
  ASSERT_EQ(a.outcome, Outcome::kOk);
  // A new leader whose clock lags stamps an earlier time: the lease must not come back to life
  // or extend; time stays at its high-water mark.
  EXPECT_EQ(sm.Apply(Acquire("l", "bob", 1000, 51000)).outcome, Outcome::kOk);
  EXPECT_EQ(sm.Apply(Acquire("l", "carol", 10, 100)).outcome, Outcome::kHeld);
  EXPECT_EQ(sm.time_ms(), 51000u);
  EXPECT_EQ(sm.Apply(Release("l", "alice", a.token, 100)).outcome, Outcome::kNotHeld);
}

TEST(KvLockTest, ReleaseAfterExpiryIsNotHeld) {
  StateMachine sm;
  Result a = sm.Apply(Acquire("l", "alice", 100, 1000));
  EXPECT_EQ(sm.Apply(Release("l", "alice", a.token, 1100)).outcome, Outcome::kNotHeld);
}

TEST(KvStateMachineTest, SnapshotRestoresEverythingByteForByte) {
  StateMachine sm;
  sm.Apply(Put("a", "{\"x\":1}"));
  sm.Apply(Put("b", "[1,2,3]"));
  sm.Apply(Acquire("l", "alice", 1000, 5000));
  sm.Apply(Acquire("m", "bob", 1000, 5000));
  sm.Apply(Release("m", "bob", 1, 5001));
  const std::string bytes = sm.Snapshot();
  StateMachine other;
  other.Apply(Put("junk", "1"));
  ASSERT_TRUE(other.Restore(bytes));
  EXPECT_EQ(other.Snapshot(), bytes);
  EXPECT_FALSE(other.Get("junk").has_value());
  EXPECT_EQ(other.Get("b"), "[1,2,3]");
  // The restored lock state goes on identically.
  EXPECT_EQ(other.Apply(Acquire("l", "carol", 10, 5500)),
            sm.Apply(Acquire("l", "carol", 10, 5500)));
  EXPECT_EQ(other.Apply(Acquire("m", "carol", 10, 5500)),
            sm.Apply(Acquire("m", "carol", 10, 5500)));
}

TEST(KvStateMachineTest, CorruptSnapshotIsRejectedAndStateKept) {
  StateMachine sm;
  sm.Apply(Put("a", "1"));
  std::string bytes = sm.Snapshot();
  StateMachine other;
  other.Apply(Put("z", "9"));
  std::string flipped = bytes;
  flipped[7] ^= 1;
  EXPECT_FALSE(other.Restore(flipped));
  EXPECT_FALSE(other.Restore(bytes.substr(0, bytes.size() - 3)));
  EXPECT_FALSE(other.Restore("nonsense"));
  EXPECT_EQ(other.Get("z"), "9");
}

}  // namespace
}  // namespace faultline::raft::kv
