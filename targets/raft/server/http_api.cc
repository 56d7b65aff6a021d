#include "targets/raft/server/http_api.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

namespace faultline::raft::server {
namespace {

using nlohmann::json;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& error) {
  SendJson(res, status, json{{"error", error}});
}

json LeaderJson(NodeId id) { return id == kNoNode ? json(nullptr) : json(NodeName(id)); }

// Parses a request body as a JSON object; answers 400 and returns false when it is not one.
bool ParseBody(const httplib::Request& req, httplib::Response& res, json* out) {
  *out = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    SendError(res, 400, "body must be a JSON object");
    return false;
  }
  return true;
}

}  // namespace

struct HttpApi::Impl {
  explicit Impl(Node* n) : node(n) {}

  // Sends `request` to the loop and writes the HTTP answer.
  void Run(ClientRequest request, httplib::Response& res) {
    const ClientRequest::Kind kind = request.kind;
    const kv::Op op = request.command.op;
    std::future<ClientReply> f = node->Submit(std::move(request));
    if (f.wait_for(std::chrono::milliseconds(kRequestTimeoutMs)) != std::future_status::ready) {
      SendError(res, 504, "timeout");  // may still happen: indeterminate
      return;
    }
    const ClientReply r = f.get();
    switch (r.code) {
      case ReplyCode::kOk:
        if (kind == ClientRequest::Kind::kRead) {
          SendJson(res, 200, json{{"value", r.value ? json::parse(*r.value) : json(nullptr)}});
        } else if (op == kv::Op::kAcquire) {
          SendJson(res, 200, json{{"token", r.token}});
        } else {
          SendJson(res, 200, json::object());
        }
        return;
      case ReplyCode::kNotLeader:
        SendJson(res, 503, json{{"error", "not-leader"}, {"leader", LeaderJson(r.leader)}});
        return;
      case ReplyCode::kBusy:
        SendError(res, 503, "busy");
        return;
      case ReplyCode::kStopped:
        SendError(res, 503, "stopped");
        return;
      case ReplyCode::kMismatch:
        SendError(res, 412, "mismatch");
        return;
      case ReplyCode::kHeld:
        SendError(res, 409, "held");
        return;
      case ReplyCode::kNotHeld:
        SendError(res, 409, "not-held");
        return;
      case ReplyCode::kInvalid:
        SendError(res, 503, "invalid");  // applied with no effect on every replica
        return;
      case ReplyCode::kSuperseded:
        SendError(res, 503, "superseded");
        return;
      case ReplyCode::kUnknown:
        SendError(res, 500, "unknown outcome");
        return;
    }
    SendError(res, 500, "unknown outcome");
  }

  Node* node;
  httplib::Server server;
};

HttpApi::HttpApi(Node* node) : impl_(std::make_unique<Impl>(node)) {
  Impl* impl = impl_.get();
  httplib::Server& s = impl->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  s.set_payload_max_length(64u << 20);
  // httplib writes the status line/headers and the body separately: without TCP_NODELAY,
  // Nagle holds the body until the client's delayed ACK (~40 ms per keep-alive request).
  s.set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default; clients then reconnect
  // constantly and, with a backlog of 5, wait out TCP's 1 s retry under load (raftkv_bench).
  s.set_keep_alive_max_count(1000000);

  s.Get("/status", [impl](const httplib::Request&, httplib::Response& res) {
    ClientRequest req;
    req.kind = ClientRequest::Kind::kStatus;
    std::future<ClientReply> f = impl->node->Submit(req);
    if (f.wait_for(std::chrono::milliseconds(kRequestTimeoutMs)) != std::future_status::ready) {
      SendError(res, 504, "timeout");
      return;
    }
    const ClientReply r = f.get();
    if (r.code != ReplyCode::kOk) {
      SendError(res, 503, "stopped");
      return;
    }
    // DESIGN.md §6 knows three roles; a pre-candidate is a candidate that has not bumped its term.
    const char* role = r.role == Role::kLeader     ? "leader"
                       : r.role == Role::kFollower ? "follower"
                                                   : "candidate";
    SendJson(res, 200,
             json{{"id", NodeName(r.id)},
                  {"role", role},
                  {"term", r.term},
                  {"leader", LeaderJson(r.leader)},
                  {"commit_index", r.commit_index}});
  });
  s.Get(R"(/kv/(.+))", [impl](const httplib::Request& req, httplib::Response& res) {
    ClientRequest c;
    c.kind = ClientRequest::Kind::kRead;
    c.key = req.matches[1];
    impl->Run(std::move(c), res);
  });
  s.Put(R"(/kv/(.+))", [impl](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!ParseBody(req, res, &body)) return;
    if (!body.contains("value")) return SendError(res, 400, "missing \"value\"");
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    c.command.op = kv::Op::kPut;
    c.command.key = req.matches[1];
    c.command.value = body["value"].dump();  // canonical JSON text
    impl->Run(std::move(c), res);
  });
  s.Post(R"(/kv/(.+)/cas)", [impl](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!ParseBody(req, res, &body)) return;
    if (!body.contains("from") || !body.contains("to")) {
      return SendError(res, 400, "missing \"from\" or \"to\"");
    }
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    c.command.op = kv::Op::kCas;
    c.command.key = req.matches[1];
    c.command.from = body["from"].dump();
    c.command.to = body["to"].dump();
    impl->Run(std::move(c), res);
  });
  s.Delete(R"(/kv/(.+))", [impl](const httplib::Request& req, httplib::Response& res) {
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    c.command.op = kv::Op::kDelete;
    c.command.key = req.matches[1];
    impl->Run(std::move(c), res);
  });
  s.Post(R"(/lock/(.+)/acquire)", [impl](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!ParseBody(req, res, &body)) return;
    if (!body.contains("owner") || !body["owner"].is_string() || !body.contains("ttl_ms") ||
        !body["ttl_ms"].is_number_unsigned()) {
      return SendError(res, 400, "want {\"owner\": string, \"ttl_ms\": n}");
    }
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    c.command.op = kv::Op::kAcquire;
    c.command.key = req.matches[1];
    c.command.owner = body["owner"].get<std::string>();
    c.command.ttl_ms = body["ttl_ms"].get<uint64_t>();
    impl->Run(std::move(c), res);
  });
  s.Post(R"(/lock/(.+)/release)", [impl](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!ParseBody(req, res, &body)) return;
    if (!body.contains("owner") || !body["owner"].is_string() || !body.contains("token") ||
        !body["token"].is_number_unsigned()) {
      return SendError(res, 400, "want {\"owner\": string, \"token\": n}");
    }
    ClientRequest c;
    c.kind = ClientRequest::Kind::kCommand;
    c.command.op = kv::Op::kRelease;
    c.command.key = req.matches[1];
    c.command.owner = body["owner"].get<std::string>();
    c.command.token = body["token"].get<uint64_t>();
    impl->Run(std::move(c), res);
  });
}

HttpApi::~HttpApi() = default;

std::string HttpApi::Bind(const std::string& host, uint16_t port) {
  if (!impl_->server.bind_to_port(host, port)) {
    return "cannot listen on client port " + host + ":" + std::to_string(port);
  }
  return "";
}

void HttpApi::Serve() { impl_->server.listen_after_bind(); }

void HttpApi::Stop() { impl_->server.stop(); }

}  // namespace faultline::raft::server
