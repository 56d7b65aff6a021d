// The junit.xml test cases of a run's checkers (DESIGN.md section 7): one per checker, and one per
// failing key of the linearizability checker, each failure carrying its one-line reason and the
// run folder, so that a CI system's list of failed tests says which key failed and where to look.
#pragma once

#include <string>
#include <vector>

#include "results/run_files.h"
#include "results/store.h"

namespace faultline::results {

// Cases in checker order; a checker's failing keys follow it, named "<checker> key <key>" (or
// "<checker> failure <n>" for an unkeyed history). `seconds` goes to the checker cases.
std::vector<JunitCase> CheckerJunitCases(const std::vector<CheckerOutcome>& checkers,
                                         const std::string& run_dir, double seconds);

}  // namespace faultline::results
