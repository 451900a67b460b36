// Envelope address validation (RFC 5321 4.1.2, RFC 6531). Security rule 5: addresses are
// validated, never repaired, and nothing that could end or extend a command line gets through.

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "smtp/error.hpp"
#include "smtp/protocol/address.hpp"
#include "smtp/protocol/reply.hpp"  // escape_text, for readable failure messages
#include "unit_support.hpp"

using namespace std::string_literals;
using smtp::check_address;
using smtp::errc;
using unit::err;

namespace {

void check_valid(std::string_view address, bool needs_smtputf8) {
  INFO("address: ", smtp::escape_text(address));
  const auto check = check_address(address);
  CHECK(static_cast<bool>(check));
  CHECK(check.error == std::error_code{});
  CHECK(check.reason.empty());
  CHECK(check.needs_smtputf8 == needs_smtputf8);
}

void check_invalid(std::string_view address) {
  INFO("address: ", smtp::escape_text(address));
  const auto check = check_address(address);
  CHECK_FALSE(static_cast<bool>(check));
  CHECK(check.error == err(errc::invalid_address));
  CHECK_FALSE(check.reason.empty());  // the user is told why
}

}  // namespace

TEST_CASE("address: ordinary dot-atom addresses are valid and need no SMTPUTF8") {
  check_valid("user@example.com", false);
  check_valid("first.last@mail.example.co.uk", false);
  check_valid("user+tag@example.com", false);
  check_valid("a@b", false);
  check_valid("user@localhost", false);
  check_valid("x@xn--bcher-kva.example", false);
  check_valid("!#$%&'*+-/=?^_`{|}~@example.com", false);
}

TEST_CASE("address: a quoted local part is valid") {
  check_valid("\"john doe\"@example.com", false);
  check_valid("\"a@b\"@example.com", false);
  check_valid("\"a\\\"b\"@example.com", false);  // an escaped quote inside
  check_valid("\"a..b\"@example.com", false);
}

TEST_CASE("address: malformed quoted local parts are refused") {
  check_invalid("\"unterminated@example.com");
  check_invalid("\"a\"b@example.com");
  check_invalid("\"a\"b\"@example.com");  // a bare quote inside
  check_invalid("\"a\\\"@example.com");   // the closing quote is escaped
  check_invalid("\"a\tb\"@example.com");  // control character
}

TEST_CASE("address: address literals are valid domains") {
  check_valid("user@[127.0.0.1]", false);
  check_valid("user@[255.255.255.255]", false);
  check_valid("user@[IPv6:::1]", false);
  check_valid("user@[IPv6:2001:db8::1]", false);
  check_valid("user@[IPv6:::ffff:192.0.2.1]", false);
}

TEST_CASE("address: malformed address literals are refused") {
  check_invalid("user@[256.0.0.1]");
  check_invalid("user@[1.2.3]");
  check_invalid("user@[1.2.3.4.5]");
  check_invalid("user@[1.2.3.]");
  check_invalid("user@[1.2.3.4");
  check_invalid("user@[]");
  check_invalid("user@[IPv6:]");
  check_invalid("user@[IPv6:zz::1]");
  check_invalid("user@[ 1.2.3.4]");
  check_invalid("user@[1.2.3.4]>");
}

TEST_CASE("address: malformed IPv6 address literals are refused") {
  // RFC 5321 4.1.3: IPv6-addr is at most 8 groups of 1-4 hex digits, with at most one "::",
  // optionally ending in an IPv4 address.
  check_invalid("user@[IPv6:1:2:3:4:5:6:7:8:9]");  // nine groups
  check_invalid("user@[IPv6:12345::1]");           // a group of five hex digits
  check_invalid("user@[IPv6:1::2::3]");            // two "::"
  check_invalid("user@[IPv6:::::]");
  check_invalid("user@[IPv6:1.2.3.4]");  // IPv4 alone is not an IPv6 literal
  check_invalid("user@[IPv6:.]");
}

TEST_CASE("address: UTF-8 addresses are valid but need SMTPUTF8") {
  check_valid("j\xc3\xb6rg@example.com", true);  // jörg@
  check_valid(
      "user@b\xc3\xbc"
      "cher.example",
      true);  // bücher.example
  check_valid("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", true);
  check_valid("\xf0\x9f\x98\x80@example.com", true);  // a 4-byte character
}

TEST_CASE("address: the local part may have 64 octets, not 65") {
  check_valid(std::string(64, 'a') + "@example.com", false);
  check_invalid(std::string(65, 'a') + "@example.com");
}

TEST_CASE("address: a whole address over 254 octets is refused") {
  // 64 + '@' + 189 = 254 octets, in labels of at most 63.
  const std::string domain =
      std::string(63, 'd') + '.' + std::string(63, 'd') + '.' + std::string(61, 'd');
  REQUIRE(domain.size() == 189);
  check_valid(std::string(64, 'a') + '@' + domain, false);
  check_invalid(std::string(64, 'a') + '@' + domain + 'd');
}

TEST_CASE("address: refused shapes") {
  check_invalid("userexample.com");  // no @
  check_invalid("@example.com");     // empty local part
  check_invalid("user@");            // empty domain
  check_invalid("user@@example.com");
  check_invalid("a..b@example.com");  // double dot
  check_invalid(".a@example.com");    // leading dot
  check_invalid("a.@example.com");    // trailing dot
  check_invalid("a b@example.com");   // space
  check_invalid(" user@example.com");
  check_invalid("user@example.com ");
  check_invalid("<user@example.com>");  // angle brackets belong to the command, not the address
  check_invalid("user@example.com>");
  check_invalid("a(comment)@example.com");
  check_invalid("a,b@example.com");
  check_invalid("a\\b@example.com");
}

TEST_CASE("address: refused domains") {
  check_invalid("user@example..com");
  check_invalid("user@.example.com");
  check_invalid("user@example.com.");
  check_invalid("user@-example.com");  // label starting with '-'
  check_invalid("user@example-.com");  // label ending with '-'
  check_invalid("user@mail.-x.com");
  check_invalid("user@exa mple.com");
  check_invalid("user@exam_ple.com");
  check_invalid("user@" + std::string(64, 'l') + ".com");  // label over 63 octets
}

TEST_CASE("address: CR, LF and NUL anywhere are refused") {
  for (const std::string& bad : {"\r"s, "\n"s, "\0"s, "\r\n"s}) {
    check_invalid(bad + "user@example.com");
    check_invalid("us" + bad + "er@example.com");
    check_invalid("user" + bad + "@example.com");
    check_invalid("user@" + bad + "example.com");
    check_invalid("user@exam" + bad + "ple.com");
    check_invalid("user@example.com" + bad);
    check_invalid("\"us" + bad + "er\"@example.com");
  }
}

TEST_CASE("address: the reason for refusing CR, LF or NUL says so") {
  for (const std::string& address :
       {"a\r@example.com"s, "a@exa\nmple.com"s, "\"a\0\"@example.com"s}) {
    INFO("address: ", smtp::escape_text(address));
    const auto check = check_address(address);
    CHECK(check.error == err(errc::invalid_address));
    CHECK(check.reason.find("CR, LF or NUL") != std::string::npos);
  }
}

TEST_CASE("address: command smuggling through an address is refused") {
  check_invalid("a@b>\r\nRCPT TO:<evil@x");
  check_invalid("a@b>\nRCPT TO:<evil@x");
  check_invalid("a@b> SIZE=1");  // parameter injection without CR/LF
  check_invalid("a@b>RCPT TO:<evil@x");
  check_invalid("a@b\r\n.\r\nMAIL FROM:<x@y>");
}

TEST_CASE("address: invalid UTF-8 is refused") {
  check_invalid("\xff@example.com");
  check_invalid("\x80@example.com");              // lone continuation byte
  check_invalid("j\xc3@example.com");             // truncated sequence
  check_invalid("\xc0\xaf@example.com");          // overlong '/'
  check_invalid("\xe0\x80\xaf@example.com");      // overlong, 3 bytes
  check_invalid("\xf0\x80\x80\xaf@example.com");  // overlong, 4 bytes
  check_invalid("\xed\xa0\x80@example.com");      // surrogate U+D800
  check_invalid("\xed\xbf\xbf@example.com");      // surrogate U+DFFF
  check_invalid("\xf4\x90\x80\x80@example.com");  // above U+10FFFF
  check_invalid(
      "user@b\xfc"
      "cher.example");  // Latin-1, not UTF-8
}

TEST_CASE("address: the empty address is allowed only where asked for (the null sender)") {
  check_invalid("");
  const auto sender = check_address("", /*allow_empty=*/true);
  CHECK(static_cast<bool>(sender));
  CHECK_FALSE(sender.needs_smtputf8);
  // allow_empty does not loosen anything else
  CHECK(check_address("a b@example.com", true).error == err(errc::invalid_address));
  CHECK(check_address("<>", true).error == err(errc::invalid_address));
}

TEST_CASE("is_valid_domain: EHLO names") {
  CHECK(smtp::is_valid_domain("client.example.org"));
  CHECK(smtp::is_valid_domain("localhost"));
  CHECK(smtp::is_valid_domain("[192.0.2.1]"));
  CHECK(smtp::is_valid_domain("[IPv6:::1]"));
  CHECK(smtp::is_valid_domain(std::string(63, 'a') + ".example"));
  CHECK_FALSE(smtp::is_valid_domain(""));
  CHECK_FALSE(smtp::is_valid_domain("-client.example"));
  CHECK_FALSE(smtp::is_valid_domain("client..example"));
  CHECK_FALSE(smtp::is_valid_domain("client example"));
  CHECK_FALSE(smtp::is_valid_domain("client.example\r\nMAIL FROM:<a@b>"));
  CHECK_FALSE(smtp::is_valid_domain(std::string(64, 'a') + ".example"));
  CHECK_FALSE(smtp::is_valid_domain("192.0.2.1]"));
  CHECK_FALSE(smtp::is_valid_domain(std::string(256, 'a')));
}

TEST_CASE("is_valid_utf8: accepts well-formed text, refuses the rest") {
  CHECK(smtp::is_valid_utf8(""));
  CHECK(smtp::is_valid_utf8("plain ascii"));
  CHECK(smtp::is_valid_utf8("caf\xc3\xa9"));
  CHECK(smtp::is_valid_utf8("\xe2\x82\xac"));                // U+20AC
  CHECK(smtp::is_valid_utf8("\xef\xbf\xbf"));                // U+FFFF
  CHECK(smtp::is_valid_utf8("\xf4\x8f\xbf\xbf"));            // U+10FFFF, the last code point
  CHECK(smtp::is_valid_utf8("\xed\x9f\xbf"));                // U+D7FF, just below the surrogates
  CHECK_FALSE(smtp::is_valid_utf8("\xc0\x80"));              // overlong NUL
  CHECK_FALSE(smtp::is_valid_utf8("\xc1\xbf"));              // overlong
  CHECK_FALSE(smtp::is_valid_utf8("\xe0\x9f\xbf"));          // overlong, 3 bytes
  CHECK_FALSE(smtp::is_valid_utf8("\xed\xa0\x80"));          // surrogate
  CHECK_FALSE(smtp::is_valid_utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  CHECK_FALSE(smtp::is_valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
  CHECK_FALSE(smtp::is_valid_utf8("\xe2\x82"));              // truncated at the end
  CHECK_FALSE(smtp::is_valid_utf8("\xe2\x28\xa1"));          // bad continuation
}

TEST_CASE("is_ascii: any byte at or above 0x80 makes text non-ASCII") {
  CHECK(smtp::is_ascii(""));
  CHECK(smtp::is_ascii("user@example.com\x7f"));
  CHECK_FALSE(smtp::is_ascii("caf\xc3\xa9"));
  CHECK_FALSE(smtp::is_ascii("\x80"));
}
