// The JSON files of the results store (DESIGN.md section 7), with their one writer: test.json and
// results.json of a test run, and the results.json of `faultline check --report DIR`. Every file
// is written through WriteFileAtomic, so a reader (a second Ctrl-C, `faultline serve`, a CI job
// polling the folder) sees the previous file or the new one, never half of one.
//
// The types here are the files' contents; the Read functions give them back (for `check`,
// `report` and the tests), so a field that is written is a field that can be read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "checker/check.h"
#include "checker/value.h"

namespace faultline::results {

// test.json: the full configuration, the seed and the versions; enough to rerun the test.
struct TestRecord {
  checker::Value config;  // an object: every option, the seed and the concurrency used
  std::string rerun;      // the command line that reruns this test with the same seed
  std::string faultline_version;
  std::string started_at;  // RunTimestamp()
  std::string run_id;      // prefixes the run's namespaces, links and rules
  // Known once the nodes are prepared; empty when the run stopped before that.
  std::vector<std::vector<std::string>> node_commands;
  std::string net_backend;

  friend bool operator==(const TestRecord&, const TestRecord&) = default;
};

// One checker's verdict as results.json (and junit.xml) report it.
struct CheckerOutcome {
  std::string name;  // "linearizable", "set", "counter", "fencing", ...
  checker::Verdict verdict = checker::Verdict::kUnknown;
  std::string summary;    // one line for people
  checker::Value detail;  // for "linearizable": the DESIGN.md section 4 object

  friend bool operator==(const CheckerOutcome&, const CheckerOutcome&) = default;
};

// results.json's `run` object: what happened during the run, whatever the verdict.
struct RunStats {
  std::string name;
  uint64_t seed = 0;
  std::string net_backend;  // "" when the network was never set up
  uint64_t invokes = 0, ok = 0, fail = 0, info = 0, nemesis_events = 0;
  std::map<std::string, uint64_t> errors;  // completions that were not ok: {"info timeout": 3}
  int faults = 0;                          // faults the nemesis started
  double workload_s = 0;
  double check_s = 0;
  std::vector<std::pair<std::string, double>> phases_s;  // [[phase, seconds], ...] in run order
  bool completed = false;                 // the workload ran for its whole time limit
  std::vector<std::string> nodes_exited;  // nodes that exited although nobody stopped them
  std::string error;                      // what kept the run from completing; "" if nothing
  // A run that could not start: why each node was not ready ("n1: connection refused").
  std::vector<std::string> not_ready;
  // Per node, the share of its operations that succeeded, overall and per fault kind
  // (harness/availability.h); null when not computed.
  checker::Value availability;

  friend bool operator==(const RunStats&, const RunStats&) = default;
};

// results.json of a test run: the section 4 object of the linearizability checker (its keys,
// failures and stats lifted to the top), every checker, and the run.
struct RunResults {
  std::string file;  // the history
  checker::Verdict verdict = checker::Verdict::kUnknown;
  std::string cause;  // "" when valid
  std::vector<CheckerOutcome> checkers;
  RunStats run;

  friend bool operator==(const RunResults&, const RunResults&) = default;
};

using checker::VerdictValue;  // true, false or "unknown", as DESIGN.md section 4's `valid`

checker::Value TestRecordValue(const TestRecord& test);
checker::Value RunResultsValue(const RunResults& results);

// <run_dir>/test.json.
base::Status WriteTestJson(const std::string& run_dir, const TestRecord& test);
base::Result<TestRecord> ReadTestJson(const std::string& run_dir);

// <run_dir>/results.json.
base::Status WriteRunResults(const std::string& run_dir, const RunResults& results);
base::Result<RunResults> ReadRunResults(const std::string& run_dir);
// The results.json that stands while the check runs: unknown, "the check did not finish". A run
// stopped at once during a long check still leaves a folder that explains itself.
base::Status WriteCheckPending(const std::string& run_dir, const std::string& history_file);

// `faultline check --report DIR`: DIR/results.json ({"files": [one section 4 object per file]})
// and DIR/report.txt (the text the command printed). DIR must exist.
base::Status WriteCheckReport(const std::string& dir, std::vector<checker::Value> files,
                              const std::string& text);

}  // namespace faultline::results
