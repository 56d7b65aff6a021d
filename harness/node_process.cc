// The only file that includes Boost.Process (it is heavy to compile).
#include "harness/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

namespace faultline::harness {

namespace bp = boost::process;
using base::Status;

namespace {

// Live children, for KillAllNodes. Fixed size and lock-free so that it can be used while other
// threads are stuck anywhere.
constexpr size_t kMaxNodes = 256;
std::array<std::atomic<int>, kMaxNodes> g_live{};

void Register(int pid) {
  for (auto& slot : g_live) {
    int expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}

void Unregister(int pid) {
  for (auto& slot : g_live) {
    int expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (status " + std::to_string(status) + ")";
}

// Signals the node's whole process group (it leads one: setpgid in Start), so that a node
// started through a wrapper script is paused or killed with everything it started; falls back
// to the pid alone if the group is gone already.
int SignalGroup(int pid, int sig) {
  if (::kill(-pid, sig) == 0) return 0;
  return ::kill(pid, sig);
}

}  // namespace

void KillAllNodes() {
  // A pid stays registered until its zombie is reaped (Reap unregisters first), so a pid here
  // can never have been reused by an unrelated process.
  for (auto& slot : g_live) {
    const int pid = slot.load();
    if (pid > 0) SignalGroup(pid, SIGKILL);
  }
}

NodeProcess::NodeProcess(std::string id, std::vector<std::string> argv, std::string log_dir)
    : id_(std::move(id)), argv_(std::move(argv)), log_dir_(std::move(log_dir)) {}

NodeProcess::~NodeProcess() {
  if (pid_.load() > 0) (void)Kill();
}

Status NodeProcess::Start() {
  if (pid_.load() > 0 && Alive()) return Status::InvalidArgument(id_ + " is already running");
  if (argv_.empty()) return Status::InvalidArgument(id_ + ": empty command");

  const std::string out_path = log_dir_ + "/stdout.log";
  const std::string err_path = log_dir_ + "/stderr.log";
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    const std::string why = std::strerror(errno);
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    return Status::IoError("cannot open " + log_dir_ + "/std{out,err}.log: " + why);
  }

  boost::filesystem::path exe = argv_[0];
  if (argv_[0].find('/') == std::string::npos) {
    exe = bp::search_path(argv_[0]);
    if (exe.empty()) {
      ::close(out);
      ::close(err);
      return Status::InvalidArgument(id_ + ": '" + argv_[0] + "' not found on PATH");
    }
  }
  const std::vector<std::string> args(argv_.begin() + 1, argv_.end());
  const pid_t parent = ::getpid();

  Status result;
  try {
    bp::child child(
        bp::exe = exe, bp::args = args, bp::std_in < bp::null,
        bp::extend::on_exec_setup = [out, err, parent](auto&) {
          // In the child, between fork and exec: only async-signal-safe calls.
          ::dup2(out, STDOUT_FILENO);
          ::dup2(err, STDERR_FILENO);
          ::setpgid(0, 0);
          sigset_t none;
          sigemptyset(&none);
          ::sigprocmask(SIG_SETMASK, &none, nullptr);
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          if (::getppid() != parent) ::_exit(127);  // the controller died before prctl took hold
        });
    const int pid = child.id();
    child.detach();  // reaped here with waitpid, never by Boost (its destructor would kill)
    pid_.store(pid);
    Register(pid);
    ++starts_;
    exit_description_.clear();
  } catch (const std::exception& e) {
    result = Status::IoError(id_ + ": cannot start " + argv_[0] + ": " + e.what());
  }
  ::close(out);
  ::close(err);
  return result;
}

bool NodeProcess::Reap(bool block) {
  const int pid = pid_.load();
  if (pid <= 0) return true;
  for (;;) {
    // Look without reaping (WNOWAIT): the zombie keeps the pid from being reused while it is
    // unregistered, so KillAllNodes, on another thread, never signals a stranger.
    siginfo_t info{};
    const int r =
        ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && info.si_pid == 0) return false;  // still running
    Unregister(pid);
    int status = 0;
    pid_t w;
    do {
      w = ::waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    if (r < 0 || w < 0) {
      exit_description_ = "lost (waitpid: " + std::string(std::strerror(errno)) + ")";
    } else {
      exit_description_ = Describe(status);
    }
    pid_.store(0);
    return true;
  }
}

bool NodeProcess::Alive() { return !Reap(false); }

Status NodeProcess::Pause() {
  const int pid = pid_.load();
  if (pid <= 0 || !Alive()) return Status::InvalidArgument(id_ + " is not running");
  if (SignalGroup(pid, SIGSTOP) != 0)
    return Status::IoError(id_ + ": SIGSTOP: " + std::strerror(errno));
  return Status::Ok();
}

Status NodeProcess::Resume() {
  const int pid = pid_.load();
  if (pid <= 0 || !Alive()) return Status::Ok();  // nothing left to resume
  if (SignalGroup(pid, SIGCONT) != 0)
    return Status::IoError(id_ + ": SIGCONT: " + std::strerror(errno));
  return Status::Ok();
}

Status NodeProcess::Kill() {
  const int pid = pid_.load();
  if (pid <= 0) return Status::Ok();
  if (Reap(false)) return Status::Ok();  // already gone
  SignalGroup(pid, SIGKILL);
  Reap(true);
  return Status::Ok();
}

Status NodeProcess::Stop(std::chrono::milliseconds grace) {
  const int pid = pid_.load();
  if (pid <= 0 || Reap(false)) return Status::Ok();
  SignalGroup(pid, SIGTERM);
  SignalGroup(pid, SIGCONT);  // a paused node only sees SIGTERM once it runs again
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Reap(false)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  SignalGroup(pid, SIGKILL);
  Reap(true);
  exit_description_ += " (SIGKILL after " + std::to_string(grace.count()) + " ms)";
  return Status::Ok();
}

}  // namespace faultline::harness
