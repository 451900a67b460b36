// SMTP AUTH exchanges (RFC 4954): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195). The exchange
// is sans-I/O and takes HMAC-MD5 as a function pointer; these tests bring their own: a fake that
// records its arguments, and a small RFC 1321 MD5 for the RFC 2195 example.

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/error.hpp"
#include "smtp/protocol/base64.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/sasl.hpp"
#include "unit_support.hpp"

using namespace std::string_literals;
using smtp::errc;
using smtp::Reply;
using smtp::sasl::Exchange;
using smtp::sasl::Mechanism;
using unit::err;

namespace {

using Digest = std::array<unsigned char, 16>;

// --- a small MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), for test vectors only ---------------------

Digest md5(std::string_view data) {
  static constexpr std::uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
      0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
      0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
      0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
      0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
      0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
      0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
      0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
      0xeb86d391};
  static constexpr int shift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  std::string message(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  message += static_cast<char>(0x80);
  while (message.size() % 64 != 56) message += '\0';
  for (int i = 0; i < 8; ++i) message += static_cast<char>((bits >> (8 * i)) & 0xff);

  std::uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  for (std::size_t block = 0; block < message.size(); block += 64) {
    std::uint32_t m[16];
    for (std::size_t w = 0; w < 16; ++w) {
      m[w] = 0;
      for (std::size_t byte = 0; byte < 4; ++byte) {
        m[w] |=
            static_cast<std::uint32_t>(static_cast<unsigned char>(message[block + 4 * w + byte]))
            << (8 * byte);
      }
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (std::size_t i = 0; i < 64; ++i) {
      std::uint32_t f = 0;
      std::size_t g = 0;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      f = f + a + k[i] + m[g];
      a = d;
      d = c;
      c = b;
      b = b + ((f << shift[i]) | (f >> (32 - shift[i])));
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
  Digest out{};
  for (std::size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<unsigned char>((h[i / 4] >> (8 * (i % 4))) & 0xff);
  }
  return out;
}

Digest hmac_md5(std::string_view key, std::string_view message) {
  std::string block_key(key);
  if (block_key.size() > 64) {
    const auto digest = md5(block_key);
    block_key.assign(digest.begin(), digest.end());
  }
  block_key.resize(64, '\0');
  std::string inner, outer;
  for (const char c : block_key) {
    inner += static_cast<char>(c ^ 0x36);
    outer += static_cast<char>(c ^ 0x5c);
  }
  inner += message;
  const auto inner_digest = md5(inner);
  outer.append(inner_digest.begin(), inner_digest.end());
  return md5(outer);
}

std::string hex(const Digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : digest) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

// --- a fake HMAC that records how it was called -------------------------------------------------

std::string fake_key;
std::string fake_message;
int fake_calls = 0;

Digest fake_hmac(std::string_view key, std::string_view message) {
  fake_key = std::string(key);
  fake_message = std::string(message);
  ++fake_calls;
  Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<unsigned char>(i);
  return digest;  // hex: 000102030405060708090a0b0c0d0e0f
}

void reset_fake() {
  fake_key.clear();
  fake_message.clear();
  fake_calls = 0;
}

Reply challenge(std::string text) { return Reply{334, {std::move(text)}, {}}; }

}  // namespace

// --- the test helpers themselves ----------------------------------------------------------------

TEST_CASE("sasl test helper: MD5 and HMAC-MD5 match their RFC vectors") {
  CHECK(hex(md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex(md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex(md5(std::string(200, 'a'))) == "887f30b43b2867f4a9accceee7d16e6c");  // several blocks
  CHECK(hex(hmac_md5(std::string(16, '\x0b'), "Hi There")) == "9294727a3638bb1c13f48ef8158bfc9d");
  CHECK(hex(hmac_md5("Jefe", "what do ya want for nothing?")) ==
        "750c783e6ab0b503eaa86e310a5db738");
}

// --- names and policy ---------------------------------------------------------------------------

TEST_CASE("sasl: mechanism names as sent after AUTH") {
  CHECK(smtp::sasl::name(Mechanism::plain) == "PLAIN");
  CHECK(smtp::sasl::name(Mechanism::login) == "LOGIN");
  CHECK(smtp::sasl::name(Mechanism::cram_md5) == "CRAM-MD5");
}

TEST_CASE("sasl: PLAIN and LOGIN send the password, CRAM-MD5 does not") {
  CHECK(smtp::sasl::sends_password(Mechanism::plain));
  CHECK(smtp::sasl::sends_password(Mechanism::login));
  CHECK_FALSE(smtp::sasl::sends_password(Mechanism::cram_md5));
}

// --- PLAIN --------------------------------------------------------------------------------------

TEST_CASE("sasl PLAIN: the initial response goes with AUTH, as base64 of NUL user NUL password") {
  Exchange exchange(Mechanism::plain, "alice", "secret", fake_hmac);
  std::string out;
  CHECK(exchange.start(out) == std::error_code{});
  CHECK(out == "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
  CHECK(smtp::base64::decode("AGFsaWNlAHNlY3JldA==") ==
        std::optional<std::string>{"\0alice\0secret"s});
}

TEST_CASE("sasl PLAIN: UTF-8 credentials are sent byte for byte") {
  Exchange exchange(Mechanism::plain, "j\xc3\xb6rg", "p\xc3\xa4ss", fake_hmac);
  std::string out;
  CHECK(exchange.start(out) == std::error_code{});
  CHECK(out == "AUTH PLAIN AGrDtnJnAHDDpHNz\r\n");
}

TEST_CASE("sasl PLAIN: an empty password is still a well-formed response") {
  Exchange exchange(Mechanism::plain, "alice", "", fake_hmac);
  std::string out;
  CHECK(exchange.start(out) == std::error_code{});
  CHECK(out == "AUTH PLAIN AGFsaWNlAA==\r\n");
}

TEST_CASE("sasl PLAIN: a 334 challenge afterwards breaks the exchange") {
  Exchange exchange(Mechanism::plain, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  out.clear();
  SUBCASE("empty challenge") {
    CHECK(exchange.respond(challenge(""), out) == err(errc::auth_protocol_error));
  }
  SUBCASE("a LOGIN-style prompt") {
    CHECK(exchange.respond(challenge("VXNlcm5hbWU6"), out) == err(errc::auth_protocol_error));
  }
  CHECK(out.empty());
}

// --- LOGIN --------------------------------------------------------------------------------------

TEST_CASE("sasl LOGIN: AUTH LOGIN, then the user name, then the password, each in base64") {
  reset_fake();
  Exchange exchange(Mechanism::login, "alice", "secret", fake_hmac);
  std::string out;
  CHECK(exchange.start(out) == std::error_code{});
  CHECK(out == "AUTH LOGIN\r\n");

  out.clear();
  CHECK(exchange.respond(challenge("VXNlcm5hbWU6"), out) == std::error_code{});  // "Username:"
  CHECK(out == "YWxpY2U=\r\n");

  out.clear();
  CHECK(exchange.respond(challenge("UGFzc3dvcmQ6"), out) == std::error_code{});  // "Password:"
  CHECK(out == "c2VjcmV0\r\n");
  CHECK(fake_calls == 0);
}

TEST_CASE("sasl LOGIN: prompts worded differently still get user name then password") {
  Exchange exchange(Mechanism::login, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  out.clear();
  CHECK(exchange.respond(challenge(smtp::base64::encode("User Name\0"s)), out) ==
        std::error_code{});
  CHECK(exchange.respond(challenge(""), out) == std::error_code{});
  CHECK(out == "YWxpY2U=\r\nc2VjcmV0\r\n");
}

TEST_CASE("sasl LOGIN: a third 334 breaks the exchange and writes nothing") {
  Exchange exchange(Mechanism::login, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  REQUIRE(exchange.respond(challenge("VXNlcm5hbWU6"), out) == std::error_code{});
  REQUIRE(exchange.respond(challenge("UGFzc3dvcmQ6"), out) == std::error_code{});
  const auto before = out;
  CHECK(exchange.respond(challenge("UGFzc3dvcmQ6"), out) == err(errc::auth_protocol_error));
  CHECK(out == before);
}

// --- CRAM-MD5 -----------------------------------------------------------------------------------

TEST_CASE("sasl CRAM-MD5: the RFC 2195 example, with a real HMAC-MD5") {
  Exchange exchange(Mechanism::cram_md5, "tim", "tanstaaftanstaaf", hmac_md5);
  std::string out;
  CHECK(exchange.start(out) == std::error_code{});
  CHECK(out == "AUTH CRAM-MD5\r\n");

  out.clear();
  const auto server_challenge = smtp::base64::encode("<1896.697170952@postoffice.reston.mci.net>");
  REQUIRE(server_challenge == "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  CHECK(exchange.respond(challenge(server_challenge), out) == std::error_code{});
  CHECK(out == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
  CHECK(smtp::base64::decode(out.substr(0, out.size() - 2)) ==
        std::optional<std::string>{"tim b913a602c7eda7a495b4e6e7334d3890"});
}

TEST_CASE("sasl CRAM-MD5: the HMAC is keyed with the password over the decoded challenge") {
  reset_fake();
  Exchange exchange(Mechanism::cram_md5, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  out.clear();
  CHECK(exchange.respond(challenge(smtp::base64::encode("<123.456@server>")), out) ==
        std::error_code{});
  CHECK(fake_calls == 1);
  CHECK(fake_key == "secret");
  CHECK(fake_message == "<123.456@server>");
  // base64("alice 000102030405060708090a0b0c0d0e0f"): user, a space, lower-case hex digest
  CHECK(out == "YWxpY2UgMDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=\r\n");
  CHECK(out.find("secret") == std::string::npos);
}

TEST_CASE("sasl CRAM-MD5: a second challenge breaks the exchange") {
  Exchange exchange(Mechanism::cram_md5, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  REQUIRE(exchange.respond(challenge(smtp::base64::encode("<1@x>")), out) == std::error_code{});
  const auto before = out;
  CHECK(exchange.respond(challenge(smtp::base64::encode("<2@x>")), out) ==
        err(errc::auth_protocol_error));
  CHECK(out == before);
}

TEST_CASE("sasl CRAM-MD5: an empty challenge breaks the exchange") {
  reset_fake();
  Exchange exchange(Mechanism::cram_md5, "alice", "secret", fake_hmac);
  std::string out;
  REQUIRE(exchange.start(out) == std::error_code{});
  out.clear();
  CHECK(exchange.respond(challenge(""), out) == err(errc::auth_protocol_error));
  CHECK(out.empty());
  CHECK(fake_calls == 0);
}

// --- hostile challenges, for every mechanism
// ------------------------------------------------------

TEST_CASE("sasl: a challenge that is not strict base64 breaks the exchange") {
  for (const auto mechanism : {Mechanism::plain, Mechanism::login, Mechanism::cram_md5}) {
    for (const char* text : {"not base64!", "VXNlcm5hbWU", "VXNl cm5h", "VXNlcm5hbWU6=", "===="}) {
      INFO(smtp::sasl::name(mechanism), " challenge: ", text);
      Exchange exchange(mechanism, "alice", "secret", fake_hmac);
      std::string out;
      REQUIRE(exchange.start(out) == std::error_code{});
      out.clear();
      CHECK(exchange.respond(challenge(text), out) == err(errc::auth_protocol_error));
      CHECK(out.empty());
    }
  }
}

TEST_CASE("sasl: a reply other than a one-line 334 is not a challenge") {
  for (const auto mechanism : {Mechanism::login, Mechanism::cram_md5}) {
    INFO(smtp::sasl::name(mechanism));
    Exchange exchange(mechanism, "alice", "secret", fake_hmac);
    std::string out;
    REQUIRE(exchange.start(out) == std::error_code{});
    out.clear();
    CHECK(exchange.respond(Reply{235, {"2.7.0 Authentication successful"}, {}}, out) ==
          err(errc::auth_protocol_error));
    CHECK(exchange.respond(Reply{535, {"5.7.8 Authentication failed"}, {}}, out) ==
          err(errc::auth_protocol_error));
    CHECK(exchange.respond(Reply{334, {"VXNlcm5hbWU6", "VXNlcm5hbWU6"}, {}}, out) ==
          err(errc::auth_protocol_error));
    CHECK(exchange.respond(Reply{334, {}, {}}, out) == err(errc::auth_protocol_error));
    CHECK(out.empty());
  }
}

// --- credentials that would break the command line --------------------------------------------

TEST_CASE("sasl: CR, LF or NUL in the user name or password is refused before anything is sent") {
  for (const auto mechanism : {Mechanism::plain, Mechanism::login, Mechanism::cram_md5}) {
    for (const std::string& bad : {"\r"s, "\n"s, "\0"s, "\r\n"s}) {
      INFO(smtp::sasl::name(mechanism), " with ", smtp::escape_text(bad));
      std::string out = "EHLO client\r\n";
      Exchange bad_user(mechanism, "ali" + bad + "ce", "secret", fake_hmac);
      CHECK(bad_user.start(out) == err(errc::invalid_credentials));
      Exchange bad_password(mechanism, "alice", "sec" + bad + "ret", fake_hmac);
      CHECK(bad_password.start(out) == err(errc::invalid_credentials));
      Exchange trailing(mechanism, "alice" + bad, "secret" + bad, fake_hmac);
      CHECK(trailing.start(out) == err(errc::invalid_credentials));
      CHECK(out == "EHLO client\r\n");
    }
  }
}

TEST_CASE("sasl: an empty user name is refused") {
  for (const auto mechanism : {Mechanism::plain, Mechanism::login, Mechanism::cram_md5}) {
    INFO(smtp::sasl::name(mechanism));
    Exchange exchange(mechanism, "", "secret", fake_hmac);
    std::string out;
    CHECK(exchange.start(out) == err(errc::invalid_credentials));
    CHECK(out.empty());
  }
}

TEST_CASE("sasl: the mechanism is remembered") {
  CHECK(Exchange(Mechanism::login, "a", "b", fake_hmac).mechanism() == Mechanism::login);
  CHECK(Exchange(Mechanism::cram_md5, "a", "b", fake_hmac).mechanism() == Mechanism::cram_md5);
}
