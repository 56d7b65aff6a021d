// The faultline command line. CLI11 is included here and nowhere else.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "checker/check.h"
#include "harness/check_command.h"
#include "harness/exit_codes.h"

namespace {

using namespace faultline::harness;

std::string ModelList() {
  std::string out;
  for (const std::string& n : faultline::checker::ModelNames()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int Main(int argc, char** argv) {
  CLI::App app{"faultline: Jepsen-style safety testing for replicated stores"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");

  CheckCommandOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Check histories for linearizability (exit 0 valid, 1 invalid, 2 unknown)");
  check_cmd->add_option("files", check.files, "History files (JSON Lines, EDN or Jepsen log)")
      ->required();
  check_cmd->add_option("--model", check.model, "Model: " + ModelList())
      ->capture_default_str();
  check_cmd->add_option("--initial", check.initial_json,
                        "Initial state as JSON (default: the model's own)");
  check_cmd->add_option("--format", check.format, "auto, jsonl, edn or jepsen-log")
      ->capture_default_str();
  check_cmd->add_flag("--independent", check.independent,
                      "EDN: split Jepsen independent [key value] tuples into key and value");
  check_cmd->add_option("--timeout", check.timeout_s, "Stop after SECONDS and answer unknown")
      ->check(CLI::NonNegativeNumber);
  check_cmd->add_option("--memory-limit", check.memory_limit_mb,
                        "Stop when the search needs more than MB and answer unknown")
      ->check(CLI::NonNegativeNumber);
  check_cmd->add_option("--threads", check.threads, "Keys checked in parallel (default: cores)")
      ->check(CLI::NonNegativeNumber);
  check_cmd->add_flag("--json", check.json, "Print one JSON object per file");
  check_cmd->add_option("--report", check.report_dir,
                        "Also write results.json and report.txt into DIR");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "faultline: %s (see --help)\n", e.what());
    return kExitBadInput;
  }
  if (check_cmd->parsed()) return RunCheckCommand(check);
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faultline: internal error: %s\n", e.what());
    return kExitInternal;
  } catch (...) {
    std::fprintf(stderr, "faultline: internal error\n");
    return kExitInternal;
  }
}
