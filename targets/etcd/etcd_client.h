// EtcdClient: the Client of targets/client.h for a real etcd node, over etcd's v3 JSON gateway
// (grpc-gateway on the client URL; etcd 3.4: POST /v3/kv/range, /v3/kv/put, /v3/kv/txn,
// /v3/kv/deleterange, /v3/maintenance/status). Keys and values travel base64-encoded; a
// faultline Value is stored as its JSON text, so a read gives back exactly the Value written.
//
//   get     range on the key; linearizable (etcd's ReadIndex through the leader) or, with
//           EtcdReads::kSerializable, "serializable": true (the node's local state: may be stale)
//   put     put
//   cas     txn: compare VALUE == from, then put to. From null ("absent") compares the key's
//           CREATE revision with 0, because an absent key has no value to compare
//   delete  deleterange
//   acquire a lease of ceil(ttl) seconds (/v3/lease/grant), then /v3/lock/lock on the name with
//           that lease (it waits while another holder has the lock: a wait past the request
//           timeout is info), then a range on the lock's key: the token is the key's CREATE
//           revision. etcd grants the lock in create-revision order, so tokens rise with every
//           new holder (a fencing token, as Jepsen's etcd analysis used it).
//   release a txn that deletes the lock's key if its CREATE revision is still the token (what
//           /v3/lock/unlock does, minus its blindness: unlock deletes the key whether or not it
//           is still ours, so a holder whose lease ran out would see an ok release of a lock it
//           had lost); a failed compare is fail "not-held". Then the lease is revoked (best
//           effort).
//
// The ok/fail/info mapping is the pure function MapEtcdAnswer, unit-tested row by row; the
// transport part reuses the KV client's (ClassifyTransport, over the shared HttpConnection).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "targets/client.h"
#include "targets/kv_http_client.h"
#include "targets/target.h"

namespace faultline::targets {

enum class EtcdReads : uint8_t { kLinearizable, kSerializable };

enum class EtcdRequest : uint8_t { kRange, kPut, kTxn, kDelete, kLeaseGrant, kLock, kUnlock };

// The gateway path of each request ("/v3/kv/range", ...).
const char* EtcdPath(EtcdRequest request);

// Standard base64 with padding (RFC 4648), as the gateway's JSON carries bytes.
std::string Base64Encode(std::string_view bytes);
// nullopt on a character outside the alphabet or a bad length.
std::optional<std::string> Base64Decode(std::string_view text);

// Request bodies (JSON text).
std::string EtcdRangeBody(const std::string& key, EtcdReads reads);
std::string EtcdPutBody(const std::string& key, const Value& value);
std::string EtcdCasBody(const std::string& key, const Value& from, const Value& to);
std::string EtcdDeleteBody(const std::string& key);
// Deletes the lock key (base64) only while its create revision is `token`.
std::string EtcdReleaseBody(const std::string& lock_key_b64, int64_t token);

// The completion for one exchange. The rule: `fail` only when the request certainly was not
// applied, everything else `info`.
//   transport      as MapResponse: refused before anything was sent → fail
//                  "connection-refused"; timeouts, drops, a refusal after a kept-alive connection
//                  → info.
//   200            lease grant: ok, value the lease "ID" (text); lock: ok, value the lock's
//                  "key" (base64 text); unlock: ok.
//                  range: ok with the value of the first kv (decoded base64, parsed as JSON), null
//                  when "kvs" is absent (the key does not exist); txn: ok when "succeeded" is
//                  true, fail "mismatch" when it is absent or false (the compare executed and did
//                  not match: an observation, DESIGN.md section 2); put, deleterange: ok. A body
//                  that cannot be read: info "bad-response".
//   other status   the gateway's {"error"|"message": "etcdserver: ..."}. Fail only for errors
//                  etcd returns before the request is proposed to raft: "too many requests"
//                  (apply lags commit), "request is too large", "database space exceeded" (the
//                  NOSPACE alarm), "no leader", "raft proposal dropped" (no leader known when
//                  proposing: raft refused it), "not capable". Everything else is info, with the
//                  reason as the error: "request timed out" and "request timed out, possibly due
//                  to previous leader failure" (a proposal in flight: it may still commit),
//                  "leader changed" (the proposal or read was overtaken by an election: unknown),
//                  "server stopped", or an unknown message ("http-<status>").
// Error names are etcd's message without "etcdserver: ", spaces as '-' ("request-timed-out").
Completion MapEtcdAnswer(EtcdRequest request, Transport transport, long http_status,
                         std::string_view body, const std::string& node);

// The create revision of the first kv of a 200 range body; nullopt when there is none.
std::optional<int64_t> ParseCreateRevision(std::string_view body);

// The NodeStatus of a 200 /v3/maintenance/status body: role "leader" when the header's member_id
// is the leader's, else "follower" ("candidate" is not visible through the gateway); term the
// raftTerm; commit_index the raftIndex; leader `node_id` when this node leads, else "" (the
// status names members by number, not by name). nullopt when a field is missing.
std::optional<NodeStatus> ParseEtcdStatus(std::string_view body, const std::string& node_id);

// A client for `node`'s client URL. Never returns nullptr.
std::unique_ptr<Client> MakeEtcdClient(const base::NodeAddress& node, const ClientOptions& options,
                                       EtcdReads reads);

}  // namespace faultline::targets
