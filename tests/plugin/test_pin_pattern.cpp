// The schema's pin_sha256 pattern against the engine's own parser of pins.

// GCC 12 reports a false -Wmaybe-uninitialized inside std::regex's std::function at -O1 with
// sanitizers; the code is the standard library's.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "schema.hpp"
#include "smtp/net/tls.hpp"

namespace {

const boost::json::object& pin_schema(const boost::json::object& schema) {
  return schema.at("properties").as_object().at("pin_sha256").as_object();
}

}  // namespace

TEST_CASE("schema: the pin pattern accepts exactly what the engine's parse_pin reads") {
  const std::regex pattern(smtpplugin::pin_sha256_pattern);
  const std::string b64 = "KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXww=";
  const std::string hex(64, 'F');
  for (const std::string& pin : std::vector<std::string>{
           b64, "sha256//" + b64, hex, "sha256//" + hex, b64.substr(1),
           "KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXwx=", std::string(44, 'A'),
           std::string(43, 'A') + "=", hex + "0", "sha256/" + b64, std::string(63, 'f') + "g", "",
           "sha256//"}) {
    INFO(pin);
    CHECK(std::regex_match(pin, pattern) == smtp::net::parse_pin(pin).has_value());
  }
  CHECK(pin_schema(smtpplugin::schema()).at("pattern") == smtpplugin::pin_sha256_pattern);
}
