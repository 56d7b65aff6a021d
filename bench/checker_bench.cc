// checker_bench: how fast is `faultline check`?
//
//   build/bin/checker_bench [--corpus DIR] [--quick] [--per-file] [--only NAME] [--search-only]
//
// --search-only turns the checker's unique-value fast path off (every key searched), to compare.
//
// 1. The Knossos corpus (tests/data/knossos): every file parsed and checked in one
//    process, wall time in all and the slowest files (every file with --per-file).
// 2. Single-core model steps per second on register histories (threads = 1).
// 3. Synthetic histories: register and cas-register; 1, 100 and 10,000 keys; concurrency 5, 10
//    and 20 per key; 10k to 1M operations; with and without indeterminate operations. Each is
//    written as JSON Lines to a temporary file and then loaded and checked exactly as
//    `faultline check` does, so parse time is included.
//
// Prints one line per run; never asserts anything (speed is measured here, not tested).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "checker/check.h"
#include "checker/io/load.h"

namespace ck = faultline::checker;
using Clock = std::chrono::steady_clock;

namespace {

bool g_search_only = false;  // --search-only

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

long MaxRssMb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// --- 1. The Knossos corpus -----------------------------------------------------------------

void RunCorpus(const std::string& dir, bool per_file) {
  std::ifstream tsv(dir + "/expected.tsv");
  if (!tsv) {
    std::printf("corpus: %s/expected.tsv not found, skipped\n", dir.c_str());
    return;
  }
  struct Row {
    std::string file, model, initial, expected;
  };
  std::vector<Row> rows;
  std::string line;
  std::getline(tsv, line);
  while (std::getline(tsv, line)) {
    std::stringstream ss(line);
    Row r;
    std::getline(ss, r.file, '\t');
    std::getline(ss, r.model, '\t');
    std::getline(ss, r.initial, '\t');
    std::getline(ss, r.expected, '\t');
    if (!r.file.empty()) rows.push_back(r);
  }
  struct Timing {
    double s;
    std::string file;
    uint64_t ops;
  };
  std::vector<Timing> timings;
  uint64_t ops = 0, steps = 0;
  int agree = 0;
  const auto t0 = Clock::now();
  for (const Row& r : rows) {
    const auto t1 = Clock::now();
    faultline::base::Result<ck::History> h = ck::io::LoadHistoryFile(dir + "/" + r.file, {});
    if (!h.ok()) {
      std::printf("corpus: %s\n", h.status().message().c_str());
      continue;
    }
    ck::CheckOptions o;
    o.model = r.model;
    o.initial = *ck::ParseJson(r.initial);
    o.threads = 1;
    o.unique_fast_path = !g_search_only;
    faultline::base::Result<ck::CheckResult> res = ck::CheckHistory(*h, o);
    if (!res.ok()) {
      std::printf("corpus: %s\n", res.status().message().c_str());
      continue;
    }
    ops += res->ops;
    steps += res->steps;
    agree += (res->verdict == ck::Verdict::kValid) == (r.expected == "true");
    timings.push_back({Seconds(t1), r.file, res->ops});
  }
  const double total = Seconds(t0);
  std::sort(timings.begin(), timings.end(), [](auto& a, auto& b) { return a.s > b.s; });
  std::printf(
      "corpus: %zu files, %d verdicts as Knossos, %llu ops, %llu steps, wall %.3f s "
      "(parse + check, one process, one thread)\n",
      rows.size(), agree, static_cast<unsigned long long>(ops),
      static_cast<unsigned long long>(steps), total);
  for (size_t i = 0; i < timings.size() && (per_file || i < 3); ++i) {
    std::printf("corpus:   %3zu. %-50s %6llu ops %8.2f ms\n", i + 1, timings[i].file.c_str(),
                static_cast<unsigned long long>(timings[i].ops), timings[i].s * 1000);
  }
}

// --- synthetic histories -------------------------------------------------------------------

struct Spec {
  std::string model;  // register or cas-register
  int keys;
  int concurrency;  // processes per key
  int ops;          // total
  double info;      // fraction of indeterminate operations
};

// Runs a real register per key; each operation takes effect at one instant between its invoke
// and completion, so the history is linearizable. Keys interleave in one event stream.
std::string Generate(const Spec& spec, uint64_t seed) {
  std::mt19937_64 rng(seed);
  struct Slot {
    bool active = false, applied = false, info = false;
    int64_t process;
    int f;  // 0 read, 1 write, 2 cas
    int64_t a = 0, b = 0, out = 0;
    bool mismatch = false;
  };
  const int procs = spec.keys * spec.concurrency;
  std::vector<Slot> slots(procs);
  for (int p = 0; p < procs; ++p) slots[p].process = p;
  std::vector<int64_t> reg(spec.keys, 0);
  std::string out;
  out.reserve(static_cast<size_t>(spec.ops) * 2 * 90);
  int64_t index = 0;
  int started = 0, active = 0;
  const bool cas = spec.model == "cas-register";
  std::uniform_int_distribution<int> pick(0, procs - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  char buf[256];
  auto emit = [&](const Slot& s, int key, const char* type, bool with_value) {
    static const char* kF[] = {"read", "write", "cas"};
    int n = std::snprintf(buf, sizeof buf,
                          "{\"index\":%lld,\"time\":%lld,\"process\":%lld,\"type\":\"%s\","
                          "\"f\":\"%s\",\"key\":\"k%d\"",
                          static_cast<long long>(index), static_cast<long long>(index * 1000),
                          static_cast<long long>(s.process), type, kF[s.f], key);
    out.append(buf, n);
    if (s.f == 2) {
      n = std::snprintf(buf, sizeof buf, ",\"value\":[%lld,%lld]", static_cast<long long>(s.a),
                        static_cast<long long>(s.b));
    } else if (s.f == 1) {
      n = std::snprintf(buf, sizeof buf, ",\"value\":%lld", static_cast<long long>(s.a));
    } else if (with_value) {
      n = std::snprintf(buf, sizeof buf, ",\"value\":%lld", static_cast<long long>(s.out));
    } else {
      n = std::snprintf(buf, sizeof buf, ",\"value\":null");
    }
    out.append(buf, n);
    if (s.mismatch && std::strcmp(type, "fail") == 0) out += ",\"error\":\"mismatch\"";
    out += "}\n";
    ++index;
  };
  while (started < spec.ops || active > 0) {
    const int p = pick(rng);
    Slot& s = slots[p];
    const int key = p / spec.concurrency;
    if (!s.active) {
      if (started >= spec.ops) continue;
      ++started;
      ++active;
      s.active = true;
      s.applied = false;
      s.mismatch = false;
      s.info = coin(rng) < spec.info;
      const double r = coin(rng);
      s.f = r < 0.5 ? 0 : (cas && r < 0.75 ? 2 : 1);
      s.a = static_cast<int64_t>(rng() % 5);
      s.b = static_cast<int64_t>(rng() % 5);
      emit(s, key, "invoke", false);
    } else if (!s.applied) {
      s.applied = true;
      if (s.info && coin(rng) < 0.5) continue;  // never took effect
      if (s.f == 0) s.out = reg[key];
      if (s.f == 1) reg[key] = s.a;
      if (s.f == 2) {
        if (reg[key] == s.a) {
          reg[key] = s.b;
        } else {
          s.mismatch = true;
        }
      }
    } else {
      s.active = false;
      --active;
      if (s.info) {
        emit(s, key, "info", false);
        s.process += procs;  // retired
      } else {
        emit(s, key, s.mismatch ? "fail" : "ok", true);
      }
    }
  }
  return out;
}

void RunSynthetic(const Spec& spec, int threads) {
  const std::string text = Generate(spec, 42);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("faultline-bench-" + std::to_string(getpid()) + ".jsonl"))
                               .string();
  {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }
  const auto t0 = Clock::now();
  faultline::base::Result<ck::History> h = ck::io::LoadHistoryFile(path, {});
  const double parse_s = Seconds(t0);
  std::filesystem::remove(path);
  if (!h.ok()) {
    std::printf("synthetic: %s\n", h.status().message().c_str());
    return;
  }
  ck::CheckOptions o;
  o.model = spec.model;
  o.initial = ck::Value::Int(0);
  o.threads = threads;
  o.unique_fast_path = !g_search_only;
  const auto t1 = Clock::now();
  faultline::base::Result<ck::CheckResult> r = ck::CheckHistory(*h, o);
  const double check_s = Seconds(t1);
  if (!r.ok()) {
    std::printf("synthetic: %s\n", r.status().message().c_str());
    return;
  }
  const double total = parse_s + check_s;
  // The search alone: the keys' own times, summed (per core when threads > 1).
  double search_s = 0;
  uint64_t configs = 0;
  for (const ck::KeyResult& k : r->keys) {
    search_s += k.ms / 1000;
    configs += k.cache_entries;
  }
  std::printf(
      "synthetic %-12s keys=%-5d conc=%-2d ops=%-7d info=%2.0f%% threads=%d: %s; "
      "parse %.2f s + check %.2f s = %.2f s; %.0fk ops/s; %.1fM steps/s per core in the "
      "search; %.1f configs/op; search peak %.0f MB; rss %ld MB\n",
      spec.model.c_str(), spec.keys, spec.concurrency, spec.ops, spec.info * 100, threads,
      ck::VerdictName(r->verdict), parse_s, check_s, total, spec.ops / total / 1000,
      r->steps / search_s / 1e6, static_cast<double>(configs) / spec.ops,
      r->peak_memory_bytes / 1048576.0, MaxRssMb());
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus = std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/knossos";
  bool quick = false;
  bool per_file = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--per-file") {
      per_file = true;
    } else if (a == "--corpus" && i + 1 < argc) {
      corpus = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--search-only") {
      g_search_only = true;
    } else {
      std::fprintf(stderr,
                   "usage: checker_bench [--corpus DIR] [--quick] [--per-file] [--only "
                   "corpus|steps|synthetic|big] [--search-only]\n");
      return 254;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (only.empty() || only == "corpus") RunCorpus(corpus, per_file);
  if (only.empty() || only == "steps") {
    // Single-core model steps per second on register models.
    for (const char* model : {"register", "cas-register"}) {
      RunSynthetic({model, 100, 10, quick ? 20000 : 200000, 0}, 1);
    }
  }
  if (only.empty() || only == "synthetic") {
    const int max_ops = quick ? 20000 : 1000000;
    for (const char* model : {"register", "cas-register"}) {
      for (int keys : {1, 100, 10000}) {
        for (int conc : {5, 10, 20}) {
          for (int ops : {10000, 100000, 1000000}) {
            if (ops > max_ops || ops < keys) continue;
            // Keep the grid affordable: the largest size only at concurrency 10.
            if (ops == 1000000 && conc != 10) continue;
            for (double info : {0.0, 0.02}) RunSynthetic({model, keys, conc, ops, info}, 2);
          }
        }
      }
    }
  }
  if (only.empty() || only == "big") {
    // The headline goal: 1,000,000 operations over 1,000 keys, concurrency 10, both cores.
    RunSynthetic({"cas-register", 1000, 10, quick ? 20000 : 1000000, 0}, 2);
    RunSynthetic({"cas-register", 1000, 10, quick ? 20000 : 1000000, 0.02}, 2);
  }
  return 0;
}
