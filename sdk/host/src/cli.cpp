#include "cli.hpp"

#include <algorithm>

namespace flowhost {

Arguments::Arguments(std::vector<std::string> words, const std::vector<std::string>& flags) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (!w.starts_with("--") || w == "--") {
      positional_.push_back(w);
      continue;
    }
    auto name = w.substr(2);
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      value = "true";
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      throw UsageError("--" + name + " needs a value");
    }
    options_.emplace(name, value);
    order_.push_back(name);
  }
}

std::optional<std::string> Arguments::option(const std::string& name) const {
  const auto [first, last] = options_.equal_range(name);
  if (first == last) return std::nullopt;
  return std::prev(last)->second;
}

std::vector<std::string> Arguments::options(const std::string& name) const {
  std::vector<std::string> out;
  const auto [first, last] = options_.equal_range(name);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

std::string Arguments::required(const std::string& name) const {
  auto value = option(name);
  if (!value || value->empty()) throw UsageError("--" + name + " is required");
  return *value;
}

bool Arguments::flag(const std::string& name) const { return option(name) == "true"; }

void Arguments::only(const std::vector<std::string>& known) const {
  for (const auto& name : order_) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw UsageError("unknown option --" + name);
    }
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    auto item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

}  // namespace flowhost
