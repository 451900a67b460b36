// The sans-I/O parts of the sandbox: DATA unstuffing and its end marker, the POP3 encoder,
// base64, text helpers and mail file names.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec.hpp"
#include "crypto.hpp"
#include "mail_store.hpp"
#include "text.hpp"

using flowhost::sandbox::DataReader;
using flowhost::sandbox::PopEncoder;
namespace crypto = flowhost::sandbox::crypto;
namespace text = flowhost::sandbox::text;

namespace {

struct Read {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
};

// Feeds `input` in pieces of `step` octets (every split point gets exercised).
Read read_data(std::string_view input, std::size_t step) {
  DataReader reader;
  Read result;
  while (result.consumed < input.size() && !reader.done()) {
    const std::string_view piece = input.substr(result.consumed, step);
    result.consumed += reader.feed(piece, result.body);
  }
  result.done = reader.done();
  return result;
}

std::string pop(std::string_view content, std::optional<std::size_t> top = std::nullopt,
                std::size_t step = 1000) {
  PopEncoder encoder(top);
  std::string out;
  for (std::size_t i = 0; i < content.size() && !encoder.done(); i += step) {
    encoder.feed(content.substr(i, step), out);
  }
  encoder.finish(out);
  return out;
}

}  // namespace

TEST_CASE("DATA: dot-unstuffing and the end marker, at every split point") {
  const std::string input = "Subject: x\r\n\r\n..one dot\r\n...two\r\n.\tx\r\nend\r\n.\r\nQUIT\r\n";
  for (std::size_t step = 1; step <= input.size(); ++step) {
    CAPTURE(step);
    const Read r = read_data(input, step);
    CHECK(r.done);
    CHECK(r.body == "Subject: x\r\n\r\n.one dot\r\n..two\r\n\tx\r\nend\r\n");
    CHECK(input.substr(r.consumed) == "QUIT\r\n");
  }
}

TEST_CASE("DATA: an empty message ends at the first line") {
  const Read r = read_data(".\r\nNOOP\r\n", 100);
  CHECK(r.done);
  CHECK(r.body.empty());
  CHECK(r.consumed == 3);
}

TEST_CASE("DATA: bare LF never ends the message (no SMTP smuggling)") {
  for (const std::string_view fake : {"a\n.\nb", "a\n.\r\nb", "a\r\n.\nb", "a\r.\r\nb"}) {
    CAPTURE(fake);
    const std::string input = std::string(fake) + "\r\n.\r\n";
    const Read r = read_data(input, 1);
    CHECK(r.done);
    CHECK(r.consumed == input.size());
  }
  CHECK(read_data("a\n.\nb\r\n.\r\n", 3).body == "a\n.\nb\r\n");
  CHECK(read_data("a\r\n.\nb\r\n.\r\n", 3).body == "a\r\n\nb\r\n");  // a leading dot is removed
  CHECK(read_data("a\r\n.\rb\r\n.\r\n", 1).body == "a\r\n\rb\r\n");
  CHECK_FALSE(read_data("a\r\n.\n", 1).done);
}

TEST_CASE("DATA: octets are kept exactly (NUL, 8-bit, CR alone)") {
  const std::string body = std::string("x\0y\xff\r\rz\r\n", 9);
  CHECK(read_data(body + ".\r\n", 2).body == body);
}

TEST_CASE("POP3: CRLF lines, dot-stuffing, a final CRLF and the terminator") {
  CHECK(pop("a\r\n.b\r\n") == "a\r\n..b\r\n.\r\n");
  CHECK(pop("a\n.\nb") == "a\r\n..\r\nb\r\n.\r\n");
  CHECK(pop("") == ".\r\n");
  CHECK(pop("a\r") == "a\r\r\n.\r\n");
  CHECK(pop("x\ry\r\n", std::nullopt, 1) == "x\ry\r\n.\r\n");
  CHECK(PopEncoder::size_of("a\r\n.b\r\n") == 7);
  CHECK(PopEncoder::size_of("a\n.b") == 7);
}

TEST_CASE("POP3 TOP: the headers, the blank line, then n body lines") {
  const std::string message = "A: 1\r\nB: 2\r\n\r\none\r\n.two\r\nthree\r\n";
  CHECK(pop(message, 0) == "A: 1\r\nB: 2\r\n\r\n.\r\n");
  CHECK(pop(message, 2, 1) == "A: 1\r\nB: 2\r\n\r\none\r\n..two\r\n.\r\n");
  CHECK(pop(message, 10) == "A: 1\r\nB: 2\r\n\r\none\r\n..two\r\nthree\r\n.\r\n");
  CHECK(pop("A: 1\r\nB: 2", 3) == "A: 1\r\nB: 2\r\n.\r\n");
}

TEST_CASE("base64: round trips, strict decoding") {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0sandbox\0pw", 11)}) {
    CHECK(crypto::base64_decode(crypto::base64_encode(s)) == s);
  }
  CHECK(crypto::base64_encode("Username:") == "VXNlcm5hbWU6");
  CHECK_FALSE(crypto::base64_decode("abc").has_value());
  CHECK_FALSE(crypto::base64_decode("ab=c").has_value());
  CHECK_FALSE(crypto::base64_decode("a===").has_value());
  CHECK_FALSE(crypto::base64_decode("ab==abcd").has_value());
  CHECK_FALSE(crypto::base64_decode("ab c").has_value());
}

TEST_CASE("MD5 and HMAC-MD5 (RFC 1939 APOP and RFC 2195 examples)") {
  CHECK(crypto::md5_hex("<1896.697170952@dbc.mtview.ca.us>tanstaaf") ==
        "c4c9334bac560ecc979e58001b3e22fb");
  CHECK(crypto::hmac_md5_hex("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>") ==
        "b913a602c7eda7a495b4e6e7334d3890");
}

TEST_CASE("text: JSON strings, UTF-8, log-safe text, stamps") {
  CHECK(text::json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(text::json_string("zo\xc3\xab") == "\"zo\xc3\xab\"");
  CHECK(text::json_string("bad\xff") == "\"bad\\ufffd\"");
  CHECK(text::valid_utf8("j\xc3\xb6rg"));
  CHECK_FALSE(text::valid_utf8("\xc0\xaf"));      // overlong
  CHECK_FALSE(text::valid_utf8("\xed\xa0\x80"));  // surrogate
  CHECK(text::printable("a\r\nb") == "a\\x0D\\x0Ab");
  CHECK(text::printable("j\xc3\xb6rg\xc2\x85\xff\\") == "j\xc3\xb6rg\\xC2\\x85\\xFF\\x5C");
  CHECK(text::file_stamp(std::chrono::system_clock::time_point{}) == "19700101T000000");
  CHECK(text::iso_utc(std::chrono::system_clock::time_point{} + std::chrono::milliseconds(1500)) ==
        "1970-01-01T00:00:01.500Z");
}

TEST_CASE("mail file names") {
  CHECK(flowhost::sandbox::is_mail_name("20240102T030405-000001.eml"));
  CHECK(flowhost::sandbox::is_mail_name("20240102T030405-1234567.eml"));
  CHECK_FALSE(flowhost::sandbox::is_mail_name(".tmp-0011.eml"));
  CHECK_FALSE(flowhost::sandbox::is_mail_name("20240102T030405-000001.json"));
  CHECK_FALSE(flowhost::sandbox::is_mail_name("20240102T030405-.eml"));
  CHECK_FALSE(flowhost::sandbox::is_mail_name("2024010xT030405-000001.eml"));
}
