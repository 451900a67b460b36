#include <doctest/doctest.h>
#include <iostream>
#include "sample_message.hpp"
using namespace mime_test;
TEST_CASE("scratch") {
  Sample s;
  for (auto cs : {smtp::mime::Charset::utf8, smtp::mime::Charset::iso_2022_jp}) {
  auto b = sample_builder(s, cs);
  auto built = b.build(fixed_options());
  auto bytes = read_all(*built.message.body);
  std::size_t start = 0;
  while (start < bytes.size()) { auto e = bytes.find("\r\n", start); if (e - start > 78) std::cout << bytes.substr(start, e-start) << "\n"; start = e + 2; }
  auto i = bytes.find("Content-Type: application/pdf");
  std::cout << bytes.substr(i, 1200) << "\n";
  }
}
