// RunLog: the controller's log (faultline.log in the run folder), one timestamped line per
// event, optionally echoed to stderr. On a terminal the live progress line is cleared before an
// echoed line and redrawn by its owner afterwards.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace faultline::harness {

class RunLog {
 public:
  RunLog() : start_(std::chrono::steady_clock::now()) {}
  ~RunLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  bool Open(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    file_ = std::fopen(path.c_str(), "a");
    return file_ != nullptr;
  }

  // To the file only.
  void Info(const std::string& line) { Write(line, false); }
  // To the file and to stderr.
  void Say(const std::string& line) { Write(line, true); }

  // The progress line (terminal only): drawn in place, never written to the file.
  void Progress(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    progress_shown_ = true;
  }
  void ClearProgress() {
    std::lock_guard<std::mutex> lock(mu_);
    ClearLocked();
  }

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  void ClearLocked() {
    if (progress_shown_) std::fprintf(stderr, "\r\033[K");
    progress_shown_ = false;
  }
  void Write(const std::string& line, bool echo) {
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ != nullptr) {
      std::fprintf(file_, "[%9.3f] %s\n", Elapsed(), line.c_str());
      std::fflush(file_);
    }
    if (echo) {
      ClearLocked();
      std::fprintf(stderr, "faultline: %s\n", line.c_str());
    }
  }

  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;    // GUARDED_BY(mu_)
  bool progress_shown_ = false;  // GUARDED_BY(mu_)
};

}  // namespace faultline::harness
