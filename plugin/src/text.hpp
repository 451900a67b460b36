#pragma once
// Small text helpers for messages and checks.

#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace smtpplugin {

// A value quoted for a message: JSON-escaped (no control character reaches a log raw) and cut
// after 40 characters.
inline std::string quoted(std::string_view text) {
  constexpr std::size_t max_echo = 40;
  if (text.size() <= max_echo) return boost::json::serialize(boost::json::string(text));
  return boost::json::serialize(boost::json::string(text.substr(0, max_echo))) + "...";
}

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](char x, char y) { return lower(x) == lower(y); });
}

// CR, LF or NUL: what no command line, user name or password may hold.
inline bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace smtpplugin
