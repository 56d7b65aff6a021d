// ZkClient: the Client of targets/client.h for one real ZooKeeper server (3.8), over the C
// library (libzookeeper_mt, the synchronous API; zookeeper.h stays inside zk_client.cc). A
// faultline Value is stored as its JSON text in the data of the znode /faultline-<key>.
//
// The session is made on the first operation, with this one server as its only host (so every
// request goes to the node the history names), and kept; an expired session is replaced by a new
// one before the next operation. A request is only handed to the library while the session is
// connected: when it cannot connect within ClientOptions::connect_timeout the operation fails
// "not-connected" without anything sent. The synchronous API waits for an answer until the
// library gives up on the connection, after 2/3 of the session timeout; the target makes the
// session timeout 1.5 x the request timeout (ZkSessionTimeoutMs), so a request waits about as
// long as --request-timeout says.
//
//   get      ZkReads::kSync: sync (zoo_async) on the path, then getData; kPlain: getData alone.
//            A znode that does not exist reads null.
//   put      setData with any version; a missing znode is created (and an existing one found
//            by that create is set again).
//   cas      getData (after a sync in kSync mode); a value other than `from` is fail "mismatch"
//            (the compare executed on what this server had); else setData with the version read
//            (ZBADVERSION: another write came between, read again, up to 3 times, then fail
//            "bad-version": not applied, no observation). From null: create, ZNODEEXISTS is the
//            mismatch.
//   delete   delete with any version; a missing znode is ok.
//   acquire  the ephemeral sequential recipe: create /faultline-lock-<name>/<owner>- (EPHEMERAL |
//            SEQUENCE), then getChildren: when ours has the lowest sequence number we hold the
//            lock, and that number is the fencing token (sequence numbers only rise, and a holder
//            is the lowest of the queue, so every holder's number exceeds every earlier
//            holder's). Otherwise our znode is deleted again and the acquire fails "held" (no
//            waiting in the queue). Held until release or until the session ends (the lease).
//   release  delete of our znode: ok; gone already (the session expired and took it) → fail
//            "not-held".
// When an acquire or a release ends indeterminate, the session is closed: that deletes any znode
// of ours whose fate we no longer know (the library also gives up when the server cannot be
// reached, and the server then expires the session), so no lost znode blocks the lock forever.
//
// Status() does not use the session: it sends the four-letter command `srvr` on a fresh TCP
// connection (ParseSrvr).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/node_address.h"
#include "targets/client.h"
#include "targets/target.h"

namespace faultline::targets {

enum class ZkReads : uint8_t { kSync, kPlain };

// What a request was, for MapZkAnswer.
enum class ZkRequest : uint8_t {
  kGet,         // getData
  kSync,        // sync before a read
  kSet,         // setData (with or without an expected version)
  kCreate,      // create of a register znode or of a lock's directory
  kDelete,      // delete of a register znode
  kCreateLock,  // the ephemeral sequential znode of an acquire
  kChildren,    // getChildren of a lock's directory
  kDeleteLock,  // the delete of a release (or of a queued znode that lost)
};

// ZooKeeper's error codes (the C library's ZOO_ERRORS, which are the protocol's: zk_client.cc
// checks them against zookeeper.h).
namespace zkrc {
inline constexpr int kOk = 0;
inline constexpr int kSystemError = -1;
inline constexpr int kConnectionLoss = -4;
inline constexpr int kMarshallingError = -5;
inline constexpr int kUnimplemented = -6;
inline constexpr int kOperationTimeout = -7;
inline constexpr int kBadArguments = -8;
inline constexpr int kInvalidState = -9;
inline constexpr int kNoNode = -101;
inline constexpr int kNoAuth = -102;
inline constexpr int kBadVersion = -103;
inline constexpr int kNoChildrenForEphemerals = -108;
inline constexpr int kNodeExists = -110;
inline constexpr int kNotEmpty = -111;
inline constexpr int kSessionExpired = -112;
inline constexpr int kInvalidAcl = -114;
inline constexpr int kAuthFailed = -115;
inline constexpr int kClosing = -116;
inline constexpr int kSessionMoved = -118;
inline constexpr int kNotReadOnly = -119;
inline constexpr int kEphemeralOnLocalSession = -120;
inline constexpr int kThrottledOp = -127;
}  // namespace zkrc

// The completion for one request's return code `rc` (value left null: the caller fills it). The
// rule: `fail` only when the request certainly was not applied, everything else `info`.
//   kOk                       ok.
//   kNoNode                   get: ok (absent: the caller's value null). Otherwise fail "no-node"
//                             (delete of a lock znode: "not-held"): a request on a missing znode
//                             changed nothing.
//   kNodeExists, kBadVersion  fail "node-exists" / "bad-version": the server checked and refused.
//   refused by the library    kInvalidState (the session is expired or closed: nothing is sent),
//   before sending            kBadArguments, kMarshallingError, kClosing → fail.
//   refused by the server     kNoAuth, kInvalidAcl, kAuthFailed, kNotReadOnly, kThrottledOp,
//   before applying           kNotEmpty, kNoChildrenForEphemerals, kEphemeralOnLocalSession,
//                             kUnimplemented → fail (the request was rejected as it was prepared,
//                             before a transaction existed).
//   unknown outcome           kConnectionLoss (the connection dropped or timed out after the
//                             request was handed over: it may have been committed),
//                             kOperationTimeout, kSessionExpired (the library fails every pending
//                             request with it when it learns the session is gone; a request
//                             already forwarded to the leader may have committed), kSessionMoved,
//                             kSystemError and any other code → info. For reads too: a read whose
//                             answer never came completes info (DESIGN.md section 2).
// Error names: "connection-loss", "operation-timeout", "session-expired", "session-moved",
// "bad-version", "node-exists", "no-node", "invalid-state", ..., "zk-<rc>" for others.
Completion MapZkAnswer(ZkRequest request, int rc, const std::string& node);

// The name MapZkAnswer gives `rc` ("connection-loss", ...).
std::string ZkErrorName(int rc);

// The NodeStatus in the answer to `srvr`: "Mode: leader" (or standalone) → role "leader" and
// leader `node_id`, "Mode: follower" / "observer" → "follower" with leader "" (srvr does not name
// the leader); term is the epoch of "Zxid: 0x..." (its high 32 bits), commit_index its counter.
// nullopt when there is no Mode line (e.g. "This ZooKeeper instance is not currently serving
// requests" while it has no quorum).
std::optional<NodeStatus> ParseSrvr(std::string_view text, const std::string& node_id);

// The sequence number a sequential znode's name ends with (10 digits), nullopt if none.
std::optional<int64_t> ZnodeSequence(std::string_view name);

// The session timeout a client asks for: 1.5 x the request timeout (so that the library's
// connection timeout, 2/3 of it, is the request timeout) and at least `lease_ms` (a lock is held
// as long as its session lives, so the session must outlast the lease the lock workload and the
// mutex checker assume) and 1000 ms (2 x tickTime, ZooKeeper's minimum with zoo.cfg below).
int64_t ZkSessionTimeoutMs(std::chrono::milliseconds request_timeout, int64_t lease_ms);

// The zoo.cfg of `self` (its dataDir `data_dir`): tickTime 500 ms (a leader is given up after
// syncLimit 4 ticks), the client port on self.host, admin server off, the four-letter words srvr
// and ruok, sessions of up to 600 s (ZkSessionTimeoutMs may ask for more than 20 ticks), and
// server.<k>=<peer host:port>:<peer port + 1> for every member, k from its id nK. Errors: an id
// that is not n1..n255, a peer address without a port.
Result<std::string> ZooCfg(const base::NodeAddress& self, const PeerList& peers,
                           const std::string& data_dir);

// A client for `node`'s client port. Never returns nullptr.
std::unique_ptr<Client> MakeZooKeeperClient(const base::NodeAddress& node,
                                            const ClientOptions& options, ZkReads reads,
                                            int64_t lease_ms);

}  // namespace faultline::targets
