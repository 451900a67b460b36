// The command chokepoint (security rule 5): exact bytes for every command, and CR, LF or NUL
// anywhere is refused with forbidden_character while the output buffer stays as it was.

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/error.hpp"
#include "smtp/protocol/command.hpp"
#include "smtp/protocol/reply.hpp"  // escape_text, for readable failure messages
#include "unit_support.hpp"

using namespace std::string_literals;
using smtp::errc;
using unit::err;
namespace command = smtp::command;

namespace {

using Builder = std::function<std::error_code(std::string&)>;

// Runs a builder on an empty buffer and returns what it wrote; the call must succeed.
std::string bytes_of(const Builder& build) {
  std::string out;
  const auto ec = build(out);
  CHECK(ec == std::error_code{});
  return out;
}

// The builder must refuse, and leave a buffer that already holds a pipelined command untouched.
void check_refused(const Builder& build) {
  const std::string before = "EHLO client.example.org\r\n";
  std::string out = before;
  CHECK(build(out) == err(errc::forbidden_character));
  CHECK(out == before);
}

const std::vector<std::string> forbidden = {"\r"s, "\n"s, "\0"s, "\r\n"s};

}  // namespace

TEST_CASE("command: fixed commands have exact bytes") {
  CHECK(bytes_of([](std::string& o) { return command::starttls(o); }) == "STARTTLS\r\n");
  CHECK(bytes_of([](std::string& o) { return command::data(o); }) == "DATA\r\n");
  CHECK(bytes_of([](std::string& o) { return command::rset(o); }) == "RSET\r\n");
  CHECK(bytes_of([](std::string& o) { return command::noop(o); }) == "NOOP\r\n");
  CHECK(bytes_of([](std::string& o) { return command::quit(o); }) == "QUIT\r\n");
}

TEST_CASE("command: EHLO and HELO carry the client name") {
  CHECK(bytes_of([](std::string& o) { return command::ehlo(o, "client.example.org"); }) ==
        "EHLO client.example.org\r\n");
  CHECK(bytes_of([](std::string& o) { return command::helo(o, "[192.0.2.1]"); }) ==
        "HELO [192.0.2.1]\r\n");
}

TEST_CASE("command: MAIL FROM without parameters") {
  CHECK(bytes_of([](std::string& o) { return command::mail_from(o, "alice@example.com", {}); }) ==
        "MAIL FROM:<alice@example.com>\r\n");
}

TEST_CASE("command: MAIL FROM with the null reverse path") {
  CHECK(bytes_of([](std::string& o) { return command::mail_from(o, "", {}); }) ==
        "MAIL FROM:<>\r\n");
}

TEST_CASE("command: MAIL FROM parameters, each alone and all together") {
  command::MailParameters params;
  SUBCASE("SIZE") {
    params.size = 12345;
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "a@example.com", params);
          }) == "MAIL FROM:<a@example.com> SIZE=12345\r\n");
  }
  SUBCASE("SIZE 0 is not sent") {
    params.size = 0;
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "a@example.com", params);
          }) == "MAIL FROM:<a@example.com>\r\n");
  }
  SUBCASE("a 64-bit SIZE") {
    params.size = std::numeric_limits<std::uint64_t>::max();
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "a@example.com", params);
          }) == "MAIL FROM:<a@example.com> SIZE=18446744073709551615\r\n");
  }
  SUBCASE("BODY=8BITMIME") {
    params.body_8bitmime = true;
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "a@example.com", params);
          }) == "MAIL FROM:<a@example.com> BODY=8BITMIME\r\n");
  }
  SUBCASE("SMTPUTF8") {
    params.smtputf8 = true;
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "j\xc3\xb6rg@example.com", params);
          }) == "MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8\r\n");
  }
  SUBCASE("all three, in order") {
    params.size = 4096;
    params.body_8bitmime = true;
    params.smtputf8 = true;
    CHECK(bytes_of([&](std::string& o) {
            return command::mail_from(o, "a@example.com", params);
          }) == "MAIL FROM:<a@example.com> SIZE=4096 BODY=8BITMIME SMTPUTF8\r\n");
  }
  SUBCASE("parameters with the null reverse path (a bounce)") {
    params.size = 10;
    params.body_8bitmime = true;
    CHECK(bytes_of([&](std::string& o) { return command::mail_from(o, "", params); }) ==
          "MAIL FROM:<> SIZE=10 BODY=8BITMIME\r\n");
  }
}

TEST_CASE("command: RCPT TO") {
  CHECK(bytes_of([](std::string& o) { return command::rcpt_to(o, "bob@example.net"); }) ==
        "RCPT TO:<bob@example.net>\r\n");
}

TEST_CASE("command: BDAT with and without LAST") {
  CHECK(bytes_of([](std::string& o) { return command::bdat(o, 86, false); }) == "BDAT 86\r\n");
  CHECK(bytes_of([](std::string& o) { return command::bdat(o, 86, true); }) == "BDAT 86 LAST\r\n");
  CHECK(bytes_of([](std::string& o) { return command::bdat(o, 0, true); }) == "BDAT 0 LAST\r\n");
  CHECK(bytes_of([](std::string& o) { return command::bdat(o, 1048576, false); }) ==
        "BDAT 1048576\r\n");
}

TEST_CASE("command: AUTH with and without an initial response") {
  CHECK(bytes_of([](std::string& o) { return command::auth(o, "LOGIN"); }) == "AUTH LOGIN\r\n");
  CHECK(bytes_of([](std::string& o) {
          return command::auth(o, "PLAIN", "AGFsaWNlAHNlY3JldA==");
        }) == "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
}

TEST_CASE("command: append_line adds CRLF and nothing else") {
  CHECK(bytes_of([](std::string& o) { return command::append_line(o, "dGVzdA=="); }) ==
        "dGVzdA==\r\n");
  CHECK(bytes_of([](std::string& o) { return command::append_line(o, ""); }) == "\r\n");
}

TEST_CASE("command: commands append, so a pipelined batch is the concatenation") {
  std::string out;
  CHECK(command::mail_from(out, "a@example.com", {}) == std::error_code{});
  CHECK(command::rcpt_to(out, "b@example.com") == std::error_code{});
  CHECK(command::rcpt_to(out, "c@example.com") == std::error_code{});
  CHECK(command::data(out) == std::error_code{});
  CHECK(out ==
        "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\n"
        "DATA\r\n");
}

TEST_CASE("command: CR, LF or NUL anywhere in an address is refused and writes nothing") {
  for (const auto& bad : forbidden) {
    for (const std::string& address : {bad + "a@b.example", "a" + bad + "@b.example",
                                       "a@b.example" + bad, "a@b>" + bad + "RCPT TO:<evil@x"}) {
      INFO("address: ", smtp::escape_text(address));
      check_refused([&](std::string& o) { return command::mail_from(o, address, {}); });
      check_refused([&](std::string& o) { return command::rcpt_to(o, address); });
    }
  }
}

TEST_CASE("command: CR, LF or NUL in an EHLO or HELO name is refused and writes nothing") {
  for (const auto& bad : forbidden) {
    for (const std::string& name : {bad + "client", "cli" + bad + "ent", "client" + bad,
                                    "client" + bad + "MAIL FROM:<a@b>"}) {
      INFO("name: ", smtp::escape_text(name));
      check_refused([&](std::string& o) { return command::ehlo(o, name); });
      check_refused([&](std::string& o) { return command::helo(o, name); });
    }
  }
}

TEST_CASE("command: CR, LF or NUL in AUTH's mechanism or initial response is refused") {
  for (const auto& bad : forbidden) {
    INFO("bad: ", smtp::escape_text(bad));
    check_refused([&](std::string& o) { return command::auth(o, "PLAIN", "AGFs" + bad + "aWNl"); });
    check_refused([&](std::string& o) { return command::auth(o, "PLAIN", bad); });
    check_refused([&](std::string& o) { return command::auth(o, "PLA" + bad + "IN"); });
  }
}

TEST_CASE("command: append_line refuses CR, LF or NUL anywhere in the line") {
  for (const auto& bad : forbidden) {
    INFO("bad: ", smtp::escape_text(bad));
    check_refused([&](std::string& o) { return command::append_line(o, bad); });
    check_refused([&](std::string& o) { return command::append_line(o, "abc" + bad); });
    check_refused([&](std::string& o) { return command::append_line(o, bad + "abc"); });
    check_refused([&](std::string& o) { return command::append_line(o, "a" + bad + "c"); });
  }
}
