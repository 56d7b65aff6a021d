// The results store (DESIGN.md section 7): run folders under results/<test-name>/<timestamp>/,
// the results/latest link, and the files that are the same whatever produced the run
// (junit.xml). test.json and results.json are written by results/run_files.h.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "checker/check.h"

namespace faultline::results {

// "20261122T143005.123" in local time.
std::string RunTimestamp(std::chrono::system_clock::time_point t);

// Creates <base>/<name>/<timestamp>/ and its nodes/ folder; if a run of the same name already
// took that millisecond, the next free millisecond is used. Returns the folder's path.
// `name` must be a plain file name (letters, digits, '-', '_', '.').
base::Result<std::string> CreateRunDir(const std::string& base, const std::string& name,
                                       std::chrono::system_clock::time_point t);

// Points <base>/latest at `run_dir` (a relative symlink, replaced atomically).
base::Status UpdateLatest(const std::string& base, const std::string& run_dir);

// One test case per checker for CI systems; an invalid checker is a <failure>, an unknown one an
// <error>.
struct JunitCase {
  std::string name;
  checker::Verdict verdict = checker::Verdict::kValid;
  std::string message;  // one line
  double seconds = 0;
  // The <failure>/<error> type; "" for the verdict's ("invalid", "unknown"). "test-error": the
  // run itself went wrong (a cluster that never started), not a checker's verdict.
  std::string type;
};
std::string JunitXml(const std::string& suite, const std::vector<JunitCase>& cases, double seconds);

// Writes `text` to `path` through a synced temporary file and a rename, so a reader never sees
// half a file, and a machine crash leaves the old file or the new one.
base::Status WriteFileAtomic(const std::string& path, const std::string& text);

}  // namespace faultline::results
