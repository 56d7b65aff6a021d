// Why a node is not ready, in words a user can act on: the startup wait (Cluster::WaitHealthy)
// keeps one such reason per node and prints them when the wait times out.
//
// The KV client (targets/) maps every answer to ok/fail/info and drops the rest; a node that is
// not ready needs the rest: what it answered and how. ProbeNode makes one raw HTTP/1.1 exchange
// over a plain socket (GET /kv/faultline-probe, which every KV node must answer with JSON) and
// DescribeAnswer names what came back.
//
// Thread safety: free functions without shared state.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::harness {

// "connection refused at 127.0.0.1:7001", "connect timeout at 198.18.0.2:8080", "no answer within 1
// s (request timeout)", "closed the connection without answering", "not HTTP: answered \"...\"",
// "HTTP 200 with a body that is not JSON: \"...\"", ...; "" when the node answered the read as the
// protocol says (200 with a JSON body holding "value", or a 503 with a JSON error: up, though
// perhaps without a leader).
std::string ProbeNode(const std::string& host, int port, std::chrono::milliseconds timeout);

// The description of a complete exchange's bytes (status line, headers, body as far as read);
// `closed` when the node closed the connection without sending a byte.
std::string DescribeAnswer(std::string_view bytes);

// `bytes` shortened to `max` characters and made printable (\n, \r, \xNN), in quotes.
std::string Excerpt(std::string_view bytes, size_t max = 40);

// The last `n` non-empty lines of the file at `path` (fewer when it has fewer; none when it
// cannot be read). Reads at most the last 16 KiB.
std::vector<std::string> LastLines(const std::string& path, size_t n);

}  // namespace faultline::harness
