#include "targets/etcd/etcd_client.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <utility>

#include "targets/http_connection.h"

namespace faultline::targets {
namespace {

using checker::EventType;
using checker::ParseJson;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// "etcdserver: request timed out" → "request-timed-out".
std::string ErrorName(std::string message) {
  constexpr std::string_view kPrefix = "etcdserver: ";
  if (message.rfind(kPrefix, 0) == 0) message.erase(0, kPrefix.size());
  for (char& c : message) {
    if (c == ' ') c = '-';
  }
  return message;
}

// Errors etcd returns before a request is proposed to raft (etcdserver/api/v3rpc/rpctypes and
// raft's ErrProposalDropped): the request certainly was not applied.
bool CertainlyNotApplied(std::string_view message) {
  for (const std::string_view m :
       {"etcdserver: too many requests", "etcdserver: request is too large",
        "etcdserver: mvcc: database space exceeded", "etcdserver: no leader",
        "raft proposal dropped", "etcdserver: not capable"}) {
    if (message == m) return true;
  }
  return false;
}

// The value of a kv's base64 "value": the JSON text a put stored.
std::optional<Value> DecodeValue(const Value* field) {
  if (field == nullptr) return Value::String("");  // the gateway omits empty bytes
  if (!field->is_string()) return std::nullopt;
  std::optional<std::string> text = Base64Decode(field->as_string());
  if (!text) return std::nullopt;
  auto parsed = ParseJson(*text);
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed).value();
}

Completion MapOk(EtcdRequest request, std::string_view body, const std::string& node) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) return Info("bad-response", node);
  switch (request) {
    case EtcdRequest::kRange: {
      const Value* kvs = parsed->find("kvs");
      if (kvs == nullptr) return Make(EventType::kOk, Value(), "", node);  // absent
      if (!kvs->is_array() || kvs->as_array().empty() || !kvs->as_array()[0].is_object()) {
        return Info("bad-response", node);
      }
      std::optional<Value> v = DecodeValue(kvs->as_array()[0].find("value"));
      if (!v) return Info("bad-response", node);
      return Make(EventType::kOk, std::move(*v), "", node);
    }
    case EtcdRequest::kTxn: {
      // grpc-gateway leaves out false booleans: an absent "succeeded" is a failed compare.
      const Value* succeeded = parsed->find("succeeded");
      if (succeeded != nullptr && !succeeded->is_bool()) return Info("bad-response", node);
      if (succeeded != nullptr && succeeded->as_bool())
        return Make(EventType::kOk, Value(), "", node);
      return Fail("mismatch", node);
    }
    case EtcdRequest::kLeaseGrant: {
      const Value* id = parsed->find("ID");
      if (id == nullptr || !id->is_string() || id->as_string().empty()) {
        return Info("bad-response", node);
      }
      return Make(EventType::kOk, *id, "", node);
    }
    case EtcdRequest::kLock: {
      const Value* key = parsed->find("key");
      if (key == nullptr || !key->is_string() || !Base64Decode(key->as_string())) {
        return Info("bad-response", node);
      }
      return Make(EventType::kOk, *key, "", node);
    }
    case EtcdRequest::kPut:
    case EtcdRequest::kDelete:
    case EtcdRequest::kUnlock:
      return Make(EventType::kOk, Value(), "", node);
  }
  return Info("bad-response", node);
}

// A uint64 the gateway writes as a decimal string (or, leniently, a JSON integer), as text.
std::optional<std::string> Uint64Text(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string() && !v->as_string().empty() &&
      v->as_string().find_first_not_of("0123456789") == std::string::npos) {
    return v->as_string();
  }
  if (v->is_int() && v->as_int() >= 0) return std::to_string(v->as_int());
  return std::nullopt;
}

std::optional<int64_t> Int64(const Value* v) {
  std::optional<std::string> text = Uint64Text(v);
  if (!text || text->size() > 18) return std::nullopt;
  return std::stoll(*text);
}

}  // namespace

const char* EtcdPath(EtcdRequest request) {
  switch (request) {
    case EtcdRequest::kRange:
      return "/v3/kv/range";
    case EtcdRequest::kPut:
      return "/v3/kv/put";
    case EtcdRequest::kTxn:
      return "/v3/kv/txn";
    case EtcdRequest::kDelete:
      return "/v3/kv/deleterange";
    case EtcdRequest::kLeaseGrant:
      return "/v3/lease/grant";
    case EtcdRequest::kLock:
      return "/v3/lock/lock";
    case EtcdRequest::kUnlock:
      return "/v3/lock/unlock";
  }
  return "/";
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16 |
                       static_cast<uint8_t>(bytes[i + 1]) << 8 | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1])
                                                                  << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::array<int, 256> index{};
  index.fill(-1);
  for (int i = 0; i < 64; ++i) index[static_cast<uint8_t>(kAlphabet[i])] = i;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        n <<= 6;
        continue;
      }
      const int d = index[static_cast<uint8_t>(c)];
      if (d < 0 || pad > 0) return std::nullopt;
      n = n << 6 | static_cast<uint32_t>(d);
    }
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

std::string EtcdRangeBody(const std::string& key, EtcdReads reads) {
  Value::Object o;
  o.emplace_back("key", Value::String(Base64Encode(key)));
  if (reads == EtcdReads::kSerializable) o.emplace_back("serializable", Value::Bool(true));
  return Value::MakeObject(std::move(o)).ToJson();
}

std::string EtcdPutBody(const std::string& key, const Value& value) {
  return Value::MakeObject({{"key", Value::String(Base64Encode(key))},
                            {"value", Value::String(Base64Encode(value.ToJson()))}})
      .ToJson();
}

std::string EtcdCasBody(const std::string& key, const Value& from, const Value& to) {
  const Value k = Value::String(Base64Encode(key));
  // An absent key has no VALUE to compare (etcd's compare on a missing key fails whatever the
  // value): "from null" is "never created", CREATE revision 0.
  const Value compare =
      from.is_null() ? Value::MakeObject({{"key", k},
                                          {"result", Value::String("EQUAL")},
                                          {"target", Value::String("CREATE")},
                                          {"create_revision", Value::String("0")}})
                     : Value::MakeObject({{"key", k},
                                          {"result", Value::String("EQUAL")},
                                          {"target", Value::String("VALUE")},
                                          {"value", Value::String(Base64Encode(from.ToJson()))}});
  const Value put = Value::MakeObject(
      {{"request_put",
        Value::MakeObject({{"key", k}, {"value", Value::String(Base64Encode(to.ToJson()))}})}});
  return Value::MakeObject(
             {{"compare", Value::MakeArray({compare})}, {"success", Value::MakeArray({put})}})
      .ToJson();
}

std::string EtcdReleaseBody(const std::string& lock_key_b64, int64_t token) {
  const Value k = Value::String(lock_key_b64);
  return Value::MakeObject(
             {{"compare", Value::MakeArray({Value::MakeObject(
                              {{"key", k},
                               {"result", Value::String("EQUAL")},
                               {"target", Value::String("CREATE")},
                               {"create_revision", Value::String(std::to_string(token))}})})},
              {"success", Value::MakeArray({Value::MakeObject(
                              {{"request_delete_range", Value::MakeObject({{"key", k}})}})})}})
      .ToJson();
}

std::string EtcdDeleteBody(const std::string& key) {
  return Value::MakeObject({{"key", Value::String(Base64Encode(key))}}).ToJson();
}

Completion MapEtcdAnswer(EtcdRequest request, Transport transport, long http_status,
                         std::string_view body, const std::string& node) {
  if (transport != Transport::kResponse) {
    // The transport rows are the KV protocol's (a refusal before anything was sent is the only
    // fail); kGet is any request kind whose transport mapping is the shared one.
    return MapResponse(RequestKind::kGet, transport, http_status, body, node);
  }
  if (http_status == 200) return MapOk(request, body, node);
  std::string message;
  if (auto parsed = ParseJson(body); parsed.ok() && parsed->is_object()) {
    for (const char* field : {"error", "message"}) {
      const Value* m = parsed->find(field);
      if (m != nullptr && m->is_string() && !m->as_string().empty()) {
        message = m->as_string();
        break;
      }
    }
  }
  if (message.empty()) return Info("http-" + std::to_string(http_status), node);
  if (CertainlyNotApplied(message)) return Fail(ErrorName(message), node);
  return Info(ErrorName(message), node);
}

std::optional<int64_t> ParseCreateRevision(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const Value* kvs = parsed->find("kvs");
  if (kvs == nullptr || !kvs->is_array() || kvs->as_array().empty()) return std::nullopt;
  return Int64(kvs->as_array()[0].find("create_revision"));
}

std::optional<NodeStatus> ParseEtcdStatus(std::string_view body, const std::string& node_id) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const Value* header = parsed->find("header");
  const std::optional<std::string> member =
      header != nullptr ? Uint64Text(header->find("member_id")) : std::nullopt;
  const std::optional<std::string> leader = Uint64Text(parsed->find("leader"));
  const std::optional<int64_t> term = Int64(parsed->find("raftTerm"));
  const std::optional<int64_t> index = Int64(parsed->find("raftIndex"));
  if (!member || !term) return std::nullopt;
  NodeStatus s;
  s.id = node_id;
  const bool leads = leader && *leader != "0" && *leader == *member;
  s.role = leads ? "leader" : "follower";
  s.leader = leads ? node_id : "";
  s.term = *term;
  s.commit_index = index.value_or(0);
  return s;
}

namespace {

// One connection to one etcd node; not thread-safe, like every Client. No redirect: etcd
// forwards proposals and ReadIndex requests to its leader itself.
class EtcdClient final : public Client {
 public:
  EtcdClient(const base::NodeAddress& node, const ClientOptions& options, EtcdReads reads)
      : node_(node.id), reads_(reads), http_(BaseUrl(node.host, node.client_port), options) {}

  const std::string& node() const override { return node_; }

  Completion Get(const std::string& key) override {
    return Call(EtcdRequest::kRange, EtcdRangeBody(key, reads_));
  }
  Completion Put(const std::string& key, const Value& value) override {
    return Call(EtcdRequest::kPut, EtcdPutBody(key, value));
  }
  Completion Cas(const std::string& key, const Value& from, const Value& to) override {
    return Call(EtcdRequest::kTxn, EtcdCasBody(key, from, to));
  }
  Completion Delete(const std::string& key) override {
    return Call(EtcdRequest::kDelete, EtcdDeleteBody(key));
  }
  Completion Acquire(const std::string& name, const std::string&, int64_t ttl_ms) override {
    const int64_t ttl_s = std::max<int64_t>(1, (ttl_ms + 999) / 1000);
    const Completion grant =
        Call(EtcdRequest::kLeaseGrant, Value::MakeObject({{"TTL", Value::Int(ttl_s)}}).ToJson());
    // Without a lease no lock was asked for: the acquire certainly did not happen.
    if (grant.type != EventType::kOk) return Fail("lease-" + grant.error, node_);
    const std::string lease = grant.value.as_string();
    Completion lock =
        Call(EtcdRequest::kLock, Value::MakeObject({{"name", Value::String(Base64Encode(name))},
                                                    {"lease", Value::String(lease)}})
                                     .ToJson());
    if (lock.type != EventType::kOk) {
      // A lock request still waiting may be granted later; revoking the lease ends it (and a
      // lock granted meanwhile) sooner than its TTL would.
      Revoke(lease);
      return lock;
    }
    const std::string key = lock.value.as_string();
    long status = 0;
    const Transport t =
        http_.Perform("POST", EtcdPath(EtcdRequest::kRange),
                      Value::MakeObject({{"key", Value::String(key)}}).ToJson(), &status);
    const std::optional<int64_t> revision = t == Transport::kResponse && status == 200
                                                ? ParseCreateRevision(http_.response())
                                                : std::nullopt;
    if (!revision) {
      // Held, but with no token to fence with: give it up.
      Revoke(lease);
      return Info("token-unknown", node_);
    }
    held_[*revision] = Held{key, lease};
    return Make(EventType::kOk, Value::Int(*revision), "", node_);
  }

  Completion Release(const std::string&, const std::string&, int64_t token) override {
    auto it = held_.find(token);
    if (it == held_.end()) return Fail("not-held", node_);  // never sent
    const Held h = it->second;
    held_.erase(it);
    Completion c = Call(EtcdRequest::kTxn, EtcdReleaseBody(h.key, token));
    if (c.type == EventType::kFail && c.error == "mismatch") c.error = "not-held";
    Revoke(h.lease);
    return c;
  }

  std::optional<NodeStatus> Status() override {
    long status = 0;
    if (http_.Perform("POST", "/v3/maintenance/status", "{}", &status) != Transport::kResponse ||
        status != 200) {
      return std::nullopt;
    }
    return ParseEtcdStatus(http_.response(), node_);
  }

 private:
  Completion Call(EtcdRequest request, std::string body) {
    long status = 0;
    const Transport t = http_.Perform("POST", EtcdPath(request), std::move(body), &status);
    return MapEtcdAnswer(request, t, status, http_.response(), node_);
  }

  // Best effort: a lease that is not revoked runs out by itself.
  void Revoke(const std::string& lease) {
    long status = 0;
    (void)http_.Perform("POST", "/v3/lease/revoke",
                        Value::MakeObject({{"ID", Value::String(lease)}}).ToJson(), &status);
  }

  struct Held {
    std::string key;    // the lock's key, base64
    std::string lease;  // its lease ID
  };

  const std::string node_;
  const EtcdReads reads_;
  HttpConnection http_;
  std::map<int64_t, Held> held_;  // by token: the locks this client holds
};

}  // namespace

std::unique_ptr<Client> MakeEtcdClient(const base::NodeAddress& node, const ClientOptions& options,
                                       EtcdReads reads) {
  HttpGlobalInit();
  return std::make_unique<EtcdClient>(node, options, reads);
}

}  // namespace faultline::targets
