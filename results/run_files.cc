#include "results/run_files.h"

#include <fstream>
#include <sstream>

#include "results/store.h"

namespace faultline::results {
namespace {

using base::Result;
using base::Status;
using checker::Value;
using checker::Verdict;

Value StringList(const std::vector<std::string>& strings) {
  Value::Array a;
  for (const std::string& s : strings) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

Value Count(uint64_t n) { return Value::Int(static_cast<int64_t>(n)); }

Status WriteJson(const std::string& path, const Value& doc) {
  return WriteFileAtomic(path, doc.ToJson() + "\n");
}

Result<Value> ReadJsonObject(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  Result<Value> v = checker::ParseJson(text.str());
  if (!v.ok()) return Status::InvalidArgument(path + ": " + v.status().message());
  if (!v->is_object()) return Status::InvalidArgument(path + ": not a JSON object");
  return v;
}

// Readers that take a missing or mistyped field as its default: files written by older
// versions lack newer fields.
std::string GetString(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}
int64_t GetInt(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_int() ? v->as_int() : 0;
}
double GetDouble(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_number() ? v->as_double() : 0;
}
bool GetBool(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}
std::vector<std::string> GetStrings(const Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const Value& s : v->as_array()) out.push_back(s.is_string() ? s.as_string() : s.ToJson());
  return out;
}
Verdict GetVerdict(const Value& o) {
  const Value* v = o.find("valid");
  if (v == nullptr || !v->is_bool()) return Verdict::kUnknown;
  return v->as_bool() ? Verdict::kValid : Verdict::kInvalid;
}

Value RunStatsValue(const RunStats& r) {
  Value::Object o;
  o.emplace_back("name", Value::String(r.name));
  o.emplace_back("seed", Count(r.seed));
  o.emplace_back("net_backend", Value::String(r.net_backend));
  o.emplace_back("invokes", Count(r.invokes));
  o.emplace_back("ok", Count(r.ok));
  o.emplace_back("fail", Count(r.fail));
  o.emplace_back("info", Count(r.info));
  o.emplace_back("nemesis_events", Count(r.nemesis_events));
  Value::Object errors;
  for (const auto& [what, n] : r.errors) errors.emplace_back(what, Count(n));
  o.emplace_back("errors", Value::MakeObject(std::move(errors)));
  o.emplace_back("faults", Value::Int(r.faults));
  o.emplace_back("workload_s", Value::Double(r.workload_s));
  o.emplace_back("check_s", Value::Double(r.check_s));
  // [[phase, seconds], ...]: an array, because objects are written with sorted keys and the
  // phases' order is the run's.
  Value::Array phases;
  for (const auto& [phase, s] : r.phases_s) {
    phases.push_back(Value::MakeArray({Value::String(phase), Value::Double(s)}));
  }
  o.emplace_back("phases_s", Value::MakeArray(std::move(phases)));
  o.emplace_back("completed", Value::Bool(r.completed));
  o.emplace_back("nodes_exited", StringList(r.nodes_exited));
  if (!r.error.empty()) o.emplace_back("error", Value::String(r.error));
  if (!r.not_ready.empty()) o.emplace_back("not_ready", StringList(r.not_ready));
  if (!r.availability.is_null()) o.emplace_back("availability", r.availability);
  return Value::MakeObject(std::move(o));
}

RunStats RunStatsFrom(const Value& o) {
  RunStats r;
  r.name = GetString(o, "name");
  r.seed = static_cast<uint64_t>(GetInt(o, "seed"));
  r.net_backend = GetString(o, "net_backend");
  r.invokes = static_cast<uint64_t>(GetInt(o, "invokes"));
  r.ok = static_cast<uint64_t>(GetInt(o, "ok"));
  r.fail = static_cast<uint64_t>(GetInt(o, "fail"));
  r.info = static_cast<uint64_t>(GetInt(o, "info"));
  r.nemesis_events = static_cast<uint64_t>(GetInt(o, "nemesis_events"));
  if (const Value* e = o.find("errors"); e != nullptr && e->is_object()) {
    for (const auto& [what, n] : e->as_object()) {
      r.errors[what] = static_cast<uint64_t>(GetInt(*e, what));
    }
  }
  r.faults = static_cast<int>(GetInt(o, "faults"));
  r.workload_s = GetDouble(o, "workload_s");
  r.check_s = GetDouble(o, "check_s");
  if (const Value* p = o.find("phases_s"); p != nullptr && p->is_array()) {
    for (const Value& pair : p->as_array()) {
      if (!pair.is_array() || pair.as_array().size() != 2) continue;
      const Value& phase = pair.as_array()[0];
      const Value& s = pair.as_array()[1];
      r.phases_s.emplace_back(phase.is_string() ? phase.as_string() : "",
                              s.is_number() ? s.as_double() : 0);
    }
  }
  r.completed = GetBool(o, "completed");
  r.nodes_exited = GetStrings(o.find("nodes_exited"));
  r.error = GetString(o, "error");
  r.not_ready = GetStrings(o.find("not_ready"));
  if (const Value* a = o.find("availability"); a != nullptr) r.availability = *a;
  return r;
}

}  // namespace

Value TestRecordValue(const TestRecord& test) {
  Value::Object o;
  o.emplace_back("config", test.config);
  o.emplace_back("rerun", Value::String(test.rerun));
  o.emplace_back("faultline_version", Value::String(test.faultline_version));
  o.emplace_back("started_at", Value::String(test.started_at));
  o.emplace_back("run_id", Value::String(test.run_id));
  if (!test.node_commands.empty()) {
    Value::Array commands;
    for (const auto& argv : test.node_commands) commands.push_back(StringList(argv));
    o.emplace_back("node_commands", Value::MakeArray(std::move(commands)));
  }
  if (!test.net_backend.empty()) o.emplace_back("net_backend", Value::String(test.net_backend));
  return Value::MakeObject(std::move(o));
}

Value RunResultsValue(const RunResults& results) {
  Value::Object doc;
  doc.emplace_back("file", Value::String(results.file));
  doc.emplace_back("valid", VerdictValue(results.verdict));
  if (!results.cause.empty()) doc.emplace_back("cause", Value::String(results.cause));
  Value::Object checkers;
  for (const CheckerOutcome& c : results.checkers) {
    if (c.name == "linearizable" && c.detail.is_object()) {
      for (const char* field : {"keys", "failures", "stats"}) {
        if (const Value* v = c.detail.find(field)) doc.emplace_back(field, *v);
      }
    }
    checkers.emplace_back(c.name, Value::MakeObject({{"valid", VerdictValue(c.verdict)},
                                                     {"summary", Value::String(c.summary)},
                                                     {"detail", c.detail}}));
  }
  doc.emplace_back("checkers", Value::MakeObject(std::move(checkers)));
  doc.emplace_back("run", RunStatsValue(results.run));
  return Value::MakeObject(std::move(doc));
}

Status WriteTestJson(const std::string& run_dir, const TestRecord& test) {
  return WriteJson(run_dir + "/test.json", TestRecordValue(test));
}

Result<TestRecord> ReadTestJson(const std::string& run_dir) {
  Result<Value> doc = ReadJsonObject(run_dir + "/test.json");
  if (!doc.ok()) return doc.status();
  TestRecord test;
  if (const Value* c = doc->find("config")) test.config = *c;
  test.rerun = GetString(*doc, "rerun");
  test.faultline_version = GetString(*doc, "faultline_version");
  test.started_at = GetString(*doc, "started_at");
  test.run_id = GetString(*doc, "run_id");
  if (const Value* n = doc->find("node_commands"); n != nullptr && n->is_array()) {
    for (const Value& argv : n->as_array()) test.node_commands.push_back(GetStrings(&argv));
  }
  test.net_backend = GetString(*doc, "net_backend");
  return test;
}

Status WriteRunResults(const std::string& run_dir, const RunResults& results) {
  return WriteJson(run_dir + "/results.json", RunResultsValue(results));
}

Result<RunResults> ReadRunResults(const std::string& run_dir) {
  Result<Value> doc = ReadJsonObject(run_dir + "/results.json");
  if (!doc.ok()) return doc.status();
  RunResults results;
  results.file = GetString(*doc, "file");
  results.verdict = GetVerdict(*doc);
  results.cause = GetString(*doc, "cause");
  if (const Value* c = doc->find("checkers"); c != nullptr && c->is_object()) {
    for (const auto& [name, o] : c->as_object()) {
      const Value* detail = o.find("detail");
      results.checkers.push_back(
          {name, GetVerdict(o), GetString(o, "summary"), detail ? *detail : Value()});
    }
  }
  if (const Value* r = doc->find("run"); r != nullptr && r->is_object()) {
    results.run = RunStatsFrom(*r);
  }
  return results;
}

Status WriteCheckPending(const std::string& run_dir, const std::string& history_file) {
  return WriteJson(run_dir + "/results.json",
                   Value::MakeObject({{"file", Value::String(history_file)},
                                      {"valid", Value::String("unknown")},
                                      {"cause", Value::String("the check did not finish")}}));
}

Status WriteCheckReport(const std::string& dir, std::vector<Value> files, const std::string& text) {
  const Value doc = Value::MakeObject({{"files", Value::MakeArray(std::move(files))}});
  if (Status s = WriteJson(dir + "/results.json", doc); !s.ok()) return s;
  return WriteFileAtomic(dir + "/report.txt", text);
}

}  // namespace faultline::results
