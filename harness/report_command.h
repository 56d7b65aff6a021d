// `faultline report RUN_DIR`: writes RUN_DIR/report.html from the run folder
// (results/report_html.h).
#pragma once

#include <string>

namespace faultline::harness {

// Returns the exit code (DESIGN.md section 5): the run's verdict (0 valid, 1 invalid, 2 unknown,
// also when the run has no results.json), or 254 when RUN_DIR is not a run folder or the report
// cannot be written.
int RunReportCommand(const std::string& run_dir);

}  // namespace faultline::harness
