// HttpConnection: one kept-alive HTTP/1.1 connection to one node, over libcurl, shared by the
// clients that speak HTTP (KvHttpClient for the KV protocol, EtcdClient for etcd's v3 JSON
// gateway). It only performs exchanges and reduces how each ended to a Transport
// (targets/kv_http_client.h: ClassifyTransport); what an answer means is the caller's.
//
// The safety rule it keeps for every caller: libcurl's transparent retry of a request on a dead
// kept-alive connection is refused (the first copy may have been applied), and "the request
// never left this process" is only claimed when no attempt and no kept-alive connection could
// have carried it.
//
// Not thread-safe: one owner, like every Client. curl.h stays inside http_connection.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "targets/kv_http_client.h"

namespace faultline::targets {

// How an exchange ended, as the completion both HTTP clients record: `node` answered (or was
// asked), with `value` for ok and `error` for fail and info.
inline Completion Make(checker::EventType type, Value value, std::string error,
                       const std::string& node) {
  Completion c;
  c.type = type;
  c.value = std::move(value);
  c.error = std::move(error);
  c.node = node;
  return c;
}
inline Completion Info(std::string error, const std::string& node) {
  return Make(checker::EventType::kInfo, Value(), std::move(error), node);
}
inline Completion Fail(std::string error, const std::string& node) {
  return Make(checker::EventType::kFail, Value(), std::move(error), node);
}

class HttpConnection {
 public:
  // `base_url` is "http://host:port" (BaseUrl). Timeouts come from `options`. A failure to set
  // libcurl up shows as Transport::kError on every exchange.
  HttpConnection(std::string base_url, const ClientOptions& options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `method` ("GET", "PUT", "POST", "DELETE") `path` with `body` (ignored for GET and
  // DELETE) as application/json. For kResponse, *http_status is the status; the body is in
  // response() until the next exchange.
  Transport Perform(std::string_view method, const std::string& path, std::string body,
                    long* http_status);
  const std::string& response() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// curl_global_init, once per process, before any handle is made.
void HttpGlobalInit();

}  // namespace faultline::targets
