// Ctrl-C during `faultline test`. SIGINT, SIGTERM and SIGHUP are blocked in every thread and
// taken by one thread with sigwait, so no handler runs at an awkward moment. The first asks the
// run to wrap up (stop the workload, heal, stop the nodes, check what was recorded); the second
// stops at once: every node is SIGKILLed and the process exits with 2 (unknown). Namespaces are
// then removed by the netns janitor, proxies end with the process, and the history is already on
// disk line by line.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include "harness/log.h"

namespace faultline::harness {

// Blocks the signals in the calling thread (and so in every thread it starts afterwards) and
// starts the thread that takes them. Call once, from the main thread, before other threads.
void InstallRunSignals();

// Where the signal thread reports ("got SIGINT: wrapping up"); null: nowhere. The log must
// outlive its installation.
void SetSignalLog(RunLog* log);

// True once the run was asked to wrap up.
bool Interrupted();

// Asks the run to wrap up as a first signal would (the run itself cannot go on); a signal
// after this stops at once.
void Interrupt();

}  // namespace faultline::harness
