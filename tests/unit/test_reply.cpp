// The reply parser (RFC 5321 4.2): strict, bounded, incremental. Security rule 6: every line of
// a multi-line reply obeys the same rules, and line length, line count and total size are
// bounded. Security rule 2 (STARTTLS injection) needs the parser to consume exactly one reply.

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/error.hpp"
#include "smtp/protocol/reply.hpp"
#include "unit_support.hpp"

using namespace std::string_literals;
using smtp::EnhancedStatus;
using smtp::errc;
using smtp::Reply;
using smtp::ReplyLimits;
using smtp::ReplyParser;
using unit::err;

namespace {

struct Parsed {
  std::optional<Reply> reply;
  std::error_code ec;
  std::string rest;  // the input the parser left unconsumed
};

// One call with the whole input.
Parsed parse_whole(std::string_view input, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  Parsed p;
  p.reply = parser.parse(input, p.ec);
  p.rest = std::string(input);
  return p;
}

// Feeds the input `step` bytes at a time until a reply or an error comes out.
Parsed parse_in_steps(std::string_view input, std::size_t step, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  Parsed p;
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, step);
    const auto offered = piece.size();
    p.reply = parser.parse(piece, p.ec);
    pos += offered - piece.size();
    if (p.reply || p.ec) break;
    REQUIRE(piece.empty());  // "nothing yet" means everything offered was consumed
  }
  p.rest = std::string(input.substr(pos));
  return p;
}

// Feeds input[0, split) and then input[split, end).
Parsed parse_split(std::string_view input, std::size_t split) {
  ReplyParser parser;
  Parsed p;
  std::string_view first = input.substr(0, split);
  p.reply = parser.parse(first, p.ec);
  if (p.reply || p.ec) {
    p.rest = std::string(first) + std::string(input.substr(split));
    return p;
  }
  std::string_view second = input.substr(split);
  p.reply = parser.parse(second, p.ec);
  p.rest = std::string(second);
  return p;
}

void check_same(const Reply& a, const Reply& b) {
  CHECK(a.code == b.code);
  CHECK(a.lines == b.lines);
  CHECK(a.enhanced == b.enhanced);
}

std::optional<EnhancedStatus> enhanced_of(const std::string& wire) {
  const auto p = parse_whole(wire);
  REQUIRE_MESSAGE(p.reply, "not parsed: " << smtp::escape_text(wire));
  return p.reply->enhanced;
}

}  // namespace

// --- well-formed replies --------------------------------------------------------------------

TEST_CASE("reply: a single-line reply gives its code and text, and consumes exactly its bytes") {
  const auto p = parse_whole("250 OK\r\n");
  REQUIRE(p.reply);
  CHECK(p.ec == std::error_code{});
  CHECK(p.reply->code == 250);
  CHECK(p.reply->lines == std::vector<std::string>{"OK"});
  CHECK(p.rest.empty());
}

TEST_CASE("reply: a multi-line reply keeps every line's text in order") {
  const auto p = parse_whole("250-mail.example.com Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  REQUIRE(p.reply);
  CHECK(p.reply->code == 250);
  CHECK(p.reply->lines ==
        std::vector<std::string>{"mail.example.com Hello", "PIPELINING", "SIZE 1000"});
  CHECK(p.rest.empty());
}

TEST_CASE("reply: a code with no text is a reply with one empty line") {
  SUBCASE("code only") {
    const auto p = parse_whole("250\r\n");
    REQUIRE(p.reply);
    CHECK(p.reply->code == 250);
    CHECK(p.reply->lines == std::vector<std::string>{""});
  }
  SUBCASE("code and a space") {
    const auto p = parse_whole("354 \r\n");
    REQUIRE(p.reply);
    CHECK(p.reply->code == 354);
    CHECK(p.reply->lines == std::vector<std::string>{""});
  }
}

TEST_CASE("reply: tabs and UTF-8 in the text are accepted as they are") {
  const auto p = parse_whole("250 caf\xc3\xa9\tok\r\n");
  REQUIRE(p.reply);
  CHECK(p.reply->lines.front() == "caf\xc3\xa9\tok");
}

TEST_CASE("reply: an unfinished reply gives nothing, consumes all input and stays in progress") {
  ReplyParser parser;
  CHECK_FALSE(parser.in_progress());
  std::error_code ec;

  std::string_view in = "250-first\r\n250 sec";
  CHECK_FALSE(parser.parse(in, ec));
  CHECK(ec == std::error_code{});
  CHECK(in.empty());
  CHECK(parser.in_progress());

  std::string_view end = "ond\r\n";
  const auto reply = parser.parse(end, ec);
  REQUIRE(reply);
  CHECK(reply->lines == std::vector<std::string>{"first", "second"});
  CHECK_FALSE(parser.in_progress());
}

TEST_CASE("reply: a partial first line alone already counts as in progress") {
  ReplyParser parser;
  std::error_code ec;
  std::string_view in = "25";
  CHECK_FALSE(parser.parse(in, ec));
  CHECK(parser.in_progress());
}

TEST_CASE("reply: two replies in one buffer: the parser takes exactly one and leaves the rest") {
  ReplyParser parser;
  std::error_code ec;
  std::string_view in = "250 first\r\n354-second\r\n354 end\r\n";

  const auto first = parser.parse(in, ec);
  REQUIRE(first);
  CHECK(first->code == 250);
  CHECK(in == "354-second\r\n354 end\r\n");
  CHECK_FALSE(parser.in_progress());

  const auto second = parser.parse(in, ec);
  REQUIRE(second);
  CHECK(second->code == 354);
  CHECK(second->lines == std::vector<std::string>{"second", "end"});
  CHECK(in.empty());
}

TEST_CASE("reply: bytes injected after a STARTTLS reply are left untouched in the input") {
  ReplyParser parser;
  std::error_code ec;
  std::string_view in = "220 go ahead\r\n250 injected\r\n";
  const auto reply = parser.parse(in, ec);
  REQUIRE(reply);
  CHECK(ec == std::error_code{});
  CHECK(reply->code == 220);
  CHECK(reply->lines == std::vector<std::string>{"go ahead"});
  CHECK(in == "250 injected\r\n");  // the engine must see these and abort (rule 2)
  CHECK_FALSE(parser.in_progress());
}

TEST_CASE("reply: a partial injected line after the STARTTLS reply is also left in the input") {
  const auto p = parse_whole("220 2.0.0 Ready to start TLS\r\n250-inj");
  REQUIRE(p.reply);
  CHECK(p.reply->code == 220);
  CHECK(p.rest == "250-inj");
}

TEST_CASE("reply: a pipelined stream of replies is parsed one after another") {
  ReplyParser parser;
  std::error_code ec;
  std::string_view in = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 go\r\n";
  std::vector<int> codes;
  while (auto reply = parser.parse(in, ec)) codes.push_back(reply->code);
  CHECK(ec == std::error_code{});
  CHECK(codes == std::vector<int>{250, 250, 550, 354});
  CHECK(in.empty());
}

TEST_CASE("reply: a reply split at every byte boundary gives the same result") {
  const std::string wire =
      "250-mail.example.com says h\xc3\xa9llo\r\n250-8BITMIME\r\n250 2.0.0 SIZE 1000\r\n354 "
      "next\r\n";
  const auto whole = parse_whole(wire);
  REQUIRE(whole.reply);
  CHECK(whole.rest == "354 next\r\n");

  SUBCASE("one byte at a time") {
    const auto p = parse_in_steps(wire, 1);
    REQUIRE(p.reply);
    check_same(*p.reply, *whole.reply);
    CHECK(p.rest == whole.rest);
  }
  SUBCASE("every two-piece split") {
    for (std::size_t split = 0; split <= wire.size(); ++split) {
      CAPTURE(split);
      const auto p = parse_split(wire, split);
      REQUIRE(p.reply);
      CHECK(p.ec == std::error_code{});
      check_same(*p.reply, *whole.reply);
      CHECK(p.rest == whole.rest);
    }
  }
}

// --- malformed replies ----------------------------------------------------------------------

TEST_CASE("reply: malformed lines are refused with reply_malformed, whole or byte by byte") {
  struct Case {
    const char* what;
    std::string wire;
  };
  const std::vector<Case> cases = {
      {"bare LF ends the line", "250 ok\n"},
      {"bare LF on a later line", "250-a\r\n250 b\n"},
      {"bare CR inside the text", "250 a\rb\r\n"},
      {"CR CR LF", "250 a\r\r\n"},
      {"NUL inside the text", "250 a\0b\r\n"s},
      {"NUL on a later line", "250-a\r\n250 b\0\r\n"s},
      {"ESC (terminal control) in the text", "250 \x1b[31mred\r\n"},
      {"DEL in the text", "250 a\x7f\r\n"},
      {"other C0 control in the text", "250 a\x01\r\n"},
      {"mismatched codes across lines", "250-a\r\n251 b\r\n"},
      {"mismatched class across lines", "250-a\r\n550 b\r\n"},
      {"bad separator", "250xfoo\r\n"},
      {"bad separator on a later line", "250-a\r\n250xb\r\n"},
      {"four-digit code", "2500 ok\r\n"},
      {"two-digit code", "25 ok\r\n"},
      {"letters for a code", "abc ok\r\n"},
      {"leading space", " 250 ok\r\n"},
      {"code 1xx", "199 x\r\n"},
      {"code 6xx", "600 x\r\n"},
      {"code 0xx", "099 x\r\n"},
      {"second digit above 5", "260 x\r\n"},
      {"empty line", "\r\n"},
      {"short line", "25\r\n"},
      {"short continuation", "250-a\r\n25\r\n"},
  };
  for (const auto& c : cases) {
    INFO(c.what, ": ", smtp::escape_text(c.wire));
    const auto whole = parse_whole(c.wire);
    CHECK_FALSE(whole.reply);
    CHECK(whole.ec == err(errc::reply_malformed));

    const auto bytewise = parse_in_steps(c.wire, 1);
    CHECK_FALSE(bytewise.reply);
    CHECK(bytewise.ec == err(errc::reply_malformed));
  }
}

TEST_CASE("reply: codes at the edges of 2xx-5xx are accepted") {
  for (const char* wire : {"200 a\r\n", "559 a\r\n", "334 \r\n", "421 bye\r\n"}) {
    CAPTURE(wire);
    const auto p = parse_whole(wire);
    CHECK(p.reply);
    CHECK(p.ec == std::error_code{});
  }
}

// --- limits -----------------------------------------------------------------------------------

TEST_CASE("reply: an over-long line is refused before its CRLF arrives (bounded memory)") {
  ReplyLimits limits;
  limits.max_line_length = 16;                                  // octets including CRLF
  const std::string endless = "250 " + std::string(1000, 'x');  // no CRLF, ever

  SUBCASE("in one piece") {
    const auto p = parse_whole(endless, limits);
    CHECK_FALSE(p.reply);
    CHECK(p.ec == err(errc::reply_line_too_long));
  }
  SUBCASE("byte by byte: the error comes once the limit is passed, not later") {
    const auto p = parse_in_steps(endless, 1, limits);
    CHECK_FALSE(p.reply);
    CHECK(p.ec == err(errc::reply_line_too_long));
    const auto consumed = endless.size() - p.rest.size();
    CHECK(consumed <= limits.max_line_length);
  }
}

TEST_CASE("reply: a line of exactly the limit (CRLF included) is accepted, one more is not") {
  ReplyLimits limits;
  limits.max_line_length = 16;
  const std::string at_limit = "250 " + std::string(10, 'x') + "\r\n";
  REQUIRE(at_limit.size() == 16);
  CHECK(parse_whole(at_limit, limits).reply);
  CHECK(parse_in_steps(at_limit, 1, limits).reply);

  const std::string over = "250 " + std::string(11, 'x') + "\r\n";
  CHECK(parse_whole(over, limits).ec == err(errc::reply_line_too_long));
  CHECK(parse_in_steps(over, 1, limits).ec == err(errc::reply_line_too_long));
}

TEST_CASE("reply: the line limit applies to every line of a multi-line reply") {
  ReplyLimits limits;
  limits.max_line_length = 16;
  const std::string wire = "250-short\r\n250-" + std::string(20, 'x') + "\r\n250 end\r\n";
  CHECK(parse_whole(wire, limits).ec == err(errc::reply_line_too_long));
}

TEST_CASE("reply: the default line limit is 2048 octets including CRLF") {
  const std::string ok = "250 " + std::string(2048 - 6, 'x') + "\r\n";
  REQUIRE(ok.size() == 2048);
  CHECK(parse_whole(ok).reply);
  const std::string over = "250 " + std::string(2048 - 5, 'x') + "\r\n";
  CHECK(parse_whole(over).ec == err(errc::reply_line_too_long));
}

TEST_CASE("reply: too many lines is refused with reply_too_many_lines") {
  ReplyLimits limits;
  limits.max_lines = 3;
  CHECK(parse_whole("250-a\r\n250-b\r\n250 c\r\n", limits).reply);

  const std::string four = "250-a\r\n250-b\r\n250-c\r\n250 d\r\n";
  CHECK(parse_whole(four, limits).ec == err(errc::reply_too_many_lines));
  CHECK(parse_in_steps(four, 1, limits).ec == err(errc::reply_too_many_lines));
}

TEST_CASE("reply: an endless multi-line reply stops at the default line count") {
  std::string wire;
  for (int i = 0; i < 300; ++i) wire += "250-x\r\n";
  const auto p = parse_whole(wire);
  CHECK_FALSE(p.reply);
  CHECK(p.ec == err(errc::reply_too_many_lines));
}

TEST_CASE("reply: too many bytes in one reply is refused with reply_too_large") {
  ReplyLimits limits;
  limits.max_bytes = 40;
  // Each line is 10 octets: four make 40 (accepted), five make 50.
  CHECK(parse_whole("250-aaaa\r\n250-bbbb\r\n250-cccc\r\n250 dddd\r\n", limits).reply);

  const std::string five = "250-aaaa\r\n250-bbbb\r\n250-cccc\r\n250-dddd\r\n250 eeee\r\n";
  CHECK(parse_whole(five, limits).ec == err(errc::reply_too_large));
  CHECK(parse_in_steps(five, 1, limits).ec == err(errc::reply_too_large));
}

TEST_CASE("reply: the byte limit is reached even while the last line has no CRLF yet") {
  ReplyLimits limits;
  limits.max_bytes = 40;
  const std::string wire = "250-aaaa\r\n250-bbbb\r\n250 " + std::string(100, 'c');  // no CRLF
  const auto p = parse_in_steps(wire, 1, limits);
  CHECK(p.ec == err(errc::reply_too_large));
  CHECK(wire.size() - p.rest.size() <= limits.max_bytes);
}

TEST_CASE("reply: the byte limit counts one reply, not the whole conversation") {
  ReplyLimits limits;
  limits.max_bytes = 40;
  ReplyParser parser(limits);
  std::error_code ec;
  for (int i = 0; i < 10; ++i) {
    std::string_view in = "250-aaaa\r\n250 bbbb\r\n";  // 20 octets each time
    CAPTURE(i);
    CHECK(parser.parse(in, ec));
    CHECK(ec == std::error_code{});
  }
}

// --- enhanced status codes (RFC 3463) ---------------------------------------------------------

TEST_CASE("reply: an enhanced status code is read from the first line") {
  SUBCASE("success") { CHECK(enhanced_of("250 2.1.5 Ok\r\n") == EnhancedStatus{2, 1, 5}); }
  SUBCASE("permanent failure") {
    const auto p = parse_whole("550 5.1.1 <x@example.com>: Recipient address rejected\r\n");
    REQUIRE(p.reply);
    REQUIRE(p.reply->enhanced);
    CHECK(*p.reply->enhanced == EnhancedStatus{5, 1, 1});
    CHECK(p.reply->enhanced->to_string() == "5.1.1");
    CHECK(p.reply->lines.front() == "5.1.1 <x@example.com>: Recipient address rejected");
  }
  SUBCASE("transient failure") {
    CHECK(enhanced_of("451 4.7.1 Try again later\r\n") == EnhancedStatus{4, 7, 1});
  }
  SUBCASE("code with nothing after it") {
    CHECK(enhanced_of("250 2.0.0\r\n") == EnhancedStatus{2, 0, 0});
  }
  SUBCASE("three-digit subject and detail") {
    const auto status = enhanced_of("250 2.123.456 Ok\r\n");
    CHECK(status == EnhancedStatus{2, 123, 456});
    REQUIRE(status);
    CHECK(status->to_string() == "2.123.456");
  }
  SUBCASE("multi-line: taken from the first line") {
    CHECK(enhanced_of("250-2.1.0 first\r\n250 2.0.0 second\r\n") == EnhancedStatus{2, 1, 0});
  }
}

TEST_CASE("reply: text that is not a valid enhanced status code gives none") {
  struct Case {
    const char* what;
    const char* wire;
  };
  const Case cases[] = {
      {"absent", "250 Ok\r\n"},
      {"class differs from the reply code", "250 5.1.1 Ok\r\n"},
      {"class 3 (not a valid class)", "354 3.0.0 go ahead\r\n"},
      {"only two parts", "250 2.0 short\r\n"},
      {"four-digit subject", "250 2.1234.5 x\r\n"},
      {"four-digit detail", "250 2.1.1234 x\r\n"},
      {"two-digit class", "250 22.1.1 x\r\n"},
      {"class with a leading zero", "250 02.1.1 x\r\n"},
      {"four parts", "250 2.0.0.1 x\r\n"},
      {"trailing garbage", "250 2.0.0x\r\n"},
      {"empty part", "250 2..0 x\r\n"},
      {"sign before a part", "250 2.-1.0 x\r\n"},
      {"EHLO domain", "250 mail.example.com\r\n"},
      {"empty text", "250\r\n"},
  };
  for (const auto& c : cases) {
    INFO(c.what, ": ", smtp::escape_text(c.wire));
    const auto p = parse_whole(c.wire);
    REQUIRE(p.reply);  // the reply itself is fine
    CHECK_FALSE(p.reply->enhanced);
  }
}

// --- the Reply helpers ------------------------------------------------------------------------

TEST_CASE("reply: class helpers follow the first digit") {
  const Reply ok{250, {"Ok"}, {}};
  const Reply more{334, {""}, {}};
  const Reply later{421, {"bye"}, {}};
  const Reply never{550, {"no"}, {}};
  CHECK(ok.klass() == 2);
  CHECK(ok.is_positive());
  CHECK(more.is_intermediate());
  CHECK(later.is_transient());
  CHECK(never.is_permanent());
  CHECK_FALSE(never.is_transient());
  CHECK_FALSE(later.is_positive());
}

TEST_CASE("escape_text: printable ASCII is unchanged") {
  CHECK(smtp::escape_text("250 Ok: queued as 4F2B1 <a@b> ~!") ==
        "250 Ok: queued as 4F2B1 <a@b> ~!");
  CHECK(smtp::escape_text("").empty());
}

TEST_CASE("escape_text: control bytes, DEL and 8-bit bytes become \\xNN") {
  CHECK(smtp::escape_text("a\r\nb") == "a\\x0d\\x0ab");
  CHECK(smtp::escape_text("\0"s) == "\\x00");
  CHECK(smtp::escape_text("\t") == "\\x09");
  CHECK(smtp::escape_text("\x7f") == "\\x7f");
  CHECK(smtp::escape_text("caf\xc3\xa9") == "caf\\xc3\\xa9");
  CHECK(smtp::escape_text("\xff") == "\\xff");
}

TEST_CASE("escape_text: terminal escape sequences are neutralised") {
  const auto out = smtp::escape_text("\x1b[2J\x1b]0;pwned\x07");
  CHECK(out == "\\x1b[2J\\x1b]0;pwned\\x07");
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find('\x07') == std::string::npos);
}

TEST_CASE("escape_text: a backslash is doubled so server text cannot forge an escape") {
  CHECK(smtp::escape_text("\\") == "\\\\");
  // A literal "\x0d" from the server must not look like an escaped CR.
  CHECK(smtp::escape_text("\\x0d") == "\\\\x0d");
  CHECK(smtp::escape_text("\\x0d") != smtp::escape_text("\r"));
}

TEST_CASE("display: one line with the code, lines joined by ' / '") {
  CHECK(Reply{250, {"2.0.0 Ok: queued"}, {}}.display() == "250 2.0.0 Ok: queued");
  CHECK(Reply{250, {"mail.example.com", "PIPELINING", "SIZE 1000"}, {}}.display() ==
        "250 mail.example.com / PIPELINING / SIZE 1000");
  CHECK(Reply{250, {""}, {}}.display() == "250");
  CHECK(Reply{421, {}, {}}.display() == "421");
}

TEST_CASE("display: server text is escaped") {
  const Reply reply{550, {"evil\x1b[31m\r\nFAKE LOG LINE", "back\\slash"}, {}};
  CHECK(reply.display() == "550 evil\\x1b[31m\\x0d\\x0aFAKE LOG LINE / back\\\\slash");
}

TEST_CASE("display: a parsed reply with UTF-8 shows escaped bytes") {
  const auto p = parse_whole("550 5.1.1 caf\xc3\xa9 unknown\r\n");
  REQUIRE(p.reply);
  CHECK(p.reply->display() == "550 5.1.1 caf\\xc3\\xa9 unknown");
}
