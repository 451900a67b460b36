#pragma once
// Shared helpers for the unit tests of the sans-I/O layer: readable failure messages for error
// codes and statuses, and a printable form of raw protocol bytes.

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "smtp/error.hpp"
#include "smtp/result.hpp"

namespace doctest {

template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    if (!ec) return "no error";
    const std::string text = std::string(ec.category().name()) + ':' + std::to_string(ec.value()) +
                             " (" + ec.message() + ')';
    return String(text.c_str());
  }
};

template <>
struct StringMaker<std::optional<std::string>> {
  static String convert(const std::optional<std::string>& value) {
    if (!value) return "nullopt";
    const std::string text = '"' + *value + '"';
    return String(text.c_str(), static_cast<String::size_type>(text.size()));
  }
};

}  // namespace doctest

namespace smtp {

// Found by argument-dependent lookup, so CHECK_EQ on statuses prints "RETRY", not "1".
inline doctest::String toString(Status status) {
  const auto text = to_string(status);
  return doctest::String(text.data(), static_cast<doctest::String::size_type>(text.size()));
}

}  // namespace smtp

namespace unit {

inline std::error_code err(smtp::errc e) { return smtp::make_error_code(e); }

// Counts the (possibly overlapping) occurrences of `needle` in `haystack`.
inline std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

}  // namespace unit
