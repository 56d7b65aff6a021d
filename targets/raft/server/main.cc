// raftkv: one node of the bundled Raft key-value store (issue 3). See flags.h for the command
// line, node.h for the loop, http_api.h for the client API and transport.h for peer traffic.
// Exit codes (DESIGN.md §5): 0 after SIGTERM/SIGINT, 254 bad flags, 255 internal error.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "targets/raft/server/flags.h"
#include "targets/raft/server/http_api.h"
#include "targets/raft/server/node.h"

int main(int argc, char** argv) {
  using namespace faultline::raft::server;
  ServerOptions options;
  std::string error;
  if (!ParseFlags(std::vector<std::string>(argv + 1, argv + argc), &options, &error)) {
    std::fprintf(stderr, "raftkv: %s\n", error.c_str());
    return 254;
  }
  // Block the stop signals in every thread; one thread takes them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Node> node = Node::Create(options, &error);
  if (!node) {
    std::fprintf(stderr, "raftkv %s: %s\n", NodeName(options.id).c_str(), error.c_str());
    return 255;
  }
  HttpApi http(node.get());
  if (error = http.Bind(options.host, options.client_port); !error.empty()) {
    std::fprintf(stderr, "raftkv %s: %s\n", NodeName(options.id).c_str(), error.c_str());
    return 255;
  }
  std::thread http_thread([&http] { http.Serve(); });
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    node->Stop();
  });
  node->Run();  // returns after Stop(): storage flushed, peer transport closed
  http.Stop();
  http_thread.join();
  signal_thread.join();
  return 0;
}
