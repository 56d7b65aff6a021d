// A small HTTP/1.1 client for tests and benchmarks, loopback only (it can only dial 127.0.0.1).
// Raw POSIX sockets rather than the harness's libcurl client (targets/kv_http_client.h) on
// purpose: that one maps answers to history completions and hides status codes and bodies, while
// tests here compare exact bodies, talk to etcd's JSON gateway, and may send malformed bytes.
//
// Every request has one deadline covering connect, send and the whole answer; a request that
// misses it returns status 0 with error "timeout". Answers are read by Content-Length, chunked
// encoding, or until the server closes.
//
// Thread safety: an HttpConnection belongs to one thread. Http() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace faultline::testkit {

struct HttpResponse {
  int status = 0;     // 0: no complete answer (refused, dropped, malformed, timed out)
  std::string body;   // the answer's body (empty when status is 0)
  std::string error;  // when status is 0: "connect: Connection refused", "timeout", ...
};

// One keep-alive connection to 127.0.0.1:`port`, opened on the first request and again after
// the server closed it or a request failed (a failed request closes it: its state is unknown).
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `body`, when not empty (or for PUT and POST), is sent as application/json.
  HttpResponse Request(std::string_view method, std::string_view path, std::string_view body = {});
  HttpResponse Get(std::string_view path) { return Request("GET", path); }
  HttpResponse Put(std::string_view path, std::string_view json) {
    return Request("PUT", path, json);
  }
  HttpResponse Post(std::string_view path, std::string_view json) {
    return Request("POST", path, json);
  }
  HttpResponse Delete(std::string_view path) { return Request("DELETE", path); }

  // Sends `bytes` exactly as given (e.g. a malformed request) and reads one answer.
  HttpResponse Exchange(std::string_view bytes);

  void Close();
  uint16_t port() const { return port_; }
  uint64_t connects() const { return connects_; }  // TCP connections opened so far

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  bool Connect(Deadline deadline, std::string* error);
  bool Fill(Deadline deadline, std::string* error);  // appends what arrives to buf_
  HttpResponse Fail(std::string error);

  const uint16_t port_;
  const std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;  // received and not yet consumed
  uint64_t connects_ = 0;
};

// One request on a fresh connection, closed afterwards.
HttpResponse Http(uint16_t port, std::string_view method, std::string_view path,
                  std::string_view body = {},
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace faultline::testkit
