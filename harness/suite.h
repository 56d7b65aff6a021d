// A suite file (`faultline suite FILE.json`): a matrix of `faultline test` runs, as Jepsen's
// test-all. Keys mirror the flags of `faultline test` with underscores (`time_limit` is
// --time-limit, `raft_opt` is --raft-opt, `no_redirect: true` is --no-redirect):
//
//   {"name": "nightly",
//    "defaults": {"target": "raft", "nodes": 5, "time_limit": 60},
//    "runs": [{"workload": "register", "nemesis": "partition"}],
//    "matrix": {"workload": ["register", "counter"], "nemesis": ["pause", "partition,kill"]},
//    "repeat": 2}
//
// The runs are every entry of `runs` and every combination of `matrix` (the last key varying
// fastest), each over `defaults`; the whole list is run `repeat` times. With neither `runs` nor
// `matrix`, `defaults` is the one run. Each run's words are parsed by the same parser as
// `faultline test` and checked with its option checks, so a bad key or value is one line before
// anything starts. `results` is not a key: the suite puts every run in its own folder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/test_command.h"

namespace faultline::harness {

struct SuiteRun {
  int index = 0;                  // 1-based, in run order
  int repetition = 1;             // 1 .. repeat
  std::vector<std::string> args;  // the `faultline test` words, without --results
  TestCommandOptions options;     // the words parsed
  std::string label;              // "raft register partition,kill (2/3)"
};

struct Suite {
  std::string name;
  std::string description;
  int repeat = 1;
  std::vector<SuiteRun> runs;
};

// Parses and expands a suite file's text. Errors are one line ("runs[1]: unknown key
// 'nemsis' (did you mean nemesis?)").
base::Result<Suite> ParseSuite(std::string_view json_text);
// Reads and parses FILE; errors start with the file's name.
base::Result<Suite> LoadSuiteFile(const std::string& path);

}  // namespace faultline::harness
