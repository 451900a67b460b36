// What the client learns from a positive EHLO reply. The first line is the server's domain and
// greeting and must never be read as a keyword.

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "smtp/protocol/capabilities.hpp"
#include "smtp/protocol/reply.hpp"
#include "unit_support.hpp"

using smtp::Capabilities;
using smtp::Reply;

namespace {

// An EHLO reply: the greeting line, then one line per keyword.
Capabilities ehlo(std::vector<std::string> keyword_lines) {
  Reply reply;
  reply.code = 250;
  reply.lines.push_back("mail.example.com Hello client.example.org");
  for (auto& line : keyword_lines) reply.lines.push_back(std::move(line));
  return Capabilities::from_ehlo(reply);
}

// Nothing but ESMTP itself.
void check_offers_nothing(const Capabilities& caps) {
  CHECK_FALSE(caps.starttls);
  CHECK_FALSE(caps.pipelining);
  CHECK_FALSE(caps.chunking);
  CHECK_FALSE(caps.eightbitmime);
  CHECK_FALSE(caps.smtputf8);
  CHECK_FALSE(caps.enhanced_status_codes);
  CHECK_FALSE(caps.dsn);
  CHECK_FALSE(caps.size_limit);
  CHECK(caps.auth_mechanisms.empty());
}

}  // namespace

TEST_CASE(
    "capabilities: a default-constructed set (HELO fallback) is not ESMTP and offers nothing") {
  const Capabilities caps;
  CHECK_FALSE(caps.esmtp);
  check_offers_nothing(caps);
  CHECK_FALSE(caps.offers_auth("PLAIN"));
}

TEST_CASE("capabilities: an EHLO reply with only the greeting is ESMTP with no extensions") {
  const auto caps = ehlo({});
  CHECK(caps.esmtp);
  check_offers_nothing(caps);
}

TEST_CASE("capabilities: each keyword sets its own flag and nothing else") {
  SUBCASE("STARTTLS") {
    auto caps = ehlo({"STARTTLS"});
    CHECK(caps.starttls);
    caps.starttls = false;
    check_offers_nothing(caps);
  }
  SUBCASE("PIPELINING") {
    auto caps = ehlo({"PIPELINING"});
    CHECK(caps.pipelining);
    caps.pipelining = false;
    check_offers_nothing(caps);
  }
  SUBCASE("CHUNKING") {
    auto caps = ehlo({"CHUNKING"});
    CHECK(caps.chunking);
    caps.chunking = false;
    check_offers_nothing(caps);
  }
  SUBCASE("8BITMIME") {
    auto caps = ehlo({"8BITMIME"});
    CHECK(caps.eightbitmime);
    caps.eightbitmime = false;
    check_offers_nothing(caps);
  }
  SUBCASE("SMTPUTF8") {
    auto caps = ehlo({"SMTPUTF8"});
    CHECK(caps.smtputf8);
    caps.smtputf8 = false;
    check_offers_nothing(caps);
  }
  SUBCASE("ENHANCEDSTATUSCODES") {
    auto caps = ehlo({"ENHANCEDSTATUSCODES"});
    CHECK(caps.enhanced_status_codes);
    caps.enhanced_status_codes = false;
    check_offers_nothing(caps);
  }
  SUBCASE("DSN") {
    auto caps = ehlo({"DSN"});
    CHECK(caps.dsn);
    caps.dsn = false;
    check_offers_nothing(caps);
  }
}

TEST_CASE("capabilities: keywords are case-insensitive") {
  const auto caps = ehlo({"starttls", "Pipelining", "chunking", "8bitmime", "SmtpUtf8",
                          "enhancedstatuscodes", "dsn", "size 1000", "auth plain login"});
  CHECK(caps.starttls);
  CHECK(caps.pipelining);
  CHECK(caps.chunking);
  CHECK(caps.eightbitmime);
  CHECK(caps.smtputf8);
  CHECK(caps.enhanced_status_codes);
  CHECK(caps.dsn);
  CHECK(caps.size_limit == std::uint64_t{1000});
  CHECK(caps.auth_mechanisms == std::vector<std::string>{"PLAIN", "LOGIN"});
}

TEST_CASE("capabilities: AUTH lists every mechanism, upper case, in the server's order") {
  const auto caps = ehlo({"AUTH PLAIN LOGIN CRAM-MD5"});
  CHECK(caps.auth_mechanisms == std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"});
  CHECK(caps.offers_auth("PLAIN"));
  CHECK(caps.offers_auth("LOGIN"));
  CHECK(caps.offers_auth("CRAM-MD5"));
  CHECK(caps.offers_auth("cram-md5"));  // the question is case-insensitive too
  CHECK_FALSE(caps.offers_auth("XOAUTH2"));
  CHECK_FALSE(caps.offers_auth("CRAM"));
  CHECK_FALSE(caps.offers_auth(""));
}

TEST_CASE("capabilities: mechanisms separated by several spaces or tabs are all read") {
  const auto caps = ehlo({"AUTH  PLAIN\tLOGIN   XOAUTH2 "});
  CHECK(caps.auth_mechanisms == std::vector<std::string>{"PLAIN", "LOGIN", "XOAUTH2"});
}

TEST_CASE("capabilities: AUTH without mechanisms offers none") {
  const auto caps = ehlo({"AUTH"});
  CHECK(caps.auth_mechanisms.empty());
  CHECK_FALSE(caps.offers_auth("PLAIN"));
}

TEST_CASE("capabilities: the legacy AUTH=LOGIN form is understood") {
  SUBCASE("AUTH=LOGIN alone") {
    const auto caps = ehlo({"AUTH=LOGIN"});
    CHECK(caps.auth_mechanisms == std::vector<std::string>{"LOGIN"});
  }
  SUBCASE("AUTH=LOGIN with more mechanisms after it") {
    const auto caps = ehlo({"AUTH=LOGIN PLAIN"});
    CHECK(caps.auth_mechanisms == std::vector<std::string>{"LOGIN", "PLAIN"});
  }
  SUBCASE("lower case") {
    const auto caps = ehlo({"auth=login"});
    CHECK(caps.offers_auth("LOGIN"));
  }
  SUBCASE("beside the standard line, without duplicates") {
    const auto caps = ehlo({"AUTH LOGIN PLAIN CRAM-MD5", "AUTH=LOGIN PLAIN"});
    CHECK(caps.auth_mechanisms == std::vector<std::string>{"LOGIN", "PLAIN", "CRAM-MD5"});
  }
  SUBCASE("AUTH= with nothing after it offers nothing") {
    const auto caps = ehlo({"AUTH="});
    CHECK(caps.auth_mechanisms.empty());
  }
}

TEST_CASE("capabilities: SIZE with a number is the server's limit") {
  CHECK(ehlo({"SIZE 35882577"}).size_limit == std::uint64_t{35882577});
  CHECK(ehlo({"SIZE 18446744073709551615"}).size_limit ==
        std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("capabilities: SIZE without a number, or with 0, means no fixed limit") {
  CHECK(ehlo({"SIZE"}).size_limit == std::uint64_t{0});
  CHECK(ehlo({"SIZE 0"}).size_limit == std::uint64_t{0});
}

TEST_CASE("capabilities: SIZE with a garbage argument is SIZE without a limit") {
  for (const char* line : {"SIZE abc", "SIZE 12abc", "SIZE -5", "SIZE +5", "SIZE 1.5",
                           "SIZE 99999999999999999999999", "SIZE 0x100"}) {
    CAPTURE(line);
    const auto caps = ehlo({line});
    REQUIRE(caps.size_limit);
    CHECK(*caps.size_limit == 0);
  }
}

TEST_CASE("capabilities: no SIZE keyword means no size information at all") {
  CHECK_FALSE(ehlo({"PIPELINING", "8BITMIME"}).size_limit);
}

TEST_CASE("capabilities: the first line (the domain greeting) is never read as a keyword") {
  Reply reply;
  reply.code = 250;
  reply.lines = {"STARTTLS PIPELINING AUTH PLAIN SIZE 10", "8BITMIME"};
  const auto caps = Capabilities::from_ehlo(reply);
  CHECK_FALSE(caps.starttls);
  CHECK_FALSE(caps.pipelining);
  CHECK(caps.auth_mechanisms.empty());
  CHECK_FALSE(caps.size_limit);
  CHECK(caps.eightbitmime);
}

TEST_CASE("capabilities: a greeting-only reply whose text looks like a keyword offers nothing") {
  Reply reply;
  reply.code = 250;
  reply.lines = {"STARTTLS"};
  const auto caps = Capabilities::from_ehlo(reply);
  CHECK_FALSE(caps.starttls);
}

TEST_CASE("capabilities: unknown keywords and look-alikes are ignored") {
  const auto caps = ehlo({"STARTTLSX", "XSTARTTLS", "PIPELININGX", "AUTHX PLAIN", "X-AUTH LOGIN",
                          "SIZEX 100", "VRFY", "ETRN", "XCLIENT NAME ADDR", "", "   "});
  check_offers_nothing(caps);
  CHECK(caps.esmtp);
}

TEST_CASE("capabilities: a real Postfix EHLO reply, parsed from the wire") {
  const std::string wire =
      "250-mail.example.com\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 10240000\r\n"
      "250-VRFY\r\n"
      "250-ETRN\r\n"
      "250-STARTTLS\r\n"
      "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
      "250-AUTH=PLAIN LOGIN CRAM-MD5\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-8BITMIME\r\n"
      "250-DSN\r\n"
      "250-SMTPUTF8\r\n"
      "250 CHUNKING\r\n";
  smtp::ReplyParser parser;
  std::error_code ec;
  std::string_view in = wire;
  const auto reply = parser.parse(in, ec);
  REQUIRE(reply);
  const auto caps = Capabilities::from_ehlo(*reply);
  CHECK(caps.esmtp);
  CHECK(caps.pipelining);
  CHECK(caps.size_limit == std::uint64_t{10240000});
  CHECK(caps.starttls);
  CHECK(caps.auth_mechanisms == std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"});
  CHECK(caps.enhanced_status_codes);
  CHECK(caps.eightbitmime);
  CHECK(caps.dsn);
  CHECK(caps.smtputf8);
  CHECK(caps.chunking);
}
