// ProtocolProbe: checks that running nodes speak the faultline KV protocol (docs/PROTOCOL.md),
// item by item, before a test spends minutes on a store that answers something else. Used by
// `faultline probe` and, with the required items only, by `faultline test --target process`
// right after its nodes are up.
//
// Every item sends real requests through RawKvClient (the workers' libcurl set-up) and judges
// each answer with MapResponse, the same mapping the workers record with, so "pass" means "the
// harness will read this answer as the protocol intends". A failed item keeps the exact request
// and answer that did not meet the expectation, and what was expected.
//
// Keys are "faultline-probe-<nonce>-<item>" (a fresh nonce per probe), so a probe against a store
// that already holds data, or a second probe, never reads an older probe's values. The probe
// writes those keys and leaves them behind; lock names are fresh too.
//
// Thread safety: a probe is one sequential conversation; run it on one thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/node_address.h"
#include "targets/target.h"

namespace faultline::targets {

enum class ProbeResult { kPass, kFail, kSkip };
const char* ProbeResultName(ProbeResult r);  // "pass", "FAIL", "skip"

struct ProbeItem {
  std::string name;  // "put/get integer", "cas mismatch", ...
  bool required = true;
  ProbeResult result = ProbeResult::kSkip;
  std::string note;  // why it failed or was skipped; what was learned when it passed
  // For a failed item: the exchange that did not meet the expectation.
  std::string request;   // "PUT /kv/faultline-probe-x-int {\"value\":42}" (to node n1)
  std::string answer;    // "200 {}" or "connection refused (not sent)"
  std::string expected;  // "412 {\"error\":\"mismatch\"}"
};

struct ProbeOptions {
  std::chrono::milliseconds timeout{2000};  // per request
  // Only the items a test cannot do without (faultline test runs these).
  bool required_only = false;
  // The lock items count as required (a lock workload is about to run).
  bool locks_required = false;
  // A lease short enough to wait out, for the lease item.
  std::chrono::milliseconds lease{300};
  // A definite "not applied" (503) right after start is normal (an election): such answers are
  // retried this often, 100 ms apart, before an item gives up.
  int retries_503 = 30;
};

struct ProbeReport {
  std::vector<ProbeItem> items;
  bool required_passed() const;
  int failed(bool required) const;  // failed items that are (not) required
};

// Runs the items against `nodes` (ids as the cluster uses them; at least one). Never throws;
// a node that does not answer fails the items that need it.
ProbeReport RunProtocolProbe(const std::vector<base::NodeAddress>& nodes,
                             const ProbeOptions& options);

// The conformance table: one line per item, then for every failed item its request, answer and
// expectation; ends with a line saying whether the required items passed.
std::string FormatProbeReport(const ProbeReport& report);

}  // namespace faultline::targets
