#include "harness/suite.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "checker/value.h"
#include "harness/cli.h"

namespace faultline::harness {

using base::Result;
using base::Status;
using checker::Value;

namespace {

// A run is at most this many: a suite file with a matrix that explodes is a mistake.
constexpr size_t kMaxRuns = 10000;
constexpr int64_t kMaxRepeat = 1000;

// key -> the JSON value given, in the order given (later entries override earlier ones).
using Settings = std::vector<std::pair<std::string, Value>>;

void Set(Settings* s, const std::string& key, const Value& v) {
  for (auto& [k, old] : *s) {
    if (k == key) {
      old = v;
      return;
    }
  }
  s->emplace_back(key, v);
}

std::string NumberText(const Value& v) {
  if (v.is_int()) return std::to_string(v.as_int());
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_double());
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v.as_double());
}

const TestOption* FindOption(const std::string& key) {
  for (const TestOption& t : TestOptions()) {
    if (t.name == "--" + key) return &t;
  }
  return nullptr;
}

// "time_limit" -> "--time-limit"; nullptr and a one-line error for a key no flag has.
Status CheckKey(const std::string& where, const std::string& key, const TestOption** out) {
  std::string dashed = key;
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  if (key == "results") {
    return Status::InvalidArgument(where +
                                   ": 'results' is not a key: `faultline suite --results "
                                   "DIR` puts every run in the suite's folder");
  }
  if (key.find('-') != std::string::npos) {
    std::string underscored = key;
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    return Status::InvalidArgument(where + ": unknown key '" + key +
                                   "' (keys use underscores: " + underscored + ")");
  }
  *out = FindOption(dashed);
  if (*out != nullptr) return Status::Ok();
  std::vector<std::string> keys;
  for (const TestOption& t : TestOptions()) {
    std::string k = t.name.substr(2);
    std::replace(k.begin(), k.end(), '-', '_');
    keys.push_back(k);
  }
  const std::string guess = ClosestMatch(key, keys);
  return Status::InvalidArgument(where + ": unknown key '" + key + "'" +
                                 (guess.empty() ? "" : " (did you mean " + guess + "?)"));
}

// The words of one setting: {"--nodes", "3"}, {"--no-redirect"}, {} for a flag set to false.
Result<std::vector<std::string>> Words(const std::string& where, const std::string& key,
                                       const Value& v) {
  const TestOption* opt = nullptr;
  if (Status s = CheckKey(where, key, &opt); !s.ok()) return s;
  const std::string at = where + "." + key;
  if (opt->is_flag()) {
    if (!v.is_bool()) return Status::InvalidArgument(at + ": must be true or false");
    return v.as_bool() ? std::vector<std::string>{opt->name} : std::vector<std::string>{};
  }
  auto scalar = [&](const Value& x) -> Result<std::string> {
    if (x.is_string()) return x.as_string();
    if (x.is_number()) return NumberText(x);
    return Status::InvalidArgument(at + ": must be a string or a number, not " + x.ToJson());
  };
  std::vector<std::string> words;
  if (v.is_array()) {
    if (!opt->repeatable) {
      return Status::InvalidArgument(at + ": takes one value, not a list (" + opt->name +
                                     " is not repeatable)");
    }
    for (const Value& x : v.as_array()) {
      Result<std::string> w = scalar(x);
      if (!w.ok()) return w.status();
      words.push_back(opt->name);
      words.push_back(*w);
    }
    return words;
  }
  Result<std::string> w = scalar(v);
  if (!w.ok()) return w.status();
  return std::vector<std::string>{opt->name, *w};
}

Result<Settings> ReadSettings(const std::string& where, const Value& v) {
  if (!v.is_object()) return Status::InvalidArgument(where + ": must be an object");
  Settings s;
  for (const auto& [key, value] : v.as_object()) {
    // Checked here so that the error names the place it was written.
    if (Result<std::vector<std::string>> w = Words(where, key, value); !w.ok()) return w.status();
    Set(&s, key, value);
  }
  return s;
}

std::string ValueText(const Value& v) { return v.is_string() ? v.as_string() : v.ToJson(); }

bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
         });
}

}  // namespace

Result<Suite> ParseSuite(std::string_view json_text) {
  Result<Value> doc = checker::ParseJson(json_text);
  if (!doc.ok()) return Status::InvalidArgument("not JSON: " + doc.status().message());
  if (!doc->is_object()) return Status::InvalidArgument("a suite file is one JSON object");
  Suite suite;
  Settings defaults;
  std::vector<std::pair<std::string, Settings>> runs;  // where, settings
  std::vector<std::pair<std::string, std::vector<Value>>> matrix;
  for (const auto& [key, v] : doc->as_object()) {
    if (key == "name") {
      if (!v.is_string() || !IsPlainName(v.as_string())) {
        return Status::InvalidArgument(
            "name: must be a plain name (letters, digits, '-', '_', '.'), e.g. \"nightly\"");
      }
      suite.name = v.as_string();
    } else if (key == "description") {
      if (!v.is_string()) return Status::InvalidArgument("description: must be a string");
      suite.description = v.as_string();
    } else if (key == "repeat") {
      if (!v.is_int() || v.as_int() < 1 || v.as_int() > kMaxRepeat) {
        return Status::InvalidArgument("repeat: must be an integer from 1 to " +
                                       std::to_string(kMaxRepeat));
      }
      suite.repeat = static_cast<int>(v.as_int());
    } else if (key == "defaults") {
      Result<Settings> s = ReadSettings("defaults", v);
      if (!s.ok()) return s.status();
      defaults = std::move(*s);
    } else if (key == "runs") {
      if (!v.is_array()) return Status::InvalidArgument("runs: must be a list of objects");
      for (size_t i = 0; i < v.as_array().size(); ++i) {
        const std::string where = "runs[" + std::to_string(i) + "]";
        Result<Settings> s = ReadSettings(where, v.as_array()[i]);
        if (!s.ok()) return s.status();
        runs.emplace_back(where, std::move(*s));
      }
    } else if (key == "matrix") {
      if (!v.is_object()) {
        return Status::InvalidArgument(
            "matrix: must be an object of lists, e.g. {\"workload\": "
            "[\"register\", \"set\"]}");
      }
      for (const auto& [mkey, values] : v.as_object()) {
        const std::string where = "matrix." + mkey;
        if (!values.is_array() || values.as_array().empty()) {
          return Status::InvalidArgument(where + ": must be a non-empty list of values");
        }
        for (const Value& x : values.as_array()) {
          if (Result<std::vector<std::string>> w = Words("matrix", mkey, x); !w.ok()) {
            return w.status();
          }
        }
        matrix.emplace_back(mkey, values.as_array());
      }
    } else {
      const std::string guess =
          ClosestMatch(key, {"name", "description", "defaults", "runs", "matrix", "repeat"});
      return Status::InvalidArgument(
          "unknown key '" + key + "'" + (guess.empty() ? "" : " (did you mean " + guess + "?)") +
          "; a suite has name, description, defaults, runs, matrix, repeat");
    }
  }
  if (suite.name.empty()) suite.name = "suite";

  // The runs, each over the defaults: first `runs`, then the matrix's combinations.
  std::vector<std::pair<std::string, Settings>> all;
  for (auto& [where, s] : runs) {
    Settings merged = defaults;
    for (const auto& [k, v] : s) Set(&merged, k, v);
    all.emplace_back(where, std::move(merged));
  }
  if (!matrix.empty()) {
    size_t combos = 1;
    for (const auto& [k, values] : matrix) {
      combos *= values.size();
      if (combos > kMaxRuns) return Status::InvalidArgument("matrix: more than 10000 runs");
    }
    for (size_t c = 0; c < combos; ++c) {
      Settings merged = defaults;
      std::string where = "matrix";
      size_t rest = c;
      std::vector<size_t> pick(matrix.size());
      for (size_t i = matrix.size(); i-- > 0;) {
        pick[i] = rest % matrix[i].second.size();
        rest /= matrix[i].second.size();
      }
      for (size_t i = 0; i < matrix.size(); ++i) {
        Set(&merged, matrix[i].first, matrix[i].second[pick[i]]);
        where +=
            (i == 0 ? " " : ", ") + matrix[i].first + "=" + ValueText(matrix[i].second[pick[i]]);
      }
      all.emplace_back(where, std::move(merged));
    }
  }
  if (runs.empty() && matrix.empty()) all.emplace_back("defaults", defaults);
  if (all.size() * static_cast<size_t>(suite.repeat) > kMaxRuns) {
    return Status::InvalidArgument("more than 10000 runs (runs and matrix times repeat)");
  }

  // Keys other than target, workload and nemesis whose values differ between runs (say
  // raft_opt or zk_reads) go into the labels, so that two runs never read alike.
  std::vector<std::string> varying;
  for (const auto& [where, settings] : all) {
    for (const auto& [k, v] : settings) {
      if (k == "target" || k == "workload" || k == "nemesis" || k == "name" || k == "seed")
        continue;
      if (std::find(varying.begin(), varying.end(), k) != varying.end()) continue;
      auto text_of = [&k = k](const Settings& s) {
        for (const auto& [k2, v2] : s) {
          if (k2 == k) return ValueText(v2);
        }
        return std::string();
      };
      const std::string first = text_of(all.front().second);
      for (const auto& other : all) {
        if (text_of(other.second) != first) {
          varying.push_back(k);
          break;
        }
      }
    }
  }

  for (int rep = 1; rep <= suite.repeat; ++rep) {
    for (const auto& [where, settings] : all) {
      SuiteRun run;
      run.index = static_cast<int>(suite.runs.size()) + 1;
      run.repetition = rep;
      for (const auto& [k, v] : settings) {
        Result<std::vector<std::string>> w = Words(where, k, v);
        if (!w.ok()) return w.status();
        run.args.insert(run.args.end(), w->begin(), w->end());
      }
      // The same parser and checks as `faultline test`: what passes here, the run accepts.
      Result<TestCommandOptions> o = ParseTestArgs(run.args);
      if (!o.ok()) return Status::InvalidArgument(where + ": " + o.status().message());
      if (Status s = ValidateTestOptions(*o); !s.ok()) {
        return Status::InvalidArgument(where + ": " + s.message());
      }
      run.options = std::move(*o);
      run.label = run.options.target + " " + run.options.workload + " " + run.options.nemesis;
      std::string extra;
      for (const auto& [k, v] : settings) {
        if (std::find(varying.begin(), varying.end(), k) == varying.end()) continue;
        extra += (extra.empty() ? "" : ", ") + k + "=" + ValueText(v);
      }
      if (!extra.empty()) run.label += " [" + extra + "]";
      if (!run.options.name.empty()) run.label = run.options.name + ": " + run.label;
      if (suite.repeat > 1) {
        run.label += " (" + std::to_string(rep) + "/" + std::to_string(suite.repeat) + ")";
      }
      suite.runs.push_back(std::move(run));
    }
  }
  return suite;
}

Result<Suite> LoadSuiteFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(path + ": cannot read the suite file");
  std::stringstream text;
  text << in.rdbuf();
  Result<Suite> suite = ParseSuite(text.str());
  if (!suite.ok()) return Status::InvalidArgument(path + ": " + suite.status().message());
  return suite;
}

}  // namespace faultline::harness
