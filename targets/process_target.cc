// Bring-your-own target (docs/PROTOCOL.md): any binary that speaks the KV protocol, started
// from a --node-cmd template. The template is split into words the way a POSIX shell would
// split it, but never run through a shell: no expansion of $VARS, globs or redirections, so a
// data dir or peer list with odd characters can't change what runs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "targets/kv_http_client.h"
#include "targets/target.h"

namespace faultline::targets {
namespace {

constexpr const char* kKnownPlaceholders =
    "{id}, {host}, {client_port}, {peer_port}, {peers}, {data_dir}";

// Shell-style word splitting: blanks separate words; '...' is literal; "..." keeps blanks and
// lets a backslash escape only " \ $ ` and newline (POSIX); an unquoted backslash escapes the
// next character; backslash-newline joins lines. Adjacent quoted and unquoted parts form one
// word, so '' is an empty word.
Result<std::vector<std::string>> SplitWords(const std::string& s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      const size_t end = s.find('\'', i + 1);
      if (end == std::string::npos) {
        return Status::InvalidArgument("--node-cmd: unbalanced single quote at offset " +
                                       std::to_string(i));
      }
      word.append(s, i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '"') {
      const size_t start = i;
      bool closed = false;
      for (++i; i < s.size(); ++i) {
        if (s[i] == '"') {
          closed = true;
          break;
        }
        if (s[i] == '\\' && i + 1 < s.size() &&
            std::string_view("\"\\$`\n").find(s[i + 1]) != std::string_view::npos) {
          if (s[i + 1] != '\n') word.push_back(s[i + 1]);
          ++i;
        } else {
          word.push_back(s[i]);
        }
      }
      if (!closed) {
        return Status::InvalidArgument("--node-cmd: unbalanced double quote at offset " +
                                       std::to_string(start));
      }
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 == s.size()) return Status::InvalidArgument("--node-cmd: trailing backslash");
      ++i;
      if (s[i] != '\n') {
        word.push_back(s[i]);
        in_word = true;
      }
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// A placeholder is braces around a name of letters, digits, '_' or '-': wide enough that a typo
// such as {data-dir} or {clientport} is reported instead of passing through, narrow enough that
// JSON text such as '{"a":1}' or an empty {} stays literal.
bool IsPlaceholderName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// Replaces every {placeholder} in one word; an unknown name is added to *unknown (once) and
// left as it is. One pass: substituted text (a data dir containing "{id}") is never scanned again.
std::string Substitute(const std::string& word, const base::NodeAddress& self,
                       const std::string& peers, const std::string& data_dir,
                       std::vector<std::string>* unknown) {
  std::string out;
  size_t i = 0;
  while (i < word.size()) {
    const size_t open = word.find('{', i);
    if (open == std::string::npos) break;
    const size_t close = word.find('}', open + 1);
    if (close == std::string::npos) break;
    const std::string_view name(word.data() + open + 1, close - open - 1);
    out.append(word, i, open - i);
    if (!IsPlaceholderName(name)) {
      out.push_back('{');
      i = open + 1;
      continue;
    }
    if (name == "id") {
      out += self.id;
    } else if (name == "host") {
      out += self.host;
    } else if (name == "client_port") {
      out += std::to_string(self.client_port);
    } else if (name == "peer_port") {
      out += std::to_string(self.peer_port);
    } else if (name == "peers") {
      out += peers;
    } else if (name == "data_dir") {
      out += data_dir;
    } else {
      const std::string braced = "{" + std::string(name) + "}";
      if (std::find(unknown->begin(), unknown->end(), braced) == unknown->end())
        unknown->push_back(braced);
      out += braced;
    }
    i = close + 1;
  }
  out.append(word, i, std::string::npos);
  return out;
}

// Whether `argv0` names an executable regular file: a path containing '/' as given, otherwise
// the first match on $PATH (an empty PATH entry means the current directory, as in execvp).
bool IsExecutable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

Status CheckExecutable(const std::string& argv0) {
  if (argv0.find('/') != std::string::npos) {
    if (IsExecutable(argv0)) return Status::Ok();
    return Status::InvalidArgument("--node-cmd: " + argv0 + " is not an executable file");
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end == start ? "." : path.substr(start, end - start);
    if (IsExecutable(dir + "/" + argv0)) return Status::Ok();
    start = end + 1;
  }
  return Status::InvalidArgument("--node-cmd: '" + argv0 + "' not found on PATH");
}

// Sample facts used to validate a template once, up front, so that an error shows before any
// node is started.
const base::NodeAddress kSampleNode = {"n1", "127.0.0.1", 1, 2};
const PeerList kSamplePeers = {{"n1", "127.0.0.1:2"}};

// Immutable after construction; safe to share between threads.
class ProcessTarget final : public Target {
 public:
  explicit ProcessTarget(std::string node_cmd) : node_cmd_(std::move(node_cmd)) {}

  std::string name() const override { return "process"; }

  Status Check() const override {
    auto argv = ExpandNodeCommand(node_cmd_, kSampleNode, kSamplePeers, "/tmp");
    if (!argv.ok()) return argv.status();
    return CheckExecutable(argv->front());
  }

  Result<std::vector<std::string>> NodeCommand(const base::NodeAddress& self, const PeerList& peers,
                                               const std::string& data_dir) const override {
    return ExpandNodeCommand(node_cmd_, self, peers, data_dir);
  }

  std::unique_ptr<Client> NewClient(const base::NodeAddress& node,
                                    const ClientOptions& options) const override {
    return MakeKvHttpClient(node, options);
  }

  // Locks and /status are optional for a bring-your-own target. We claim both: a target
  // without them answers 404, which a lock operation records as info "http-404" and Status()
  // as nullopt (no leader-targeted faults), so claiming costs nothing unsafe.
  bool supports_locks() const override { return true; }
  bool supports_status() const override { return true; }

 private:
  const std::string node_cmd_;
};

}  // namespace

Result<std::vector<std::string>> ExpandNodeCommand(const std::string& node_cmd,
                                                   const base::NodeAddress& self,
                                                   const PeerList& peers,
                                                   const std::string& data_dir) {
  auto words = SplitWords(node_cmd);
  if (!words.ok()) return words.status();
  if (words->empty()) return Status::InvalidArgument("--node-cmd is empty");
  std::string peer_list;
  for (const auto& [id, address] : peers) {
    if (!peer_list.empty()) peer_list += ",";
    peer_list += id + "=" + address;
  }
  std::vector<std::string> argv;
  argv.reserve(words->size());
  std::vector<std::string> unknown;  // every unknown placeholder, so one run names them all
  for (const std::string& word : *words)
    argv.push_back(Substitute(word, self, peer_list, data_dir, &unknown));
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& u : unknown) names += (names.empty() ? "" : ", ") + u;
    return Status::InvalidArgument(std::string("--node-cmd: unknown placeholder") +
                                   (unknown.size() == 1 ? " " : "s ") + names +
                                   " (known: " + kKnownPlaceholders + ")");
  }
  return argv;
}

Result<std::unique_ptr<Target>> MakeProcessTarget(std::string node_cmd) {
  if (auto argv = ExpandNodeCommand(node_cmd, kSampleNode, kSamplePeers, "/tmp"); !argv.ok()) {
    return argv.status();
  }
  return std::unique_ptr<Target>(std::make_unique<ProcessTarget>(std::move(node_cmd)));
}

}  // namespace faultline::targets
