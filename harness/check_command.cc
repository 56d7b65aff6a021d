#include "harness/check_command.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <new>
#include <optional>
#include <stdexcept>

#include "checker/check.h"
#include "checker/io/load.h"
#include "checker/io/render.h"
#include "results/exit_codes.h"
#include "results/report_html.h"
#include "results/run_files.h"

namespace faultline::harness {
namespace {

namespace ck = faultline::checker;
using results::kExitBadInput;
using results::kExitInternal;
using results::kExitValid;
using results::WorstExit;

// One line whatever the input held (a name with a newline in a history is quoted in messages).
std::string OneLine(std::string msg) {
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return msg;
}

void Error(const std::string& msg) {
  std::fprintf(stderr, "faultline check: %s\n", OneLine(msg).c_str());
}

// A file that could not be decided: verdict unknown with `cause` (exit 2).
ck::CheckResult Unknown(const std::string& cause, const std::string& model,
                        std::chrono::steady_clock::time_point started) {
  ck::CheckResult r;
  r.verdict = ck::Verdict::kUnknown;
  r.cause = cause;
  r.model = model;
  r.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

// --report DIR: DIR/report.html for one file; for several, DIR/report-<n>-<file name>.html each.
void WriteHtml(const CheckCommandOptions& options, const ck::CheckOptions& check,
               const std::string& file, int number, const ck::History& history,
               const ck::CheckResult& result, const ck::Value& json) {
  results::ReportSource source;
  source.title = file;
  source.verdict = result.verdict;
  source.cause = result.cause;
  source.facts = {{"history", file}, {"model", result.model}};
  if (!options.initial_json.empty()) source.facts.emplace_back("initial", options.initial_json);
  source.initial = check.initial;
  const std::string summary = result.model + ", " + std::to_string(result.ops) + " ops, " +
                              std::to_string(result.keys.size()) +
                              (result.keys.size() == 1 ? " key" : " keys") +
                              (result.cause.empty() ? "" : ": " + result.cause);
  source.checkers.push_back({"linearizable", result.verdict, summary, json});
  std::string name = "report.html";
  if (options.files.size() > 1) {
    std::string stem = std::filesystem::path(file).filename().string();
    for (char& c : stem) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    }
    name = "report-" + std::to_string(number) + "-" + stem + ".html";
  }
  base::Result<results::ReportWritten> w =
      results::WriteHistoryReport(options.report_dir + "/" + name, history, source);
  if (!w.ok()) {
    Error("--report " + options.report_dir + ": " + w.status().message());
  } else if (!w->note.empty()) {
    Error(w->note);
  }
}

}  // namespace

int RunCheckCommand(const CheckCommandOptions& options) {
  ck::CheckOptions check;
  check.model = options.model;
  check.timeout_s = options.timeout_s;
  // Not given (negative): the checker's default, half the memory this process can get. 0: none.
  // Clamped before the cast: a double past 2^64 does not convert (and means "no limit" anyway).
  if (options.memory_limit_mb < 0) {
    check.memory_limit_mb = 0;
  } else if (options.memory_limit_mb == 0 || options.memory_limit_mb >= 1e15) {
    check.memory_limit_mb = ck::kNoMemoryLimit;
  } else {
    check.memory_limit_mb = std::max<uint64_t>(1, static_cast<uint64_t>(options.memory_limit_mb));
  }
  check.threads = options.threads;
  if (!options.initial_json.empty()) {
    base::Result<ck::Value> initial = ck::ParseJson(options.initial_json);
    if (!initial.ok()) {
      Error("--initial is not JSON: " + initial.status().message());
      return kExitBadInput;
    }
    check.initial = *initial;
  }
  base::Result<ck::io::Format> format = ck::io::ParseFormatName(options.format);
  if (!format.ok()) {
    Error(format.status().message());
    return kExitBadInput;
  }
  // An unknown model or an --initial it cannot take is the same mistake for every file: say so
  // once, before reading anything.
  {
    ck::History empty;
    base::Result<ck::CheckResult> probe = ck::CheckHistory(empty, check);
    if (!probe.ok()) {
      Error(probe.status().message());
      return kExitBadInput;
    }
  }
  if (!options.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.report_dir, ec);
    if (ec) {
      Error("--report " + options.report_dir + ": " + ec.message());
      return kExitBadInput;
    }
  }

  ck::io::LoadOptions load;
  load.format = *format;
  load.independent = options.independent;
  int code = kExitValid;
  ck::Value::Array all_results;
  std::string all_text;
  int file_number = 0;
  for (const std::string& given : options.files) {
    ++file_number;
    // A run folder stands for its history: `check RUN_DIR` checks the history alone, with one
    // model (`faultline analyze RUN_DIR` runs the workload's checkers).
    std::error_code dir_ec;
    const std::string file = std::filesystem::is_directory(given, dir_ec) &&
                                     std::filesystem::exists(given + "/history.jsonl", dir_ec)
                                 ? given + "/history.jsonl"
                                 : given;
    // A file that cannot be checked still gets its JSON object (DESIGN.md section 4).
    auto failed = [&](const base::Status& status) {
      Error(status.message());
      const int file_code =
          status.code() == base::Status::Code::kInternal ? kExitInternal : kExitBadInput;
      // Marked as an error (not a verdict like a timeout's unknown) and listed in report.txt.
      const char* kind = file_code == kExitInternal ? "internal error" : "bad input";
      ck::Value json =
          ck::Value::MakeObject({{"file", ck::Value::String(file)},
                                 {"valid", ck::Value::String("unknown")},
                                 {"cause", ck::Value::String(OneLine(status.message()))},
                                 {"error", ck::Value::String(kind)},
                                 {"exit", ck::Value::Int(file_code)}});
      if (options.json) std::printf("%s\n", json.ToJson().c_str());
      all_results.push_back(std::move(json));
      all_text += file + ": NOT CHECKED (" + kind + "): " + OneLine(status.message()) + "\n";
      code = WorstExit(code, file_code);
    };
    // An internal failure (an exception from anywhere below) is exit 255 for this file; the
    // other files are still checked (issue 13).
    base::Result<ck::CheckResult> result = base::Status::Internal("not checked");
    ck::Value json;
    std::string text;
    ck::History loaded;  // kept for --report's report.html (empty when parsing ran out of time)
    try {
      // --timeout covers the whole check of a file, parsing included (issue 13).
      check.started = std::chrono::steady_clock::now();
      bool parse_timed_out = false;
      if (options.timeout_s > 0 && options.timeout_s < 1e9) {
        load.deadline = *check.started + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::duration<double>(options.timeout_s));
        load.timed_out = &parse_timed_out;
      }
      base::Result<ck::History> history = ck::io::LoadHistoryFile(file, load);
      if (!history.ok() && parse_timed_out) {
        // Unknown, like a search that ran out of time: exit 2, cause "timeout".
        result = Unknown("timeout: while parsing the file", options.model, *check.started);
      } else if (!history.ok()) {
        failed(history.status());
        continue;
      } else {
        result = ck::CheckHistory(*history, check);
        loaded = std::move(*history);
      }
      if (!result.ok()) {
        failed(result.status());
        continue;
      }
      json = ck::io::ResultToValue(file, *result);
      text = ck::io::RenderText(file, *result);
    } catch (const std::bad_alloc&) {
      // The system refused memory (ulimit -v) outside the searches, which turn that into an
      // unknown key themselves: the file is unknown, as for --memory-limit.
      result = Unknown("memory-limit: an allocation failed outside the search (ulimit -v?)",
                       options.model, *check.started);
      json = ck::io::ResultToValue(file, *result);
      text = ck::io::RenderText(file, *result);
    } catch (const std::exception& e) {
      failed(base::Status::Internal(file + ": internal error: " + e.what()));
      continue;
    }
    if (options.json) {
      std::printf("%s\n", json.ToJson().c_str());
    } else {
      std::fputs(text.c_str(), stdout);
    }
    std::fflush(stdout);
    if (!options.report_dir.empty()) {
      WriteHtml(options, check, file, file_number, loaded, *result, json);
    }
    all_results.push_back(std::move(json));
    all_text += text;
    code = WorstExit(code, results::ExitCodeFor(result->verdict));
  }
  if (!options.report_dir.empty()) {
    base::Status s =
        results::WriteCheckReport(options.report_dir, std::move(all_results), all_text);
    if (!s.ok()) {
      Error("--report " + options.report_dir + ": " + s.message());
      code = WorstExit(code, kExitBadInput);
    }
  }
  return code;
}

}  // namespace faultline::harness
