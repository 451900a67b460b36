// Base64 for SASL (RFC 4648 section 4): the standard test vectors, and a strict decoder.

#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "smtp/protocol/base64.hpp"
#include "unit_support.hpp"

using namespace std::string_literals;
namespace base64 = smtp::base64;

TEST_CASE("base64: encode matches the RFC 4648 test vectors") {
  CHECK(base64::encode("") == "");
  CHECK(base64::encode("f") == "Zg==");
  CHECK(base64::encode("fo") == "Zm8=");
  CHECK(base64::encode("foo") == "Zm9v");
  CHECK(base64::encode("foob") == "Zm9vYg==");
  CHECK(base64::encode("fooba") == "Zm9vYmE=");
  CHECK(base64::encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64: decode matches the RFC 4648 test vectors") {
  CHECK(base64::decode("") == std::optional<std::string>{""});
  CHECK(base64::decode("Zg==") == std::optional<std::string>{"f"});
  CHECK(base64::decode("Zm8=") == std::optional<std::string>{"fo"});
  CHECK(base64::decode("Zm9v") == std::optional<std::string>{"foo"});
  CHECK(base64::decode("Zm9vYg==") == std::optional<std::string>{"foob"});
  CHECK(base64::decode("Zm9vYmE=") == std::optional<std::string>{"fooba"});
  CHECK(base64::decode("Zm9vYmFy") == std::optional<std::string>{"foobar"});
}

TEST_CASE("base64: binary data with NUL and high bytes uses '+' and '/' and round-trips") {
  CHECK(base64::encode("\xfb\xff\xbf") == "+/+/");
  CHECK(base64::encode("\0alice\0secret"s) == "AGFsaWNlAHNlY3JldA==");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t length = 0; length <= all.size(); ++length) {
    CAPTURE(length);
    const auto bytes = all.substr(all.size() - length);
    const auto text = base64::encode(bytes);
    CHECK(text.size() == (length + 2) / 3 * 4);
    CHECK(base64::decode(text) == std::optional<std::string>{bytes});
  }
}

TEST_CASE("base64: SASL challenges decode to their prompts") {
  CHECK(base64::decode("VXNlcm5hbWU6") == std::optional<std::string>{"Username:"});
  CHECK(base64::decode("UGFzc3dvcmQ6") == std::optional<std::string>{"Password:"});
}

TEST_CASE("base64: strict decode refuses missing or misplaced padding") {
  for (const char* text : {"Zg", "Zg=", "Zm8", "Zm9vYg", "Zm9vYg=", "=", "==", "====", "Z===",
                           "Zg==Zg==", "Zg=a", "Z=g=", "Zm9v=", "Zm9vYmE==", "Zg==="}) {
    CAPTURE(text);
    CHECK_FALSE(base64::decode(text));
  }
}

TEST_CASE("base64: strict decode refuses whitespace anywhere") {
  for (const std::string& text : {" Zm9v"s, "Zm9v "s, "Zm 9"s, "Zm9v\r\nYmFy"s, "Zm\r\nYmFy"s,
                                  "Zm9v\tYmE"s, "Zm9v\nYmFyYmFy"s, "\r\n\r\n"s}) {
    CAPTURE(text);
    CHECK_FALSE(base64::decode(text));
  }
}

TEST_CASE("base64: strict decode refuses characters outside the alphabet") {
  for (const std::string& text :
       {"Zm9-"s, "Zm9_"s, "Zm9*"s, "Zm.v"s, "Zm9\0"s, "Zm9\xff"s, "Zm9\x80"s, "YW\"j"s}) {
    CAPTURE(text);
    CHECK_FALSE(base64::decode(text));
  }
}

TEST_CASE("base64: decode reads only the bytes it is given") {
  const std::string_view text = "Zm9vYmFy";
  CHECK_FALSE(base64::decode(text.substr(0, 6)));  // "Zm9vYm": the rest of the buffer is not its
  CHECK(base64::decode(text.substr(0, 4)) == std::optional<std::string>{"foo"});
}

TEST_CASE("base64: strict decode refuses non-canonical padding bits") {
  CHECK(base64::decode("Zg==") == std::optional<std::string>{"f"});
  CHECK_FALSE(base64::decode("Zh=="));  // same byte, but unused bits set
  CHECK(base64::decode("Zm8=") == std::optional<std::string>{"fo"});
  CHECK_FALSE(base64::decode("Zm9="));
}
