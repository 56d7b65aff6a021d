// RunServe (results/serve.h): cpp-httplib is included here and nowhere else.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "results/exit_codes.h"
#include "results/serve.h"

namespace faultline::results {

namespace fs = std::filesystem;

namespace {

// Regular files are streamed in pieces of this size (a history can be hundreds of MB).
constexpr size_t kChunk = 64 * 1024;

void ServeFile(const std::string& file, httplib::Response& res) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  if (ec || !*in) {
    res.status = 404;
    res.set_content("not readable\n", "text/plain");
    return;
  }
  res.set_content_provider(static_cast<size_t>(size), ContentTypeFor(file),
                           [in](size_t offset, size_t length, httplib::DataSink& sink) {
                             std::vector<char> buf(std::min(length, kChunk));
                             in->clear();
                             in->seekg(static_cast<std::streamoff>(offset));
                             in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
                             const std::streamsize got = in->gcount();
                             if (got <= 0) return false;  // the file shrank: end the answer
                             return sink.write(buf.data(), static_cast<size_t>(got));
                           });
}

}  // namespace

int RunServe(const ServeOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.results_dir, ec)) {
    std::fprintf(stderr, "faultline serve: %s: no such folder\n", options.results_dir.c_str());
    return kExitBadInput;
  }
  if (options.port < 1 || options.port > 65535) {
    std::fprintf(stderr, "faultline serve: --port must be between 1 and 65535\n");
    return kExitBadInput;
  }
  const std::string root = fs::canonical(options.results_dir, ec).string();
  if (ec) {
    std::fprintf(stderr, "faultline serve: %s: %s\n", options.results_dir.c_str(),
                 ec.message().c_str());
    return kExitBadInput;
  }

  // SIGINT and SIGTERM are taken by this thread with sigwait; the server's threads, started
  // below, inherit the blocked mask and never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  httplib::Server server;
  // SO_REUSEADDR, not cpp-httplib's default SO_REUSEPORT: with SO_REUSEPORT a second process
  // could bind the same port and take half the connections.
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_keep_alive_timeout(5);
  server.set_payload_max_length(64 * 1024);  // requests carry no body worth reading
  server.Get(".*", [&root, &options](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/" || req.path == "/index.html") {
      res.set_content(ResultsIndexHtml(ScanResults(root), options.results_dir),
                      "text/html; charset=utf-8");
      return;
    }
    const ResolvedPath r = ResolveRequestPath(root, req.path);
    if (r.status != 200) {
      res.status = r.status;
      res.set_content(
          std::string(r.status == 403 ? "forbidden: " : "not found: ") + r.reason + "\n",
          "text/plain");
      return;
    }
    ServeFile(r.file, res);
  });
  // Read-only: every other method is refused.
  const auto refuse = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("read-only: GET and HEAD only\n", "text/plain");
  };
  server.Post(".*", refuse);
  server.Put(".*", refuse);
  server.Patch(".*", refuse);
  server.Delete(".*", refuse);
  server.Options(".*", refuse);

  if (!server.bind_to_port(options.host, options.port)) {
    std::fprintf(stderr,
                 "faultline serve: cannot listen on %s:%d (in use, or not an address of "
                 "this machine)\n",
                 options.host.c_str(), options.port);
    return kExitBadInput;
  }
  std::printf("serving %s on http://%s:%d/ (Ctrl-C to stop)\n", root.c_str(), options.host.c_str(),
              options.port);
  std::fflush(stdout);
  std::atomic<bool> stopping{false};
  std::thread listener([&server, &stopping] {
    server.listen_after_bind();
    // Ended without a signal (the socket failed): wake the waiting thread.
    if (!stopping.load()) ::kill(::getpid(), SIGTERM);
  });
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  stopping.store(true);
  server.stop();
  listener.join();
  std::printf("faultline serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return kExitValid;
}

}  // namespace faultline::results
