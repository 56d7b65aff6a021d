// HttpApi: raftkv's client API, docs/PROTOCOL.md (HTTP/1.1 + JSON on the client port): a small
// event-driven HTTP/1.1 server on epoll, with nlohmann-json (confined to http_api.cc).
//
// One I/O thread (the one calling Serve()) accepts connections, reads and parses requests,
// canonicalizes them, Submit()s them to the Node's loop and writes the answers. The loop answers
// through a callback that only queues the reply and, when the queue was empty, wakes the I/O
// thread through an eventfd; so a batch of requests costs one wake-up each way instead of two
// thread switches per request. (It replaced cpp-httplib's thread-per-connection server, issue 3:
// with 64 clients, 64 handler threads each blocked twice per request -- on the socket and on a
// future -- and those wake-ups were most of the leader's CPU on a 2-core machine.)
//
// HTTP subset: HTTP/1.1 and 1.0 requests with Content-Length bodies (chunked bodies are refused
// with 501), keep-alive (default for 1.1; `Connection: close` honoured), pipelining (requests on
// one connection are answered in order, one at a time), `Expect: 100-continue`. Paths are
// percent-decoded; a query string is ignored.
//
// Bounds: kMaxConnections open client connections (further ones are closed at once),
// kMaxHeaderBytes of request head, kMaxBodyBytes of body; a request not answered within
// kRequestTimeoutMs after it may have been proposed is answered 504 (an indeterminate outcome
// for the client), never a definite 4xx/503; a late answer from the loop is then dropped.
//
// Thread safety: Bind() then Serve() on one thread; Stop() from any thread unblocks Serve().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "targets/raft/server/node.h"

namespace faultline::raft::server {

class HttpApi {
 public:
  static constexpr int kMaxConnections = 1024;
  static constexpr int kListenBacklog = 1024;
  static constexpr size_t kMaxHeaderBytes = 64 << 10;
  static constexpr size_t kMaxBodyBytes = 64u << 20;
  static constexpr int kRequestTimeoutMs = 2000;

  explicit HttpApi(Node* node);  // `node` must outlive this object
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds host:port and listens; returns an error text or "".
  std::string Bind(const std::string& host, uint16_t port);
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Serve();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::raft::server
