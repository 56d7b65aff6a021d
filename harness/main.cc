// The faultline command line. CLI11 is included here and in harness/cli_parse.cc (the
// `faultline test` options, built from the table in harness/cli.h) and nowhere else.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "checker/check.h"
#include "harness/analyze_command.h"
#include "harness/check_command.h"
#include "harness/cli.h"
#include "harness/probe_command.h"
#include "harness/report_command.h"
#include "harness/sim_command.h"
#include "harness/suite_command.h"
#include "harness/test_command.h"
#include "results/exit_codes.h"
#include "results/serve.h"
#include "targets/raft/core/unsafe_switches.h"

namespace {

using namespace faultline::harness;
using faultline::results::kExitBadInput;
using faultline::results::kExitInternal;

std::string ModelList() {
  std::string out;
  for (const std::string& n : faultline::checker::ModelNames())
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A number that is zero or more. CLI::NonNegativeNumber would say so by printing the largest
// double in full (309 digits); this says it in a few words.
const CLI::Validator kNonNegative(
    [](std::string& v) -> std::string {
      size_t used = 0;
      double d = 0;
      try {
        d = std::stod(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v.size()) return "'" + v + "' is not a number";
      if (!(d >= 0)) return "'" + v + "' is negative (it must be 0 or more)";
      return "";
    },
    "NUMBER>=0");

int Main(int argc, char** argv) {
  CLI::App app{"faultline: Jepsen-style safety testing for replicated stores"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");

  CheckCommandOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Check histories for linearizability (exit 0 valid, 1 invalid, 2 unknown)");
  check_cmd->add_option("files", check.files, "History files (JSON Lines, EDN or Jepsen log)")
      ->required();
  check_cmd->add_option("--model", check.model, "Model: " + ModelList())->capture_default_str();
  check_cmd->add_option("--initial", check.initial_json,
                        "Initial state as JSON (default: the model's own)");
  check_cmd->add_option("--format", check.format, "auto, jsonl, edn or jepsen-log")
      ->capture_default_str();
  check_cmd->add_flag("--independent", check.independent,
                      "EDN: split Jepsen independent [key value] tuples into key and value");
  check_cmd
      ->add_option("--timeout", check.timeout_s,
                   "Stop a file's check (parsing included) after SECONDS and answer unknown")
      ->check(kNonNegative);
  check_cmd
      ->add_option("--memory-limit", check.memory_limit_mb,
                   "Stop a key's search when it needs more than MB and answer unknown for it "
                   "(bounds the search's memo, states and transitions, not parsing: use ulimit "
                   "-v for that; default: half the memory available, see README; 0: no limit)")
      ->check(kNonNegative);
  check_cmd->add_option("--threads", check.threads, "Keys checked in parallel (default: cores)")
      ->check(kNonNegative);
  check_cmd->add_flag("--json", check.json, "Print one JSON object per file");
  check_cmd->add_option("--report", check.report_dir,
                        "Also write results.json and report.txt into DIR");

  SimCommandOptions sim;
  CLI::App* sim_cmd = app.add_subcommand(
      "sim", "Deterministic simulation of the bundled Raft (exit 0 pass, 1 a seed failed)");
  sim_cmd->add_option("--seed", sim.seed, "The seed (the first one with --seeds)")
      ->capture_default_str();
  sim_cmd->add_option("--seeds", sim.seeds, "How many seeds to run, from --seed on")
      ->capture_default_str();
  CLI::Option* sim_nodes =
      sim_cmd->add_option("--nodes", sim.nodes, "Raft nodes (1..9; 5 with --scenario figure8)")
          ->capture_default_str();
  sim_cmd->add_option("--ops", sim.ops, "Client operations per run")->capture_default_str();
  sim_cmd->add_option("--clients", sim.clients, "Concurrent clients")->capture_default_str();
  sim_cmd->add_option("--keys", sim.keys, "Independent registers")->capture_default_str();
  sim_cmd->add_option("--raft-opt", sim.raft_opts,
                      "Deliberate bug: " + faultline::raft::UnsafeSwitchNames() + " (repeatable)");
  sim_cmd->add_flag("--no-faults", sim.no_faults, "A healthy network, no nemesis (baseline)");
  sim_cmd->add_flag("--no-invariants", sim.no_invariants,
                    "Do not assert Raft's safety properties; only the history can fail");
  sim_cmd->add_option("--scenario", sim.scenario,
                      "A scripted run instead of random faults: figure8 (5 nodes)");
  sim_cmd->add_option("--history", sim.history_path, "Write the run's history (JSON Lines)");
  sim_cmd->add_option("--trace", sim.trace, "Print the last N simulation steps");
  sim_cmd->add_option("--check-timeout", sim.check_timeout_s, "Checker time limit per run")
      ->capture_default_str();
  sim_cmd->add_option("--jobs", sim.jobs, "Seeds run in parallel (default: cores)");

  CLI::App* test_cmd = app.add_subcommand(
      "test", "Run a fault-injection test against a cluster (exit 0 valid, 1 invalid, 2 unknown)");
  TestCli test(test_cmd);  // the options come from one table (harness/cli.h)

  ProbeCommandOptions probe;
  CLI::App* probe_cmd = app.add_subcommand(
      "probe",
      "Check that a store speaks the KV protocol of docs/PROTOCOL.md (exit 0 every required item "
      "passed, 1 one failed, 2 could not start)");
  probe_cmd->add_option("--node-cmd", probe.node_cmd,
                        "Start the nodes as test --target process would: the node command, with "
                        "{id} {host} {client_port} {peer_port} {peers} {data_dir}");
  probe_cmd->add_option("--nodes", probe.nodes, "With --node-cmd: cluster size")
      ->capture_default_str();
  probe_cmd->add_option("--address", probe.address,
                        "Probe running nodes instead: HOST:PORT[,HOST:PORT...] (ids n1, n2, ...)");
  probe_cmd->add_option("--net", probe.net, "With --node-cmd: auto, netns or proxy")
      ->capture_default_str();
  probe_cmd->add_option("--results", probe.results_dir, "With --node-cmd: results/probe/<time>/")
      ->capture_default_str();
  probe_cmd
      ->add_option("--request-timeout", probe.request_timeout_s,
                   "Seconds per request (as test's; a slower answer: \"no answer in time\")")
      ->capture_default_str();
  probe_cmd
      ->add_option("--start-timeout", probe.start_timeout_s,
                   "With --node-cmd: seconds for the nodes to answer and take a write")
      ->capture_default_str();

  std::string report_dir;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Write RUN_DIR/report.html, the run's HTML report (exit: the run's verdict)");
  report_cmd->add_option("run_dir", report_dir, "A run folder, e.g. results/latest")->required();
  AnalyzeCommandOptions analyze;
  CLI::App* analyze_cmd = app.add_subcommand(
      "analyze",
      "Run a stored run's checkers again and rewrite its results.json, report.txt and junit.xml "
      "(exit 0 valid, 1 invalid, 2 unknown)");
  analyze_cmd->add_option("run_dir", analyze.run_dir, "The run folder (results/<name>/<time>)")
      ->required();
  analyze_cmd
      ->add_option("--check-timeout", analyze.check_timeout_s,
                   "Checker time limit in seconds (default: the run's own)")
      ->check(kNonNegative);

  SuiteCommandOptions suite;
  CLI::App* suite_cmd = app.add_subcommand(
      "suite", "Run a suite file's matrix of tests one after another (exit: the worst run's code)");
  suite_cmd->add_option("file", suite.file, "The suite file (JSON, see README)")->required();
  suite_cmd->add_option("--results", suite.results_dir, "The suite's folder goes in DIR/suites/")
      ->capture_default_str();
  suite_cmd->add_flag("--dry-run", suite.dry_run, "Check the file and list the runs; run nothing");

  faultline::results::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve",
      "Browse the results folder over HTTP: every run and suite, newest first (read-only)");
  serve_cmd->add_option("--results", serve.results_dir, "The results folder")
      ->capture_default_str();
  serve_cmd->add_option("--host", serve.host, "Address to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "Port to listen on")->capture_default_str();

  // An unknown command gets a clear line rather than CLI11's "a subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    const std::string command = argv[1];
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known |= sub->get_name() == command;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "faultline: unknown command '%s' (commands: %s)\n", command.c_str(),
                   names.c_str());
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    // A mistyped option gets the closest name the command knows.
    const CLI::App* sub = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
    std::vector<std::string> names;
    for (const CLI::Option* opt : sub->get_options()) {
      for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
    }
    for (const std::string& extra : app.remaining(true)) {
      if (extra.size() > 1 && extra.front() == '-') {
        std::fprintf(stderr, "faultline: %s (see --help)\n",
                     UnknownOptionMessage(extra, names).c_str());
        return kExitBadInput;
      }
    }
    std::fprintf(stderr, "faultline: %s (see --help)\n", e.what());
    return kExitBadInput;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "faultline: %s (see --help)\n", e.what());
    return kExitBadInput;
  }
  if (check_cmd->parsed()) return RunCheckCommand(check);
  if (sim_cmd->parsed()) {
    // The Figure 8 script needs the paper's five servers: the default follows the scenario.
    if (sim.scenario == "figure8" && sim_nodes->count() == 0) sim.nodes = 5;
    return RunSimCommand(sim);
  }
  if (probe_cmd->parsed()) return RunProbeCommand(probe);
  if (report_cmd->parsed()) return RunReportCommand(report_dir);
  if (analyze_cmd->parsed()) return RunAnalyzeCommand(analyze);
  if (suite_cmd->parsed()) return RunSuiteCommand(suite);
  if (serve_cmd->parsed()) return faultline::results::RunServe(serve);
  if (test_cmd->parsed()) {
    faultline::base::Result<TestCommandOptions> options = test.Options();
    if (!options.ok()) {
      std::fprintf(stderr, "faultline: %s\n", options.status().message().c_str());
      return kExitBadInput;
    }
    return RunTestCommand(*options);
  }
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
