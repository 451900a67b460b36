// Content-Transfer-Encodings: base64 and quoted-printable as streaming encoders (the output never
// depends on how the input was split), and the choice of encoding for a text part.

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "smtp/mime/transfer_encoding.hpp"
#include "smtp/protocol/base64.hpp"

using smtp::mime::Base64Encoder;
using smtp::mime::QuotedPrintableEncoder;
using smtp::mime::TransferEncoding;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find("\r\n", start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return lines;
    start = end + 2;
  }
}

// Decodes quoted-printable strictly enough to catch an encoder bug: soft breaks removed,
// =XX decoded, anything else literal.
std::string qp_decode(const std::string& encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '=') {
      out += encoded[i];
    } else if (encoded.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else {
      REQUIRE(i + 2 < encoded.size() + 0);
      out += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

template <typename Encoder>
std::string encode_in_pieces(const std::string& input, std::mt19937& random) {
  Encoder encoder;
  std::string out;
  std::size_t i = 0;
  while (i < input.size()) {
    const auto n = std::min<std::size_t>(input.size() - i, random() % 9);
    encoder.write(std::string_view(input).substr(i, n), out);
    i += n;
  }
  encoder.finish(out);
  return out;
}

std::string random_bytes(std::mt19937& random, std::size_t n) {
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(random());
  return out;
}

// Text made of the characters that matter to quoted-printable.
std::string random_text(std::mt19937& random, std::size_t n) {
  static const std::string alphabet[] = {"a",
                                         "Z",
                                         " ",
                                         "\t",
                                         "=",
                                         "\r\n",
                                         "\r",
                                         "\n",
                                         "\xc3\xa9",
                                         ".",
                                         "~",
                                         "\x7f",
                                         std::string(1, '\0')};
  std::string out;
  while (out.size() < n) out += alphabet[random() % std::size(alphabet)];
  return out;
}

}  // namespace

TEST_CASE("base64: RFC 4648 test vectors, 76-character lines, exact size") {
  CHECK(smtp::mime::encode_base64("") == "");
  CHECK(smtp::mime::encode_base64("f") == "Zg==");
  CHECK(smtp::mime::encode_base64("fo") == "Zm8=");
  CHECK(smtp::mime::encode_base64("foo") == "Zm9v");
  CHECK(smtp::mime::encode_base64("foobar") == "Zm9vYmFy");

  std::mt19937 random(1);
  for (std::size_t n = 0; n < 400; ++n) {
    CAPTURE(n);
    const auto bytes = random_bytes(random, n);
    const auto encoded = smtp::mime::encode_base64(bytes);
    CHECK(encoded.size() == Base64Encoder::encoded_size(n));
    const auto lines = lines_of(encoded);
    std::string joined;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i + 1 < lines.size()) CHECK(lines[i].size() == 76);
      CHECK(lines[i].size() <= 76);
      joined += lines[i];
    }
    CHECK(smtp::base64::decode(joined) == bytes);
    CHECK_FALSE(encoded.ends_with("\r\n"));  // the delimiter's CRLF ends the last line
  }
}

TEST_CASE("base64 and quoted-printable: the split of the input never changes the output") {
  std::mt19937 random(2);
  for (int round = 0; round < 300; ++round) {
    const auto bytes = random_bytes(random, random() % 300);
    CHECK(encode_in_pieces<Base64Encoder>(bytes, random) == smtp::mime::encode_base64(bytes));
    const auto text = random_text(random, random() % 300);
    CHECK(encode_in_pieces<QuotedPrintableEncoder>(text, random) ==
          smtp::mime::encode_quoted_printable(text));
  }
}

TEST_CASE("quoted-printable: escapes, trailing whitespace, soft line breaks") {
  using smtp::mime::encode_quoted_printable;
  CHECK(encode_quoted_printable("a=b") == "a=3Db");
  CHECK(encode_quoted_printable("caf\xc3\xa9") == "caf=C3=A9");
  SUBCASE("a space or tab that ends a line is encoded, one inside a line is not") {
    CHECK(encode_quoted_printable("a b \r\nc\t\r\nd  ") == "a b=20\r\nc=09\r\nd =20");
    CHECK(encode_quoted_printable(" ") == "=20");
    CHECK(encode_quoted_printable("x \r") == "x =0D");  // not a line end: CR alone
  }
  SUBCASE("CRLF is a hard line break; a lone CR or LF is data") {
    CHECK(encode_quoted_printable("a\r\nb") == "a\r\nb");
    CHECK(encode_quoted_printable("a\nb\rc") == "a=0Ab=0Dc");
  }
  SUBCASE("long lines get soft breaks; no line over 76; escapes never split") {
    std::mt19937 random(3);
    for (int round = 0; round < 200; ++round) {
      const auto text = random_text(random, 50 + random() % 400);
      const auto encoded = encode_quoted_printable(text);
      for (const auto& line : lines_of(encoded)) {
        CHECK(line.size() <= 76);
        CHECK_FALSE(line.ends_with(" "));
        CHECK_FALSE(line.ends_with("\t"));
        const auto eq = line.rfind('=');
        if (eq != std::string::npos) CHECK((eq + 1 == line.size() || eq + 3 <= line.size()));
      }
      CHECK(qp_decode(encoded) == text);
    }
    const std::string long_line(200, 'x');
    const auto encoded = encode_quoted_printable(long_line);
    CHECK(encoded ==
          std::string(75, 'x') + "=\r\n" + std::string(75, 'x') + "=\r\n" + std::string(50, 'x'));
  }
}

TEST_CASE("the encoding of a text part") {
  using smtp::mime::choose_text_encoding;
  CHECK(choose_text_encoding("Hello\r\nworld\r\n") == TransferEncoding::seven_bit);
  CHECK(choose_text_encoding(std::string(78, 'a')) == TransferEncoding::seven_bit);
  CHECK(choose_text_encoding(std::string(79, 'a')) == TransferEncoding::quoted_printable);
  // Mostly ASCII: quoted-printable (shorter, and readable) ...
  CHECK(choose_text_encoding("Grüße aus Köln, bis morgen um acht am Bahnhof.\r\n") ==
        TransferEncoding::quoted_printable);
  // ... but by size: a short text with a fifth of its octets 8-bit is shorter in base64.
  CHECK(choose_text_encoding("Grüße aus Köln\r\n") == TransferEncoding::base64);
  CHECK(choose_text_encoding("日本語のテキストです\r\n") == TransferEncoding::base64);
  CHECK(choose_text_encoding(std::string("a\0b", 3)) == TransferEncoding::base64);
  CHECK(choose_text_encoding("a\x01"
                             "b") == TransferEncoding::base64);
  CHECK(choose_text_encoding("line one\nline two") ==
        TransferEncoding::quoted_printable);  // a lone LF is data, not a line break
}
