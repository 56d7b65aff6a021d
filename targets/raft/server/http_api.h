// HttpApi: raftkv's client API, DESIGN.md §6 (HTTP/1.1 + JSON on the client port), on
// cpp-httplib and nlohmann-json (both confined to http_api.cc). Handler threads parse and
// canonicalize the request, Submit() it to the Node's loop and wait for the answer with a
// bound: a request that times out after it may have been proposed is answered 504 (an
// indeterminate outcome for the client), never a definite 4xx/503.
//
// Thread safety: Start() and Stop() from one controlling thread; Stop() unblocks Start().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "targets/raft/server/node.h"

namespace faultline::raft::server {

class HttpApi {
 public:
  // httplib serves each keep-alive connection on one pool thread for its whole life: the pool
  // bounds how many clients are served at once, so it is sized well past 64 (raftkv_bench).
  static constexpr int kHandlerThreads = 256;
  static constexpr int kRequestTimeoutMs = 2000;

  explicit HttpApi(Node* node);  // `node` must outlive this object
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds host:port; returns an error text or "".
  std::string Bind(const std::string& host, uint16_t port);
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::raft::server
