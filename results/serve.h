// `faultline serve`: the results folder over HTTP, read-only. An index of every run and suite,
// newest first, coloured by verdict, linking each run's report, history, results.json and node
// logs; every other path is a regular file under the results folder or nothing: no `..`, no
// absolute path, no symlink out (the path is canonicalized and must stay under the folder), no
// directory listing, GET and HEAD only.
//
// The pure parts (the scan, the index page, the path check) are here for tests; the HTTP server
// (cpp-httplib, included by results/http_server.cc only) is RunServe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::results {

struct ServeOptions {
  std::string results_dir = "results";
  std::string host = "127.0.0.1";
  int port = 8080;
};

// Serves until SIGINT or SIGTERM, then stops gracefully (the requests being answered finish).
// Returns 0 then; 254 with one line for a folder that does not exist or an address that cannot be
// bound.
int RunServe(const ServeOptions& options);

// One run folder (it holds test.json) or suite folder (summary.json) under the results folder.
struct IndexEntry {
  bool suite = false;
  std::string path;        // relative to the results folder, '/'-separated
  std::string name;        // the test's or suite's name
  std::string started_at;  // "20261122T143005.123"; the sort key
  // runs: "valid", "invalid", "unknown", "running" (no verdict yet); suites: the worst status
  // of their runs, or "running"
  std::string verdict;
  std::string cause;
  std::string target, workload, nemesis;  // runs
  double seconds = 0;                     // runs: the workload's seconds
  std::string counts;                     // suites: "3 valid, 1 invalid"
  std::vector<std::string> files;         // the run's files present (report.html, ...)
  std::vector<std::string> node_logs;     // "nodes/n1/stderr.log", ...
};

// Every run and suite folder under `root` (not following symlinks, so `latest` is not listed
// twice; at most `max_entries`), newest first.
std::vector<IndexEntry> ScanResults(const std::string& root, size_t max_entries = 5000);
std::string ResultsIndexHtml(const std::vector<IndexEntry>& entries, const std::string& root_label);

// What a request's path (percent-decoded, as the HTTP server hands it over) maps to.
struct ResolvedPath {
  int status = 200;  // 200: `file` is a regular file under the root; 403 refused; 404 not found
  std::string file;  // the canonical path, when 200
  std::string reason;
};
// `canonical_root`: the results folder, canonicalized.
ResolvedPath ResolveRequestPath(const std::string& canonical_root, std::string_view path);

// "text/html; charset=utf-8", "application/json", ... by the file's extension.
std::string ContentTypeFor(std::string_view file);

}  // namespace faultline::results
