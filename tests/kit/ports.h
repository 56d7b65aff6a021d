// Loopback TCP ports for tests and benchmarks that start servers: one allocator instead of a
// "bind port 0, close, hope" finder in every file.
//
// A ReservedPort is a socket bound to 127.0.0.1:<port> with SO_REUSEADDR and never listened on,
// held until it is released or destroyed. While it is held:
//   - the kernel hands the port to no one else: neither bind(port 0) nor the automatic bind of an
//     outgoing connect() picks a port that a socket is bound to;
//   - a server that sets SO_REUSEADDR itself (raftkv, etcd and every Go listener do) can still
//     bind and listen on it, because Linux lets SO_REUSEADDR sockets share a port as long as at
//     most one of them listens. Connections go to the listener; the reservation never sees them.
// So the usual pattern is: reserve every port of a cluster, start the nodes on them, and keep the
// reservations for the cluster's lifetime; a killed node's ports stay taken until it restarts.
//
// The remaining races, honestly:
//   - a server that does NOT set SO_REUSEADDR cannot bind a held port: call Release() just
//     before starting it. Between Release() and its bind another process may take the port (a
//     bind(port 0) or an outgoing connection elsewhere on the machine); the window is the
//     server's start-up time. RaftkvCluster (raftkv_cluster.h) keeps its ports held and still
//     retries a start that fails with "Address already in use" on fresh ports, a bounded number
//     of times.
//   - another process that binds this exact port number with SO_REUSEADDR set shares it; only
//     a hard-coded port can do that, and nothing in this repository hard-codes one.
//
// Within one process a port is never handed out twice, even after its reservation is released:
// a process-wide set remembers every port given out (bounded by the 65535 port numbers; a test
// process uses a few hundred at most).
//
// Thread safety: Reserve() may be called from any thread. A ReservedPort is a move-only value
// owned by one thread at a time.
#pragma once

#include <cstdint>
#include <string>

namespace faultline::testkit {

class ReservedPort {
 public:
  // Reserves a fresh port on 127.0.0.1. On failure (no socket, no free port after a bounded
  // number of tries) the result has port() == 0 and error() says why.
  static ReservedPort Reserve();

  ReservedPort() = default;  // holds nothing; port() == 0
  ReservedPort(ReservedPort&& other) noexcept;
  ReservedPort& operator=(ReservedPort&& other) noexcept;
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  ~ReservedPort();  // releases

  uint16_t port() const { return port_; }  // stays valid after Release()
  bool held() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // Closes the reservation socket now (idempotent). The port number is still never handed out
  // again by this process, but other processes may take it from now on.
  void Release();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string error_;
};

}  // namespace faultline::testkit
