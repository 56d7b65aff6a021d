#include "targets/kv_http_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <map>
#include <utility>

#include "targets/http_connection.h"

namespace faultline::targets {
namespace {

using checker::EventType;
using checker::ParseJson;

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

// One connection's worth of the KV protocol over an HttpConnection; not thread-safe, like every
// Client.
class KvHttpClient final : public Client {
 public:
  KvHttpClient(const base::NodeAddress& node, const ClientOptions& options)
      : node_(node.id), options_(options), http_(BaseUrl(node.host, node.client_port), options) {}

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
    return ParseStatus(http_.response());
  }

  // One exchange, no redirect (RawKvClient).
  RawAnswer SendRaw(RequestKind kind, const std::string& key, std::string body) {
    RawAnswer a;
    a.transport = Perform(kind, key, std::move(body), &a.status);
    a.body = http_.response();
    return a;
  }

 private:
  Completion Call(RequestKind kind, const std::string& key, std::string body) {
    long status = 0;
    const Transport t = Perform(kind, key, body, &status);
    Completion c = MapResponse(kind, t, status, http_.response(), node_);
    if (c.type == checker::EventType::kFail && c.error == "not-leader" &&
        !options_.cluster.empty()) {
      if (KvHttpClient* leader = LeaderClient(http_.response()))
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

  // Runs one exchange; the body ends up in http_.response().
  Transport Perform(RequestKind kind, const std::string& key, std::string body, long* http_status) {
    return http_.Perform(RequestMethod(kind), RequestPath(kind, key), std::move(body), http_status);
  }

  const std::string node_;
  const ClientOptions options_;
  HttpConnection http_;
  std::map<std::string, std::unique_ptr<KvHttpClient>> redirects_;  // by node id
};

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
  HttpGlobalInit();
  ClientOptions direct = options;
  direct.cluster.clear();
  return std::make_unique<RawClient>(node, direct);
}

std::unique_ptr<Client> MakeKvHttpClient(const base::NodeAddress& node,
                                         const ClientOptions& options) {
  HttpGlobalInit();
  return std::make_unique<KvHttpClient>(node, options);
}

}  // namespace faultline::targets
