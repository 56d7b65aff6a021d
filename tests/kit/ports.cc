#include "tests/kit/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_set>
#include <utility>

namespace faultline::testkit {
namespace {

// Every port this process was handed, so that it is never handed out twice (the kernel may give
// a released port to the next bind(port 0)).
std::mutex g_mu;
std::unordered_set<uint16_t>& HandedOut() {
  static auto* ports = new std::unordered_set<uint16_t>();  // never destroyed: used at exit too
  return *ports;
}

// A bound reservation has SO_REUSEADDR, so the kernel's bind(port 0) never picks a port another
// socket holds; this bound only matters when this process already used most ports.
constexpr int kMaxTries = 64;

}  // namespace

ReservedPort ReservedPort::Reserve() {
  ReservedPort out;
  for (int attempt = 0; attempt < kMaxTries; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      out.error_ = std::string("socket: ") + std::strerror(errno);
      return out;
    }
    const int one = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      out.error_ = std::string("bind 127.0.0.1:0: ") + std::strerror(errno);
      ::close(fd);
      return out;
    }
    const uint16_t port = ntohs(addr.sin_port);
    {
      std::lock_guard<std::mutex> lock(g_mu);
      if (HandedOut().insert(port).second) {
        out.fd_ = fd;
        out.port_ = port;
        out.error_.clear();
        return out;
      }
    }
    ::close(fd);  // handed out before (and released since): try another
  }
  out.error_ =
      "no loopback port this process has not used after " + std::to_string(kMaxTries) + " tries";
  return out;
}

ReservedPort::ReservedPort(ReservedPort&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(std::exchange(other.port_, 0)),
      error_(std::move(other.error_)) {}

ReservedPort& ReservedPort::operator=(ReservedPort&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    port_ = std::exchange(other.port_, 0);
    error_ = std::move(other.error_);
  }
  return *this;
}

ReservedPort::~ReservedPort() { Release(); }

void ReservedPort::Release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace faultline::testkit
