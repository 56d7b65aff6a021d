#include "results/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string_view>

namespace faultline::results {

namespace fs = std::filesystem;
using base::Result;
using base::Status;

std::string RunTimestamp(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

Result<std::string> CreateRunDir(const std::string& base, const std::string& name,
                                 std::chrono::system_clock::time_point t) {
  if (name.empty() || name == "." || name == ".." || name == "latest") {
    return Status::InvalidArgument("test name '" + name + "' cannot name a folder");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return Status::InvalidArgument("test name '" + name +
                                     "' may only hold letters, digits, '-', '_' and '.'");
    }
  }
  std::error_code ec;
  fs::create_directories(fs::path(base) / name, ec);
  if (ec)
    return Status::IoError("cannot create " + (fs::path(base) / name).string() + ": " +
                           ec.message());
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const fs::path dir =
        fs::path(base) / name / RunTimestamp(t + std::chrono::milliseconds(attempt));
    // mkdir, not create_directories: it fails when the folder exists, which is how two runs
    // started in the same millisecond get different folders.
    if (::mkdir(dir.c_str(), 0755) == 0) {
      fs::create_directories(dir / "nodes", ec);
      if (ec)
        return Status::IoError("cannot create " + (dir / "nodes").string() + ": " + ec.message());
      return dir.string();
    }
    if (errno != EEXIST)
      return Status::IoError("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return Status::IoError("cannot find a free run folder name under " +
                         (fs::path(base) / name).string());
}

Status UpdateLatest(const std::string& base, const std::string& run_dir) {
  std::error_code ec;
  const fs::path target = fs::relative(fs::path(run_dir), fs::path(base), ec);
  if (ec || target.empty()) return Status::IoError("cannot relate " + run_dir + " to " + base);
  const fs::path link = fs::path(base) / "latest";
  const fs::path tmp = fs::path(base) / (".latest." + std::to_string(::getpid()));
  fs::remove(tmp, ec);
  fs::create_directory_symlink(target, tmp, ec);
  if (ec) return Status::IoError("cannot create " + tmp.string() + ": " + ec.message());
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    fs::remove(tmp, ec);
    return Status::IoError("cannot update " + link.string() + ": " + why);
  }
  return Status::Ok();
}

namespace {

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 cannot carry most control characters at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

std::string JunitXml(const std::string& suite, const std::vector<JunitCase>& cases,
                     double seconds) {
  int failures = 0, errors = 0;
  for (const JunitCase& c : cases) {
    failures += c.verdict == checker::Verdict::kInvalid;
    errors += c.verdict == checker::Verdict::kUnknown;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites>\n  <testsuite name=\"" + XmlEscape(suite) + "\" tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"" + std::to_string(errors) + "\" time=\"" + Seconds(seconds) + "\">\n";
  for (const JunitCase& c : cases) {
    out += "    <testcase classname=\"" + XmlEscape(suite) + "\" name=\"" + XmlEscape(c.name) +
           "\" time=\"" + Seconds(c.seconds) + "\"";
    if (c.verdict == checker::Verdict::kValid) {
      out += "/>\n";
      continue;
    }
    const char* tag = c.verdict == checker::Verdict::kInvalid ? "failure" : "error";
    out += ">\n      <" + std::string(tag) + " message=\"" + XmlEscape(c.message) + "\" type=\"" +
           (!c.type.empty()                           ? c.type
            : c.verdict == checker::Verdict::kInvalid ? "invalid"
                                                      : "unknown") +
           "\"/>\n    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& text) {
  // The temporary name carries the pid: two processes writing the same file (two `check
  // --report` runs into one folder) must not write into each other's temporary file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  // fsync before the rename: otherwise a machine crash can leave the new name on an empty file.
  const bool written = rest.empty() && ::fsync(fd) == 0;
  const std::string why = std::strerror(errno);
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Status::IoError("cannot write " + tmp + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string rename_why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::IoError("cannot rename " + tmp + " to " + path + ": " + rename_why);
  }
  return Status::Ok();
}

}  // namespace faultline::results
