// Error values for the storage module (after LevelDB's Status): expected operational failures
// are returned, never thrown.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace faultline::raft::storage {

class Status {
 public:
  enum class Code : uint8_t { kOk, kIoError, kCorruption, kInvalidArgument };

  Status() = default;  // Ok
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsIoError() const { return code_ == Code::kIoError; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", "IO error: ...", "Corruption: ...".
  std::string ToString() const {
    switch (code_) {
      case Code::kOk:
        return "OK";
      case Code::kIoError:
        return "IO error: " + message_;
      case Code::kCorruption:
        return "Corruption: " + message_;
      case Code::kInvalidArgument:
        return "Invalid argument: " + message_;
    }
    return "unknown status";
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
// Invariant: holds a value iff status().ok().
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose, like StatusOr
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "a Result without a value needs an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace faultline::raft::storage
