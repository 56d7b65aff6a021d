#include "harness/report_command.h"

#include <cstdio>

#include "results/exit_codes.h"
#include "results/report_html.h"
#include "results/run_files.h"

namespace faultline::harness {

int RunReportCommand(const std::string& run_dir) {
  base::Result<results::ReportWritten> written = results::WriteRunReport(run_dir);
  if (!written.ok()) {
    std::fprintf(stderr, "faultline report: %s\n", written.status().message().c_str());
    return written.status().code() == base::Status::Code::kInternal ? results::kExitInternal
                                                                    : results::kExitBadInput;
  }
  if (!written->note.empty()) std::fprintf(stderr, "faultline report: %s\n", written->note.c_str());
  checker::Verdict verdict = checker::Verdict::kUnknown;
  if (base::Result<results::RunResults> r = results::ReadRunResults(run_dir); r.ok()) {
    verdict = r->verdict;
  }
  std::printf("%s: %s (%zu bytes)\n", written->path.c_str(), results::VerdictWord(verdict),
              written->bytes);
  return results::ExitCodeFor(verdict);
}

}  // namespace faultline::harness
