#include "targets/raft/server/flags.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include "targets/raft/core/unsafe_switches.h"

namespace faultline::raft::server {
namespace {

bool ParseUint(std::string_view s, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) return false;
  *out = v;
  return true;
}

bool ParseHostPort(std::string_view s, PeerAddress* out) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  uint64_t port = 0;
  if (!ParseUint(s.substr(colon + 1), 65535, &port) || port == 0) return false;
  // The port follows the last colon (so "::1:9001" works); the host must look like a host
  // name or an IPv4/IPv6 address, so a wrong separator ("n2=h:1;n1=h:2") cannot hide a peer.
  const std::string_view host = s.substr(0, colon);
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']' && c != '_') {
      return false;
    }
  }
  out->host = std::string(host);
  out->port = static_cast<uint16_t>(port);
  return true;
}

}  // namespace

NodeId ParseNodeName(const std::string& name) {
  uint64_t v = 0;
  if (name.size() < 2 || name[0] != 'n' ||
      !ParseUint(std::string_view(name).substr(1), 1 << 20, &v)) {
    return kNoNode;
  }
  return v;
}

std::string NodeName(NodeId id) { return "n" + std::to_string(id); }

namespace {

// The ServerOptions field behind one of raftkv's unsafe switches (the table is in core).
bool* UnsafeField(ServerOptions* o, UnsafeSwitch s) {
  switch (s) {
    case UnsafeSwitch::kStaleReads:
      return &o->unsafe_stale_reads;
    case UnsafeSwitch::kNoFsync:
      return &o->unsafe_no_fsync;
    case UnsafeSwitch::kCommitOldTerms:
      return &o->unsafe_commit_old_terms;
  }
  return nullptr;
}

bool ParseFlagsRaw(const std::vector<std::string>& args, ServerOptions* o, std::string* error) {
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); eq != std::string::npos && flag.rfind("--", 0) == 0) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (const std::optional<UnsafeSwitch> unsafe =
            flag.rfind("--", 0) == 0 ? FindUnsafeSwitch(std::string_view(flag).substr(2))
                                     : std::nullopt) {
      if (has_value) {
        *error = flag + " takes no value";
        return false;
      }
      *UnsafeField(o, *unsafe) = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        *error = "missing value for " + flag;
        return false;
      }
      value = args[++i];
    }
    seen.insert(flag);
    uint64_t n = 0;
    if (flag == "--id") {
      o->id = ParseNodeName(value);
      if (o->id == kNoNode) {
        *error = "--id must look like n1, got '" + value + "'";
        return false;
      }
    } else if (flag == "--host") {
      o->host = value;
    } else if (flag == "--client-port" || flag == "--peer-port") {
      if (!ParseUint(value, 65535, &n)) {
        *error = "bad port for " + flag + ": '" + value + "'";
        return false;
      }
      (flag == "--client-port" ? o->client_port : o->peer_port) = static_cast<uint16_t>(n);
    } else if (flag == "--peers") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const size_t eq = item.find('=');
        PeerAddress addr;
        const NodeId id =
            eq == std::string_view::npos ? kNoNode : ParseNodeName(std::string(item.substr(0, eq)));
        if (id == kNoNode || !ParseHostPort(item.substr(eq + 1), &addr) ||
            o->peers.count(id) != 0) {
          *error = "bad --peers item '" + std::string(item) + "' (want n1=host:port, unique)";
          return false;
        }
        o->peers[id] = addr;
      }
    } else if (flag == "--data") {
      o->data_dir = value;
    } else if (flag == "--election-timeout-ms" || flag == "--heartbeat-ms") {
      if (!ParseUint(value, 600000, &n) || n == 0) {
        *error = "bad value for " + flag + ": '" + value + "'";
        return false;
      }
      (flag == "--heartbeat-ms" ? o->heartbeat_ms : o->election_timeout_ms) = static_cast<int>(n);
    } else if (flag == "--snapshot-threshold") {
      if (!ParseUint(value, UINT64_MAX, &n) || n == 0) {
        *error = "bad value for --snapshot-threshold: '" + value + "'";
        return false;
      }
      o->snapshot_threshold = n;
    } else {
      *error = "unknown flag '" + flag + "'";
      return false;
    }
  }
  for (const char* required :
       {"--id", "--host", "--client-port", "--peer-port", "--peers", "--data"}) {
    if (seen.count(required) == 0) {
      *error = std::string("missing required flag ") + required;
      return false;
    }
  }
  if (o->peers.count(o->id) == 0) {
    *error = "--peers does not list this node (" + NodeName(o->id) + ")";
    return false;
  }
  if (o->election_timeout_ms < 2 * o->heartbeat_ms) {
    *error = "--election-timeout-ms must be at least twice --heartbeat-ms";
    return false;
  }
  return true;
}

}  // namespace

bool ParseFlags(const std::vector<std::string>& args, ServerOptions* o, std::string* error) {
  if (ParseFlagsRaw(args, o, error)) return true;
  // The message echoes what was given; keep it one line whatever that was.
  std::string line;
  for (char c : *error) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      line += buf;
    } else {
      line += c;
    }
  }
  *error = std::move(line);
  return false;
}

}  // namespace faultline::raft::server
