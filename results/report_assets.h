// The report page's own stylesheet and script (results/report_html.h), kept apart from the C++
// that fills the page. The script reads the page's JSON data element ("fl-data"), draws the
// throughput and latency plots (dygraphs, when inlined), the timeline and the counterexample
// diagrams, and writes its status into #fl-status (data-status "ok" or "error", with the
// message), so that a headless browser's DOM dump tells whether the page worked.
#pragma once

namespace faultline::results {

extern const char* const kReportCss;
extern const char* const kReportJs;

}  // namespace faultline::results
