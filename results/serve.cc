#include "results/serve.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "checker/value.h"
#include "results/exit_codes.h"
#include "results/html_text.h"
#include "results/run_files.h"

namespace faultline::results {

namespace fs = std::filesystem;
using checker::Value;

namespace {

constexpr int kMaxDepth = 8;  // results/suites/<name>/<time>/runs/<k>/<name>/<time>

std::string Text(const Value& o, const char* key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

IndexEntry RunEntry(const fs::path& dir, const std::string& rel) {
  IndexEntry e;
  e.path = rel;
  if (base::Result<TestRecord> t = ReadTestJson(dir.string()); t.ok()) {
    e.started_at = t->started_at;
    e.name = Text(t->config, "name");
    e.target = Text(t->config, "target");
    e.workload = Text(t->config, "workload");
    e.nemesis = Text(t->config, "nemesis");
  }
  e.verdict = "running";
  if (base::Result<RunResults> r = ReadRunResults(dir.string()); r.ok()) {
    e.verdict = r->verdict == checker::Verdict::kValid     ? "valid"
                : r->verdict == checker::Verdict::kInvalid ? "invalid"
                                                           : "unknown";
    e.cause = r->cause;
    e.seconds = r->run.workload_s;
  }
  std::error_code ec;
  for (const char* f : {"report.html", "report.txt", "results.json", "history.jsonl",
                        "faultline.log", "junit.xml", "test.json", "probe.txt"}) {
    if (fs::is_regular_file(dir / f, ec)) e.files.push_back(f);
  }
  std::vector<std::string> logs;
  for (fs::directory_iterator it(dir / "nodes", ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    for (const char* f : {"stdout.log", "stderr.log"}) {
      if (fs::is_regular_file(it->path() / f, ec)) {
        logs.push_back("nodes/" + it->path().filename().string() + "/" + f);
      }
    }
  }
  std::sort(logs.begin(), logs.end());
  e.node_logs = std::move(logs);
  return e;
}

IndexEntry SuiteEntry(const fs::path& dir, const std::string& rel) {
  IndexEntry e;
  e.suite = true;
  e.path = rel;
  e.verdict = "running";
  std::ifstream in(dir / "summary.json");
  std::stringstream text;
  text << in.rdbuf();
  base::Result<Value> doc = checker::ParseJson(text.str());
  if (!doc.ok() || !doc->is_object()) return e;
  e.name = Text(*doc, "name");
  e.started_at = Text(*doc, "started_at");
  std::string worst;
  if (const Value* c = doc->find("counts"); c != nullptr && c->is_object()) {
    for (const auto& [status, n] : c->as_object()) {
      if (!n.is_int() || n.as_int() == 0) continue;
      e.counts += (e.counts.empty() ? "" : ", ") + std::to_string(n.as_int()) + " " + status;
      // The colour of the worst: crashed > invalid > unknown > valid.
      for (const char* w : {"crashed", "invalid", "unknown", "valid"}) {
        if (status == w) {
          const auto rank = [](const std::string& s) {
            return s == "crashed" ? 4 : s == "invalid" ? 3 : s == "unknown" ? 2 : s == "valid";
          };
          if (rank(status) > rank(worst)) worst = status;
        }
      }
    }
  }
  const Value* finished = doc->find("finished");
  if (finished != nullptr && finished->is_bool() && finished->as_bool()) {
    e.verdict = worst.empty() ? "unknown" : worst;
  }
  if (fs::is_regular_file(dir / "index.html")) e.files.push_back("index.html");
  return e;
}

void Scan(const fs::path& dir, const std::string& rel, int depth, size_t max_entries,
          std::vector<IndexEntry>* out) {
  std::error_code ec;
  std::vector<fs::path> children;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    children.push_back(it->path());
  }
  std::sort(children.begin(), children.end());
  for (const fs::path& child : children) {
    if (out->size() >= max_entries) return;
    const std::string child_rel =
        rel.empty() ? child.filename().string() : rel + "/" + child.filename().string();
    if (fs::is_regular_file(child / "test.json", ec)) {
      out->push_back(RunEntry(child, child_rel));
      continue;  // a run's nodes/ holds data directories, not runs
    }
    if (fs::is_regular_file(child / "summary.json", ec)) {
      out->push_back(SuiteEntry(child, child_rel));
    }
    if (depth < kMaxDepth) Scan(child, child_rel, depth + 1, max_entries, out);
  }
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// "20261122T143005.123" -> "2026-11-22 14:30:05".
std::string ShowTime(const std::string& t) {
  if (t.size() < 15 || t[8] != 'T') return t;
  return t.substr(0, 4) + "-" + t.substr(4, 2) + "-" + t.substr(6, 2) + " " + t.substr(9, 2) + ":" +
         t.substr(11, 2) + ":" + t.substr(13, 2);
}

std::string Link(const std::string& base, const std::string& file, const std::string& text) {
  return "<a href=\"/" + UrlPath(base + "/" + file) + "\">" + HtmlEscape(text) + "</a>";
}

}  // namespace

std::vector<IndexEntry> ScanResults(const std::string& root, size_t max_entries) {
  std::vector<IndexEntry> out;
  Scan(fs::path(root), "", 0, max_entries, &out);
  std::stable_sort(out.begin(), out.end(), [](const IndexEntry& a, const IndexEntry& b) {
    return a.started_at > b.started_at;
  });
  return out;
}

std::string ResultsIndexHtml(const std::vector<IndexEntry>& entries,
                             const std::string& root_label) {
  std::string rows;
  for (const IndexEntry& e : entries) {
    std::string links;
    if (e.suite) {
      if (!e.files.empty()) links += Link(e.path, "index.html", "suite index") + " ";
      links += Link(e.path, "summary.json", "summary.json") + " " +
               Link(e.path, "junit.xml", "junit.xml");
    } else {
      for (const std::string& f : e.files) {
        const std::string shown = f == "report.html" ? "report" : f;
        links += Link(e.path, f, shown) + " ";
      }
      if (std::find(e.files.begin(), e.files.end(), "report.html") == e.files.end()) {
        links = Link(e.path, "report.html", "report") + " " + links;  // 404 until it exists
      }
      if (!e.node_logs.empty()) links += "<br>nodes:";
      for (const std::string& log : e.node_logs) {
        // "nodes/n1/stderr.log" -> "n1 stderr"
        const std::string id = log.substr(6, log.find('/', 6) - 6);
        const std::string kind = log.find("stderr") != std::string::npos ? "err" : "out";
        links += " " + Link(e.path, log, id + " " + kind);
      }
    }
    rows += "<tr><td class=\"v\" style=\"background:" + std::string(VerdictColour(e.verdict)) +
            "\">" + HtmlEscape(e.verdict) + "</td><td class=\"t\">" +
            HtmlEscape(ShowTime(e.started_at)) + "</td><td>" + (e.suite ? "suite " : "") +
            HtmlEscape(e.name) + "<br><small>" + HtmlEscape(e.path) + "</small></td><td>" +
            HtmlEscape(e.suite ? e.counts : e.target) + "</td><td>" + HtmlEscape(e.workload) +
            "</td><td>" + HtmlEscape(e.nemesis) + "</td><td>" +
            (e.suite || e.seconds == 0 ? "" : Fixed(e.seconds, 0) + " s") + "</td><td>" +
            HtmlEscape(e.cause) + "</td><td>" + links + "</td></tr>\n";
  }
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>faultline results</title>\n"
         "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{"
         "border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}td.v{color:"
         "white;font-weight:bold}td.t{white-space:nowrap}small{color:#57606a}</style></"
         "head><body>\n<h1>faultline "
         "results</h1>\n<p>" +
         HtmlEscape(root_label) + ": " + std::to_string(entries.size()) +
         " runs and suites, newest first</p>\n<table><tr><th>verdict</th><th>started</"
         "th><th>name</th><th>target</th><th>workload</th><th>nemesis</th><th>duration</"
         "th><th>cause</th><th>files</th></tr>\n" +
         rows + "</table></body></html>\n";
}

ResolvedPath ResolveRequestPath(const std::string& canonical_root, std::string_view path) {
  auto refuse = [](std::string why) { return ResolvedPath{403, "", std::move(why)}; };
  if (path.empty() || path.front() != '/') return refuse("not a path");
  std::string_view rel = path.substr(1);
  if (rel.empty()) return {404, "", "the index"};
  if (rel.front() == '/') return refuse("an absolute path");
  if (rel.find('\0') != std::string_view::npos || rel.find('\\') != std::string_view::npos) {
    return refuse("a NUL or backslash in the path");
  }
  for (size_t start = 0; start <= rel.size();) {
    const size_t end = std::min(rel.find('/', start), rel.size());
    if (rel.substr(start, end - start) == "..") return refuse("'..' in the path");
    start = end + 1;
  }
  std::error_code ec;
  const fs::path full = fs::path(canonical_root) / fs::path(std::string(rel));
  // Symlinks resolved: a link inside the folder to a file inside it (results/latest) is served;
  // one pointing out is refused.
  const fs::path canonical = fs::canonical(full, ec);
  if (ec) return {404, "", "no such file"};
  const std::string c = canonical.string();
  if (c.size() <= canonical_root.size() ||
      c.compare(0, canonical_root.size(), canonical_root) != 0 || c[canonical_root.size()] != '/') {
    return refuse("outside the results folder");
  }
  if (!fs::is_regular_file(canonical, ec)) return {404, "", "not a file"};
  return {200, c, ""};
}

std::string ContentTypeFor(std::string_view file) {
  const size_t dot = file.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : file.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "xml") return "application/xml";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "css") return "text/css";
  if (ext == "js") return "text/javascript";
  if (ext == "jsonl" || ext == "log" || ext == "txt" || ext == "edn") {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

}  // namespace faultline::results
