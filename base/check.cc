#include "base/check.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace faultline::base {
namespace {

thread_local std::string check_context;

}  // namespace

void SetCheckContext(std::string context) { check_context = std::move(context); }

const std::string& CheckContext() { return check_context; }

void CheckFailed(const char* file, int line, const char* condition, const std::string& message) {
  std::fprintf(stderr, "faultline: check failed at %s:%d: %s: %s\n", file, line, condition,
               message.c_str());
  if (!check_context.empty()) std::fprintf(stderr, "faultline: %s\n", check_context.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace faultline::base
