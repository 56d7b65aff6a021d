#include "results/report_html.h"

#include <gtest/gtest.h>

#include <regex>

#include "checker/io/load.h"
#include "tests/results/report_fixtures.h"

namespace faultline::results {
namespace {

using namespace faultline::results::testing;
using checker::Value;
using checker::Verdict;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The page's data element, parsed.
Value PageData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"fl-data\">";
  const size_t from = html.find(open);
  EXPECT_NE(from, std::string::npos);
  const size_t to = html.find("</script>", from);
  base::Result<Value> v =
      checker::ParseJson(html.substr(from + open.size(), to - from - open.size()));
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : Value();
}

ReportOptions NoPlots() {
  ReportOptions o;
  o.dygraphs_path = "/nonexistent/dygraph.min.js";
  return o;
}

TEST(ReportHtml, validKnossosHistory_verdictAndTimelineNoCounterexample) {
  const std::string file = Knossos("cas-register/good/memstress3-0.edn");
  const checker::History h = Load(file);
  const std::string html = RenderHtmlReport(h, CheckSource(file, h, "cas-register", Value::Int(0)));
  EXPECT_NE(html.find("<span class=\"verdict\" id=\"verdict\">VALID</span>"), std::string::npos);
  EXPECT_EQ(html.find("class=\"cx\""), std::string::npos);
  EXPECT_NE(html.find("id=\"tl-canvas\""), std::string::npos);
  const Value data = PageData(html);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.find("unit")->as_string(), "index");  // Knossos files carry no times
  EXPECT_GT(data.find("ops")->find("t0")->as_array().size(), 0u);
  // Self-contained: no resource is fetched from anywhere.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(ReportHtml, invalidKnossosHistory_counterexampleAsPorcupineDrawsIt) {
  const std::string file = Knossos("cas-register/bad/bad-analysis.edn");
  const checker::History h = Load(file);
  const ReportSource source = CheckSource(file, h, "cas-register", Value::Int(0));
  const std::string html = RenderHtmlReport(h, source, NoPlots());
  EXPECT_NE(html.find(">INVALID</span>"), std::string::npos);
  EXPECT_NE(html.find("operation 14 cannot be linearized"), std::string::npos);
  EXPECT_TRUE(
      std::regex_search(html, std::regex("read 2, but the register holds (0 or 1|1 or 0)")));
  // The longest linearizable prefix in order, one row per step with the model's state after
  // it, from the initial state on; then the operation that cannot follow, and what ran
  // concurrently.
  const Value& failure = source.checkers[0].detail.find("failures")->as_array().at(0);
  const size_t steps = failure.find("prefix")->as_array().size();
  EXPECT_GE(steps, 5u);
  EXPECT_EQ(Count(html, "<tr class=\"step\""), steps);
  EXPECT_NE(html.find("initial state</td><td>0</td>"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      html, std::regex("<td>write 4</td><td>events 3..4</td><td></td><td class=\"state\">4</td>")));
  EXPECT_TRUE(std::regex_search(
      html, std::regex("<td>write 0</td><td>events 7..8</td><td></td><td class=\"state\">0</td>")));
  EXPECT_NE(html.find("<tr class=\"bad\" data-ev=\"13,14\">"), std::string::npos);
  EXPECT_TRUE(std::regex_search(html, std::regex("states before it: (0 \\| 1|1 \\| 0)")));
  EXPECT_NE(html.find("concurrent with (2):"), std::string::npos);
  EXPECT_NE(html.find("data-ev=\"10\">process 20 write 1 (info)</a>"), std::string::npos);
  EXPECT_NE(html.find("class=\"cxdiag\""), std::string::npos);
  // Plots left out with a note when the library is missing; the rest is still there.
  EXPECT_NE(html.find("plots left out: /nonexistent/dygraph.min.js is missing"), std::string::npos);
  EXPECT_EQ(html.find("id=\"throughput\""), std::string::npos);
  EXPECT_NE(html.find("id=\"tl-canvas\""), std::string::npos);
}

TEST(ReportHtml, everyFailingKeyHasItsCounterexample) {
  std::string text;
  for (int k = 0; k < 3; ++k) {
    const std::string key = "\"k" + std::to_string(k) + "\"";
    const int i = 4 * k, p = 2 * k;
    auto line = [&](int index, int process, const char* type, const char* f, const char* v) {
      text += "{\"index\":" + std::to_string(index) + ",\"time\":" + std::to_string(1000 * index) +
              ",\"process\":" + std::to_string(process) + ",\"type\":\"" + type + "\",\"f\":\"" +
              f + "\",\"key\":" + key + ",\"value\":" + v + "}\n";
    };
    line(i, p, "invoke", "write", "1");
    line(i + 1, p, "ok", "write", "1");
    line(i + 2, p + 1, "invoke", "read", "null");
    line(i + 3, p + 1, "ok", "read", k == 1 ? "1" : "2");  // k1 is fine, k0 and k2 are not
  }
  base::Result<checker::History> h = checker::io::ParseJsonl(text, "keys.jsonl");
  ASSERT_TRUE(h.ok()) << h.status().message();
  const std::string html =
      RenderHtmlReport(*h, CheckSource("keys.jsonl", *h, "cas-register", std::nullopt), NoPlots());
  EXPECT_NE(html.find("key k0: operation 3 cannot be linearized"), std::string::npos);
  EXPECT_NE(html.find("key k2: operation 11 cannot be linearized"), std::string::npos);
  EXPECT_EQ(html.find("key k1:"), std::string::npos);
  EXPECT_EQ(Count(html, "<section class=\"cx\""), 2u);
  // Each failing row links to its events in the timeline.
  EXPECT_NE(html.find("<tr class=\"bad\" data-ev=\"2,3\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"bad\" data-ev=\"10,11\">"), std::string::npos);
  // The state after the write: 1, as the model renders it.
  EXPECT_NE(html.find("<td class=\"state\">1</td>"), std::string::npos);
}

TEST(ReportHtml, mutexCounterexampleFromTheKnossosCorpus) {
  const std::string file = Knossos("mutex/bad/etcd.edn");
  const checker::History h = Load(file);
  const std::string html =
      RenderHtmlReport(h, CheckSource(file, h, "mutex", Value::Bool(false)), NoPlots());
  EXPECT_NE(html.find("operation 1119 cannot be linearized"), std::string::npos);
  EXPECT_NE(html.find("acquire, but the lock is held"), std::string::npos);
}

TEST(ReportHtml, hundredThousandOperations_sizeBounded) {
  const checker::History h = GeneratedHistory(100'000, 10, 7);
  ReportSource s;
  s.title = "generated";
  s.verdict = Verdict::kValid;
  s.concurrency = 10;
  const std::string html = RenderHtmlReport(h, s);
  const Value data = PageData(html);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.find("ops")->find("t0")->as_array().size(), 100'000u);
  EXPECT_EQ(data.find("nemesis")->as_array().size(), 6u);
  // Retired processes fold into their worker's lane: 10 lanes, not hundreds.
  EXPECT_EQ(data.find("lanes")->as_array().size(), 10u);
  std::printf("report of 100000 operations: %zu bytes (%.2f MB)\n", html.size(),
              static_cast<double>(html.size()) / 1e6);
  EXPECT_LT(html.size(), 8'000'000u);  // well under the 20 MB the issue allows
}

TEST(ReportHtml, manyProcessesWithoutAWorkerCount_shareLanesThatNeverOverlap) {
  const checker::History h = GeneratedHistory(10'000, 10, 4);  // about 300 processes
  const Value data = PageData(RenderHtmlReport(h, ReportSource{}, NoPlots()));
  EXPECT_EQ(data.find("lanes")->as_array().size(), 10u);  // never more than 10 ran at once
  EXPECT_EQ(data.find("lanes")->as_array()[0].as_string(), "lane 0");
}

TEST(ReportHtml, nemesisPeriodsLabelledWithTheirTargets) {
  const checker::History h = GeneratedHistory(200, 10, 3);
  const Value data = PageData(RenderHtmlReport(h, ReportSource{}, NoPlots()));
  const Value::Array& periods = data.find("nemesis")->as_array();
  ASSERT_EQ(periods.size(), 6u);
  EXPECT_EQ(periods[0].find("kind")->as_string(), "partition");
  EXPECT_EQ(periods[0].find("label")->as_string(), "n3,n4 | n1,n2");
  EXPECT_EQ(periods[0].find("t0")->as_int(), 5'000'000);  // microseconds
  EXPECT_EQ(periods[0].find("t1")->as_int(), 10'000'000);
  EXPECT_EQ(periods[1].find("kind")->as_string(), "pause");
  EXPECT_EQ(periods[1].find("label")->as_string(), "n2");
}

TEST(ReportHtml, runFolder_headerFindingsAndFile) {
  TempDir dir("run");
  // A small valid run plus a counter violation on its first operation.
  WriteRunFolder(dir.path(), GeneratedHistory(300, 10, 5), true);
  ASSERT_TRUE(WriteRunReport(dir.path().string()).ok());
  const std::string html = ReadFile(dir.path() / "report.html");
  EXPECT_NE(html.find(">INVALID</span>"), std::string::npos);
  EXPECT_NE(html.find("<th>target</th><td>raft</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>workload</th><td>register</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>nemesis</th><td>partition,pause</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>seed</th><td>42</td>"), std::string::npos);
  EXPECT_NE(html.find("<code>faultline test --seed 42 --name raft-register</code>"),
            std::string::npos);
  EXPECT_NE(html.find("<th>operations</th><td>300 invoked:"), std::string::npos);
  EXPECT_NE(html.find("info timeout"), std::string::npos);  // counts by error
  EXPECT_NE(html.find("<b>counter</b> <span class=\"v\">invalid</span>"), std::string::npos);
  // The out-of-bounds read links to its operation in the timeline.
  EXPECT_TRUE(std::regex_search(html, std::regex("out of bounds</span> key k0: <a class=\"op\" "
                                                 "href=\"#timeline\" data-ev=\"[0-9]+,[0-9]+\">"
                                                 "process 0 read 99</a>")));
  // No temporary file left behind (written atomically).
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos);
  }
}

TEST(ReportHtml, setFindingsLinkLostAndUnexpectedElements) {
  std::string text =
      "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
      "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
      "{\"index\":2,\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}"
      "\n"
      "{\"index\":3,\"time\":4000,\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":[7]}\n";
  base::Result<checker::History> h = checker::io::ParseJsonl(text, "set.jsonl");
  ASSERT_TRUE(h.ok());
  ReportSource s;
  s.verdict = Verdict::kInvalid;
  s.checkers.push_back(
      {"set", Verdict::kInvalid, "lost 1, unexpected 1",
       Value::MakeObject({{"lost", Value::MakeArray({Value::MakeObject(
                                       {{"element", Value::Int(1)},
                                        {"add_index", Value::Int(1)},
                                        {"missing_from", Value::MakeArray({Value::Int(2)})}})})},
                          {"unexpected", Value::MakeArray({Value::Int(7)})}})});
  const std::string html = RenderHtmlReport(*h, s, NoPlots());
  EXPECT_NE(html.find("element 1 acknowledged by <a class=\"op\" href=\"#timeline\" "
                      "data-ev=\"0,1\">its add</a>, missing from <a class=\"op\" "
                      "href=\"#timeline\" data-ev=\"2,3\">read 2</a>"),
            std::string::npos);
  EXPECT_NE(html.find("element 7 was read but never added: <a class=\"op\" href=\"#timeline\" "
                      "data-ev=\"2,3\">"),
            std::string::npos);
}

// Two clients holding the lock at once is shown even when the mutex checker's verdict is valid
// (an overlap after a lease could have run out), each holder linked to its acquire.
TEST(ReportHtml, mutexOverlapsShownOnAValidVerdict) {
  std::string text =
      "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"acquire\"}\n"
      "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"ok\",\"f\":\"acquire\",\"value\":5}\n"
      "{\"index\":2,\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"acquire\"}\n"
      "{\"index\":3,\"time\":4000,\"process\":1,\"type\":\"ok\",\"f\":\"acquire\",\"value\":9}\n";
  base::Result<checker::History> h = checker::io::ParseJsonl(text, "lock.jsonl");
  ASSERT_TRUE(h.ok()) << h.status().message();
  auto hold = [](int process, int token, int complete) {
    return Value::MakeObject({{"process", Value::Int(process)},
                              {"token", Value::Int(token)},
                              {"node", Value::String("n1")},
                              {"acquire_complete_index", Value::Int(complete)}});
  };
  ReportSource s;
  s.verdict = Verdict::kValid;
  s.checkers.push_back(
      {"mutex", Verdict::kValid, "1 time two clients held a lock at once after a lease",
       Value::MakeObject({{"overlaps", Value::MakeArray({Value::MakeObject(
                                           {{"within_lease", Value::Bool(false)},
                                            {"summary", Value::String("both held it 1 ms")},
                                            {"first", hold(0, 5, 1)},
                                            {"second", hold(1, 9, 3)}})})}})});
  const std::string html = RenderHtmlReport(*h, s, NoPlots());
  EXPECT_NE(html.find("two holders after a lease"), std::string::npos);
  EXPECT_NE(html.find("data-ev=\"0,1\">process 0 (token 5, on n1)</a> and <a class=\"op\" "
                      "href=\"#timeline\" data-ev=\"2,3\">process 1 (token 9, on n1)</a>"),
            std::string::npos)
      << html.substr(html.find("findings") == std::string::npos ? 0 : html.find("findings"), 800);
}

TEST(ReportHtml, notARunFolder_isAnError) {
  TempDir dir("empty");
  base::Result<ReportWritten> w = WriteRunReport(dir.path().string());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), base::Status::Code::kInvalidArgument);
  EXPECT_NE(w.status().message().find("not a run folder"), std::string::npos);
  EXPECT_FALSE(WriteRunReport((dir.path() / "missing").string()).ok());
}

TEST(ReportHtml, scriptTextInValuesCannotCloseTheDataElement) {
  std::string text =
      "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\","
      "\"value\":\"</script><b>x\"}\n"
      "{\"index\":1,\"time\":2000,\"process\":0,\"type\":\"ok\",\"f\":\"write\","
      "\"value\":\"</script><b>x\"}\n";
  base::Result<checker::History> h = checker::io::ParseJsonl(text, "x.jsonl");
  ASSERT_TRUE(h.ok());
  ReportSource s;
  s.title = "</script><b>title";
  const std::string html = RenderHtmlReport(*h, s, NoPlots());
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_TRUE(PageData(html).is_object());
}

}  // namespace
}  // namespace faultline::results
