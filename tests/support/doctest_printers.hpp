#pragma once
// Lets doctest print a std::vector<std::string> (the peer's events() and received_lines())
// in a failed assertion, instead of "{?}": doctest 2.4.9 has no printer for containers.
// Include it after <doctest/doctest.h>.

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace doctest {

template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += (i == 0 ? "\"" : ", \"") + lines[i] + "\"";
    }
    out += "}";
    return String(out.c_str());
  }
};

}  // namespace doctest
