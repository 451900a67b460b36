#pragma once
// A small command-line reader: options (--name value, --name=value, repeated ones), flags and
// positional words, with errors that say what was expected.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowhost {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Arguments {
 public:
  // `flags` are the options that take no value.
  Arguments(std::vector<std::string> words, const std::vector<std::string>& flags);

  std::optional<std::string> option(const std::string& name) const;  // the last one given
  std::vector<std::string> options(const std::string& name) const;   // every one, in order
  std::string required(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Fails with a UsageError when an option not in `known` was given.
  void only(const std::vector<std::string>& known) const;

 private:
  std::multimap<std::string, std::string> options_;
  std::vector<std::string> order_;
  std::vector<std::string> positional_;
};

// "a,b, c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> split_list(const std::string& text);

}  // namespace flowhost
