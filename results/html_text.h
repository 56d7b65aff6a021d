// Small helpers for the HTML pages of the results store (the suite's index.html, `faultline
// serve`'s index): text escaped for HTML and a path made safe to put in a link.
#pragma once

#include <string>
#include <string_view>

namespace faultline::results {

// `s` with & < > " ' replaced by entities: safe in element text and quoted attributes.
inline std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
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
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A relative path percent-encoded for an href: '/' kept, letters, digits and -._~ kept, every
// other byte as %XX.
inline std::string UrlPath(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The CSS colour of a verdict word ("valid", "invalid", "unknown", "crashed", ...).
inline const char* VerdictColour(std::string_view verdict) {
  if (verdict == "valid") return "#1a7f37";
  if (verdict == "invalid") return "#cf222e";
  if (verdict == "crashed") return "#8250df";
  if (verdict == "unknown") return "#bf8700";
  return "#6e7781";  // skipped, not run, running
}

}  // namespace faultline::results
