#include "harness/run_signals.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "harness/node_process.h"
#include "results/exit_codes.h"

namespace faultline::harness {
namespace {

std::atomic<int> g_signals{0};
std::mutex g_log_mu;
RunLog* g_log = nullptr;  // GUARDED_BY(g_log_mu): the run's log while it exists

void SignalSay(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  if (g_log != nullptr) g_log->Say(line);
}

const char* SignalName(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

}  // namespace

void SetSignalLog(RunLog* log) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log = log;
}

void InstallRunSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (g_signals.fetch_add(1) == 0) {
        SignalSay(std::string("got ") + SignalName(sig) + ": wrapping up (again to stop at once)");
        continue;
      }
      KillAllNodes();
      SignalSay("stopped at once; the history so far is on disk");
      std::_Exit(results::kExitUnknown);
    }
  }).detach();
}

bool Interrupted() { return g_signals.load() > 0; }

void Interrupt() { g_signals.fetch_add(1); }

}  // namespace faultline::harness
