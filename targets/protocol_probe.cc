#include "targets/protocol_probe.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "checker/history.h"
#include "targets/kv_http_client.h"

namespace faultline::targets {
namespace {

using checker::Completion;
using checker::EventType;
using checker::Value;

constexpr size_t kMaxShownBody = 300;  // characters of an answer body quoted in the table

// One exchange as sent and as answered, and how the harness records it.
struct Exchange {
  std::string request;  // "PUT /kv/k {\"value\":1} to n1"
  RawAnswer raw;
  Completion c;
  std::string body_sent;
  std::string previous_body;  // the body of the request sent before this one to the same node
};

// A value written as JSON text in this file (always valid).
Value Json(std::string_view text) { return checker::ParseJson(text).value(); }

std::string Shorten(std::string s) {
  if (s.size() > kMaxShownBody)
    s = s.substr(0, kMaxShownBody) + "... (" + std::to_string(s.size()) + " bytes)";
  for (char& ch : s) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  return s;
}

std::string DescribeTransport(Transport t) {
  switch (t) {
    case Transport::kResponse:
      return "";
    case Transport::kNotSent:
      return "connection refused";
    case Transport::kRefusedMaybeSent:
      return "connection refused on a retry";
    case Transport::kConnectTimeout:
      return "no connection (connect timeout)";
    case Transport::kTimeout:
      return "no answer in time";
    case Transport::kDropped:
      return "connection closed before a complete answer";
    case Transport::kError:
      return "transport error";
  }
  return "?";
}

std::string DescribeAnswer(const Exchange& e) {
  std::string out = e.raw.transport == Transport::kResponse
                        ? std::to_string(e.raw.status) + " " +
                              (e.raw.body.empty() ? "(empty body)" : Shorten(e.raw.body))
                        : DescribeTransport(e.raw.transport);
  out += "  [recorded as ";
  out += checker::EventTypeName(e.c.type);
  if (!e.c.error.empty()) out += " " + e.c.error;
  if (e.c.type == EventType::kOk && !e.c.value.is_null()) out += " " + Shorten(e.c.value.ToJson());
  return out + "]";
}

class Prober {
 public:
  Prober(const std::vector<base::NodeAddress>& nodes, const ProbeOptions& options)
      : nodes_(nodes), options_(options) {
    ClientOptions copts;
    copts.timeout = options.timeout;
    copts.connect_timeout = std::min(options.timeout, std::chrono::milliseconds(500));
    for (const base::NodeAddress& n : nodes) clients_.push_back(MakeRawKvClient(n, copts));
    last_body_.resize(nodes.size());
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    nonce_ = std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count() %
                            1000000000000LL);
  }

  ProbeReport Run() {
    ProbeReport report;
    report_ = &report;
    const bool writable = ChooseNode();
    auto kv = [&](const std::string& name, bool required, std::function<void(ProbeItem&)> body) {
      if (!required && options_.required_only) return;
      Item(name, required, [&](ProbeItem& it) {
        if (!writable) return NoWritableNode(it);
        body(it);
      });
    };
    kv("put/get integer", true, [&](ProbeItem& it) {
      const std::string k = Key("int");
      if (PutGet(it, k, Value::Int(42))) PutGet(it, k, Value::Int(43));
    });
    kv("put/get string", true, [&](ProbeItem& it) {
      PutGet(it, Key("string"), Value::String("hello, \"world\" / caf\xc3\xa9"));
    });
    kv("put/get float", true, [&](ProbeItem& it) { PutGet(it, Key("float"), Json("2.5")); });
    kv("put/get boolean", true, [&](ProbeItem& it) {
      const std::string k = Key("bool");
      if (PutGet(it, k, Value::Bool(true))) PutGet(it, k, Value::Bool(false));
    });
    kv("put/get array", true,
       [&](ProbeItem& it) { PutGet(it, Key("array"), Json("[1,\"two\",[3],[]]")); });
    kv("put/get object", true, [&](ProbeItem& it) {
      PutGet(it, Key("object"), Json("{\"token\":7,\"list\":[1,2],\"inner\":{\"a\":null}}"));
    });
    kv("percent-encoded key", false, [&](ProbeItem& it) {
      // The workloads' keys are plain; a key with reserved characters checks the decoding.
      const std::string k = Key("odd key/with?reserved%chars");
      if (!PutGet(it, k, Value::Int(9))) return;
      ExpectValue(it, Send(RequestKind::kGet, Key("odd key"), ""), Value());
    });
    kv("get of an absent key", true, [&](ProbeItem& it) {
      ExpectValue(it, Send(RequestKind::kGet, Key("absent"), ""), Value());
    });
    kv("delete", true, [&](ProbeItem& it) {
      const std::string k = Key("delete");
      if (!PutGet(it, k, Value::Int(1))) return;
      if (!ExpectOk(it, Send(RequestKind::kDelete, k, ""), "200 {}")) return;
      ExpectValue(it, Send(RequestKind::kGet, k, ""), Value());
    });
    kv("delete of an absent key", false, [&](ProbeItem& it) {
      ExpectOk(it, Send(RequestKind::kDelete, Key("delete-absent"), ""), "200 {}");
    });
    kv("cas match", true, [&](ProbeItem& it) {
      const std::string k = Key("cas");
      if (!PutGet(it, k, Value::Int(1))) return;
      if (!ExpectOk(it, Send(RequestKind::kCas, k, CasBody(Value::Int(1), Value::Int(2))),
                    "200 {}"))
        return;
      ExpectValue(it, Send(RequestKind::kGet, k, ""), Value::Int(2));
    });
    kv("cas mismatch", true, [&](ProbeItem& it) {
      const std::string k = Key("cas-mismatch");
      if (!PutGet(it, k, Value::Int(5))) return;
      if (!ExpectMismatch(it, Send(RequestKind::kCas, k, CasBody(Value::Int(4), Value::Int(6)))))
        return;
      ExpectValue(it, Send(RequestKind::kGet, k, ""), Value::Int(5));
    });
    kv("cas from null (absent key)", true, [&](ProbeItem& it) {
      const std::string k = Key("cas-null");
      const Value one = Json("[1]");
      const Value two = Json("[1,2]");
      if (!ExpectOk(it, Send(RequestKind::kCas, k, CasBody(Value(), one)), "200 {}")) return;
      if (!ExpectValue(it, Send(RequestKind::kGet, k, ""), one)) return;
      if (!ExpectMismatch(it, Send(RequestKind::kCas, k, CasBody(Value(), Json("[2]"))))) return;
      if (!ExpectOk(it, Send(RequestKind::kCas, k, CasBody(one, two)), "200 {}")) return;
      ExpectValue(it, Send(RequestKind::kGet, k, ""), two);
    });
    kv("cas on objects", true, [&](ProbeItem& it) {
      const std::string k = Key("cas-object");
      const Value t1 = Json("{\"token\":1}");
      const Value t2 = Json("{\"token\":2}");
      if (!PutGet(it, k, t1)) return;
      if (!ExpectOk(it, Send(RequestKind::kCas, k, CasBody(t1, t2)), "200 {}")) return;
      ExpectValue(it, Send(RequestKind::kGet, k, ""), t2);
    });
    if (nodes_.size() > 1) {
      kv("read on every node", true, [&](ProbeItem& it) { ReadEverywhere(it); });
      kv("last write on every node", false, [&](ProbeItem& it) { LastWriteEverywhere(it); });
      kv("not-leader answer", false, [&](ProbeItem& it) { NotLeader(it); });
    }
    if (!options_.required_only) Item("/status", false, [&](ProbeItem& it) { StatusShape(it); });
    Locks(writable);
    return report;
  }

 private:
  // ---- items ----

  void Item(const std::string& name, bool required, const std::function<void(ProbeItem&)>& body) {
    ProbeItem it;
    it.name = name;
    it.required = required;
    it.result = ProbeResult::kPass;
    body(it);
    report_->items.push_back(std::move(it));
  }

  void NoWritableNode(ProbeItem& it) {
    Fail(it, first_, "200 {} from some node", "no node accepted a write (PUT); the last answer:");
  }

  // PUT then GET of `v` on `key`: both must be ok, the GET giving `v` back.
  bool PutGet(ProbeItem& it, const std::string& key, const Value& v) {
    if (!ExpectOk(it, Send(RequestKind::kPut, key, Value::MakeObject({{"value", v}}).ToJson()),
                  "200 {}"))
      return false;
    return ExpectValue(it, Send(RequestKind::kGet, key, ""), v);
  }

  // Required: every node answers a read in a form of the protocol (a value, not-found or
  // not-leader), also right after a write was sent to it, as a worker bound to it does on its
  // kept-alive connection. Whether the value read is the last write is the test's question, not
  // the probe's: nodes that read another value only make a note (stale_nodes_).
  void ReadEverywhere(ProbeItem& it) {
    const std::string k = Key("every-node");
    const Value v = Value::Int(7);
    const std::string put = Value::MakeObject({{"value", v}}).ToJson();
    if (!PutGet(it, k, v)) return;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      // The same value again, through this node: ok (applied or forwarded) or a definite failure
      // (not-leader); either way the last write stays 7.
      const Exchange w = SendTo(i, RequestKind::kPut, k, put);
      if (w.c.type != EventType::kOk && w.c.type != EventType::kFail) {
        return Fail(it, w, "200 {} or 503 {\"error\":\"not-leader\",\"leader\":\"<id>\"}",
                    nodes_[i].id + " answers a write in no form of the protocol");
      }
      Exchange e = SendTo(i, RequestKind::kGet, k, "");
      // As the workers do: a not-leader answer naming a member is retried once there.
      if (std::optional<size_t> to = RedirectTarget(e, i)) {
        Exchange again = SendTo(*to, RequestKind::kGet, k, "");
        again.request = e.request + ", then (not-leader) " + again.request;
        e = std::move(again);
      }
      const bool not_leader = e.c.type == EventType::kFail && e.c.error == "not-leader";
      if (e.c.type != EventType::kOk && !not_leader) {
        return Fail(it, e,
                    "200 {\"value\": v} (null when not found) or 503 "
                    "{\"error\":\"not-leader\",\"leader\":\"<id>\"}",
                    "a worker bound to " + nodes_[i].id +
                        " cannot read: the answer is no form of the protocol");
      }
      if (e.c.type == EventType::kOk && !(e.c.value == v)) stale_nodes_ += " " + nodes_[i].id;
    }
    read_everywhere_done_ = true;
  }

  // Optional, never failed: a note on which nodes read another value than the last write.
  void LastWriteEverywhere(ProbeItem& it) {
    if (!read_everywhere_done_) {
      it.result = ProbeResult::kSkip;
      it.note = "\"read on every node\" did not pass";
    } else if (stale_nodes_.empty()) {
      it.note = "every node that answered read the last write";
    } else {
      it.note = stale_nodes_.substr(1) +
                " answered a value other than the last write: stale reads are the test's job, "
                "not the probe's";
    }
  }

  void NotLeader(ProbeItem& it) {
    std::string forwarded;
    std::string answered;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (i == main_) continue;
      const Exchange e = SendTo(i, RequestKind::kPut, Key("follower"),
                                Value::MakeObject({{"value", Value::Int(1)}}).ToJson());
      if (e.c.type == EventType::kOk) {
        forwarded += " " + nodes_[i].id;
        continue;
      }
      if (e.c.type != EventType::kFail || e.c.error != "not-leader") {
        Fail(it, e, "200 {} (forwarded) or 503 {\"error\":\"not-leader\",\"leader\":\"<id>\"}",
             nodes_[i].id + " neither accepts a write nor says it is not the leader");
        return;
      }
      if (!RedirectTarget(e, i)) {
        Fail(it, e, "503 {\"error\":\"not-leader\",\"leader\":\"" + nodes_[main_].id + "\"}",
             "the answer names no other member as leader, so a client cannot follow it");
        return;
      }
      answered += " " + nodes_[i].id;
    }
    if (!answered.empty()) it.note = "answer not-leader with the leader:" + answered;
    if (!forwarded.empty())
      it.note += std::string(it.note.empty() ? "" : "; ") + "forward writes:" + forwarded;
    if (answered.empty() && forwarded.empty()) it.note = "only one node";
  }

  void StatusShape(ProbeItem& it) {
    int missing = 0;
    std::string leaders;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const Exchange e = SendTo(i, RequestKind::kStatus, "", "");
      if (e.raw.transport == Transport::kResponse && e.raw.status == 404) {
        ++missing;
        first_ = e;
        continue;
      }
      const std::string shape =
          "200 {\"id\":\"" + nodes_[i].id +
          "\",\"role\":\"leader|follower|candidate\",\"term\":n,\"leader\":id|null,"
          "\"commit_index\":n}";
      if (e.raw.transport != Transport::kResponse || e.raw.status != 200) {
        return Fail(it, e, shape, nodes_[i].id + " does not answer /status with 200");
      }
      const std::optional<NodeStatus> s = ParseStatus(e.raw.body);
      if (!s) return Fail(it, e, shape, "a field is missing or has the wrong type");
      if (s->id != nodes_[i].id) {
        return Fail(it, e, shape,
                    "says its id is \"" + s->id + "\", faultline calls it " + nodes_[i].id);
      }
      if (s->role != "leader" && s->role != "follower" && s->role != "candidate") {
        return Fail(it, e, shape,
                    "role \"" + s->role + "\" is none of leader, follower, candidate");
      }
      if (s->role == "leader") leaders += " " + s->id;
    }
    if (missing == static_cast<int>(nodes_.size())) {
      it.result = ProbeResult::kSkip;
      it.note = "not offered (404): faults aimed at the leader will pick no node";
      return;
    }
    if (missing > 0) return Fail(it, first_, "200 {...}", "some nodes offer /status, some do not");
    it.note = leaders.empty() ? "no node says it is leader" : "leader:" + leaders;
  }

  void Locks(bool writable) {
    const bool required = options_.locks_required;
    if (!required && options_.required_only) return;
    const std::string name = Key("lock");
    int64_t t1 = 0;
    bool offered = true;
    auto lock_item = [&](const std::string& item, const std::function<void(ProbeItem&)>& body) {
      Item(item, required, [&](ProbeItem& it) {
        if (!writable) return NoWritableNode(it);
        if (!offered) {
          it.result = ProbeResult::kSkip;
          it.note = "no lock endpoints";
          return;
        }
        body(it);
      });
    };
    lock_item("lock acquire/release", [&](ProbeItem& it) {
      const Exchange a = Send(RequestKind::kAcquire, name, AcquireBody("owner-a", 10000));
      if (!required && a.raw.transport == Transport::kResponse && a.raw.status == 404) {
        offered = false;
        it.result = ProbeResult::kSkip;
        it.note = "not offered (404): --workload lock is not possible";
        return;
      }
      if (!ExpectToken(it, a, &t1)) return;
      if (!ExpectFailWith(it, Send(RequestKind::kAcquire, name, AcquireBody("owner-b", 10000)),
                          "held", "409 {\"error\":\"held\"}"))
        return;
      if (!ExpectFailWith(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-b", t1)),
                          "not-held", "409 {\"error\":\"not-held\"} (owner-b does not hold it)"))
        return;
      if (!ExpectOk(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-a", t1)), "200 {}"))
        return;
      ExpectFailWith(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-a", t1)), "not-held",
                     "409 {\"error\":\"not-held\"} (released already)");
    });
    int64_t t2 = 0;
    lock_item("fencing tokens grow", [&](ProbeItem& it) {
      const Exchange a = Send(RequestKind::kAcquire, name, AcquireBody("owner-b", 10000));
      if (!ExpectToken(it, a, &t2)) return;
      if (t2 <= t1) {
        return Fail(it, a, "200 {\"token\": n} with n > " + std::to_string(t1),
                    "a later grant has a token that is not greater");
      }
      ExpectOk(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-b", t2)), "200 {}");
    });
    lock_item("lease expiry", [&](ProbeItem& it) {
      int64_t t3 = 0;
      int64_t t4 = 0;
      if (!ExpectToken(
              it, Send(RequestKind::kAcquire, name, AcquireBody("owner-a", options_.lease.count())),
              &t3))
        return;
      std::this_thread::sleep_for(options_.lease + std::chrono::milliseconds(300));
      const Exchange b = Send(RequestKind::kAcquire, name, AcquireBody("owner-b", 10000));
      if (!ExpectToken(it, b, &t4)) {
        it.note = "the lease of " + std::to_string(options_.lease.count()) +
                  " ms ran out, yet: " + it.note;
        return;
      }
      if (t4 <= t3) {
        return Fail(it, b, "200 {\"token\": n} with n > " + std::to_string(t3),
                    "a grant after an expired lease has a token that is not greater");
      }
      if (!ExpectFailWith(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-a", t3)),
                          "not-held", "409 {\"error\":\"not-held\"} (its lease ran out)"))
        return;
      ExpectOk(it, Send(RequestKind::kRelease, name, ReleaseBody("owner-b", t4)), "200 {}");
    });
  }

  // ---- expectations: each returns whether it held, and fills a failed item ----

  void Fail(ProbeItem& it, const Exchange& e, const std::string& expected, const std::string& why) {
    it.result = ProbeResult::kFail;
    it.note = why;
    if (LooksLikeUnreadBody(e))
      it.note += "; hint: the store left the previous request's body unread (keep-alive)";
    it.request = e.request;
    it.answer = DescribeAnswer(e);
    it.expected = expected;
  }

  bool ExpectOk(ProbeItem& it, const Exchange& e, const std::string& expected) {
    if (e.c.type == EventType::kOk) return true;
    Fail(it, e, expected, "not an ok answer");
    return false;
  }

  bool ExpectValue(ProbeItem& it, const Exchange& e, const Value& v) {
    const std::string expected = "200 " + Value::MakeObject({{"value", v}}).ToJson();
    if (e.c.type != EventType::kOk) {
      Fail(it, e, expected, "not an ok answer");
      return false;
    }
    if (!(e.c.value == v)) {
      Fail(it, e, expected, "read " + Shorten(e.c.value.ToJson()) + ", not " + v.ToJson());
      return false;
    }
    return true;
  }

  bool ExpectMismatch(ProbeItem& it, const Exchange& e) {
    if (e.c.type == EventType::kFail && e.c.error == "mismatch") return true;
    Fail(it, e, "412 {\"error\":\"mismatch\"}",
         e.c.type == EventType::kOk ? "a cas whose from does not match the value was applied"
                                    : "a mismatch must be answered exactly so");
    return false;
  }

  bool ExpectFailWith(ProbeItem& it, const Exchange& e, const std::string& error,
                      const std::string& expected) {
    if (e.c.type == EventType::kFail && e.c.error == error) return true;
    Fail(it, e, expected, "not the definite failure the protocol asks for");
    return false;
  }

  bool ExpectToken(ProbeItem& it, const Exchange& e, int64_t* token) {
    if (e.c.type == EventType::kOk && e.c.value.is_int()) {
      *token = e.c.value.as_int();
      return true;
    }
    const bool missing = e.raw.transport == Transport::kResponse && e.raw.status == 404;
    Fail(it, e, "200 {\"token\": n}",
         missing ? "404: no lock endpoint" : "the lock was not granted");
    return false;
  }

  // ---- requests ----

  std::string Key(const std::string& item) const {
    return "faultline-probe-" + nonce_ + "-" + item;
  }

  static std::string CasBody(const Value& from, const Value& to) {
    return Value::MakeObject({{"from", from}, {"to", to}}).ToJson();
  }
  static std::string AcquireBody(const std::string& owner, int64_t ttl_ms) {
    return Value::MakeObject({{"owner", Value::String(owner)}, {"ttl_ms", Value::Int(ttl_ms)}})
        .ToJson();
  }
  static std::string ReleaseBody(const std::string& owner, int64_t token) {
    return Value::MakeObject({{"owner", Value::String(owner)}, {"token", Value::Int(token)}})
        .ToJson();
  }

  Exchange SendTo(size_t node, RequestKind kind, const std::string& key, const std::string& body) {
    Exchange e;
    const bool has_body = kind == RequestKind::kPut || kind == RequestKind::kCas ||
                          kind == RequestKind::kAcquire || kind == RequestKind::kRelease;
    e.request = std::string(RequestMethod(kind)) + " " + RequestPath(kind, key) +
                (has_body ? " " + body : "") + " to " + nodes_[node].id;
    e.body_sent = has_body ? body : "";
    e.previous_body = std::exchange(last_body_[node], e.body_sent);
    e.raw = clients_[node]->Send(kind, key, has_body ? body : "");
    e.c = MapResponse(kind, e.raw.transport, e.raw.status, e.raw.body, nodes_[node].id);
    return e;
  }

  // Whether an answer quotes the body of the request sent before it to the same node (as in 501
  // "Unsupported method ('{\"value\":1}GET')"): the store did not read that body, so on the
  // kept-alive connection it took the body as the start of the next request.
  static bool LooksLikeUnreadBody(const Exchange& e) {
    if (e.raw.transport != Transport::kResponse || e.previous_body.empty()) return false;
    std::string escaped;  // the body as quoted inside a JSON string
    for (const char ch : e.previous_body) {
      if (ch == '"' || ch == '\\') escaped += '\\';
      escaped += ch;
    }
    // The body glued to the next request's method, so an answer that merely echoes a value
    // (200 {"value":7} after PUT {"value":7}) is not taken for it.
    for (const std::string& quoted : {e.previous_body, escaped}) {
      for (const char* method : {"GET", "PUT", "POST", "DELETE"}) {
        if (e.raw.body.find(quoted + method) != std::string::npos) return true;
      }
    }
    return false;
  }

  // The member a not-leader answer names, when it is another member than `from`.
  std::optional<size_t> RedirectTarget(const Exchange& e, size_t from) const {
    if (e.c.type != EventType::kFail || e.c.error != "not-leader") return std::nullopt;
    const base::Result<Value> v = checker::ParseJson(e.raw.body);
    const Value* leader = v.ok() ? v->find("leader") : nullptr;
    if (leader == nullptr || !leader->is_string()) return std::nullopt;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (i != from && nodes_[i].id == leader->as_string()) return i;
    }
    return std::nullopt;
  }

  // One request to the node that takes writes. A 503 (certainly not applied) is retried, at the
  // leader it names when it names one: leadership may move while the probe runs.
  Exchange Send(RequestKind kind, const std::string& key, const std::string& body) {
    Exchange e = SendTo(main_, kind, key, body);
    for (int i = 0; i < options_.retries_503 && e.c.type == EventType::kFail &&
                    e.raw.transport == Transport::kResponse && e.raw.status == 503;
         ++i) {
      if (std::optional<size_t> to = RedirectTarget(e, main_)) {
        main_ = *to;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      e = SendTo(main_, kind, key, body);
    }
    return e;
  }

  // Finds a node that accepts a write: the leader /status names, else the first node whose
  // PUT is ok (following not-leader answers). False when none does within the retries.
  bool ChooseNode() {
    const std::string key = Key("start");
    const std::string body = Value::MakeObject({{"value", Value::Int(0)}}).ToJson();
    for (int attempt = 0; attempt <= options_.retries_503; ++attempt) {
      bool worth_retrying = false;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        size_t at = i;
        Exchange e = SendTo(at, RequestKind::kPut, key, body);
        if (std::optional<size_t> to = RedirectTarget(e, at)) {
          at = *to;
          e = SendTo(at, RequestKind::kPut, key, body);
        }
        if (e.c.type == EventType::kOk) {
          main_ = at;
          return true;
        }
        // Only a definite "not now" (503) or no answer yet is worth waiting for; a node that
        // answers something else (404, 400, garbage) will not change its mind.
        worth_retrying |= e.raw.transport != Transport::kResponse || e.raw.status == 503;
        first_ = std::move(e);
      }
      if (!worth_retrying) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  const std::vector<base::NodeAddress>& nodes_;
  const ProbeOptions& options_;
  std::vector<std::unique_ptr<RawKvClient>> clients_;
  std::string nonce_;
  size_t main_ = 0;
  std::vector<std::string> last_body_;  // per node, the body of the last request sent to it
  std::string stale_nodes_;  // " n2 n3": nodes that read another value than the last write
  bool read_everywhere_done_ = false;
  Exchange first_;  // the last exchange of a failed search (shown when no node is writable)
  ProbeReport* report_ = nullptr;
};

}  // namespace

const char* ProbeResultName(ProbeResult r) {
  switch (r) {
    case ProbeResult::kPass:
      return "pass";
    case ProbeResult::kFail:
      return "FAIL";
    case ProbeResult::kSkip:
      return "skip";
  }
  return "?";
}

bool ProbeReport::required_passed() const { return failed(true) == 0; }

int ProbeReport::failed(bool required) const {
  int n = 0;
  for (const ProbeItem& it : items) n += it.required == required && it.result == ProbeResult::kFail;
  return n;
}

ProbeReport RunProtocolProbe(const std::vector<base::NodeAddress>& nodes,
                             const ProbeOptions& options) {
  if (nodes.empty()) return ProbeReport{};
  return Prober(nodes, options).Run();
}

std::string FormatProbeReport(const ProbeReport& report) {
  size_t width = 4;
  for (const ProbeItem& it : report.items) width = std::max(width, it.name.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "  %-*s  %-8s  %s\n", static_cast<int>(width), "item",
                "required", "result");
  out += line;
  for (const ProbeItem& it : report.items) {
    std::snprintf(line, sizeof(line), "  %-*s  %-8s  %s", static_cast<int>(width), it.name.c_str(),
                  it.required ? "required" : "optional", ProbeResultName(it.result));
    out += line;
    if (!it.note.empty()) out += "  " + it.note;
    out += "\n";
  }
  // One block per distinct failure: items that failed on the same exchange (no writable node)
  // share it.
  std::vector<std::pair<std::string, const ProbeItem*>> blocks;  // names, the first item
  for (const ProbeItem& it : report.items) {
    if (it.result != ProbeResult::kFail) continue;
    auto same = std::find_if(blocks.begin(), blocks.end(), [&it](const auto& b) {
      return b.second->request == it.request && b.second->answer == it.answer &&
             b.second->expected == it.expected && b.second->note == it.note;
    });
    if (same != blocks.end()) {
      same->first += ", " + it.name;
    } else {
      blocks.emplace_back(it.name, &it);
    }
  }
  for (const auto& [names, it] : blocks) {
    out += "\n" + names + ": " + it->note + "\n";
    out += "  request:  " + it->request + "\n";
    out += "  answer:   " + it->answer + "\n";
    out += "  expected: " + it->expected + "\n";
  }
  const int req = report.failed(true);
  const int opt = report.failed(false);
  out += "\n";
  if (req == 0) {
    out += "every required item passed";
    if (opt > 0) out += " (" + std::to_string(opt) + " optional failed)";
  } else {
    out += std::to_string(req) + " required item" + (req == 1 ? "" : "s") +
           " failed: the store does not speak the protocol (docs/PROTOCOL.md)";
  }
  return out + "\n";
}

}  // namespace faultline::targets
