// `faultline check FILE...`: the checker's command line (DESIGN.md section 4).
#pragma once

#include <string>
#include <vector>

namespace faultline::harness {

struct CheckCommandOptions {
  std::vector<std::string> files;
  std::string model = "cas-register";
  std::string initial_json;  // empty: the model's default
  std::string format = "auto";
  bool independent = false;
  double timeout_s = 0;
  double memory_limit_mb = -1;  // negative: the default (checker::DefaultMemoryLimitMb); 0: none
  int threads = 0;
  bool json = false;
  std::string report_dir;  // empty: none
};

// Checks every file and prints its verdict. Returns the exit code (DESIGN.md section 5).
int RunCheckCommand(const CheckCommandOptions& options);

}  // namespace faultline::harness
