#include "checker/io/load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace faultline::checker::io {

using base::Result;
using base::Status;

namespace {

// Files that cannot be mapped (pipes) are read in chunks, starting at this size.
constexpr size_t kReadChunk = size_t{1} << 20;

Status CannotRead(const std::string& path, int err) {
  return Status::IoError(path + ": cannot read: " + std::generic_category().message(err));
}

}  // namespace

const char* FormatName(Format f) {
  switch (f) {
    case Format::kAuto:
      return "auto";
    case Format::kJsonl:
      return "jsonl";
    case Format::kEdn:
      return "edn";
    case Format::kJepsenLog:
      return "jepsen-log";
  }
  return "?";
}

Result<Format> ParseFormatName(std::string_view name) {
  for (Format f : {Format::kAuto, Format::kJsonl, Format::kEdn, Format::kJepsenLog}) {
    if (name == FormatName(f)) return f;
  }
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "' (expected auto, jsonl, edn or jepsen-log)");
}

Format DetectFormat(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  const auto skip_space = [&](size_t i) {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
      ++i;
    }
    return i;
  };
  // JSON Lines: an object whose first member has a string name. EDN maps start {:type ...}.
  const size_t first = skip_space(0);
  if (first < text.size() && text[first] == '{') {
    const size_t next = skip_space(first + 1);
    if (next < text.size() && text[next] == '"') return Format::kJsonl;
  }
  // EDN opens with a map, a vector, a list or a comment. Looking at that structure first keeps an
  // EDN history whose exception traces mention jepsen.util from being read as a jepsen log (a
  // log line starts with its level or a timestamp, never with one of these).
  if (first < text.size() &&
      std::string_view("{[(;#").find(text[first]) != std::string_view::npos) {
    return Format::kEdn;
  }
  if (text.find("jepsen.util") != std::string_view::npos) return Format::kJepsenLog;
  return Format::kEdn;
}

Result<History> ParseHistory(std::string_view text, const std::string& source,
                             const LoadOptions& options) {
  Format format = options.format;
  if (format == Format::kAuto) format = DetectFormat(text);
  if (options.independent && format != Format::kEdn) {
    return Status::InvalidArgument(source +
                                   ": --independent applies to EDN histories only (this is " +
                                   FormatName(format) + ")");
  }
  Result<History> history = Status::Internal("no importer");
  switch (format) {
    case Format::kJsonl:
      history = ParseJsonl(text, source, options.deadline);
      break;
    case Format::kJepsenLog:
      history = ParseJepsenLog(text, source, options.deadline);
      break;
    case Format::kEdn:
    case Format::kAuto:
      history = ParseEdn(text, source, options.independent, options.deadline);
      break;
  }
  if (!history.ok() && options.timed_out != nullptr &&
      std::string_view(history.status().message()).ends_with(kParseTimeout)) {
    *options.timed_out = true;
  }
  return history;
}

Result<History> LoadHistoryFile(const std::string& path, const LoadOptions& given) {
  // A file named *.jsonl or *.edn is read as what its name says: a damaged JSON Lines file
  // then gets a JSON error rather than an EDN one (the content decides for other names).
  LoadOptions options = given;
  if (options.format == Format::kAuto) {
    if (path.ends_with(".jsonl")) options.format = Format::kJsonl;
    if (path.ends_with(".edn")) options.format = Format::kEdn;
  }
  // "-" is standard input (read to its end, below).
  const int fd = path == "-" ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return CannotRead(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return CannotRead(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return CannotRead(path, EISDIR);
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    // Map regular files rather than read them: a history of millions of lines is hundreds of
    // MB, and copying it into a fresh buffer (zeroing and faulting every page) took a third as
    // long as parsing it. MAP_POPULATE maps the cached pages in one call instead of one fault
    // each. The mapping ends before this function returns: events own copies of everything.
    // (Histories are append-only; a file truncated while mapped would raise SIGBUS.)
    const auto size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map != MAP_FAILED) {
      ::close(fd);
      Result<History> history =
          ParseHistory(std::string_view(static_cast<const char*>(map), size), path, options);
      ::munmap(map, size);
      return history;
    }
  }
  // Pipes, character devices, /proc files, or a failed mapping: read until EOF.
  std::string data;
  size_t used = 0;
  while (true) {
    if (used == data.size()) data.resize(used == 0 ? kReadChunk : used * 2);
    const ssize_t n = ::read(fd, data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return CannotRead(path, err);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(used);
  return ParseHistory(data, path, options);
}

}  // namespace faultline::checker::io
