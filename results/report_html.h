// report.html: one self-contained page (inline CSS and script, no network access) that explains a
// run or a checked history to a person (DESIGN.md section 7):
//
//   - a header: verdict, target, workload, nemesis, seed, duration, counts by type and by error,
//     one line per checker, the command that reruns the test;
//   - throughput over time and a latency scatter (ok / fail / info, log scale) drawn by Debian's
//     dygraphs (libjs-dygraphs, inlined from kDygraphsPath when the report is written), with the
//     nemesis periods shaded by kind of fault and labelled with their targets;
//   - our own canvas timeline: one lane per process, one bar per operation from invoke to
//     completion, nemesis periods across the lanes, details on hover, zoom and pan; it draws only
//     the visible operations and aggregates them per pixel when zoomed out;
//   - for an invalid history, every failing key's counterexample as Porcupine draws it (the
//     longest linearizable prefix in order with the model state after each step, the operation
//     that cannot follow and why, what ran concurrently), and the set, counter and fencing
//     checkers' lost, unexpected or out-of-bounds elements; each links to its operations in the
//     timeline.
//
// Operations are embedded as columnar arrays (delta-coded times, interned strings): about 40 bytes
// per operation, a 100,000-operation run gives a file of a few MB (tests/results check the bound).
//
// Thread safety: the functions are independent and may run concurrently on different folders.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/value.h"
#include "results/run_files.h"

namespace faultline::results {

// Where Debian's libjs-dygraphs installs the plotting library the report inlines.
inline constexpr const char* kDygraphsPath = "/usr/share/javascript/dygraphs/dygraph.min.js";

// What a report shows besides the history itself.
struct ReportSource {
  std::string title;  // the test's name, or the history file
  checker::Verdict verdict = checker::Verdict::kUnknown;
  std::string cause;                                       // "" when valid
  std::vector<std::pair<std::string, std::string>> facts;  // ("target", "raft"), ("seed", "7"), ...
  std::string rerun;                                       // the command that reruns it; "" if none
  std::string run_dir;                                     // "" for a bare history
  // Every checker; a "linearizable" one's detail is the DESIGN.md section 4 object (its
  // "failures" are drawn, its "model" replays each counterexample's prefix).
  std::vector<CheckerOutcome> checkers;
  std::optional<checker::Value> initial;  // the model's initial state; its default when absent
  // Workers of the run. A history with more processes (retired after info completions) than
  // kMaxLanes draws process p on lane p mod concurrency ("worker w"); with concurrency 0
  // (unknown) a process takes the first lane free since before it began.
  int concurrency = 0;
};

inline constexpr size_t kMaxLanes = 100;

struct ReportOptions {
  std::string dygraphs_path = kDygraphsPath;  // a missing file leaves the plots out, with a note
};

struct ReportWritten {
  std::string path;
  size_t bytes = 0;
  std::string note;  // one line for the user ("plots left out: ... is missing"), or ""
};

// The page's text. `note` (if non-null) receives the one-line note, as ReportWritten's.
std::string RenderHtmlReport(const checker::History& history, const ReportSource& source,
                             const ReportOptions& options = {}, std::string* note = nullptr);

// Renders a history and its check result into `path` (written atomically).
base::Result<ReportWritten> WriteHistoryReport(const std::string& path,
                                               const checker::History& history,
                                               const ReportSource& source,
                                               const ReportOptions& options = {});

// Reads a run folder (test.json, results.json, history.jsonl with its nemesis events) and writes
// <run_dir>/report.html. A missing test.json or results.json still gives a report (what is known);
// a folder with neither results.json nor history.jsonl is an InvalidArgument error.
base::Result<ReportWritten> WriteRunReport(const std::string& run_dir,
                                           const ReportOptions& options = {});

}  // namespace faultline::results
