// DESIGN.md section 1's dependency arrows, enforced on every `#include "..."` in the tree.
//
// Each module is a CMake library whose target_link_libraries encode the arrows, but every library
// exports the source root as an include directory, so a header-only reach (an inline function, a
// struct, a template) into a module one may not depend on compiles and links fine. This test
// reads the includes themselves: it fails when a file includes a folder its module may not reach,
// and prints the file, the line and the rule it breaks.
//
// Modules are top-level folders, except that targets/raft/{core,kv,storage,replica,server,sim},
// and checker/io are modules of their own. tests/ and bench/ may include anything. A source folder
// with no rule fails the test, so a new module gets its arrows when it is created.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace faultline {
namespace {

namespace fs = std::filesystem;

// Module name -> what it may include besides itself: module names, or single files (a path) when
// only one header of a module is meant to be reachable. "*" means anything.
const std::map<std::string, std::set<std::string>>& Rules() {
  static const std::map<std::string, std::set<std::string>> rules = {
      // Below everything: the standard library only.
      {"base", {}},
      // The checker core depends on nothing above base; its JSON/EDN I/O sits on top of it.
      {"checker", {"base"}},
      {"checker/io", {"checker", "base"}},
      // The Raft core is pure protocol logic; kv and storage are the replica's state machine and
      // disk (storage reuses the core's value types: Entry, HardState, Snapshot).
      {"targets/raft/core", {"base"}},
      {"targets/raft/kv", {"base"}},
      {"targets/raft/storage", {"targets/raft/core", "base"}},
      {"targets/raft/replica",
       {"targets/raft/core", "targets/raft/kv", "targets/raft/storage", "base"}},
      {"targets/raft/server",
       {"targets/raft/replica", "targets/raft/core", "targets/raft/kv", "targets/raft/storage",
        "base"}},
      {"targets/raft/sim",
       {"targets/raft/replica", "targets/raft/core", "targets/raft/kv", "targets/raft/storage",
        "checker", "checker/io", "base"}},
      // The adapters: history values and operations from the checker; of the bundled Raft only
      // the table of its unsafe switches (to validate --raft-opt).
      {"targets", {"checker", "base", "targets/raft/core/unsafe_switches.h"}},
      // Knows nodes and processes, never operations or history values.
      {"nemesis", {"base"}},
      // Models from the checker; of targets/ the client interface only.
      {"workloads", {"checker", "checker/io", "base", "targets/client.h"}},
      {"results", {"checker", "checker/io", "base"}},
      {"harness",
       {"workloads", "nemesis", "targets", "results", "checker", "checker/io", "targets/raft/sim",
        "base", "targets/raft/core/unsafe_switches.h"}},
      {"tests", {"*"}},
      {"bench", {"*"}},
  };
  return rules;
}

// The module a repository-relative path belongs to ("targets/raft/core/raft.h" ->
// "targets/raft/core"); nullopt for a path in no module folder (a top-level file).
std::optional<std::string> ModuleOf(const std::string& path) {
  const std::vector<std::string> nested = {"targets/raft/core/",
                                           "targets/raft/kv/",
                                           "targets/raft/storage/",
                                           "targets/raft/replica/",
                                           "targets/raft/server/",
                                           "targets/raft/sim/",
                                           "checker/io/"};
  for (const std::string& prefix : nested) {
    if (path.rfind(prefix, 0) == 0) return prefix.substr(0, prefix.size() - 1);
  }
  const size_t slash = path.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return path.substr(0, slash);
}

struct Violation {
  std::string file;  // relative to the root
  int line = 0;
  std::string included;
  std::string rule;

  std::string ToString() const {
    return file + ":" + std::to_string(line) + ": #include \"" + included + "\": " + rule;
  }
};

bool IsSource(const fs::path& p) {
  static const std::set<std::string> kExtensions = {".h", ".hh", ".hpp", ".cc", ".cpp", ".inc"};
  return kExtensions.count(p.extension().string()) != 0;
}

// Folders that hold no sources of ours: VCS data, build trees (anything with a CMakeCache.txt,
// wherever it was put), test data.
bool SkipDirectory(const fs::path& dir) {
  const std::string name = dir.filename().string();
  if (!name.empty() && name[0] == '.') return true;
  if (name.rfind("build", 0) == 0) return true;
  if (fs::exists(dir / "CMakeCache.txt")) return true;
  return dir.filename() == "data" && dir.parent_path().filename() == "tests";
}

std::string Describe(const std::set<std::string>& allowed) {
  if (allowed.empty()) return "nothing but itself and the standard library";
  std::string out;
  for (const std::string& a : allowed) out += (out.empty() ? "" : ", ") + a;
  return out;
}

// Every include in the tree under `root` that breaks a rule.
std::vector<Violation> FindViolations(const fs::path& root) {
  static const std::regex kInclude(R"re(^\s*#\s*include\s*"([^"]+)")re");
  std::vector<Violation> out;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && SkipDirectory(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && IsSource(it->path())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string rel = fs::relative(file, root).generic_string();
    const std::optional<std::string> module = ModuleOf(rel);
    if (!module) continue;  // no source files live at the top level today
    const auto rule = Rules().find(*module);
    if (rule == Rules().end()) {
      out.push_back({rel, 0, "",
                     "module '" + *module +
                         "' has no rule in tests/base/arrows_test.cc "
                         "(add its arrows from DESIGN.md section 1)"});
      continue;
    }
    const std::set<std::string>& allowed = rule->second;
    if (allowed.count("*") != 0) continue;
    std::ifstream in(file);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::smatch m;
      if (!std::regex_search(line, m, kInclude)) continue;
      const std::string included = m[1].str();
      // A path relative to the including file resolves to a path in the tree; otherwise it is
      // taken from the root (every library exports it), and a name in neither is a third-party
      // header, none of our business.
      std::string target;
      const fs::path beside = file.parent_path() / included;
      if (fs::exists(beside)) {
        target =
            fs::relative(fs::weakly_canonical(beside), fs::weakly_canonical(root)).generic_string();
      } else if (const std::optional<std::string> named = ModuleOf(included);
                 fs::exists(root / included) || (named && Rules().count(*named) != 0)) {
        target = fs::path(included).lexically_normal().generic_string();
      } else {
        continue;
      }
      const std::optional<std::string> to = ModuleOf(target);
      if (!to) continue;
      if (*to == *module || allowed.count(*to) != 0 || allowed.count(target) != 0) continue;
      out.push_back({rel, number, included,
                     "module '" + *module + "' may not reach '" + *to +
                         "' (DESIGN.md section 1; it may reach: " + Describe(allowed) + ")"});
    }
  }
  return out;
}

TEST(ArrowsTest, TheTreeFollowsDesignSection1) {
  const std::vector<Violation> violations = FindViolations(FAULTLINE_SOURCE_DIR);
  for (const Violation& v : violations) ADD_FAILURE() << v.ToString();
  EXPECT_TRUE(violations.empty()) << violations.size() << " include(s) break the arrows";
}

// The checker of the arrows must itself be able to fail: a small tree with known bad includes.
class ArrowsFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("faultline_arrows_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }

  fs::path root_;
};

TEST_F(ArrowsFixtureTest, ReportsFileLineAndRule) {
  Write("base/status.h", "#pragma once\n");
  Write("checker/value.h", "#pragma once\n#include \"base/status.h\"\n");
  Write("nemesis/nemesis.h", "#pragma once\n#include <vector>\n#include \"checker/value.h\"\n");
  const std::vector<Violation> v = FindViolations(root_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].file, "nemesis/nemesis.h");
  EXPECT_EQ(v[0].line, 3);
  EXPECT_EQ(v[0].included, "checker/value.h");
  EXPECT_NE(v[0].rule.find("'nemesis' may not reach 'checker'"), std::string::npos) << v[0].rule;
}

TEST_F(ArrowsFixtureTest, RaftSubModulesAndSingleHeaders) {
  Write("targets/raft/core/raft.h", "#include \"targets/raft/server/node.h\"\n");  // upward
  Write("targets/raft/core/unsafe_switches.h", "#pragma once\n");
  Write("targets/raft/server/node.h", "#include \"targets/raft/core/raft.h\"\n");  // fine
  Write("targets/raft_target.cc",
        "#include \"targets/raft/core/unsafe_switches.h\"\n"  // the one allowed header
        "#include \"targets/raft/core/raft.h\"\n");           // not allowed
  Write("workloads/w.cc", "#include \"targets/client.h\"\n#include \"targets/target.h\"\n");
  Write("results/r.cc", "#include \"harness/recorder.h\"\n");  // nothing includes harness/
  Write("tests/t.cc", "#include \"harness/recorder.h\"\n");    // except tests
  std::vector<std::string> got;
  for (const Violation& x : FindViolations(root_)) {
    got.push_back(x.file + ":" + std::to_string(x.line));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"results/r.cc:1", "targets/raft/core/raft.h:1",
                                           "targets/raft_target.cc:2", "workloads/w.cc:2"}));
}

TEST_F(ArrowsFixtureTest, RelativeIncludesResolveAndThirdPartyIsIgnored) {
  Write("checker/io/jsonl.cc", "#include \"../../harness/x.h\"\n#include \"load.h\"\n");
  Write("checker/io/load.h", "#pragma once\n");
  Write("harness/x.h", "#pragma once\n");
  Write("nemesis/n.cc", "#include \"CLI/CLI.hpp\"\n");  // not in the tree: not ours
  const std::vector<Violation> v = FindViolations(root_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].file, "checker/io/jsonl.cc");
  EXPECT_NE(v[0].rule.find("may not reach 'harness'"), std::string::npos) << v[0].rule;
}

TEST_F(ArrowsFixtureTest, AFolderWithoutARuleFails) {
  Write("tools/t.cc", "int main() {}\n");
  const std::vector<Violation> v = FindViolations(root_);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].rule.find("has no rule"), std::string::npos);
}

}  // namespace
}  // namespace faultline
