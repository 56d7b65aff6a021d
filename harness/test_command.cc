#include "harness/test_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include "harness/cli.h"
#include "harness/test_run.h"

namespace faultline::harness {

using base::Status;
using checker::Value;

int RunTestCommand(const TestCommandOptions& options) { return TestRun(options).Run(); }

std::string FormatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

Status ValidateTestOptions(const TestCommandOptions& o) {
  if (o.target != "raft" && o.target != "process" && o.target != "etcd" &&
      o.target != "zookeeper") {
    return Status::InvalidArgument("unknown --target '" + o.target +
                                   "' (use raft, process, etcd or zookeeper)");
  }
  if (o.target == "process" && o.node_cmd.empty()) {
    return Status::InvalidArgument("--target process needs --node-cmd 'TEMPLATE'");
  }
  if (o.etcd_reads != "linearizable" && o.etcd_reads != "serializable") {
    return Status::InvalidArgument("unknown --etcd-reads '" + o.etcd_reads +
                                   "' (use linearizable or serializable)");
  }
  if (o.target != "etcd" && o.etcd_reads != TestCommandOptions{}.etcd_reads) {
    return Status::InvalidArgument("--etcd-reads is for --target etcd");
  }
  if (o.zk_reads != "sync" && o.zk_reads != "plain") {
    return Status::InvalidArgument("unknown --zk-reads '" + o.zk_reads + "' (use sync or plain)");
  }
  if (o.target != "zookeeper" && o.zk_reads != TestCommandOptions{}.zk_reads) {
    return Status::InvalidArgument("--zk-reads is for --target zookeeper");
  }
  if (o.target == "zookeeper" && o.net == "proxy") {
    return Status::InvalidArgument(
        "--target zookeeper needs --net netns: every member's zoo.cfg lists the same server "
        "addresses, which the proxy backend's per-link relays cannot give");
  }
  if (o.target == "etcd" && o.net == "proxy") {
    return Status::InvalidArgument(
        "--target etcd needs --net netns: etcd's members share one list of peer URLs, which the "
        "proxy backend's per-link relays cannot give");
  }
  if (o.target != "process" && !o.node_cmd.empty()) {
    return Status::InvalidArgument("--node-cmd is for --target process");
  }
  if (o.target != "raft" && !o.raft_opts.empty()) {
    return Status::InvalidArgument("--raft-opt is for --target raft");
  }
  if (o.nodes < 1 || o.nodes > 64) {
    return Status::InvalidArgument("--nodes must be between 1 and 64");
  }
  if (!(o.time_limit_s > 0)) return Status::InvalidArgument("--time-limit must be positive");
  if (!(o.nemesis_interval_s > 0)) {
    return Status::InvalidArgument("--nemesis-interval must be positive");
  }
  if (o.concurrency < 0 || o.concurrency > 1024) {
    return Status::InvalidArgument("--concurrency must be between 1 and 1024");
  }
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) {
    return Status::InvalidArgument("--rate must be 0 (unlimited) or positive");
  }
  if (o.ops_per_key < 1) return Status::InvalidArgument("--ops-per-key must be at least 1");
  if (o.net != "auto" && o.net != "netns" && o.net != "proxy") {
    return Status::InvalidArgument("unknown --net '" + o.net + "' (use auto, netns or proxy)");
  }
  if (!(o.start_timeout_s > 0)) return Status::InvalidArgument("--start-timeout must be positive");
  if (!(o.request_timeout_s > 0)) {
    return Status::InvalidArgument("--request-timeout must be positive");
  }
  return Status::Ok();
}

Value TestConfigValue(const TestCommandOptions& o, const std::string& name, uint64_t seed,
                      int concurrency) {
  Value::Array raft_opts;
  for (const std::string& r : o.raft_opts) raft_opts.push_back(Value::String(r));
  Value::Object c;
  c.emplace_back("name", Value::String(name));
  c.emplace_back("target", Value::String(o.target));
  c.emplace_back("nodes", Value::Int(o.nodes));
  c.emplace_back("workload", Value::String(o.workload));
  c.emplace_back("nemesis", Value::String(o.nemesis));
  c.emplace_back("nemesis_interval_s", Value::Double(o.nemesis_interval_s));
  c.emplace_back("time_limit_s", Value::Double(o.time_limit_s));
  c.emplace_back("concurrency", Value::Int(concurrency));
  c.emplace_back("rate", Value::Double(o.rate));
  c.emplace_back("ops_per_key", Value::Int(o.ops_per_key));
  c.emplace_back("seed", Value::Int(static_cast<int64_t>(seed)));
  c.emplace_back("net", Value::String(o.net));
  if (!o.node_cmd.empty()) c.emplace_back("node_cmd", Value::String(o.node_cmd));
  c.emplace_back("raft_opts", Value::MakeArray(std::move(raft_opts)));
  if (o.target == "etcd") c.emplace_back("etcd_reads", Value::String(o.etcd_reads));
  if (o.target == "zookeeper") c.emplace_back("zk_reads", Value::String(o.zk_reads));
  c.emplace_back("request_timeout_s", Value::Double(o.request_timeout_s));
  c.emplace_back("check_timeout_s", Value::Double(o.check_timeout_s));
  c.emplace_back("lease_ms", Value::Int(o.lease_ms));
  c.emplace_back("follow_leader", Value::Bool(o.follow_leader));
  c.emplace_back("recovery_s", Value::Double(o.recovery_s));
  c.emplace_back("start_timeout_s", Value::Double(o.start_timeout_s));
  c.emplace_back("liveness", Value::String(o.liveness));
  return Value::MakeObject(std::move(c));
}

base::Result<TestCommandOptions> TestOptionsFromConfig(const Value& config) {
  if (!config.is_object()) return Status::InvalidArgument("test.json has no config object");
  TestCommandOptions o;
  Status bad = Status::Ok();
  auto wrong = [&bad](const std::string& key, const char* kind) {
    if (bad.ok()) bad = Status::InvalidArgument("test.json: config." + key + " is not " + kind);
  };
  auto text = [&](const char* key, std::string* field) {
    if (const Value* v = config.find(key)) {
      if (v->is_string()) {
        *field = v->as_string();
      } else {
        wrong(key, "a string");
      }
    }
  };
  auto number = [&](const char* key, double* field) {
    if (const Value* v = config.find(key)) {
      if (v->is_number()) {
        *field = v->as_double();
      } else {
        wrong(key, "a number");
      }
    }
  };
  auto integer = [&](const char* key, auto* field) {
    if (const Value* v = config.find(key)) {
      if (v->is_int()) {
        *field = static_cast<std::remove_reference_t<decltype(*field)>>(v->as_int());
      } else {
        wrong(key, "an integer");
      }
    }
  };
  text("name", &o.name);
  text("target", &o.target);
  integer("nodes", &o.nodes);
  text("workload", &o.workload);
  text("nemesis", &o.nemesis);
  number("nemesis_interval_s", &o.nemesis_interval_s);
  number("time_limit_s", &o.time_limit_s);
  integer("concurrency", &o.concurrency);
  number("rate", &o.rate);
  integer("ops_per_key", &o.ops_per_key);
  if (const Value* v = config.find("seed")) {
    if (v->is_int() && v->as_int() >= 0) {
      o.seed = static_cast<uint64_t>(v->as_int());
    } else {
      wrong("seed", "a non-negative integer");
    }
  }
  text("net", &o.net);
  text("node_cmd", &o.node_cmd);
  if (const Value* v = config.find("raft_opts")) {
    if (!v->is_array()) wrong("raft_opts", "an array");
    for (const Value& r : v->is_array() ? v->as_array() : Value::Array{}) {
      if (r.is_string()) {
        o.raft_opts.push_back(r.as_string());
      } else {
        wrong("raft_opts", "an array of strings");
      }
    }
  }
  text("etcd_reads", &o.etcd_reads);
  text("zk_reads", &o.zk_reads);
  number("request_timeout_s", &o.request_timeout_s);
  number("check_timeout_s", &o.check_timeout_s);
  integer("lease_ms", &o.lease_ms);
  if (const Value* v = config.find("follow_leader")) {
    if (v->is_bool()) {
      o.follow_leader = v->as_bool();
    } else {
      wrong("follow_leader", "true or false");
    }
  }
  number("recovery_s", &o.recovery_s);
  number("start_timeout_s", &o.start_timeout_s);
  text("liveness", &o.liveness);
  if (!bad.ok()) return bad;
  return o;
}

workloads::WorkloadOptions WorkloadOptionsFor(const TestCommandOptions& o, int concurrency,
                                              uint64_t seed) {
  workloads::WorkloadOptions w;
  w.concurrency = concurrency;
  w.group_size = std::min(concurrency, o.nodes);
  w.ops_per_key = o.ops_per_key;
  w.seed = seed;
  w.lease_ms = o.lease_ms;
  return w;
}

std::string RerunLine(const TestCommandOptions& o, uint64_t seed) {
  TestCommandOptions rerun = o;
  rerun.seed = seed;
  return TestRerunLine(rerun);
}

}  // namespace faultline::harness
