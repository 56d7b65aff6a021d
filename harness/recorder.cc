#include "harness/recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checker/io/jsonl_writer.h"

namespace faultline::harness {

using base::Result;
using base::Status;
using checker::Completion;
using checker::EventType;
using checker::Op;
using checker::Value;

namespace {

constexpr std::chrono::milliseconds kGather{1};

// The shared line format (checker/io/jsonl_writer.h): the same bytes the simulation writes.
checker::io::JsonlBody OpBody(int64_t process, EventType type, const Op& op, const Value& value) {
  checker::io::JsonlBody b;
  b.process = process;
  b.type = type;
  b.f = op.f;
  b.key = op.has_key ? &op.key : nullptr;
  b.value = &value;
  return b;
}

}  // namespace

Result<std::unique_ptr<HistoryRecorder>> HistoryRecorder::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  return std::unique_ptr<HistoryRecorder>(new HistoryRecorder(fd, path));
}

HistoryRecorder::HistoryRecorder(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), start_(std::chrono::steady_clock::now()) {
  writer_ = std::thread([this] { WriterLoop(); });
}

HistoryRecorder::~HistoryRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  wake_.notify_one();
  writer_.join();  // writes whatever is still pending first
  ::close(fd_);
}

void HistoryRecorder::WriterLoop() {
  std::string batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return !pending_.empty() || closing_; });
    if (pending_.empty()) break;  // closing, and nothing left
    // Let a millisecond's lines gather: at raftkv's rates a wake-up and a write per line cost
    // the controller ~15 us of CPU per operation (bench/harness_bench), a batch a fraction.
    wake_.wait_for(lock, kGather, [this] { return closing_; });
    batch.swap(pending_);
    writing_ = true;
    lock.unlock();
    std::string failure;
    size_t done = 0;
    while (done < batch.size()) {
      const ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failure = "cannot write " + path_ + ": " + std::strerror(errno);
        break;
      }
      done += static_cast<size_t>(n);
    }
    batch.clear();
    lock.lock();
    writing_ = false;
    if (!failure.empty() && error_.empty()) error_ = failure;
    written_.notify_all();
  }
  written_.notify_all();
}

void HistoryRecorder::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  written_.wait(lock, [this] { return (pending_.empty() && !writing_) || !error_.empty(); });
}

int64_t HistoryRecorder::Now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              start_)
      .count();
}

void HistoryRecorder::Append(std::string_view body) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.empty()) return;
    wake = pending_.empty() && !writing_;  // otherwise the writer will come back for it
    checker::io::AppendJsonlLine(next_index_, Now(), body, &pending_);
    ++next_index_;
  }
  if (wake) wake_.notify_one();
}

int64_t HistoryRecorder::Invoke(int64_t process, const Op& op) {
  std::string body;
  body.reserve(96);
  checker::io::AppendJsonlBody(OpBody(process, EventType::kInvoke, op, op.value), &body);
  invokes_.fetch_add(1, std::memory_order_relaxed);
  // The time the line carries is taken inside Append; this one is for latency and is never
  // later than it.
  const int64_t t = Now();
  Append(body);
  return t;
}

void HistoryRecorder::Complete(int64_t process, const Op& op, const Completion& c,
                               int64_t invoke_time) {
  const char* type = c.type == EventType::kOk ? "ok" : c.type == EventType::kFail ? "fail" : "info";
  std::string body;
  body.reserve(128);
  // An ok carries its result; fail and info repeat the argument, as Jepsen's histories do.
  checker::io::JsonlBody b =
      OpBody(process, c.type, op, c.type == EventType::kOk ? c.value : op.value);
  b.node = c.node;
  b.error = c.error;
  b.latency_ns = Now() - invoke_time;
  checker::io::AppendJsonlBody(b, &body);
  (c.type == EventType::kOk     ? ok_
   : c.type == EventType::kFail ? fail_
                                : info_)
      .fetch_add(1, std::memory_order_relaxed);
  if (c.type != EventType::kOk) {
    std::lock_guard<std::mutex> lock(mu_);
    ++errors_[std::string(type) + " " + (c.error.empty() ? "unknown" : c.error)];
  }
  Append(body);
}

std::map<std::string, uint64_t> HistoryRecorder::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

namespace {

Value NodeList(const std::vector<std::string>& ids) {
  Value::Array a;
  for (const std::string& id : ids) a.push_back(Value::String(id));
  return Value::MakeArray(std::move(a));
}

}  // namespace

Value NemesisEventValue(const nemesis::NemesisEvent& event) {
  if (event.grudge) {
    Value::Object o;
    for (const auto& [node, from] : *event.grudge) {
      if (from.empty()) continue;
      o.emplace_back(node, NodeList(std::vector<std::string>(from.begin(), from.end())));
    }
    return Value::MakeObject(std::move(o));
  }
  if (event.nodes) return NodeList(*event.nodes);
  return Value();
}

void HistoryRecorder::Nemesis(const std::string& f, const Value& value) {
  checker::io::JsonlBody b;
  b.nemesis = true;
  b.type = EventType::kInfo;
  b.f = f;
  b.value = &value;
  std::string body;
  checker::io::AppendJsonlBody(b, &body);
  nemesis_.fetch_add(1, std::memory_order_relaxed);
  Append(body);
}

HistoryRecorder::Counts HistoryRecorder::counts() const {
  return Counts{invokes_.load(), ok_.load(), fail_.load(), info_.load(), nemesis_.load()};
}

std::string HistoryRecorder::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

}  // namespace faultline::harness
