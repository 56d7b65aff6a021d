#include "harness/cli.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "targets/raft/core/unsafe_switches.h"

namespace faultline::harness {

using base::Status;

namespace {

const TestCommandOptions kDefaults{};

// The shortest text that reads back as the same double ("0.5", "30", "1e-05").
std::string DoubleText(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

template <typename T>
std::optional<T> ParseInteger(const std::string& s) {
  T v{};
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (!s.empty() && s.front() == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "a, b or c".
std::string JoinOr(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

// Whether `value` is one of `choices`; otherwise the line that says so, with a suggestion.
Status CheckChoice(const std::string& option, const std::string& value,
                   const std::vector<std::string>& choices, const std::string& usage) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return Status::Ok();
  const std::string guess = ClosestMatch(value, choices);
  return Status::InvalidArgument("unknown " + option + " '" + value + "'" +
                                 (guess.empty() ? "" : " (did you mean " + guess + "?)") +
                                 "; use " + usage);
}

// Table entries from a member pointer: the kind of the member decides the parsing and printing.
TestOption Text(std::string name, std::string value_name, std::string TestCommandOptions::*field,
                std::string help, std::vector<std::string> choices = {}) {
  TestOption t;
  t.name = name;
  t.value_name = std::move(value_name);
  t.help = std::move(help);
  t.default_text = kDefaults.*field;
  t.choices = choices;
  t.set = [name, field, choices](TestCommandOptions* o, const std::string& v) {
    if (!choices.empty()) {
      if (Status s = CheckChoice(name, v, choices, JoinOr(choices)); !s.ok()) return s;
    }
    o->*field = v;
    return Status::Ok();
  };
  t.values = [field](const TestCommandOptions& o) {
    return o.*field == kDefaults.*field ? std::vector<std::string>{}
                                        : std::vector<std::string>{o.*field};
  };
  return t;
}

template <typename Int>
TestOption Integer(std::string name, std::string value_name, Int TestCommandOptions::*field,
                   std::string help, std::string default_text = "") {
  TestOption t;
  t.name = name;
  t.value_name = std::move(value_name);
  t.help = std::move(help);
  t.default_text = default_text.empty() ? std::to_string(kDefaults.*field) : default_text;
  t.set = [name, field](TestCommandOptions* o, const std::string& v) {
    const std::optional<Int> n = ParseInteger<Int>(v);
    if (!n) return Status::InvalidArgument(name + ": '" + v + "' is not an integer");
    o->*field = *n;
    return Status::Ok();
  };
  t.values = [field](const TestCommandOptions& o) {
    return o.*field == kDefaults.*field ? std::vector<std::string>{}
                                        : std::vector<std::string>{std::to_string(o.*field)};
  };
  return t;
}

TestOption Real(std::string name, std::string value_name, double TestCommandOptions::*field,
                std::string help) {
  TestOption t;
  t.name = name;
  t.value_name = std::move(value_name);
  t.help = std::move(help);
  t.default_text = DoubleText(kDefaults.*field);
  t.set = [name, field](TestCommandOptions* o, const std::string& v) {
    const std::optional<double> d = ParseDouble(v);
    if (!d) return Status::InvalidArgument(name + ": '" + v + "' is not a number");
    o->*field = *d;
    return Status::Ok();
  };
  t.values = [field](const TestCommandOptions& o) {
    return o.*field == kDefaults.*field ? std::vector<std::string>{}
                                        : std::vector<std::string>{DoubleText(o.*field)};
  };
  return t;
}

std::vector<TestOption> MakeTable() {
  std::vector<TestOption> t;
  t.push_back(Text("--target", "NAME", &TestCommandOptions::target,
                   "raft (the bundled raftkv), process (--node-cmd), etcd (/usr/bin/etcd) or "
                   "zookeeper (Debian's zookeeper, with java)",
                   {"raft", "process", "etcd", "zookeeper"}));
  t.push_back(Integer("--nodes", "N", &TestCommandOptions::nodes, "Cluster size"));
  t.push_back(Text("--workload", "NAME", &TestCommandOptions::workload,
                   "register, set, counter or lock", {"register", "set", "counter", "lock"}));
  {
    TestOption n = Text("--nemesis", "FAULTS", &TestCommandOptions::nemesis,
                        "none, all, or a comma list of partition, pause, kill");
    n.choices = {"none", "all", "partition", "pause", "kill"};
    // "none" and "all" stand alone; a list names fault kinds.
    n.set = [](TestCommandOptions* o, const std::string& v) {
      const std::string usage = "none, all, or a comma list of partition, pause, kill";
      if (v.find(',') == std::string::npos) {
        if (Status s =
                CheckChoice("--nemesis", v, {"none", "all", "partition", "pause", "kill"}, usage);
            !s.ok()) {
          return s;
        }
      }
      for (size_t start = 0; v.find(',') != std::string::npos && start <= v.size();) {
        const size_t end = std::min(v.find(',', start), v.size());
        if (Status s = CheckChoice("--nemesis", v.substr(start, end - start),
                                   {"partition", "pause", "kill"}, usage);
            !s.ok()) {
          return s;
        }
        start = end + 1;
      }
      o->nemesis = v;
      return Status::Ok();
    };
    t.push_back(std::move(n));
  }
  t.push_back(Real("--nemesis-interval", "SECONDS", &TestCommandOptions::nemesis_interval_s,
                   "Seconds between starting a fault and stopping it, and between faults"));
  t.push_back(
      Real("--time-limit", "SECONDS", &TestCommandOptions::time_limit_s, "Seconds of workload"));
  t.push_back(Integer("--concurrency", "N", &TestCommandOptions::concurrency, "Client workers",
                      "2 per node"));
  t.push_back(Real("--rate", "OPS", &TestCommandOptions::rate,
                   "Total operations per second (0: unlimited)"));
  t.push_back(Integer("--ops-per-key", "N", &TestCommandOptions::ops_per_key,
                      "Operations on one key before a group of workers moves to a fresh key"));
  {
    TestOption s;
    s.name = "--seed";
    s.value_name = "N";
    s.help = "Replays the same operation and fault schedule";
    s.default_text = "random";
    s.set = [](TestCommandOptions* o, const std::string& v) {
      const std::optional<uint64_t> n = ParseInteger<uint64_t>(v);
      if (!n) return Status::InvalidArgument("--seed: '" + v + "' is not a non-negative integer");
      o->seed = *n;
      return Status::Ok();
    };
    s.values = [](const TestCommandOptions& o) {
      return o.seed ? std::vector<std::string>{std::to_string(*o.seed)}
                    : std::vector<std::string>{};
    };
    t.push_back(std::move(s));
  }
  t.push_back(Text("--results", "DIR", &TestCommandOptions::results_dir, "Where run folders go"));
  t.push_back(Text("--net", "BACKEND", &TestCommandOptions::net,
                   "Partition backend: netns (root), proxy, or auto (netns when it can)",
                   {"auto", "netns", "proxy"}));
  t.push_back(Text("--node-cmd", "TEMPLATE", &TestCommandOptions::node_cmd,
                   "--target process: the node command, with {id} {host} {client_port} "
                   "{peer_port} {peers} {data_dir}"));
  {
    TestOption r;
    r.name = "--raft-opt";
    r.value_name = "OPT";
    r.help = "raftkv option, e.g. " + raft::UnsafeSwitchNames() +
             ", election-timeout-ms=500 (repeatable)";
    r.repeatable = true;
    // raftkv's own check (targets/raft_target.cc) judges every value; a near miss of an unsafe
    // switch is caught here to suggest the switch.
    r.set = [](TestCommandOptions* o, const std::string& v) {
      std::vector<std::string> switches;
      for (const raft::UnsafeSwitchInfo& u : raft::kUnsafeSwitches) switches.emplace_back(u.name);
      if (v.find('=') == std::string::npos && !raft::FindUnsafeSwitch(v)) {
        if (const std::string guess = ClosestMatch(v, switches); !guess.empty()) {
          return Status::InvalidArgument("unknown --raft-opt '" + v + "' (did you mean " + guess +
                                         "?)");
        }
      }
      o->raft_opts.push_back(v);
      return Status::Ok();
    };
    r.values = [](const TestCommandOptions& o) { return o.raft_opts; };
    t.push_back(std::move(r));
  }
  t.push_back(Text("--etcd-reads", "MODE", &TestCommandOptions::etcd_reads,
                   "--target etcd: linearizable (through the leader) or serializable (local, may "
                   "be stale)",
                   {"linearizable", "serializable"}));
  t.push_back(Text("--zk-reads", "MODE", &TestCommandOptions::zk_reads,
                   "--target zookeeper: sync (sync, then read) or plain (the server's local "
                   "state, may be stale)",
                   {"sync", "plain"}));
  t.push_back(Text("--name", "NAME", &TestCommandOptions::name, "Test name: results/<name>/"));
  t.back().default_text = "target-workload";
  t.push_back(Real("--request-timeout", "SECONDS", &TestCommandOptions::request_timeout_s,
                   "Seconds before a request's outcome counts as unknown (info)"));
  t.push_back(Real("--check-timeout", "SECONDS", &TestCommandOptions::check_timeout_s,
                   "Checker time limit in seconds"));
  t.push_back(Integer("--lease-ms", "MS", &TestCommandOptions::lease_ms,
                      "lock: the lease asked for with each acquire"));
  t.push_back(Real("--recovery", "SECONDS", &TestCommandOptions::recovery_s,
                   "Seconds to wait for the cluster to recover after healing"));
  t.push_back(Real("--start-timeout", "SECONDS", &TestCommandOptions::start_timeout_s,
                   "Seconds to wait for the started cluster to answer and take a write"));
  t.push_back(Text("--liveness", "MODE", &TestCommandOptions::liveness,
                   "What a liveness or node-exit finding makes the run: invalid, unknown, or "
                   "report (recorded, the verdict left to the safety checkers)",
                   {"invalid", "unknown", "report"}));
  {
    TestOption f;
    f.name = "--no-redirect";
    f.help = "Record a not-leader answer as it is instead of retrying once at the leader it names";
    f.default_text = "";
    f.set = [](TestCommandOptions* o, const std::string&) {
      o->follow_leader = false;
      return Status::Ok();
    };
    f.values = [](const TestCommandOptions& o) {
      return o.follow_leader ? std::vector<std::string>{} : std::vector<std::string>{""};
    };
    t.push_back(std::move(f));
  }
  return t;
}

bool IsShellSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_-+=:,./@%").find(c) != std::string_view::npos;
}

}  // namespace

const std::vector<TestOption>& TestOptions() {
  static const std::vector<TestOption> table = MakeTable();
  return table;
}

std::vector<std::string> TestRerunWords(const TestCommandOptions& o) {
  std::vector<std::string> words;
  for (const TestOption& opt : TestOptions()) {
    for (const std::string& v : opt.values(o)) {
      words.push_back(opt.name);
      if (!opt.is_flag()) words.push_back(v);
    }
  }
  return words;
}

std::string TestRerunLine(const TestCommandOptions& o) {
  std::string line = "faultline test";
  for (const std::string& w : TestRerunWords(o)) line += " " + ShellQuote(w);
  return line;
}

std::string ShellQuote(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), IsShellSafe)) {
    return std::string(word);
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: distance between the first i characters of a and the first j of b.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // Leading dashes are the same in every option name; they say nothing about closeness.
  std::string_view bare = word;
  while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  const size_t limit = std::clamp<size_t>(bare.size() / 3, 1, 3);
  std::string best;
  size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

std::string UnknownOptionMessage(std::string_view arg, const std::vector<std::string>& names) {
  const std::string_view name = arg.substr(0, arg.find('='));
  const std::string guess = ClosestMatch(name, names);
  return "unknown option " + std::string(name) +
         (guess.empty() ? "" : " (did you mean " + guess + "?)");
}

}  // namespace faultline::harness
