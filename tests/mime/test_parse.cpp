// What a real MIME parser (Python's email package, policy.default) decodes from built messages:
// names, charsets (UTF-8 and ISO-2022-JP back to the original strings), attachment bytes. And a
// property over many random inputs: every message is 7-bit, CRLF only, no line over 998.

#include <boost/json/src.hpp>  // Boost.JSON's implementation, once in this test program

#include <doctest/doctest.h>

#include <random>

#include "mime_support.hpp"
#include "sample_message.hpp"
#include "sha256.hpp"

using namespace mime_test;
using smtp::mime::Charset;

TEST_CASE("SHA-256 test vectors (the tests' own hash)") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("Python decodes the sample message: UTF-8 and ISO-2022-JP") {
  const Sample sample;
  for (const auto charset : {Charset::utf8, Charset::iso_2022_jp}) {
    CAPTURE(smtp::mime::charset_name(charset));
    auto builder = sample_builder(sample, charset);
    auto built = builder.build(fixed_options());
    REQUIRE_MESSAGE(built.ok(), built.describe());
    const auto bytes = read_all(*built.message.body, 1000);
    CHECK(is_7bit(bytes));
    CHECK(only_crlf(bytes));
    CHECK(longest_line(header_section(bytes)) <= 78);
    CHECK(longest_line(bytes) <= 998);  // ISO-2022-JP HTML lines are longer than 78: 7bit
    CHECK(bytes.find("audit") == std::string::npos);
    check_sample(parse_with_python(bytes), sample, charset, built.message.message_id);
  }
}

namespace {

// Random text from pieces that stress the encoders: whitespace runs, specials, encoded-word
// look-alikes, multi-byte characters, and (for the body) line breaks and very long lines.
std::string random_text(std::mt19937& random, bool japanese_only, bool with_breaks) {
  static const std::vector<std::string> common = {"a",
                                                  "Word",
                                                  " ",
                                                  "  ",
                                                  "\t",
                                                  ",",
                                                  "\"",
                                                  "\\",
                                                  "(",
                                                  ")",
                                                  "<",
                                                  ">",
                                                  "@",
                                                  ":",
                                                  ";",
                                                  ".",
                                                  "=?",
                                                  "?=",
                                                  "=?UTF-8?B?QQ==?=",
                                                  "_",
                                                  "=",
                                                  "日本",
                                                  "語",
                                                  "ー",
                                                  "〜",
                                                  "¥",
                                                  "ｶﾀｶﾅ"};
  static const std::vector<std::string> any = {"é", "😀", "Ω", "\xe2\x80\x94"};
  static const std::vector<std::string> breaks = {"\n", "\r\n", "\r", "\n\n", ". \n"};
  std::string out;
  const auto pieces = random() % 40;
  for (std::size_t i = 0; i < pieces; ++i) {
    const auto pick = random() % 100;
    if (pick < 4) {
      out += std::string(1 + random() % 1500, "xyz"[random() % 3]);  // a long word
    } else if (with_breaks && pick < 20) {
      out += breaks[random() % breaks.size()];
    } else if (!japanese_only && pick < 30) {
      out += any[random() % any.size()];
    } else {
      auto piece = common[random() % common.size()];
      // Half-width katakana have no JIS X 0208 code: not for ISO-2022-JP.
      if (japanese_only && piece == "ｶﾀｶﾅ") piece = "カタカナ";
      out += piece;
    }
  }
  return out;
}

std::string without_whitespace(std::string text) {
  std::erase_if(text, [](char c) { return c == ' ' || c == '\t'; });
  return text;
}

}  // namespace

TEST_CASE(
    "property: random inputs give 7-bit, CRLF-only messages with no line over 998, "
    "and Python decodes them back") {
  std::mt19937 random(20261129);
  int parsed_count = 0;
  for (int round = 0; round < 400; ++round) {
    CAPTURE(round);
    const bool jis = random() % 3 == 0;
    const auto charset = jis ? Charset::iso_2022_jp : Charset::utf8;
    const auto subject = random_text(random, jis, false);
    const auto name = random_text(random, jis, false);
    const auto value = random_text(random, jis, false);
    const auto text = random_text(random, jis, true);
    auto file_name = random_text(random, jis, false);
    if (file_name.empty()) file_name = "f";
    smtp::mime::MessageBuilder builder;
    builder.charset(charset)
        .from("alice@example.test", name)
        .to("bob@example.test", name)
        .subject(subject)
        .header("X-Random", value)
        .text(text)
        .attach(file_name, "application/octet-stream", source(text));
    if (round % 2) builder.html(text);
    auto built = builder.build(fixed_options());
    REQUIRE_MESSAGE(built.ok(), built.describe());
    const auto bytes = read_all(*built.message.body, 4096);
    CHECK(is_7bit(bytes));
    CHECK(only_crlf(bytes));
    CHECK(longest_line(bytes) <= 998);

    if (round % 10 != 0) continue;
    ++parsed_count;
    const auto parsed = parse_with_python(bytes);
    CHECK(unexpected_defects(parsed).empty());
    // Python drops the whitespace a header value starts with (spaces, and sometimes a tab).
    const auto strip = [](std::string s) {
      const auto first = s.find_first_not_of(" \t");
      return first == std::string::npos ? std::string() : s.substr(first);
    };
    const auto trim = [&](std::string s) {
      s = strip(s);
      return s.substr(0, s.find_last_not_of(" \t") + 1);
    };
    if (!subject.empty()) CHECK(strip(header(parsed, "Subject")) == strip(subject));
    CHECK(strip(header(parsed, "X-Random")) == strip(value));
    const auto& from = parsed.at("addresses").as_object().at("From").as_array()[0].as_array();
    CHECK(str(from[1]) == "alice@example.test");
    // Python 3.11 puts a space between adjacent encoded words in a display name (CPython
    // gh-128110; RFC 2047 6.2 says to drop it), so long names compare without whitespace.
    CHECK(without_whitespace(str(from[0])) == without_whitespace(name));
    const auto& parts = parsed.at("parts").as_array();
    const auto& attachment = parts.back().as_object();
    // get_filename() strips whitespace at both ends; the two forms decoded apart do not.
    CHECK(trim(str(attachment.at("filename"))) == trim(file_name));
    CHECK(str(attachment.at("filename_rfc2047")) == file_name);
    if (!attachment.at("filename_rfc2231").is_null()) {
      CHECK(str(attachment.at("filename_rfc2231")) == file_name);
    }
    CHECK(str(attachment.at("sha256")) == sha256_hex(text));
  }
  CHECK(parsed_count == 40);
}
