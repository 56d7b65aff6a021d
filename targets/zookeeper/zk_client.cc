#include "targets/zookeeper/zk_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "targets/http_connection.h"

namespace faultline::targets {

// zkrc mirrors the library's codes (they are the protocol's, stable across versions).
static_assert(zkrc::kOk == ZOK && zkrc::kSystemError == ZSYSTEMERROR &&
              zkrc::kConnectionLoss == ZCONNECTIONLOSS &&
              zkrc::kMarshallingError == ZMARSHALLINGERROR &&
              zkrc::kUnimplemented == ZUNIMPLEMENTED &&
              zkrc::kOperationTimeout == ZOPERATIONTIMEOUT &&
              zkrc::kBadArguments == ZBADARGUMENTS && zkrc::kInvalidState == ZINVALIDSTATE &&
              zkrc::kNoNode == ZNONODE && zkrc::kNoAuth == ZNOAUTH &&
              zkrc::kBadVersion == ZBADVERSION &&
              zkrc::kNoChildrenForEphemerals == ZNOCHILDRENFOREPHEMERALS &&
              zkrc::kNodeExists == ZNODEEXISTS && zkrc::kNotEmpty == ZNOTEMPTY &&
              zkrc::kSessionExpired == ZSESSIONEXPIRED && zkrc::kInvalidAcl == ZINVALIDACL &&
              zkrc::kAuthFailed == ZAUTHFAILED && zkrc::kClosing == ZCLOSING &&
              zkrc::kSessionMoved == ZSESSIONMOVED && zkrc::kNotReadOnly == ZNOTREADONLY &&
              zkrc::kEphemeralOnLocalSession == ZEPHEMERALONLOCALSESSION &&
              zkrc::kThrottledOp == ZTHROTTLEDOP);

namespace {

using checker::EventType;
using checker::ParseJson;

bool RefusedBeforeSending(int rc) {
  return rc == zkrc::kInvalidState || rc == zkrc::kBadArguments || rc == zkrc::kMarshallingError ||
         rc == zkrc::kClosing;
}

bool RefusedByServer(int rc) {
  for (int r :
       {zkrc::kNoAuth, zkrc::kInvalidAcl, zkrc::kAuthFailed, zkrc::kNotReadOnly, zkrc::kThrottledOp,
        zkrc::kNotEmpty, zkrc::kNoChildrenForEphemerals, zkrc::kEphemeralOnLocalSession,
        zkrc::kUnimplemented, zkrc::kNodeExists, zkrc::kBadVersion}) {
    if (rc == r) return true;
  }
  return false;
}

}  // namespace

std::string ZkErrorName(int rc) {
  switch (rc) {
    case zkrc::kOk:
      return "";
    case zkrc::kSystemError:
      return "system-error";
    case zkrc::kConnectionLoss:
      return "connection-loss";
    case zkrc::kMarshallingError:
      return "marshalling-error";
    case zkrc::kUnimplemented:
      return "unimplemented";
    case zkrc::kOperationTimeout:
      return "operation-timeout";
    case zkrc::kBadArguments:
      return "bad-arguments";
    case zkrc::kInvalidState:
      return "invalid-state";
    case zkrc::kNoNode:
      return "no-node";
    case zkrc::kNoAuth:
      return "no-auth";
    case zkrc::kBadVersion:
      return "bad-version";
    case zkrc::kNoChildrenForEphemerals:
      return "no-children-for-ephemerals";
    case zkrc::kNodeExists:
      return "node-exists";
    case zkrc::kNotEmpty:
      return "not-empty";
    case zkrc::kSessionExpired:
      return "session-expired";
    case zkrc::kInvalidAcl:
      return "invalid-acl";
    case zkrc::kAuthFailed:
      return "auth-failed";
    case zkrc::kClosing:
      return "closing";
    case zkrc::kSessionMoved:
      return "session-moved";
    case zkrc::kNotReadOnly:
      return "not-read-only";
    case zkrc::kEphemeralOnLocalSession:
      return "ephemeral-on-local-session";
    case zkrc::kThrottledOp:
      return "throttled";
  }
  return "zk-" + std::to_string(rc);
}

Completion MapZkAnswer(ZkRequest request, int rc, const std::string& node) {
  if (rc == zkrc::kOk) return Make(EventType::kOk, Value(), "", node);
  if (rc == zkrc::kNoNode) {
    if (request == ZkRequest::kGet) return Make(EventType::kOk, Value(), "", node);
    return Fail(request == ZkRequest::kDeleteLock ? "not-held" : "no-node", node);
  }
  if (RefusedBeforeSending(rc) || RefusedByServer(rc)) return Fail(ZkErrorName(rc), node);
  return Info(ZkErrorName(rc), node);
}

std::optional<NodeStatus> ParseSrvr(std::string_view text, const std::string& node_id) {
  std::optional<std::string> mode;
  std::optional<uint64_t> zxid;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    begin = end + 1;
    auto value = [&line](std::string_view name) -> std::optional<std::string_view> {
      if (line.substr(0, name.size()) != name) return std::nullopt;
      std::string_view v = line.substr(name.size());
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return v;
    };
    if (auto m = value("Mode:")) mode = std::string(*m);
    if (auto z = value("Zxid:")) {
      std::string hex(*z);
      if (hex.rfind("0x", 0) == 0) hex.erase(0, 2);
      if (!hex.empty() && hex.size() <= 16 &&
          hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
        zxid = std::stoull(hex, nullptr, 16);
      }
    }
  }
  if (!mode) return std::nullopt;
  NodeStatus s;
  s.id = node_id;
  if (*mode == "leader" || *mode == "standalone") {
    s.role = "leader";
    s.leader = node_id;
  } else if (*mode == "follower" || *mode == "observer") {
    s.role = "follower";
  } else {
    return std::nullopt;
  }
  s.term = zxid ? static_cast<int64_t>(*zxid >> 32) : 0;
  s.commit_index = zxid ? static_cast<int64_t>(*zxid & 0xFFFFFFFFu) : 0;
  return s;
}

std::optional<int64_t> ZnodeSequence(std::string_view name) {
  constexpr size_t kDigits = 10;
  if (name.size() < kDigits) return std::nullopt;
  const std::string_view digits = name.substr(name.size() - kDigits);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::stoll(std::string(digits));
}

int64_t ZkSessionTimeoutMs(std::chrono::milliseconds request_timeout, int64_t lease_ms) {
  const int64_t from_request = request_timeout.count() * 3 / 2;
  return std::max<int64_t>({1000, from_request, lease_ms});
}

Result<std::string> ZooCfg(const base::NodeAddress& self, const PeerList& peers,
                           const std::string& data_dir) {
  auto number = [](const std::string& id) -> std::optional<int> {
    if (id.size() < 2 || id[0] != 'n' || id.size() > 4 ||
        id.find_first_not_of("0123456789", 1) != std::string::npos) {
      return std::nullopt;
    }
    const int k = std::stoi(id.substr(1));
    if (k < 1 || k > 255) return std::nullopt;
    return k;
  };
  if (!number(self.id)) {
    return Status::InvalidArgument("zookeeper: node id " + self.id + " is not n1..n255");
  }
  std::string servers;
  for (const auto& [id, address] : peers) {
    const std::optional<int> k = number(id);
    if (!k) return Status::InvalidArgument("zookeeper: node id " + id + " is not n1..n255");
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 >= address.size() ||
        address.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return Status::InvalidArgument("zookeeper: peer address '" + address + "' of " + id +
                                     " has no port");
    }
    const int port = std::stoi(address.substr(colon + 1));
    servers +=
        "server." + std::to_string(*k) + "=" + address + ":" + std::to_string(port + 1) + "\n";
  }
  return "# written by faultline for " + self.id +
         "\n"
         "tickTime=500\n"
         "initLimit=20\n"
         "syncLimit=4\n"
         "dataDir=" +
         data_dir +
         "\n"
         "clientPort=" +
         std::to_string(self.client_port) +
         "\n"
         "clientPortAddress=" +
         self.host +
         "\n"
         "admin.enableServer=false\n"
         "4lw.commands.whitelist=srvr,ruok\n"
         "autopurge.purgeInterval=0\n"
         // The default maximum (20 ticks, 10 s) would cut a session asked for a longer
         // --lease-ms short, and the mutex checker assumes a lock outlives its lease.
         "maxSessionTimeout=600000\n" +
         servers;
}

namespace {

// The library logs to stderr by default, which would interleave with the harness's output.
void QuietLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(static_cast<ZooLogLevel>(0)); });
}

// One ZooKeeper session (a zhandle_t and its two library threads). The library calls Watch on
// its completion thread; everything else is the owning worker's. The handle is closed (and its
// threads joined) before this object goes away, so the watcher never sees a dangling context.
class Session {
 public:
  Session(const std::string& host, int64_t timeout_ms) {
    zh_ = zookeeper_init(host.c_str(), &Session::Watch, static_cast<int>(timeout_ms), nullptr, this,
                         0);
  }
  ~Session() {
    if (zh_ != nullptr) zookeeper_close(zh_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  zhandle_t* zh() const { return zh_; }
  bool Expired() const {
    if (zh_ == nullptr) return true;
    const int s = zoo_state(zh_);
    return s == ZOO_EXPIRED_SESSION_STATE || s == ZOO_AUTH_FAILED_STATE;
  }
  // Waits until the session is connected, at most `timeout`.
  bool WaitConnected(std::chrono::milliseconds timeout) {
    if (zh_ == nullptr) return false;
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] {
      return zoo_state(zh_) == ZOO_CONNECTED_STATE || Expired();
    }) && zoo_state(zh_) == ZOO_CONNECTED_STATE;
  }

 private:
  static void Watch(zhandle_t*, int type, int, const char*, void* context) {
    if (type != ZOO_SESSION_EVENT) return;
    auto* self = static_cast<Session*>(context);
    { std::lock_guard<std::mutex> lock(self->mu_); }
    self->cv_.notify_all();
  }

  zhandle_t* zh_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
};

// zoo_async's completion, waited for with a bound. Shared with the library's completion thread:
// whoever is last frees it.
struct SyncWait {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = zkrc::kOperationTimeout;
};

void SyncDone(int rc, const char*, const void* data) {
  auto* holder = static_cast<std::shared_ptr<SyncWait>*>(const_cast<void*>(data));
  {
    std::lock_guard<std::mutex> lock((*holder)->mu);
    (*holder)->rc = rc;
    (*holder)->done = true;
  }
  (*holder)->cv.notify_all();
  delete holder;
}

// One `srvr` exchange on a fresh TCP connection; "" when the node does not answer in time.
std::string FourLetterWord(const std::string& host, int port, const char* word,
                           std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
  };
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1) {
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    bool connected = rc == 0;
    if (!connected && errno == EINPROGRESS && wait(POLLOUT)) {
      int err = 0;
      socklen_t len = sizeof err;
      connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    if (connected && ::send(fd, word, std::strlen(word), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(std::strlen(word))) {
      char buf[4096];
      while (out.size() < 64 * 1024 && wait(POLLIN)) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return out;
}

constexpr int kCasAttempts = 3;

// Not thread-safe, like every Client: one worker owns it.
class ZkClient final : public Client {
 public:
  ZkClient(const base::NodeAddress& node, const ClientOptions& options, ZkReads reads,
           int64_t lease_ms)
      : node_(node.id),
        host_(node.host),
        port_(node.client_port),
        options_(options),
        reads_(reads),
        session_timeout_ms_(ZkSessionTimeoutMs(options.timeout, lease_ms)) {}

  const std::string& node() const override { return node_; }

  Completion Get(const std::string& key) override {
    std::string path;
    if (std::optional<Completion> bad = Prepare(key, &path)) return *bad;
    Value v;
    Completion c = Read(path, &v, nullptr);
    if (c.type == EventType::kOk) c.value = std::move(v);
    return c;
  }

  Completion Put(const std::string& key, const Value& value) override {
    std::string path;
    if (std::optional<Completion> bad = Prepare(key, &path)) return *bad;
    const std::string data = value.ToJson();
    for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
      int rc = zoo_set(zh(), path.c_str(), data.data(), static_cast<int>(data.size()), -1);
      if (rc != zkrc::kNoNode) return MapZkAnswer(ZkRequest::kSet, rc, node_);
      rc = zoo_create(zh(), path.c_str(), data.data(), static_cast<int>(data.size()),
                      &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
      // Created meanwhile by another client: set it (a definite "not applied" so far).
      if (rc != zkrc::kNodeExists) return MapZkAnswer(ZkRequest::kCreate, rc, node_);
    }
    return Fail("contended", node_);
  }

  Completion Cas(const std::string& key, const Value& from, const Value& to) override {
    std::string path;
    if (std::optional<Completion> bad = Prepare(key, &path)) return *bad;
    const std::string data = to.ToJson();
    for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
      Value current;
      int version = -1;
      Completion read = Read(path, &current, &version);
      // The read changed nothing: whatever it ended with, the cas certainly was not applied.
      if (read.type != EventType::kOk) return Fail("read-" + read.error, node_);
      if (current != from) return Fail("mismatch", node_);
      if (from.is_null()) {
        const int rc = zoo_create(zh(), path.c_str(), data.data(), static_cast<int>(data.size()),
                                  &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
        if (rc == zkrc::kNodeExists) continue;  // created since the read: read again
        return MapZkAnswer(ZkRequest::kCreate, rc, node_);
      }
      const int rc =
          zoo_set(zh(), path.c_str(), data.data(), static_cast<int>(data.size()), version);
      // ZBADVERSION: written since the read (maybe with `from` again): read again. ZNONODE:
      // deleted since the read.
      if (rc == zkrc::kBadVersion || rc == zkrc::kNoNode) continue;
      return MapZkAnswer(ZkRequest::kSet, rc, node_);
    }
    return Fail("bad-version", node_);
  }

  Completion Delete(const std::string& key) override {
    std::string path;
    if (std::optional<Completion> bad = Prepare(key, &path)) return *bad;
    const int rc = zoo_delete(zh(), path.c_str(), -1);
    if (rc == zkrc::kNoNode) return Make(EventType::kOk, Value(), "", node_);
    return MapZkAnswer(ZkRequest::kDelete, rc, node_);
  }

  Completion Acquire(const std::string& name, const std::string& owner, int64_t) override {
    std::string dir;
    if (std::optional<Completion> bad = Prepare("lock-" + name, &dir)) return *bad;
    if (owner.find('/') != std::string::npos) return Fail("bad-owner", node_);
    // The lock's directory: a persistent znode, created once. Nothing here grants the lock.
    int rc = zoo_create(zh(), dir.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != zkrc::kOk && rc != zkrc::kNodeExists) return Fail("dir-" + ZkErrorName(rc), node_);

    char created[512];
    const std::string prefix = dir + "/" + owner + "-";
    rc = zoo_create(zh(), prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE,
                    created, sizeof created);
    if (rc != zkrc::kOk) return LockUnknown(MapZkAnswer(ZkRequest::kCreateLock, rc, node_));
    const std::string mine = created;
    const std::optional<int64_t> token = ZnodeSequence(mine);
    if (!token) return LockUnknown(Info("bad-sequence", node_));

    String_vector children{};
    rc = zoo_get_children(zh(), dir.c_str(), 0, &children);
    if (rc != zkrc::kOk) return LockUnknown(MapZkAnswer(ZkRequest::kChildren, rc, node_));
    std::optional<int64_t> lowest;
    for (int32_t i = 0; i < children.count; ++i) {
      const std::optional<int64_t> seq = ZnodeSequence(children.data[i]);
      if (seq && (!lowest || *seq < *lowest)) lowest = seq;
    }
    deallocate_String_vector(&children);
    if (lowest && *lowest == *token) {
      held_[*token] = mine;
      return Make(EventType::kOk, Value::Int(*token), "", node_);
    }
    // Someone is ahead in the queue: leave it again.
    rc = zoo_delete(zh(), mine.c_str(), -1);
    if (rc == zkrc::kOk) return Fail("held", node_);
    return LockUnknown(MapZkAnswer(ZkRequest::kDeleteLock, rc, node_));
  }

  Completion Release(const std::string&, const std::string&, int64_t token) override {
    auto it = held_.find(token);
    if (it == held_.end()) return Fail("not-held", node_);  // never sent
    const std::string path = it->second;
    held_.erase(it);
    if (!session_ || session_->Expired()) {
      // The session that held the znode is gone, and the znode with it.
      return Fail("not-held", node_);
    }
    if (!session_->WaitConnected(options_.connect_timeout)) {
      // Not sent; the znode stays ours until the session ends, so end it now.
      CloseSession();
      return Info("not-connected", node_);
    }
    const int rc = zoo_delete(zh(), path.c_str(), -1);
    if (rc == zkrc::kInvalidState) return Fail("not-held", node_);
    Completion c = MapZkAnswer(ZkRequest::kDeleteLock, rc, node_);
    return c.type == EventType::kInfo ? LockUnknown(std::move(c)) : c;
  }

  std::optional<NodeStatus> Status() override {
    return ParseSrvr(FourLetterWord(host_, port_, "srvr", options_.timeout), node_);
  }

 private:
  zhandle_t* zh() const { return session_->zh(); }

  // A session that is connected, for a request on /faultline-<key> (*path). nullopt when ready;
  // else the completion of an operation that sent nothing.
  std::optional<Completion> Prepare(const std::string& key, std::string* path) {
    if (key.empty() || key.find('/') != std::string::npos) return Fail("bad-key", node_);
    *path = "/faultline-" + key;
    if (session_ && session_->Expired()) CloseSession();
    if (!session_) {
      QuietLibrary();
      session_ =
          std::make_unique<Session>(host_ + ":" + std::to_string(port_), session_timeout_ms_);
      if (session_->zh() == nullptr) {
        session_.reset();
        return Fail("session-init", node_);
      }
    }
    if (!session_->WaitConnected(options_.connect_timeout)) return Fail("not-connected", node_);
    return std::nullopt;
  }

  // getData (after a sync in kSync mode): ok with *value (null when absent) and *version.
  Completion Read(const std::string& path, Value* value, int* version) {
    if (reads_ == ZkReads::kSync) {
      auto wait = std::make_shared<SyncWait>();
      auto* holder = new std::shared_ptr<SyncWait>(wait);
      int rc = zoo_async(zh(), path.c_str(), &SyncDone, holder);
      if (rc != zkrc::kOk) {
        delete holder;  // not queued: the completion will never run
        return MapZkAnswer(ZkRequest::kSync, rc, node_);
      }
      std::unique_lock<std::mutex> lock(wait->mu);
      // The library answers every queued request, at the latest when it gives up on the
      // connection (2/3 of the session timeout); the bound is a guard.
      const auto bound = std::chrono::milliseconds(session_timeout_ms_ + 1000);
      if (!wait->cv.wait_for(lock, bound, [&wait] { return wait->done; })) {
        return Info("sync-timeout", node_);
      }
      rc = wait->rc;
      if (rc != zkrc::kOk && rc != zkrc::kNoNode) {
        return MapZkAnswer(ZkRequest::kSync, rc, node_);
      }
    }
    std::vector<char> buf(64 * 1024);
    for (int attempt = 0; attempt < 2; ++attempt) {
      int len = static_cast<int>(buf.size());
      struct Stat stat {};
      const int rc = zoo_get(zh(), path.c_str(), 0, buf.data(), &len, &stat);
      if (rc == zkrc::kNoNode) {
        *value = Value();
        if (version) *version = -1;
        return Make(EventType::kOk, Value(), "", node_);
      }
      if (rc != zkrc::kOk) return MapZkAnswer(ZkRequest::kGet, rc, node_);
      if (stat.dataLength > static_cast<int32_t>(buf.size())) {  // cut short: read it whole
        buf.resize(static_cast<size_t>(stat.dataLength));
        continue;
      }
      auto parsed = ParseJson(std::string_view(buf.data(), len < 0 ? 0 : len));
      if (!parsed.ok()) return Info("bad-data", node_);
      *value = std::move(parsed).value();
      if (version) *version = stat.version;
      return Make(EventType::kOk, Value(), "", node_);
    }
    return Info("bad-data", node_);
  }

  // A lock request ended indeterminate: end the session, which deletes whatever znode of ours
  // it left (now, or when the server expires the session).
  Completion LockUnknown(Completion c) {
    if (c.type == EventType::kInfo) CloseSession();
    return c;
  }

  void CloseSession() {
    session_.reset();
    held_.clear();
  }

  const std::string node_;
  const std::string host_;
  const int port_;
  const ClientOptions options_;
  const ZkReads reads_;
  const int64_t session_timeout_ms_;
  std::unique_ptr<Session> session_;
  std::map<int64_t, std::string> held_;  // token -> the path of our lock znode
};

}  // namespace

std::unique_ptr<Client> MakeZooKeeperClient(const base::NodeAddress& node,
                                            const ClientOptions& options, ZkReads reads,
                                            int64_t lease_ms) {
  return std::make_unique<ZkClient>(node, options, reads, lease_ms);
}

}  // namespace faultline::targets
