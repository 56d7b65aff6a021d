#include "harness/suite_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "harness/cli.h"
#include "harness/suite.h"
#include "harness/test_command.h"
#include "harness/test_run.h"
#include "results/exit_codes.h"
#include "results/run_files.h"
#include "results/store.h"
#include "results/suite_files.h"

namespace faultline::harness {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using results::SuiteRecord;
using results::SuiteRunRecord;

namespace {

std::atomic<int> g_signals{0};
std::atomic<pid_t> g_child{0};

// Signals are taken by one thread (as in harness/run_signals.cc): each is passed on to the
// running test; the first also stops the suite after that run.
void InstallSuiteSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      const int n = g_signals.fetch_add(1);
      const pid_t child = g_child.load();
      if (child > 0) ::kill(child, sig);
      if (n == 0) {
        std::fprintf(stderr,
                     "\nfaultline suite: stopping after the current run (again to stop it at "
                     "once)\n");
      }
    }
  }).detach();
}

std::string SelfExe() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "faultline";
  std::string path = exe.string();
  const std::string deleted = " (deleted)";  // the file was replaced while running
  if (path.size() > deleted.size() && path.ends_with(deleted)) {
    path.resize(path.size() - deleted.size());
  }
  return path;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// An upper bound on a run's whole life: start, workload, recovery, final reads, check, and a
// margin. A child past it is stopped (SIGINT, then SIGKILL) and counted as crashed.
double RunBoundSeconds(const TestCommandOptions& o) {
  return o.start_timeout_s + o.time_limit_s + o.recovery_s + 60 + o.check_timeout_s + 120;
}

struct ChildEnd {
  int exit_code = -1;  // -1: killed by a signal or never ended
  std::string crash;   // why it counts as crashed; "" for an exit code of 0, 1 or 2
};

// Runs `faultline test ARGS` in its own process group (a terminal's Ctrl-C reaches the suite
// alone, which passes it on once), with stdout and stderr shared, until it ends or `bound_s`.
ChildEnd RunChild(const std::vector<std::string>& args, double bound_s) {
  std::vector<std::string> words = {SelfExe(), "test"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return {-1, "cannot start the run (fork failed)"};
  if (pid == 0) {
    ::setpgid(0, 0);
    // The suite gone (killed), the test wraps up on its own.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    // This very binary even when the file was replaced since (a rebuild during a long suite).
    ::execv("/proc/self/exe", argv.data());
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  g_child.store(pid);
  const auto start = Clock::now();
  const auto bound =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(bound_s));
  int stage = 0;  // 1: SIGINT sent, 2: second SIGINT, 3: SIGKILL
  auto next_stage = bound;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (Clock::now() >= next_stage && stage < 3) {
      ++stage;
      ::kill(pid, stage == 3 ? SIGKILL : SIGINT);
      next_stage = Clock::now() + std::chrono::seconds(stage == 1 ? 60 : 10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  g_child.store(0);
  ChildEnd end;
  if (WIFEXITED(status)) end.exit_code = WEXITSTATUS(status);
  if (stage > 0) {
    end.crash = "no end within " + Fixed(bound_s, 0) + " s (stopped by the suite)";
  } else if (WIFSIGNALED(status)) {
    end.crash = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                ::strsignal(WTERMSIG(status)) + ")";
  } else if (end.exit_code == 127) {
    end.crash = "exit code 127 (could not start " + words[0] + ")";
  } else if (end.exit_code == results::kExitBadInput) {
    end.crash = "exit code 254 (the test refused its options or could not make its folder)";
  } else if (end.exit_code != 0 && end.exit_code != 1 && end.exit_code != 2) {
    end.crash = "exit code " + std::to_string(end.exit_code) + " (internal error)";
  }
  return end;
}

// <base>/suites/<name>/<timestamp>/, the next free millisecond when taken.
base::Result<std::string> CreateSuiteDir(const std::string& base, const std::string& name) {
  auto t = std::chrono::system_clock::now();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const fs::path dir = fs::path(base) / "suites" / name / results::RunTimestamp(t);
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (ec) {
      return base::Status::InvalidArgument("cannot create " + dir.parent_path().string() + ": " +
                                           ec.message());
    }
    if (fs::create_directory(dir, ec)) return dir.string();
    if (ec)
      return base::Status::InvalidArgument("cannot create " + dir.string() + ": " + ec.message());
    t += std::chrono::milliseconds(1);
  }
  return base::Status::InvalidArgument("cannot create a suite folder under " + base);
}

// "03" for run 3 of 12: the runs' folders sort in run order.
std::string RunNumber(int index, size_t total) {
  std::string n = std::to_string(index);
  const size_t width = std::to_string(total).size();
  return std::string(width > n.size() ? width - n.size() : 0, '0') + n;
}

// The run folder a child made under its --results folder (its `latest` link), relative to the
// suite folder; "" when it made none.
std::string FindRunDir(const std::string& suite_dir, const std::string& runs_dir) {
  std::error_code ec;
  const fs::path latest = fs::path(runs_dir) / "latest";
  if (!fs::is_symlink(latest, ec)) return "";
  const fs::path target = fs::canonical(latest, ec);
  if (ec) return "";
  const fs::path rel = target.lexically_relative(fs::canonical(suite_dir, ec));
  return rel.empty() ? "" : rel.string();
}

void PrintTable(const SuiteRecord& suite, const std::string& suite_dir) {
  std::printf("\nsuite %s: %zu runs\n", suite.name.c_str(), suite.runs.size());
  std::printf("  %-4s %-8s %-40s %7s  %s\n", "#", "status", "run", "time", "folder / cause");
  for (const SuiteRunRecord& r : suite.runs) {
    std::printf("  %-4d %-8s %-40s %6.0fs  %s\n", r.index, r.status.c_str(), r.label.c_str(),
                r.seconds, r.run_dir.empty() ? "-" : (suite_dir + "/" + r.run_dir).c_str());
    if (r.status != "valid" && !r.cause.empty()) std::printf("         %s\n", r.cause.c_str());
    if (r.status != "valid" && r.status != "skipped" && r.status != "not-run" && !r.rerun.empty()) {
      std::printf("         rerun: %s\n", r.rerun.c_str());
    }
  }
  int counts[6] = {0, 0, 0, 0, 0, 0};
  const char* names[6] = {"valid", "invalid", "unknown", "crashed", "skipped", "not-run"};
  for (const SuiteRunRecord& r : suite.runs) {
    for (int i = 0; i < 6; ++i) counts[i] += r.status == names[i];
  }
  std::string line;
  for (int i = 0; i < 6; ++i) {
    if (counts[i] > 0 || i < 4) {
      line += (line.empty() ? "" : ", ") + std::to_string(counts[i]) + " " + names[i];
    }
  }
  std::printf("%s\n", line.c_str());
}

}  // namespace

int RunSuiteCommand(const SuiteCommandOptions& options) {
  base::Result<Suite> suite = LoadSuiteFile(options.file);
  if (!suite.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", suite.status().message().c_str());
    return results::kExitBadInput;
  }
  const size_t n = suite->runs.size();
  // Every run checked as `faultline test` will check it, before the first starts.
  std::vector<std::string> skip(n);
  for (size_t i = 0; i < n; ++i) {
    const SuiteRun& run = suite->runs[i];
    bool unavailable = false;
    if (base::Status s = TestRun::Preflight(run.options, &unavailable); !s.ok()) {
      if (!unavailable) {
        std::fprintf(stderr, "faultline suite: %s: run %d (%s): %s\n", options.file.c_str(),
                     run.index, run.label.c_str(), s.message().c_str());
        return results::kExitBadInput;
      }
      skip[i] = "not available here: " + s.message();
    }
  }
  if (options.dry_run) {
    std::printf("suite %s: %zu runs\n", suite->name.c_str(), n);
    for (size_t i = 0; i < n; ++i) {
      const SuiteRun& run = suite->runs[i];
      std::printf("  %d. %s%s\n     %s\n", run.index, run.label.c_str(),
                  skip[i].empty() ? "" : (" [skipped: " + skip[i] + "]").c_str(),
                  TestRerunLine(run.options).c_str());
    }
    return results::kExitValid;
  }

  base::Result<std::string> dir = CreateSuiteDir(options.results_dir, suite->name);
  if (!dir.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", dir.status().message().c_str());
    return results::kExitBadInput;
  }
  const std::string suite_dir = *dir;
  InstallSuiteSignals();

  SuiteRecord record;
  record.name = suite->name;
  record.description = suite->description;
  record.file = options.file;
  record.started_at = results::RunTimestamp(std::chrono::system_clock::now());
  for (const SuiteRun& run : suite->runs) {
    SuiteRunRecord r;
    r.index = run.index;
    r.label = run.label;
    r.args = run.args;
    r.target = run.options.target;
    r.workload = run.options.workload;
    r.nemesis = run.options.nemesis;
    record.runs.push_back(std::move(r));
  }
  auto save = [&] {
    if (base::Status s = results::WriteSuiteFiles(suite_dir, record); !s.ok()) {
      std::fprintf(stderr, "faultline suite: %s\n", s.message().c_str());
    }
  };
  std::printf("suite %s: %zu runs, folder %s\n", suite->name.c_str(), n, suite_dir.c_str());
  save();

  int code = results::kExitValid;
  bool ran_any = false;
  for (size_t i = 0; i < n; ++i) {
    const SuiteRun& run = suite->runs[i];
    SuiteRunRecord& r = record.runs[i];
    if (g_signals.load() > 0) {
      r.status = "not-run";
      r.cause = "the suite was stopped";
      continue;
    }
    if (!skip[i].empty()) {
      r.status = "skipped";
      r.cause = skip[i];
      std::printf("\n[suite] run %d of %zu: %s: skipped (%s)\n", run.index, n, run.label.c_str(),
                  skip[i].c_str());
      save();
      continue;
    }
    std::printf("\n[suite] run %d of %zu: %s\n", run.index, n, run.label.c_str());
    r.status = "running";
    save();
    const std::string runs_dir = suite_dir + "/runs/" + RunNumber(run.index, n);
    std::vector<std::string> args = run.args;
    args.push_back("--results");
    args.push_back(runs_dir);
    const auto start = Clock::now();
    const ChildEnd end = RunChild(args, RunBoundSeconds(run.options));
    ran_any = true;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.exit_code = end.exit_code;
    r.run_dir = FindRunDir(suite_dir, runs_dir);
    // The rerun line with the seed the run used, and without the suite's --results.
    TestCommandOptions rerun = run.options;
    if (!r.run_dir.empty()) {
      if (base::Result<results::TestRecord> t = results::ReadTestJson(suite_dir + "/" + r.run_dir);
          t.ok()) {
        if (const checker::Value* seed = t->config.find("seed"); seed && seed->is_int()) {
          rerun.seed = static_cast<uint64_t>(seed->as_int());
        }
      }
      if (base::Result<results::RunResults> res =
              results::ReadRunResults(suite_dir + "/" + r.run_dir);
          res.ok()) {
        r.cause = res->cause;
      }
    }
    r.rerun = TestRerunLine(rerun);
    if (!end.crash.empty()) {
      r.status = "crashed";
      r.cause = end.crash + (r.cause.empty() ? "" : "; " + r.cause);
      code = results::WorstExit(code, end.exit_code >= 0 ? end.exit_code : results::kExitInternal);
    } else {
      r.status = end.exit_code == 0 ? "valid" : end.exit_code == 1 ? "invalid" : "unknown";
      code = results::WorstExit(code, end.exit_code);
    }
    std::printf("[suite] run %d of %zu: %s%s%s (%.0f s)\n", run.index, n, r.status.c_str(),
                r.cause.empty() ? "" : ": ", r.cause.c_str(), r.seconds);
    save();
  }
  record.interrupted = g_signals.load() > 0;
  // Runs that never ran leave the suite unable to vouch for them; so does a suite of skips.
  if (record.interrupted || !ran_any) code = results::WorstExit(code, results::kExitUnknown);
  record.finished = true;
  record.exit_code = code;
  record.finished_at = results::RunTimestamp(std::chrono::system_clock::now());
  save();
  PrintTable(record, suite_dir);
  std::printf("suite folder: %s (index.html, summary.json, junit.xml)\nexit code %d\n",
              suite_dir.c_str(), code);
  std::fflush(stdout);
  return code;
}

}  // namespace faultline::harness
