// The options of `faultline test` as one table: each option's name, value kind, default, help,
// accepted values, how to set it from a command-line word and how to print it back. The CLI11
// parser (TestCli, below) and the rerun line (TestRerunLine) are both built from this table, so
// an option the parser knows is an option the rerun line carries: they cannot drift apart.
//
// CLI11 is included by cli_parse.cc (and main.cc) only; this header forward-declares CLI::App.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/test_command.h"

namespace CLI {
class App;
}

namespace faultline::harness {

struct TestOption {
  std::string name;        // "--nodes"
  std::string value_name;  // "N", "SECONDS", ...; "" for a flag
  std::string help;
  std::string default_text;          // for --help ("5", "2 per node", "random")
  std::vector<std::string> choices;  // an enumerated option's values (--nemesis: of each item)
  bool repeatable = false;           // each occurrence adds a value (--raft-opt)
  // Sets the option from one command-line value ("" for a flag). A one-line error otherwise.
  std::function<base::Status(TestCommandOptions*, const std::string&)> set;
  // The values that print the option back, one per occurrence; {} when it is at its default.
  std::function<std::vector<std::string>(const TestCommandOptions&)> values;

  bool is_flag() const { return value_name.empty(); }
};

// Every option of `faultline test`, in --help order.
const std::vector<TestOption>& TestOptions();

// The command line that reruns a test with these options: "faultline test" and every option that
// is not at its default, each word shell-quoted where needed. `o.seed` should be set (the seed
// actually used), so that the rerun replays the same operations and faults.
std::string TestRerunLine(const TestCommandOptions& o);
// The same as words (without "faultline test"), unquoted.
std::vector<std::string> TestRerunWords(const TestCommandOptions& o);

// `word` as a POSIX shell reads it back: unchanged when it holds only safe characters, otherwise
// in single quotes (a quote inside becomes '\'').
std::string ShellQuote(std::string_view word);

// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours), when it is close enough to be a likely typo; "" otherwise.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);
// Optimal-string-alignment distance between `a` and `b` (exposed for tests).
size_t EditDistance(std::string_view a, std::string_view b);

// The line for an unknown option `arg` ("--nemsis" or "--nemsis=none") given the command's
// option names: "unknown option --nemsis (did you mean --nemesis?)".
std::string UnknownOptionMessage(std::string_view arg, const std::vector<std::string>& names);

// The CLI11 side of the table: adds every option to a `faultline test` subcommand and turns what
// was parsed into options. Lives as long as the parse.
class TestCli {
 public:
  explicit TestCli(CLI::App* cmd);
  ~TestCli();
  TestCli(const TestCli&) = delete;
  TestCli& operator=(const TestCli&) = delete;

  // After the parse: the options, or the first bad value (one line).
  base::Result<TestCommandOptions> Options() const;

 private:
  struct Raw;
  std::unique_ptr<Raw> raw_;
};

// Parses the words after `faultline test` with the same CLI11 parser `faultline` uses (for
// tests: a rerun line parsed back). An unknown option or a bad value is a one-line error.
base::Result<TestCommandOptions> ParseTestArgs(const std::vector<std::string>& args);

}  // namespace faultline::harness
