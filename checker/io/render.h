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

// {"file":..., "valid": true|false|"unknown", "cause":..., "model":..., "keys": {key: {...}},
//  "failures": [{"key":..., "op":..., "concurrent":[...], "states":[...], "prefix":[...],
//  "reason":...}], "stats": {"ops":..., "steps":..., "ms":..., "peak_memory_bytes":...}}
Value ResultToValue(const std::string& file, const CheckResult& result);

// One operation as JSON: {"process", "f", "value", "status", "invoke_index", "complete_index",
// "index", "text"}.
Value OpRefToValue(const OpRef& op);

}  // namespace faultline::checker::io
