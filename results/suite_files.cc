#include "results/suite_files.h"

#include <cstdio>

#include "results/html_text.h"
#include "results/junit_cases.h"
#include "results/run_files.h"
#include "results/store.h"

namespace faultline::results {

using base::Status;
using checker::Value;

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Text for an XML attribute: escaped, and control characters (not allowed in XML 1.0) as spaces.
std::string XmlText(std::string_view s) {
  std::string clean(s);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return HtmlEscape(clean);
}

Value Strings(const std::vector<std::string>& v) {
  Value::Array a;
  for (const std::string& s : v) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

Value SuiteSummaryValue(const SuiteRecord& suite) {
  Value::Object counts;
  for (const char* status : {"valid", "invalid", "unknown", "crashed", "skipped", "not-run"}) {
    int64_t n = 0;
    for (const SuiteRunRecord& r : suite.runs) n += r.status == status;
    counts.emplace_back(status, Value::Int(n));
  }
  Value::Array runs;
  for (const SuiteRunRecord& r : suite.runs) {
    Value::Object o;
    o.emplace_back("index", Value::Int(r.index));
    o.emplace_back("label", Value::String(r.label));
    o.emplace_back("target", Value::String(r.target));
    o.emplace_back("workload", Value::String(r.workload));
    o.emplace_back("nemesis", Value::String(r.nemesis));
    o.emplace_back("args", Strings(r.args));
    o.emplace_back("status", Value::String(r.status));
    o.emplace_back("exit_code", r.exit_code >= 0 ? Value::Int(r.exit_code) : Value::Null());
    o.emplace_back("run_dir", r.run_dir.empty() ? Value::Null() : Value::String(r.run_dir));
    o.emplace_back("cause", Value::String(r.cause));
    o.emplace_back("rerun", Value::String(r.rerun));
    o.emplace_back("seconds", Value::Double(r.seconds));
    runs.push_back(Value::MakeObject(std::move(o)));
  }
  Value::Object doc;
  doc.emplace_back("name", Value::String(suite.name));
  if (!suite.description.empty()) doc.emplace_back("description", Value::String(suite.description));
  doc.emplace_back("file", Value::String(suite.file));
  doc.emplace_back("started_at", Value::String(suite.started_at));
  doc.emplace_back("finished_at",
                   suite.finished ? Value::String(suite.finished_at) : Value::Null());
  doc.emplace_back("finished", Value::Bool(suite.finished));
  doc.emplace_back("interrupted", Value::Bool(suite.interrupted));
  doc.emplace_back("exit_code", suite.finished ? Value::Int(suite.exit_code) : Value::Null());
  doc.emplace_back("counts", Value::MakeObject(std::move(counts)));
  doc.emplace_back("runs", Value::MakeArray(std::move(runs)));
  return Value::MakeObject(std::move(doc));
}

std::string SuiteJunitXml(const SuiteRecord& suite, const std::string& suite_dir) {
  std::string body;
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double total_s = 0;
  for (const SuiteRunRecord& r : suite.runs) {
    const std::string name = std::to_string(r.index) + " " + r.label;
    const std::string where = r.run_dir.empty() ? "" : " (" + suite_dir + "/" + r.run_dir + ")";
    std::string cases;
    int t = 0, f = 0, e = 0, s = 0;
    auto add = [&](const std::string& case_name, const std::string& status,
                   const std::string& message, double seconds) {
      ++t;
      cases += "    <testcase classname=\"" + XmlText(suite.name + "." + name) + "\" name=\"" +
               XmlText(case_name) + "\" time=\"" + Fixed(seconds, 3) + "\"";
      if (status == "valid") {
        cases += "/>\n";
        return;
      }
      std::string tag = "error";
      if (status == "invalid") {
        tag = "failure";
        ++f;
      } else if (status == "skipped" || status == "not-run") {
        tag = "skipped";
        ++s;
      } else {
        ++e;
      }
      cases += ">\n      <" + tag + " message=\"" + XmlText(message + where) + "\"" +
               (tag == "skipped" ? "" : " type=\"" + XmlText(status) + "\"") +
               "/>\n    </testcase>\n";
    };
    base::Result<RunResults> results = Status::IoError("no run folder");
    if (!r.run_dir.empty()) results = ReadRunResults(suite_dir + "/" + r.run_dir);
    const bool ran_to_verdict =
        r.status == "valid" || r.status == "invalid" || r.status == "unknown";
    if (ran_to_verdict && results.ok() && !results->checkers.empty()) {
      // One case per checker and per failing key, as the run's own junit.xml (the folder is
      // added by `add`).
      for (const JunitCase& c : CheckerJunitCases(results->checkers, "", results->run.check_s)) {
        add(c.name, checker::VerdictName(c.verdict), c.message, c.seconds);
      }
      if (!results->run.error.empty()) {
        add("run", "unknown", "test error: " + results->run.error, results->run.workload_s);
      }
    } else {
      add("run", r.status, r.cause.empty() ? r.status : r.cause, r.seconds);
    }
    tests += t;
    failures += f;
    errors += e;
    skipped += s;
    total_s += r.seconds;
    body += "  <testsuite name=\"" + XmlText(name) + "\" tests=\"" + std::to_string(t) +
            "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) +
            "\" skipped=\"" + std::to_string(s) + "\" time=\"" + Fixed(r.seconds, 3) + "\">\n" +
            cases + "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + XmlText(suite.name) +
         "\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
         "\" time=\"" + Fixed(total_s, 3) + "\">\n" + body + "</testsuites>\n";
}

std::string SuiteIndexHtml(const SuiteRecord& suite) {
  std::string rows;
  for (const SuiteRunRecord& r : suite.runs) {
    std::string links;
    if (!r.run_dir.empty()) {
      for (const char* f : {"report.html", "report.txt", "results.json", "history.jsonl",
                            "faultline.log", "test.json"}) {
        links += "<a href=\"" + UrlPath(r.run_dir + "/" + f) + "\">" + f + "</a> ";
      }
    }
    rows += "<tr><td>" + std::to_string(r.index) +
            "</td><td class=\"v\" style=\"background:" + VerdictColour(r.status) + "\">" +
            HtmlEscape(r.status) + "</td><td>" + HtmlEscape(r.target) + "</td><td>" +
            HtmlEscape(r.workload) + "</td><td>" + HtmlEscape(r.nemesis) + "</td><td>" +
            Fixed(r.seconds, 1) + "&nbsp;s</td><td>" + HtmlEscape(r.cause) + "</td><td>" + links +
            "</td><td><code>" +
            HtmlEscape(r.rerun.empty() ? "faultline test " + Join(r.args) : r.rerun) +
            "</code></td></tr>\n";
  }
  std::string state = suite.finished ? "finished " + suite.finished_at + ", exit code " +
                                           std::to_string(suite.exit_code)
                                     : "running";
  if (suite.interrupted) state += " (interrupted)";
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>suite " +
         HtmlEscape(suite.name) +
         "</title>\n<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:"
         "collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:"
         "top}td.v{color:white;font-weight:bold}code{font-size:85%}</style></head><body>\n"
         "<h1>suite " +
         HtmlEscape(suite.name) + "</h1>\n<p>" + HtmlEscape(suite.description) + "</p>\n<p>" +
         HtmlEscape(suite.file) + ", started " + HtmlEscape(suite.started_at) + ", " +
         HtmlEscape(state) +
         " &middot; <a href=\"summary.json\">summary.json</a> &middot; <a "
         "href=\"junit.xml\">junit.xml</a></p>\n<table><tr><th>#</th><th>status</th><th>target</"
         "th><th>workload</th><th>nemesis</th><th>time</th><th>cause</th><th>files</"
         "th><th>rerun</th></tr>\n" +
         rows + "</table></body></html>\n";
}

Status WriteSuiteFiles(const std::string& suite_dir, const SuiteRecord& suite) {
  Status first = WriteFileAtomic(suite_dir + "/summary.json", SuiteSummaryValue(suite).ToJson());
  auto keep = [&first](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  keep(WriteFileAtomic(suite_dir + "/junit.xml", SuiteJunitXml(suite, suite_dir)));
  keep(WriteFileAtomic(suite_dir + "/index.html", SuiteIndexHtml(suite)));
  return first;
}

}  // namespace faultline::results
