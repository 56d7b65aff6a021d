// Rendering of check results: for a person (text) and for programs (DESIGN.md section 4 JSON).
#pragma once

#include <string>

#include "checker/check.h"
#include "checker/value.h"

namespace faultline::checker::io {

// A report a person can follow: the verdict line, then for each failing key the operation that
// cannot be linearized, why, what ran concurrently, the states before it and the longest
// linearizable prefix. Long lists are cut to `max_list` items with a count of the rest.
std::string RenderText(const std::string& file, const CheckResult& result, size_t max_list = 12);

// The first failing key's counterexample in a few lines, for a run's summary: the key, the last
// `prefix_tail` operations of the longest linearizable prefix, the operation that cannot follow
// them (each with the node that served it, when the history says) and why. "" when no key
// failed.
std::string RenderFirstCounterexample(const CheckResult& result, size_t prefix_tail = 4);

// {"file":..., "valid": true|false|"unknown", "cause":..., "model":..., "keys": {key: {...}},
//  "failures": [{"key":..., "op":..., "concurrent":[...], "states":[...], "prefix":[...],
//  "reason":...}], "stats": {"ops":..., "steps":..., "ms":..., "peak_memory_bytes":...}}
Value ResultToValue(const std::string& file, const CheckResult& result);

// One operation as JSON: {"process", "f", "value", "status", "invoke_index", "complete_index",
// "index", "text"}, and "node" when the history names the node that served it.
Value OpRefToValue(const OpRef& op);

}  // namespace faultline::checker::io
