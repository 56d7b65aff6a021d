#include "targets/kv_http_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

namespace faultline::targets {
namespace {

using checker::EventType;
using checker::ParseJson;

// Bound on a response body (STYLE.md: a limit on everything). raftkv accepts 64 MiB payloads;
// a larger answer aborts the transfer, which maps to info.
constexpr size_t kMaxResponseBytes = 64u << 20;

Completion Make(EventType type, Value value, std::string error, const std::string& node) {
  Completion c;
  c.type = type;
  c.value = std::move(value);
  c.error = std::move(error);
  c.node = node;
  return c;
}

Completion Info(std::string error, const std::string& node) {
  return Make(EventType::kInfo, Value(), std::move(error), node);
}

Completion Fail(std::string error, const std::string& node) {
  return Make(EventType::kFail, Value(), std::move(error), node);
}

// The "error" string of a JSON error body, or "" when the body is not such an object.
std::string BodyError(std::string_view body) {
  const auto parsed = ParseJson(body);
  if (!parsed.ok()) return "";
  const Value* e = parsed->find("error");
  return e != nullptr && e->is_string() ? e->as_string() : "";
}

bool IsLockKind(RequestKind kind) {
  return kind == RequestKind::kAcquire || kind == RequestKind::kRelease;
}

Completion MapOk(RequestKind kind, std::string_view body, const std::string& node) {
  switch (kind) {
    case RequestKind::kGet: {
      auto parsed = ParseJson(body);
      const Value* v = parsed.ok() ? parsed->find("value") : nullptr;
      if (v == nullptr) return Info("bad-response", node);
      return Make(EventType::kOk, *v, "", node);
    }
    case RequestKind::kAcquire: {
      auto parsed = ParseJson(body);
      const Value* t = parsed.ok() ? parsed->find("token") : nullptr;
      if (t == nullptr || !t->is_int()) return Info("bad-response", node);
      return Make(EventType::kOk, *t, "", node);
    }
    case RequestKind::kStatus: {
      auto parsed = ParseJson(body);
      if (!parsed.ok()) return Info("bad-response", node);
      return Make(EventType::kOk, std::move(parsed).value(), "", node);
    }
    case RequestKind::kPut:
    case RequestKind::kCas:
    case RequestKind::kDelete:
    case RequestKind::kRelease:
      // The answer carries nothing, but a body that is not JSON means the exchange was garbled
      // (or this is not a KV protocol server): don't claim the write happened.
      if (!body.empty() && !ParseJson(body).ok()) return Info("bad-response", node);
      return Make(EventType::kOk, Value(), "", node);
  }
  return Info("bad-response", node);
}

}  // namespace

const char* RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kGet:
      return "get";
    case RequestKind::kPut:
      return "put";
    case RequestKind::kCas:
      return "cas";
    case RequestKind::kDelete:
      return "delete";
    case RequestKind::kAcquire:
      return "acquire";
    case RequestKind::kRelease:
      return "release";
    case RequestKind::kStatus:
      return "status";
  }
  return "?";
}

const char* RequestMethod(RequestKind kind) {
  switch (kind) {
    case RequestKind::kGet:
    case RequestKind::kStatus:
      return "GET";
    case RequestKind::kPut:
      return "PUT";
    case RequestKind::kDelete:
      return "DELETE";
    case RequestKind::kCas:
    case RequestKind::kAcquire:
    case RequestKind::kRelease:
      return "POST";
  }
  return "GET";
}

const char* TransportName(Transport t) {
  switch (t) {
    case Transport::kResponse:
      return "response";
    case Transport::kNotSent:
      return "not-sent";
    case Transport::kRefusedMaybeSent:
      return "refused-maybe-sent";
    case Transport::kConnectTimeout:
      return "connect-timeout";
    case Transport::kTimeout:
      return "timeout";
    case Transport::kDropped:
      return "dropped";
    case Transport::kError:
      return "error";
  }
  return "?";
}

Transport ClassifyTransport(int curl_code, int attempts, bool had_connection) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return Transport::kResponse;
    case CURLE_COULDNT_CONNECT:
      // Refused (or unreachable) on connect. See the header: both conditions are needed
      // before "the request never left this process" may be claimed.
      return attempts == 0 && !had_connection ? Transport::kNotSent : Transport::kRefusedMaybeSent;
    case CURLE_OPERATION_TIMEDOUT:
      return attempts == 0 ? Transport::kConnectTimeout : Transport::kTimeout;
    case CURLE_GOT_NOTHING:          // closed with no response byte
    case CURLE_RECV_ERROR:           // reset while waiting for the response
    case CURLE_SEND_ERROR:           // reset while writing: a prefix (or all) may have arrived
    case CURLE_PARTIAL_FILE:         // body shorter than Content-Length
    case CURLE_ABORTED_BY_CALLBACK:  // our prereq callback refused libcurl's retry
      return Transport::kDropped;
    default:
      return Transport::kError;
  }
}

Completion MapResponse(RequestKind kind, Transport transport, long http_status,
                       std::string_view body, const std::string& node) {
  switch (transport) {
    case Transport::kResponse:
      break;
    case Transport::kNotSent:
      return Fail("connection-refused", node);
    case Transport::kRefusedMaybeSent:
      return Info("connection-refused", node);
    case Transport::kConnectTimeout:
      return Info("connect-timeout", node);
    case Transport::kTimeout:
      return Info("timeout", node);
    case Transport::kDropped:
      return Info("connection-lost", node);
    case Transport::kError:
      return Info("transport-error", node);
  }
  const std::string http_error = "http-" + std::to_string(http_status);
  switch (http_status) {
    case 200:
      return MapOk(kind, body, node);
    case 412:
      // Only the exact protocol answer: a mismatch fail is an observation the cas models use.
      if (kind == RequestKind::kCas && BodyError(body) == "mismatch") return Fail("mismatch", node);
      return Info(http_error, node);
    case 409: {
      if (!IsLockKind(kind)) return Info(http_error, node);
      std::string error = BodyError(body);
      if (error.empty()) error = kind == RequestKind::kAcquire ? "held" : "not-held";
      return Fail(std::move(error), node);
    }
    case 503: {
      std::string error = BodyError(body);
      return Fail(error.empty() ? http_error : std::move(error), node);
    }
    default:
      return Info(http_error, node);
  }
}

std::optional<NodeStatus> ParseStatus(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const Value* id = parsed->find("id");
  const Value* role = parsed->find("role");
  const Value* term = parsed->find("term");
  const Value* leader = parsed->find("leader");
  const Value* commit_index = parsed->find("commit_index");
  if (id == nullptr || !id->is_string() || role == nullptr || !role->is_string() ||
      term == nullptr || !term->is_int() || commit_index == nullptr || !commit_index->is_int() ||
      (leader != nullptr && !leader->is_null() && !leader->is_string())) {
    return std::nullopt;
  }
  NodeStatus s;
  s.id = id->as_string();
  s.role = role->as_string();
  s.term = term->as_int();
  s.leader = leader != nullptr && leader->is_string() ? leader->as_string() : "";
  s.commit_index = commit_index->as_int();
  return s;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string RequestPath(RequestKind kind, std::string_view key) {
  switch (kind) {
    case RequestKind::kGet:
    case RequestKind::kPut:
    case RequestKind::kDelete:
      return "/kv/" + PercentEncode(key);
    case RequestKind::kCas:
      return "/kv/" + PercentEncode(key) + "/cas";
    case RequestKind::kAcquire:
      return "/lock/" + PercentEncode(key) + "/acquire";
    case RequestKind::kRelease:
      return "/lock/" + PercentEncode(key) + "/release";
    case RequestKind::kStatus:
      return "/status";
  }
  return "/";
}

std::string BaseUrl(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

// One connection's worth of the KV protocol. Owns its CURL easy handle (and through it the
// kept-alive connection); not thread-safe, like every Client.
//
// Invariant between calls: had_connection_ is true whenever the handle may hold an open
// connection to the node (set after any complete response, cleared after a transport error,
// on which libcurl closes the connection).
class KvHttpClient final : public Client {
 public:
  KvHttpClient(const base::NodeAddress& node, const ClientOptions& options)
      : node_(node.id), base_url_(BaseUrl(node.host, node.client_port)), options_(options) {
    curl_ = curl_easy_init();
    if (curl_ == nullptr) return;
    // Only "Content-Type"; the empty "Expect:" stops libcurl from waiting up to a second for
    // "100 Continue" before sending a large body.
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
    bool ok = true;
    auto set = [&](CURLoption opt, auto value) {
      ok = ok && curl_easy_setopt(curl_, opt, value) == CURLE_OK;
    };
    set(CURLOPT_HTTPHEADER, headers_);
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
    set(CURLOPT_WRITEFUNCTION, &KvHttpClient::OnWrite);
    set(CURLOPT_WRITEDATA, this);
    set(CURLOPT_PREREQFUNCTION, &KvHttpClient::OnPrereq);
    set(CURLOPT_PREREQDATA, this);
    if (!ok) {
      curl_easy_cleanup(curl_);
      curl_ = nullptr;
    }
  }

  ~KvHttpClient() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
    curl_slist_free_all(headers_);
  }

  KvHttpClient(const KvHttpClient&) = delete;
  KvHttpClient& operator=(const KvHttpClient&) = delete;

  const std::string& node() const override { return node_; }

  Completion Get(const std::string& key) override { return Call(RequestKind::kGet, key, ""); }

  Completion Put(const std::string& key, const Value& value) override {
    return Call(RequestKind::kPut, key, Value::MakeObject({{"value", value}}).ToJson());
  }

  Completion Cas(const std::string& key, const Value& from, const Value& to) override {
    return Call(RequestKind::kCas, key, Value::MakeObject({{"from", from}, {"to", to}}).ToJson());
  }

  Completion Delete(const std::string& key) override { return Call(RequestKind::kDelete, key, ""); }

  Completion Acquire(const std::string& name, const std::string& owner, int64_t ttl_ms) override {
    return Call(RequestKind::kAcquire, name,
                Value::MakeObject({{"owner", Value::String(owner)}, {"ttl_ms", Value::Int(ttl_ms)}})
                    .ToJson());
  }

  Completion Release(const std::string& name, const std::string& owner, int64_t token) override {
    return Call(RequestKind::kRelease, name,
                Value::MakeObject({{"owner", Value::String(owner)}, {"token", Value::Int(token)}})
                    .ToJson());
  }

  std::optional<NodeStatus> Status() override {
    long status = 0;
    if (Perform(RequestKind::kStatus, "", "", &status) != Transport::kResponse || status != 200) {
      return std::nullopt;
    }
    return ParseStatus(response_);
  }

  // One exchange, no redirect (RawKvClient).
  RawAnswer SendRaw(RequestKind kind, const std::string& key, std::string body) {
    RawAnswer a;
    a.transport = Perform(kind, key, std::move(body), &a.status);
    a.body = response_;
    return a;
  }

 private:
  Completion Call(RequestKind kind, const std::string& key, std::string body) {
    long status = 0;
    const Transport t = Perform(kind, key, body, &status);
    Completion c = MapResponse(kind, t, status, response_, node_);
    if (c.type == checker::EventType::kFail && c.error == "not-leader" &&
        !options_.cluster.empty()) {
      if (KvHttpClient* leader = LeaderClient(response_))
        return leader->Call(kind, key, std::move(body));
    }
    return c;
  }

  // The client for the member a not-leader answer names, made on first use and kept (with its
  // connection) for later redirects; nullptr when the answer names no other known member.
  KvHttpClient* LeaderClient(std::string_view body) {
    base::Result<Value> v = checker::ParseJson(body);
    if (!v.ok() || !v->is_object()) return nullptr;
    const Value* leader = v->find("leader");
    if (leader == nullptr || !leader->is_string() || leader->as_string() == node_) return nullptr;
    auto it = redirects_.find(leader->as_string());
    if (it != redirects_.end()) return it->second.get();
    for (const base::NodeAddress& a : options_.cluster) {
      if (a.id != leader->as_string()) continue;
      ClientOptions one_hop = options_;
      one_hop.cluster.clear();  // one redirect per operation, never a chain
      auto client = std::make_unique<KvHttpClient>(a, one_hop);
      KvHttpClient* raw = client.get();
      redirects_.emplace(a.id, std::move(client));
      return raw;
    }
    return nullptr;
  }

  // Runs one exchange; the body ends up in response_.
  Transport Perform(RequestKind kind, const std::string& key, std::string body, long* http_status) {
    const std::string_view method = RequestMethod(kind);
    response_.clear();
    *http_status = 0;
    if (curl_ == nullptr) return Transport::kError;
    const std::string url = base_url_ + RequestPath(kind, key);  // libcurl copies it
    request_body_ = std::move(body);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    // The handle is reused, so every call sets the method from scratch: HTTPGET clears a
    // previous POSTFIELDS, and CUSTOMREQUEST is reset unless this call needs it.
    if (method == "GET" || method == "DELETE") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request_body_.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request_body_.size()));
    }
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST,
                     method == "PUT" || method == "DELETE" ? method.data() : nullptr);
    attempts_ = 0;
    const bool had_connection = had_connection_;
    const CURLcode code = curl_easy_perform(curl_);
    // libcurl closes the connection after any transport error; after a response it may keep it
    // (even a "Connection: close" answer is treated as "may be open": the safe direction).
    had_connection_ = code == CURLE_OK;
    if (code == CURLE_OK) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, http_status);
    return ClassifyTransport(code, attempts_, had_connection);
  }

  static size_t OnWrite(char* data, size_t size, size_t nmemb, void* userdata) {
    auto* self = static_cast<KvHttpClient*>(userdata);
    const size_t n = size * nmemb;
    if (self->response_.size() + n > kMaxResponseBytes) return 0;  // aborts: CURLE_WRITE_ERROR
    self->response_.append(data, n);
    return n;
  }

  // Called by libcurl once per attempt, after connect and before the first request byte. A
  // second call within one perform is libcurl retrying after a reused connection died with no
  // response byte: the first copy may have been applied (the node died after applying it, or
  // a proxy cut the connection), and a second copy could apply a write twice or turn an applied
  // cas into a "mismatch". So the retry is refused; the call ends info "connection-lost".
  static int OnPrereq(void* clientp, char*, char*, int, int) {
    auto* self = static_cast<KvHttpClient*>(clientp);
    ++self->attempts_;
    return self->attempts_ > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
  }

  const std::string node_;
  const std::string base_url_;
  const ClientOptions options_;
  std::map<std::string, std::unique_ptr<KvHttpClient>> redirects_;  // by node id
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string request_body_;  // CURLOPT_POSTFIELDS is not copied: lives until the next call
  std::string response_;
  int attempts_ = 0;
  bool had_connection_ = false;
};

void GlobalInit() {
  // curl_global_init is not guaranteed thread-safe on every build; do it once, before any
  // worker thread makes its handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class RawClient final : public RawKvClient {
 public:
  RawClient(const base::NodeAddress& node, const ClientOptions& options) : client_(node, options) {}
  RawAnswer Send(RequestKind kind, const std::string& key, const std::string& body) override {
    return client_.SendRaw(kind, key, body);
  }

 private:
  KvHttpClient client_;
};

}  // namespace

std::unique_ptr<RawKvClient> MakeRawKvClient(const base::NodeAddress& node,
                                             const ClientOptions& options) {
  GlobalInit();
  ClientOptions direct = options;
  direct.cluster.clear();
  return std::make_unique<RawClient>(node, direct);
}

std::unique_ptr<Client> MakeKvHttpClient(const base::NodeAddress& node,
                                         const ClientOptions& options) {
  GlobalInit();
  return std::make_unique<KvHttpClient>(node, options);
}

}  // namespace faultline::targets
