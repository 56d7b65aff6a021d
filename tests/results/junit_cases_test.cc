#include "results/junit_cases.h"

#include <gtest/gtest.h>

#include "tests/results/report_fixtures.h"

namespace faultline::results {
namespace {

using namespace faultline::results::testing;
using checker::Value;
using checker::Verdict;

TEST(JunitCases, oneCasePerCheckerAndPerFailingKey) {
  const std::string file = Knossos("cas-register/bad/bad-analysis.edn");
  const checker::History h = Load(file);
  ReportSource s = CheckSource(file, h, "cas-register", Value::Int(0));
  s.checkers.push_back({"stats", Verdict::kValid, "all kinds succeeded", Value()});
  const std::vector<JunitCase> cases = CheckerJunitCases(s.checkers, "results/x/1", 0.5);
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].name, "linearizable");
  EXPECT_EQ(cases[1].name, "linearizable failure 1");
  EXPECT_EQ(cases[1].verdict, Verdict::kInvalid);
  const Value& failure = s.checkers[0].detail.find("failures")->as_array().at(0);
  EXPECT_EQ(cases[1].message, "operation 14 cannot be linearized: " +
                                  failure.find("reason")->as_string() + " (run results/x/1)");
  EXPECT_NE(cases[1].message.find("read 2, but the register holds"), std::string::npos);
  EXPECT_EQ(cases[2].name, "stats");
  const std::string xml = JunitXml("t", cases, 1);
  EXPECT_NE(xml.find("name=\"linearizable failure 1\""), std::string::npos);
}

}  // namespace
}  // namespace faultline::results
