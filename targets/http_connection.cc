#include "targets/http_connection.h"

#include <curl/curl.h>

#include <mutex>
#include <utility>

namespace faultline::targets {
namespace {

// Bound on a response body (STYLE.md: a limit on everything). raftkv accepts 64 MiB payloads;
// a larger answer aborts the transfer, which maps to info.
constexpr size_t kMaxResponseBytes = 64u << 20;

}  // namespace

// Owns the CURL easy handle (and through it the kept-alive connection).
//
// Invariant between calls: had_connection is true whenever the handle may hold an open
// connection to the node (set after any complete response, cleared after a transport error,
// on which libcurl closes the connection).
struct HttpConnection::Impl {
  std::string base_url;
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  std::string request_body;  // CURLOPT_POSTFIELDS is not copied: lives until the next call
  std::string response;
  int attempts = 0;
  bool had_connection = false;

  static size_t OnWrite(char* data, size_t size, size_t nmemb, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    const size_t n = size * nmemb;
    if (self->response.size() + n > kMaxResponseBytes) return 0;  // aborts: CURLE_WRITE_ERROR
    self->response.append(data, n);
    return n;
  }

  // Called by libcurl once per attempt, after connect and before the first request byte. A
  // second call within one perform is libcurl retrying after a reused connection died with no
  // response byte: the first copy may have been applied (the node died after applying it, or
  // a proxy cut the connection), and a second copy could apply a write twice or turn an applied
  // cas into a "mismatch". So the retry is refused; the call ends info "connection-lost".
  static int OnPrereq(void* clientp, char*, char*, int, int) {
    auto* self = static_cast<Impl*>(clientp);
    ++self->attempts;
    return self->attempts > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
  }
};

HttpConnection::HttpConnection(std::string base_url, const ClientOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->base_url = std::move(base_url);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return;
  // Only "Content-Type"; the empty "Expect:" stops libcurl from waiting up to a second for
  // "100 Continue" before sending a large body.
  impl_->headers = curl_slist_append(impl_->headers, "Content-Type: application/json");
  impl_->headers = curl_slist_append(impl_->headers, "Expect:");
  bool ok = true;
  auto set = [&](CURLoption opt, auto value) {
    ok = ok && curl_easy_setopt(curl, opt, value) == CURLE_OK;
  };
  set(CURLOPT_HTTPHEADER, impl_->headers);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  // No SIGALRM-based timeouts: workers are threads.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TCP_NODELAY, 1L);
  // Never route through a proxy from the environment: traffic must go where the nemesis
  // expects it (directly, or through its own proxy address).
  set(CURLOPT_PROXY, "");
  set(CURLOPT_NOPROXY, "*");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_PROTOCOLS_STR, "http");
  // One node, one connection at a time: a single cached connection keeps "the handle may
  // hold a connection" a yes/no fact.
  set(CURLOPT_MAXCONNECTS, 1L);
  set(CURLOPT_WRITEFUNCTION, &Impl::OnWrite);
  set(CURLOPT_WRITEDATA, impl_.get());
  set(CURLOPT_PREREQFUNCTION, &Impl::OnPrereq);
  set(CURLOPT_PREREQDATA, impl_.get());
  if (!ok) {
    curl_easy_cleanup(curl);
    return;
  }
  impl_->curl = curl;
}

HttpConnection::~HttpConnection() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
  curl_slist_free_all(impl_->headers);
}

const std::string& HttpConnection::response() const { return impl_->response; }

Transport HttpConnection::Perform(std::string_view method, const std::string& path,
                                  std::string body, long* http_status) {
  Impl& s = *impl_;
  s.response.clear();
  *http_status = 0;
  if (s.curl == nullptr) return Transport::kError;
  const std::string url = s.base_url + path;  // libcurl copies it
  s.request_body = std::move(body);
  curl_easy_setopt(s.curl, CURLOPT_URL, url.c_str());
  // The handle is reused, so every call sets the method from scratch: HTTPGET clears a
  // previous POSTFIELDS, and CUSTOMREQUEST is reset unless this call needs it.
  if (method == "GET" || method == "DELETE") {
    curl_easy_setopt(s.curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(s.curl, CURLOPT_POSTFIELDS, s.request_body.c_str());
    curl_easy_setopt(s.curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(s.request_body.size()));
  }
  curl_easy_setopt(s.curl, CURLOPT_CUSTOMREQUEST,
                   method == "PUT" || method == "DELETE" ? method.data() : nullptr);
  s.attempts = 0;
  const bool had_connection = s.had_connection;
  const CURLcode code = curl_easy_perform(s.curl);
  // libcurl closes the connection after any transport error; after a response it may keep it
  // (even a "Connection: close" answer is treated as "may be open": the safe direction).
  s.had_connection = code == CURLE_OK;
  if (code == CURLE_OK) curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, http_status);
  return ClassifyTransport(code, s.attempts, had_connection);
}

void HttpGlobalInit() {
  // curl_global_init is not guaranteed thread-safe on every build; do it once, before any
  // worker thread makes its handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace faultline::targets
