// The CLI11 side of the `faultline test` option table (harness/cli.h). CLI11 collects each
// option's words as given; the table turns them into options, so the parse and the rerun line
// share one description of every option.
#include <CLI/CLI.hpp>
#include <algorithm>

#include "harness/cli.h"

namespace faultline::harness {

struct TestCli::Raw {
  // Per table entry, in table order: the values given (a flag: one "" per occurrence).
  std::vector<std::vector<std::string>> values;
  std::vector<int64_t> flag_counts;
};

TestCli::TestCli(CLI::App* cmd) : raw_(std::make_unique<Raw>()) {
  const std::vector<TestOption>& table = TestOptions();
  raw_->values.resize(table.size());
  raw_->flag_counts.resize(table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const TestOption& t = table[i];
    if (t.is_flag()) {
      cmd->add_flag(t.name, raw_->flag_counts[i], t.help);
      continue;
    }
    std::string help = t.help;
    if (!t.repeatable && !t.default_text.empty()) help += " [default: " + t.default_text + "]";
    CLI::Option* opt = cmd->add_option(t.name, raw_->values[i], help)
                           ->type_name(t.value_name)
                           ->allow_extra_args(false);  // one value per occurrence
    if (t.repeatable) {
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    } else {
      opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
}

TestCli::~TestCli() = default;

base::Result<TestCommandOptions> TestCli::Options() const {
  const std::vector<TestOption>& table = TestOptions();
  TestCommandOptions o;
  for (size_t i = 0; i < table.size(); ++i) {
    for (int64_t n = 0; n < raw_->flag_counts[i]; ++n) {
      if (base::Status s = table[i].set(&o, ""); !s.ok()) return s;
    }
    for (const std::string& v : raw_->values[i]) {
      if (base::Status s = table[i].set(&o, v); !s.ok()) return s;
    }
  }
  return o;
}

base::Result<TestCommandOptions> ParseTestArgs(const std::vector<std::string>& args) {
  CLI::App app{"faultline"};
  CLI::App* cmd = app.add_subcommand("test");
  TestCli cli(cmd);
  // CLI11 takes the words in reverse order.
  std::vector<std::string> words(args.rbegin(), args.rend());
  words.push_back("test");
  try {
    app.parse(words);
  } catch (const CLI::ExtrasError&) {
    std::vector<std::string> names;
    for (const CLI::Option* opt : cmd->get_options()) {
      for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
    }
    for (const std::string& extra : app.remaining(true)) {
      if (!extra.empty() && extra.front() == '-') {
        return base::Status::InvalidArgument(UnknownOptionMessage(extra, names));
      }
    }
    return base::Status::InvalidArgument("unexpected argument");
  } catch (const CLI::ParseError& e) {
    return base::Status::InvalidArgument(e.what());
  }
  return cli.Options();
}

}  // namespace faultline::harness
