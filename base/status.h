// Status and Result<T>: the error channel at module boundaries (after LevelDB's Status).
// Expected operational failures (a malformed history, an unknown model, a failed write, a torn
// WAL record) are returned as values, never thrown; programmer errors are FAULTLINE_CHECKs.
//
// One type for the whole tree (issue 11): the checker's and raft storage's copies were merged
// here, keeping every kind and accessor either had.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/check.h"

namespace faultline::base {

// A value type: cheap to move, copyable. Ok carries no message.
class Status {
 public:
  enum class Code : uint8_t { kOk, kInvalidArgument, kIoError, kCorruption, kInternal };

  Status() = default;  // Ok
  static Status Ok() { return Status(); }
  // Bad input from the caller: an unknown name, a flag out of range.
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  // The operating system refused (open, read, write, fsync, spawn, socket, ...).
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  // Data that does not follow its format (a history line, a WAL record): a one-line message
  // naming where and why.
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  // A bug or an exhausted resource inside faultline, not a problem with the input.
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIoError() const { return code_ == Code::kIoError; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInternal() const { return code_ == Code::kInternal; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", "Invalid argument: ...", "IO error: ...", "Corruption: ...", "Internal: ...".
  std::string ToString() const {
    switch (code_) {
      case Code::kOk:
        return "OK";
      case Code::kInvalidArgument:
        return "Invalid argument: " + message_;
      case Code::kIoError:
        return "IO error: " + message_;
      case Code::kCorruption:
        return "Corruption: " + message_;
      case Code::kInternal:
        return "Internal: " + message_;
    }
    return "unknown status";
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A T, or the non-ok Status saying why there is none (like absl::StatusOr).
// Invariant: holds a value iff status().ok(). Reading the value of a non-ok Result is a
// programmer error and fails a FAULTLINE_CHECK (in every build type).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit on purpose
    FAULTLINE_CHECK(!status_.ok(), "a Result without a value needs an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    CheckOk();
    return *value_;
  }
  const T& value() const& {
    CheckOk();
    return *value_;
  }
  T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  void CheckOk() const {
    FAULTLINE_CHECK(ok(), "value() of a failed Result: " + status_.ToString());
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace faultline::base
