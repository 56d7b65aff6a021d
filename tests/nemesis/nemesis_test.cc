// The fault driver against a recording NodeControl and NetBackend: which faults it starts, that
// every start has a stop, that events come before effects, and that HealAll undoes everything.
#include "nemesis/nemesis.h"

#include <gtest/gtest.h>

#include <map>

namespace faultline::nemesis {
namespace {

using base::Status;

class FakeNodes : public NodeControl {
 public:
  explicit FakeNodes(int n) {
    for (int i = 1; i <= n; ++i) ids.push_back("n" + std::to_string(i));
  }
  std::vector<std::string> Nodes() const override { return ids; }
  Status Pause(const std::string& id) override { return Act("pause", id); }
  Status Resume(const std::string& id) override { return Act("resume", id); }
  Status Kill(const std::string& id) override { return Act("kill", id); }
  Status Restart(const std::string& id) override { return Act("restart", id); }
  std::optional<std::string> Leader() override { return leader; }

  Status Act(const std::string& what, const std::string& id) {
    log->push_back(what + " " + id);
    if (what == "pause") paused[id] = true;
    if (what == "resume") paused[id] = false;
    if (what == "kill") down[id] = true;
    if (what == "restart") {
      if (fail_restarts > 0) {
        --fail_restarts;
        return Status::IoError("cannot restart " + id);
      }
      down[id] = false;
    }
    return Status::Ok();
  }

  std::vector<std::string> ids;
  std::optional<std::string> leader = "n3";
  std::map<std::string, bool> paused, down;
  std::vector<std::string>* log = nullptr;
  int fail_restarts = 0;
};

class FakeNet : public NetBackend {
 public:
  const char* name() const override { return "fake"; }
  Status Setup(const std::vector<std::string>&) override { return Status::Ok(); }
  const std::vector<base::NodeAddress>& nodes() const override { return nodes_; }
  std::string PeerAddress(const std::string&, const std::string&) const override { return ""; }
  std::vector<std::string> CommandPrefix(const std::string&) const override { return {}; }
  Status Cut(const Grudge& g) override {
    log->push_back("cut");
    cut = g;
    return Status::Ok();
  }
  Status Heal() override {
    log->push_back("heal");
    cut.clear();
    return Status::Ok();
  }
  void Teardown() override {}
  std::vector<base::NodeAddress> nodes_;
  Grudge cut;
  std::vector<std::string>* log = nullptr;
};

struct Rig {
  explicit Rig(std::vector<FaultKind> kinds, uint64_t seed = 1, int n = 5) : nodes(n) {
    nodes.log = &log;
    net.log = &log;
    nemesis = std::make_unique<Nemesis>(&nodes, &net, std::move(kinds), seed,
                                        [this](const NemesisEvent& e) {
                                          log.push_back("event " + e.f);
                                          events.push_back(e);
                                        });
  }
  std::vector<std::string> log;
  std::vector<NemesisEvent> events;
  FakeNodes nodes;
  FakeNet net;
  std::unique_ptr<Nemesis> nemesis;
};

TEST(NemesisTest, ParsesFaultKinds) {
  EXPECT_TRUE(ParseFaultKinds("none")->empty());
  EXPECT_EQ(ParseFaultKinds("all")->size(), 3u);
  EXPECT_EQ(ParseFaultKinds("partition,pause,kill")->size(), 3u);
  EXPECT_EQ(*ParseFaultKinds("kill,kill"), std::vector<FaultKind>{FaultKind::kKill});
  const auto bad = ParseFaultKinds("partition,clock");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("clock"), std::string::npos);
}

TEST(NemesisTest, EveryStartHasAStopAndEventsPrecedeEffects) {
  Rig rig({FaultKind::kPartition, FaultKind::kPause, FaultKind::kKill}, 7);
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(rig.nemesis->StartNext().ok());
    EXPECT_FALSE(rig.nemesis->ActiveSummary().empty());
    ASSERT_TRUE(rig.nemesis->StopCurrent().ok());
    EXPECT_TRUE(rig.nemesis->ActiveSummary().empty());
  }
  ASSERT_EQ(rig.events.size(), 120u);
  std::map<std::string, int> starts;
  for (size_t i = 0; i < rig.events.size(); i += 2) {
    const std::string kind = rig.events[i].f.substr(6);  // after "start-"
    EXPECT_EQ(rig.events[i].f, "start-" + kind);
    EXPECT_EQ(rig.events[i + 1].f, "stop-" + kind);
    ++starts[kind];
  }
  EXPECT_GT(starts["partition"], 5);
  EXPECT_GT(starts["pause"], 5);
  EXPECT_GT(starts["kill"], 5);
  // The start event is logged before the first action it announces.
  for (size_t i = 0; i < rig.log.size(); ++i) {
    if (rig.log[i] == "cut" || rig.log[i].rfind("pause ", 0) == 0 ||
        rig.log[i].rfind("kill ", 0) == 0) {
      bool announced = false;
      for (size_t j = i; j-- > 0;) {
        if (rig.log[j].rfind("event start-", 0) == 0) {
          announced = true;
          break;
        }
        if (rig.log[j].rfind("event stop-", 0) == 0) break;
      }
      EXPECT_TRUE(announced) << "action without a start event before it: " << rig.log[i];
    }
  }
  for (const auto& [id, down] : rig.nodes.down) EXPECT_FALSE(down) << id;
  for (const auto& [id, paused] : rig.nodes.paused) EXPECT_FALSE(paused) << id;
  EXPECT_TRUE(rig.net.cut.empty());
}

TEST(NemesisTest, SameSeedSameSchedule) {
  Rig a({FaultKind::kPartition, FaultKind::kPause, FaultKind::kKill}, 42);
  Rig b({FaultKind::kPartition, FaultKind::kPause, FaultKind::kKill}, 42);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(a.nemesis->StartNext().ok());
    ASSERT_TRUE(b.nemesis->StartNext().ok());
  }
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].f, b.events[i].f);
    EXPECT_EQ(a.events[i].grudge, b.events[i].grudge);
    EXPECT_EQ(a.events[i].nodes, b.events[i].nodes);
  }
}

TEST(NemesisTest, TargetsAreOneMinorityMajorityAllOrTheLeader) {
  Rig rig({FaultKind::kKill}, 3);
  std::set<size_t> sizes;
  bool leader_only = false;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(rig.nemesis->StartNext().ok());
    ASSERT_TRUE(rig.events.back().nodes.has_value());
    const std::vector<std::string>& v = *rig.events.back().nodes;
    sizes.insert(v.size());
    leader_only |= v.size() == 1 && v[0] == "n3";
    ASSERT_TRUE(rig.nemesis->StopCurrent().ok());
  }
  EXPECT_EQ(sizes, (std::set<size_t>{1, 2, 3, 5}));  // one/leader, minority, majority, all of 5
  EXPECT_TRUE(leader_only);
}

TEST(NemesisTest, HealAllRetriesWhatCouldNotBeUndone) {
  Rig rig({FaultKind::kKill}, 5);
  ASSERT_TRUE(rig.nemesis->StartNext().ok());
  rig.nodes.fail_restarts = 1;
  EXPECT_FALSE(rig.nemesis->StopCurrent().ok());
  ASSERT_TRUE(rig.nemesis->HealAll().ok());
  for (const auto& [id, down] : rig.nodes.down) EXPECT_FALSE(down) << id;
  ASSERT_TRUE(rig.nemesis->HealAll().ok());  // idempotent
}

TEST(NemesisTest, PartitionsAreSkippedWithoutANetBackend) {
  FakeNodes nodes(3);
  std::vector<std::string> log;
  nodes.log = &log;
  std::vector<NemesisEvent> events;
  Nemesis nemesis(&nodes, nullptr, {FaultKind::kPartition}, 1,
                  [&](const NemesisEvent& e) { events.push_back(e); });
  ASSERT_TRUE(nemesis.StartNext().ok());
  EXPECT_TRUE(events.empty());
}

}  // namespace
}  // namespace faultline::nemesis
