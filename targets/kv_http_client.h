// KvHttpClient: the Client of targets/client.h over HTTP/1.1 (docs/PROTOCOL.md), built on
// libcurl. One CURL easy handle per client, reused so that the TCP connection stays open between
// calls (keep-alive). The mapping from "how the exchange ended" to ok/fail/info is split into
// pure functions below (ClassifyTransport, MapResponse) so that every row can be unit-tested
// without sockets; the client only gathers the facts and calls them.
//
// The safety rule behind every mapping: `fail` means "certainly had no effect" (a definite answer
// from the protocol, or a request that never left this process); everything uncertain is `info`.
// In particular libcurl's transparent retry on a dead kept-alive connection is suppressed, and a
// refused connection only counts as "never sent" when no earlier attempt or kept-alive connection
// could have carried the request (see ClassifyTransport).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "targets/client.h"
#include "targets/target.h"

namespace faultline::targets {

// Which KV protocol request was made; decides how a status code and body are read.
enum class RequestKind : uint8_t { kGet, kPut, kCas, kDelete, kAcquire, kRelease, kStatus };
const char* RequestKindName(RequestKind kind);

// How the exchange ended below HTTP, already reduced to what it means for the history.
enum class Transport : uint8_t {
  kResponse,          // a complete HTTP response arrived: map by status and body
  kNotSent,           // connection refused, and no byte of the request can have reached a server
  kRefusedMaybeSent,  // connection refused, but an earlier attempt may have carried the request
  kConnectTimeout,    // TCP connect did not complete in time (a timeout: never fail, STYLE.md)
  kTimeout,           // the request was (or may have been) sent and no full answer came in time
  kDropped,           // connection closed or reset before a full response, or a suppressed retry
  kError,             // any other transport error (unexpected: kept indeterminate)
};
const char* TransportName(Transport t);

// Reduces libcurl's result for one call (`curl_code` is a CURLcode value) to a Transport.
// `attempts` is how many times libcurl handed the request to a connection during the call
// (counted by CURLOPT_PREREQFUNCTION, which runs after connect and before any request byte is
// written); `had_connection` is whether the handle may have held an open kept-alive connection
// when the call began.
//
// A refused connection is kNotSent only when attempts == 0 AND !had_connection. attempts > 0
// means some attempt was written to a socket before the refusal (libcurl's retry after a dead
// reused connection: the first copy may have been applied). had_connection is the belt to that
// brace: whenever a kept-alive connection existed, a refusal is treated as "may have been sent"
// even if libcurl discarded the connection before writing to it, so no reading of libcurl's
// internals can turn a delivered write into a `fail`.
Transport ClassifyTransport(int curl_code, int attempts, bool had_connection);

// The completion for one call (docs/PROTOCOL.md). For kResponse:
//   200            ok. get: value from {"value": v} (missing member or bad JSON: info
//                  "bad-response"); acquire: value = the integer {"token": n} (else info
//                  "bad-response"); put/cas/delete/release: value null, body must be empty or
//                  JSON (else info "bad-response").
//   412            cas with {"error":"mismatch"}: fail "mismatch" (the compare executed). Any
//                  other 412: info "http-412" (a mismatch fail is an observation, so only the
//                  exact protocol answer may produce one).
//   409            acquire/release: fail with the body's error, else "held" / "not-held".
//                  Other requests: info "http-409".
//   503            fail with the body's "error" ("not-leader", ...), else "http-503".
//   404            info "http-404". A bring-your-own target without locks or /status answers
//                  404: unsupported; the harness should consult Target::supports_locks().
//   anything else  info "http-<status>" (e.g. raftkv's 504 "timeout" and 500 "unknown outcome").
// Transport outcomes: kNotSent → fail "connection-refused"; kRefusedMaybeSent → info
// "connection-refused"; kConnectTimeout → info "connect-timeout"; kTimeout → info "timeout";
// kDropped → info "connection-lost"; kError → info "transport-error".
// `node` is copied into the completion.
Completion MapResponse(RequestKind kind, Transport transport, long http_status,
                       std::string_view body, const std::string& node);

// Parses a 200 /status body; nullopt when a field is missing or has the wrong type.
std::optional<NodeStatus> ParseStatus(std::string_view body);

// Percent-encodes everything but RFC 3986 unreserved characters (so '/', '%', '?', ' ' and
// non-ASCII bytes in a key stay inside one path segment).
std::string PercentEncode(std::string_view s);

// The request path: "/kv/{key}", "/kv/{key}/cas", "/lock/{name}/acquire",
// "/lock/{name}/release", "/status" (`key` is ignored for kStatus).
std::string RequestPath(RequestKind kind, std::string_view key);

// "http://host:port" for a node's client port (IPv6 literals are bracketed).
std::string BaseUrl(const std::string& host, int port);

// The HTTP method of each request kind: GET (get, status), PUT (put), DELETE (delete), POST (cas,
// acquire, release).
const char* RequestMethod(RequestKind kind);

// One exchange as it went, for the protocol probe (targets/protocol_probe.h): how it ended and,
// for kResponse, the status and body.
struct RawAnswer {
  Transport transport = Transport::kError;
  long status = 0;
  std::string body;
};

// The client below with its raw answers exposed: the same libcurl set-up, headers and timeouts,
// and no not-leader redirect (the caller sees every answer). Not thread-safe.
class RawKvClient {
 public:
  virtual ~RawKvClient() = default;
  // Sends RequestMethod(kind) RequestPath(kind, key) with `body` (ignored for GET and DELETE).
  virtual RawAnswer Send(RequestKind kind, const std::string& key, const std::string& body) = 0;
};
std::unique_ptr<RawKvClient> MakeRawKvClient(const base::NodeAddress& node,
                                             const ClientOptions& options);

// A client for `node`'s client port. Completions carry node.id. Never returns nullptr; a
// failure to set libcurl up shows as info "transport-error" on every call.
std::unique_ptr<Client> MakeKvHttpClient(const base::NodeAddress& node,
                                         const ClientOptions& options);

}  // namespace faultline::targets
