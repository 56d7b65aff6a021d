// Histories and run folders for the report tests (report_html_test, report_browser_test).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/rand.h"
#include "checker/check.h"
#include "checker/history.h"
#include "checker/io/jsonl_writer.h"
#include "checker/io/load.h"
#include "checker/io/render.h"
#include "results/report_html.h"
#include "results/run_files.h"

namespace faultline::results::testing {

namespace fs = std::filesystem;
using checker::Value;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string Knossos(const std::string& rel) {
  return std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/knossos/" + rel;
}

inline checker::History Load(const std::string& path) {
  base::Result<checker::History> h = checker::io::LoadHistoryFile(path, {});
  if (!h.ok()) throw std::runtime_error(h.status().message());
  return *h;
}

// The report `faultline check FILE --report DIR` writes, built the same way.
inline ReportSource CheckSource(const std::string& file, const checker::History& history,
                                const std::string& model, std::optional<Value> initial) {
  checker::CheckOptions options;
  options.model = model;
  options.initial = initial;
  base::Result<checker::CheckResult> r = checker::CheckHistory(history, options);
  if (!r.ok()) throw std::runtime_error(r.status().message());
  ReportSource s;
  s.title = file;
  s.verdict = r->verdict;
  s.cause = r->cause;
  s.facts = {{"history", file}, {"model", model}};
  s.initial = initial;
  s.checkers.push_back(
      {"linearizable", r->verdict, r->cause, checker::io::ResultToValue(file, *r)});
  return s;
}

// A register history of `ops` operations by `concurrency` workers over 60 s, on keys of 100
// operations each, with a nemesis period every 5 s; about 3 % of the operations time out (info,
// the worker goes on as a new process) and 10 % of the cas fail. Events are in time order.
inline checker::History GeneratedHistory(int ops, int concurrency, uint64_t seed) {
  base::Rng rng(seed);
  checker::History h;
  struct Pending {
    int64_t process;
    int64_t end_ns;
    checker::Event invoke;
    checker::EventType outcome;
  };
  const int64_t span_ns = 60'000'000'000;
  const int64_t per_worker = ops / concurrency;
  std::vector<checker::Event> events;
  for (int w = 0; w < concurrency; ++w) {
    int64_t process = w, t = 0;
    for (int64_t k = 0; k < per_worker; ++k) {
      const int64_t gap = span_ns / per_worker;
      const int64_t start = t + static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(gap / 4)));
      const uint64_t roll = rng.Uniform(100);
      const int64_t latency =
          200'000 + static_cast<int64_t>(rng.Uniform(4'000'000)) + (roll < 3 ? 100'000'000 : 0);
      checker::Event inv;
      inv.time = start;
      inv.process = process;
      inv.type = checker::EventType::kInvoke;
      const uint64_t which = rng.Uniform(3);
      inv.f = which == 0 ? "read" : which == 1 ? "write" : "cas";
      inv.has_key = true;
      inv.key = Value::String("k" + std::to_string((w / 5) * 1000 + k / 100));
      inv.value = which == 1   ? Value::Int(static_cast<int64_t>(rng.Uniform(5)))
                  : which == 2 ? Value::MakeArray({Value::Int(1), Value::Int(2)})
                               : Value();
      checker::Event done = inv;
      done.time = start + latency;
      done.node = "n" + std::to_string(1 + w % 5);
      if (roll < 3) {
        done.type = checker::EventType::kInfo;
        done.error = "timeout";
      } else if (which == 2 && roll < 13) {
        done.type = checker::EventType::kFail;
        done.error = "mismatch";
      } else {
        done.type = checker::EventType::kOk;
        if (which == 0) done.value = Value::Int(static_cast<int64_t>(rng.Uniform(5)));
      }
      events.push_back(inv);
      events.push_back(done);
      if (roll < 3) process += concurrency;  // retired after info (Jepsen convention)
      t = start + latency;
    }
  }
  for (int64_t s = 5; s < 60; s += 10) {
    checker::Event start, stop;
    start.nemesis = stop.nemesis = true;
    start.type = stop.type = checker::EventType::kInfo;
    start.time = s * 1'000'000'000;
    stop.time = (s + 5) * 1'000'000'000;
    if (s % 20 == 5) {
      start.f = "start-partition";
      stop.f = "stop-partition";
      start.value =
          Value::MakeObject({{"n1", Value::MakeArray({Value::String("n3"), Value::String("n4")})},
                             {"n2", Value::MakeArray({Value::String("n3"), Value::String("n4")})},
                             {"n3", Value::MakeArray({Value::String("n1"), Value::String("n2")})},
                             {"n4", Value::MakeArray({Value::String("n1"), Value::String("n2")})}});
    } else {
      start.f = "start-pause";
      stop.f = "stop-pause";
      start.value = stop.value = Value::MakeArray({Value::String("n2")});
    }
    events.push_back(start);
    events.push_back(stop);
  }
  std::stable_sort(
      events.begin(), events.end(),
      [](const checker::Event& a, const checker::Event& b) { return a.time < b.time; });
  for (size_t i = 0; i < events.size(); ++i) events[i].index = static_cast<int64_t>(i);
  h.events = std::move(events);
  h.source = "generated";
  return h;
}

// A temporary folder removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("fl-report-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A run folder as `faultline test` leaves it: test.json, history.jsonl (with nemesis events),
// results.json with the linearizability checker's result and a counter checker's violation.
inline void WriteRunFolder(const fs::path& dir, const checker::History& history,
                           bool add_counter_violation) {
  fs::create_directories(dir);
  TestRecord test;
  test.config = Value::MakeObject({{"name", Value::String("raft-register")},
                                   {"target", Value::String("raft")},
                                   {"nodes", Value::Int(5)},
                                   {"workload", Value::String("register")},
                                   {"nemesis", Value::String("partition,pause")},
                                   {"seed", Value::Int(42)},
                                   {"concurrency", Value::Int(10)},
                                   {"time_limit_s", Value::Double(60)}});
  test.rerun = "faultline test --seed 42 --name raft-register";
  test.faultline_version = "0.1.0";
  test.started_at = "20261207T234500.000";
  if (!WriteTestJson(dir.string(), test).ok()) throw std::runtime_error("test.json");
  {
    std::ofstream out(dir / "history.jsonl", std::ios::binary);
    out << checker::io::HistoryToJsonl(history);
  }
  checker::CheckOptions options;
  options.model = "cas-register";
  base::Result<checker::CheckResult> check = checker::CheckHistory(history, options);
  if (!check.ok()) throw std::runtime_error(check.status().message());
  RunResults r;
  r.file = (dir / "history.jsonl").string();
  r.verdict = check->verdict;
  r.cause = check->cause;
  r.checkers.push_back(
      {"linearizable", check->verdict, "cas-register", checker::io::ResultToValue(r.file, *check)});
  if (add_counter_violation) {
    r.verdict = checker::Verdict::kInvalid;
    r.checkers.push_back(
        {"counter", checker::Verdict::kInvalid, "1 read out of bounds",
         Value::MakeObject(
             {{"violations", Value::MakeArray({Value::MakeObject({{"key", Value::String("k0")},
                                                                  {"process", Value::Int(0)},
                                                                  {"invoke_index", Value::Int(0)},
                                                                  {"complete_index", Value::Int(1)},
                                                                  {"value", Value::Int(99)},
                                                                  {"lower", Value::Int(0)},
                                                                  {"upper", Value::Int(3)}})})}})});
  }
  r.run.name = "raft-register";
  r.run.seed = 42;
  r.run.workload_s = 60;
  r.run.completed = true;
  r.run.faults = 6;
  if (!WriteRunResults(dir.string(), r).ok()) throw std::runtime_error("results.json");
}

}  // namespace faultline::results::testing
