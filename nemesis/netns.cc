#include "nemesis/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

namespace faultline::nemesis {
namespace {

constexpr int kMaxRunIdChars = 8;
constexpr int kIfNameMaxChars = 15;  // IFNAMSIZ - 1
constexpr int kMaxNodes = 253;       // .1 .. .253; .254 is the bridge
// `ip` and `nft` answer in milliseconds; one that has not finished in this long is stuck.
constexpr auto kCommandTimeout = std::chrono::seconds(10);
constexpr size_t kMaxCapturedBytes = 64 * 1024;
constexpr const char* kTable = "faultline";

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string FindTool(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  // Non-login root shells often lack the sbin directories where ip and nft live.
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.push_back(d);
  for (const std::string& dir : dirs) {
    const std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

struct CommandResult {
  int exit_code = -1;  // -1: did not run or did not exit normally
  std::string out;
  std::string err;
};

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

// Runs argv (argv[0] an absolute path) with stdin from /dev/null, capturing stdout and stderr,
// killing it if it outlives kCommandTimeout. The child is always reaped.
CommandResult Run(const std::vector<std::string>& argv) {
  CommandResult res;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    res.err = ErrnoText("pipe");
    return res;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    res.err = ErrnoText("pipe");
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return res;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    res.err = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return res;
  }
  const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open = 2;
  bool timed_out = false;
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int r = ::poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        if (sinks[i]->size() < kMaxCapturedBytes) sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);  // our own child, still unreaped, so the pid is its
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    res.exit_code = -1;
    res.err = "timed out after 10 s";
  } else if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  }
  return res;
}

// Ok, or a one-line error naming the command and the first line it printed to stderr.
Status RunOk(const std::vector<std::string>& argv) {
  CommandResult r = Run(argv);
  if (r.exit_code == 0) return Status::Ok();
  std::string why = FirstLine(r.err);
  if (why.empty()) why = "exit code " + std::to_string(r.exit_code);
  return Status::IoError("netns: `" + Joined(argv) + "` failed: " + why);
}

bool ValidRunId(const std::string& run_id) {
  if (run_id.empty() || run_id.size() > static_cast<size_t>(kMaxRunIdChars)) return false;
  for (const char c : run_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool ValidNodeId(const std::string& id) {
  if (id.empty()) return false;
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Every IPv4 network already in use on the host (interface addresses and routes), as
// (network, mask) in host byte order.
std::vector<std::pair<uint32_t, uint32_t>> HostNetworks() {
  std::vector<std::pair<uint32_t, uint32_t>> nets;
  ifaddrs* ifs = nullptr;
  if (::getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      const uint32_t addr = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      uint32_t mask = 0xffffffffu;
      if (i->ifa_netmask != nullptr) {
        mask = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
      }
      nets.emplace_back(addr & mask, mask);
    }
    ::freeifaddrs(ifs);
  }
  // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; hex, network
  // byte order as stored in memory (little-endian here). The default route (mask 0) overlaps
  // everything and says nothing about local use, so it is skipped.
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);
  while (std::getline(routes, line)) {
    std::istringstream ss(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(ss >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
    const uint32_t d = ntohl(static_cast<uint32_t>(std::stoul(dest, nullptr, 16)));
    const uint32_t m = ntohl(static_cast<uint32_t>(std::stoul(mask, nullptr, 16)));
    if (m == 0) continue;
    nets.emplace_back(d & m, m);
  }
  return nets;
}

std::string Ipv4Text(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// The janitor's script. run_id is validated (letters, digits, '_'), so it is safe to splice in.
std::string JanitorScript(const std::string& prefix) {
  return "PATH=/usr/sbin:/sbin:/usr/bin:/bin:$PATH\n"
         "read -r line\n"
         "[ \"$line\" = done ] && exit 0\n"
         "P='" +
         prefix +
         "'\n"
         "for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do\n"
         "  case \"$ns\" in \"$P\"*)\n"
         "    for p in $(ip netns pids \"$ns\" 2>/dev/null); do kill -9 \"$p\" 2>/dev/null; done\n"
         "    ip netns del \"$ns\" 2>/dev/null;;\n"
         "  esac\n"
         "done\n"
         "for l in $(ip -o link show 2>/dev/null | cut -d: -f2 | cut -d@ -f1); do\n"
         "  case \"$l\" in \"$P\"*) ip link del \"$l\" 2>/dev/null;; esac\n"
         "done\n"
         "exit 0\n";
}

}  // namespace

NetnsBackend::NetnsBackend(NetOptions options)
    : options_(std::move(options)), ip_(FindTool("ip")), nft_(FindTool("nft")) {}

NetnsBackend::~NetnsBackend() { Teardown(); }

Status NetnsBackend::Probe() {
  if (::geteuid() != 0) return Status::InvalidArgument("not root");
  const std::string ip = FindTool("ip");
  const std::string nft = FindTool("nft");
  if (ip.empty()) return Status::InvalidArgument("`ip` (iproute2) not found");
  if (nft.empty()) return Status::InvalidArgument("`nft` (nftables) not found");
  // A name no run can have: run ids are at most kMaxRunIdChars characters.
  const std::string ns =
      "flprobe" + std::to_string(::getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  Status s = RunOk({ip, "netns", "add", ns});
  if (!s.ok()) return s;
  s = RunOk({ip, "netns", "exec", ns, nft, "add table inet " + std::string(kTable)});
  if (s.ok()) s = RunOk({ip, "netns", "exec", ns, nft, "list ruleset"});
  const Status del = RunOk({ip, "netns", "del", ns});
  if (!s.ok()) return s;
  return del;
}

std::string NetnsBackend::NamespaceName(const std::string& id) const { return Prefix() + id; }

Status NetnsBackend::StartJanitor() {
  int sv[2];
  // A socket pair rather than a pipe so that our "done" can be sent with MSG_NOSIGNAL: a janitor
  // killed by someone else must not take the controller down with SIGPIPE.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::IoError(ErrnoText("netns: janitor socketpair"));
  }
  const std::string script = JanitorScript(Prefix());
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return Status::IoError(ErrnoText("netns: janitor fork"));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only (the controller may have threads).
    ::setsid();  // a Ctrl-C to the controller's process group must not reach the janitor
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ign, nullptr);
    ::sigaction(SIGTERM, &ign, nullptr);
    ::sigaction(SIGHUP, &ign, nullptr);
    ::sigaction(SIGPIPE, &ign, nullptr);
    if (::dup2(sv[1], 0) < 0) ::_exit(127);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    // Hold nothing of the controller's open: a held socket or pipe would outlive it.
    ::close_range(3, ~0U, 0);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(sv[1]);
  janitor_pid_ = pid;
  janitor_fd_ = sv[0];
  return Status::Ok();
}

void NetnsBackend::StopJanitor() {
  if (janitor_fd_ >= 0) {
    static constexpr char kDone[] = "done\n";
    [[maybe_unused]] ssize_t w = ::send(janitor_fd_, kDone, sizeof(kDone) - 1, MSG_NOSIGNAL);
    ::close(janitor_fd_);
    janitor_fd_ = -1;
  }
  if (janitor_pid_ > 0) {
    // It exits at once on "done"; bounded anyway, and killed (our child, unreaped) if stuck.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(janitor_pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(janitor_pid_, SIGKILL);
        ::waitpid(janitor_pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    janitor_pid_ = -1;
  }
}

Status NetnsBackend::Setup(const std::vector<std::string>& ids) {
  if (created_ || !nodes_.empty()) return Status::InvalidArgument("netns: Setup called twice");
  if (!ValidRunId(options_.run_id)) {
    return Status::InvalidArgument("netns: run id '" + options_.run_id + "' must be 1 to " +
                                   std::to_string(kMaxRunIdChars) + " letters, digits or '_'");
  }
  if (ip_.empty()) return Status::InvalidArgument("netns: `ip` (iproute2) not found");
  if (nft_.empty()) return Status::InvalidArgument("netns: `nft` (nftables) not found");
  if (ids.empty() || ids.size() > static_cast<size_t>(kMaxNodes)) {
    return Status::InvalidArgument("netns: need 1 to 253 nodes");
  }
  std::map<std::string, int> seen;
  for (const std::string& id : ids) {
    if (!ValidNodeId(id) || !seen.emplace(id, 0).second) {
      return Status::InvalidArgument("netns: bad or repeated node id '" + id + "'");
    }
    if (Prefix().size() + 1 + id.size() > static_cast<size_t>(kIfNameMaxChars)) {
      return Status::InvalidArgument("netns: interface name " + Prefix() + "v" + id +
                                     " is longer than 15 characters; use a shorter run id");
    }
  }

  // A /24 in 198.18.0.0/15 that nothing on the host uses. The scan starts at a point derived
  // from the run id so that concurrent runs tend to pick different subnets.
  const auto used = HostNetworks();
  uint32_t start = 0;
  for (const char c : options_.run_id) start = start * 31 + static_cast<unsigned char>(c);
  uint32_t subnet = 0;
  for (uint32_t k = 0; k < 512 && subnet == 0; ++k) {
    const uint32_t candidate = (198u << 24) | (18u << 16) | (((start + k) % 512) << 8);
    bool clash = false;
    for (const auto& [net, mask] : used) {
      const uint32_t common = mask & 0xffffff00u;  // the shorter of the two prefixes
      if ((net & common) == (candidate & common)) clash = true;
    }
    if (!clash) subnet = candidate;
  }
  if (subnet == 0) return Status::IoError("netns: no free /24 left in 198.18.0.0/15");

  Status s = StartJanitor();
  if (!s.ok()) return s;
  created_ = true;
  bridge_ = Prefix() + "br";
  bridge_address_ = Ipv4Text(subnet | 254);
  const std::string cidr = "/24";
  auto fail = [&](Status st) {
    Teardown();
    return st;
  };
  if (!(s = RunOk({ip_, "link", "add", bridge_, "type", "bridge"})).ok()) return fail(s);
  // With br_netfilter loaded, bridged frames would pass the host's iptables FORWARD chain
  // (Docker sets it to DROP); our cuts live in the namespaces, so keep the host's rules out.
  // Best effort: older kernels lack the per-bridge switch.
  (void)RunOk({ip_, "link", "set", bridge_, "type", "bridge", "nf_call_iptables", "0"});
  if (!(s = RunOk({ip_, "addr", "add", bridge_address_ + cidr, "dev", bridge_})).ok()) {
    return fail(s);
  }
  if (!(s = RunOk({ip_, "link", "set", bridge_, "up"})).ok()) return fail(s);
  std::vector<base::NodeAddress> nodes;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string ns = NamespaceName(ids[i]);
    const std::string veth = Prefix() + "v" + ids[i];
    base::NodeAddress n;
    n.id = ids[i];
    n.host = Ipv4Text(subnet | static_cast<uint32_t>(i + 1));
    n.client_port = kClientPort;
    n.peer_port = kPeerPort;
    const std::vector<std::vector<std::string>> steps = {
        {ip_, "netns", "add", ns},
        {ip_, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
        {ip_, "link", "set", veth, "master", bridge_},
        {ip_, "link", "set", veth, "up"},
        {ip_, "-n", ns, "addr", "add", n.host + cidr, "dev", "eth0"},
        {ip_, "-n", ns, "link", "set", "eth0", "up"},
        {ip_, "-n", ns, "link", "set", "lo", "up"},
    };
    for (const auto& step : steps) {
      if (!(s = RunOk(step)).ok()) return fail(s);
    }
    nodes.push_back(std::move(n));
  }
  nodes_ = std::move(nodes);
  return Status::Ok();
}

std::string NetnsBackend::PeerAddress(const std::string& from, const std::string& to) const {
  (void)from;  // every node reaches a peer at the same address
  for (const base::NodeAddress& n : nodes_) {
    if (n.id == to) return n.host + ":" + std::to_string(n.peer_port);
  }
  return "";
}

std::vector<std::string> NetnsBackend::CommandPrefix(const std::string& id) const {
  // `ip netns exec` switches namespaces and then execvp()s the command in place (no fork), so
  // the pid the harness starts is the node's own and SIGSTOP/SIGKILL reach it; netns_test checks.
  return {ip_.empty() ? "ip" : ip_, "netns", "exec", NamespaceName(id)};
}

Status NetnsBackend::ApplyRules(const std::string& id, const std::vector<std::string>& drop_from) {
  const std::string ns = NamespaceName(id);
  // One nft invocation is one transaction: the old rules go and the new ones arrive atomically.
  std::string script = "flush ruleset";
  if (!drop_from.empty()) {
    std::string set;
    for (const std::string& a : drop_from) set += (set.empty() ? "" : ", ") + a;
    script += "; table inet " + std::string(kTable) +
              " { chain input { type filter hook input priority 0; policy accept; ip saddr { " +
              set + " } drop; }; }";
  }
  return RunOk({ip_, "netns", "exec", ns, nft_, script});
}

Status NetnsBackend::Cut(const Grudge& grudge) {
  if (nodes_.empty()) return Status::InvalidArgument("netns: Cut before Setup");
  std::map<std::string, std::string> address;
  for (const base::NodeAddress& n : nodes_) address[n.id] = n.host;
  std::map<std::string, std::vector<std::string>> drops;
  for (const auto& [to, froms] : grudge) {
    if (!address.count(to)) return Status::InvalidArgument("netns: unknown node " + to);
    for (const std::string& from : froms) {
      if (!address.count(from)) return Status::InvalidArgument("netns: unknown node " + from);
      if (from != to) drops[to].push_back(address[from]);
    }
  }
  // Every node, including those without a grudge now, so the previous cut is replaced.
  for (const base::NodeAddress& n : nodes_) {
    Status s = ApplyRules(n.id, drops[n.id]);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status NetnsBackend::Heal() { return Cut({}); }

void NetnsBackend::Teardown() {
  if (created_) {
    // Deleting a namespace removes its veth end and with it the pair; the host ends are deleted
    // as well in case a process still inside keeps a namespace alive. Errors are expected for
    // things already gone or never made, so none is fatal: the janitor is the backstop.
    for (const base::NodeAddress& n : nodes_)
      (void)RunOk({ip_, "netns", "del", NamespaceName(n.id)});
    // Setup may have failed half-way, before nodes_ was filled: sweep by prefix as well.
    const CommandResult ns_list = Run({ip_, "netns", "list"});
    std::istringstream ns_lines(ns_list.out);
    std::string line;
    while (std::getline(ns_lines, line)) {
      const std::string ns = line.substr(0, line.find(' '));
      if (ns.rfind(Prefix(), 0) == 0) (void)RunOk({ip_, "netns", "del", ns});
    }
    const CommandResult links = Run({ip_, "-o", "link", "show"});
    std::istringstream link_lines(links.out);
    while (std::getline(link_lines, line)) {
      // "7: fl3k9-vn1@if2: <BROADCAST,..."
      const size_t a = line.find(": ");
      if (a == std::string::npos) continue;
      std::string name = line.substr(a + 2);
      name = name.substr(0, name.find_first_of(":@"));
      if (name.rfind(Prefix(), 0) == 0) (void)RunOk({ip_, "link", "del", name});
    }
    created_ = false;
  }
  StopJanitor();
  nodes_.clear();
}

}  // namespace faultline::nemesis
