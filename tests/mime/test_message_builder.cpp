// The builder: exact bytes of small deterministic messages, the envelope and traits, and every
// refusal (header injection, bad addresses, bad names and types), each naming its field.

#include <doctest/doctest.h>

#include "mime_support.hpp"
#include "smtp/error.hpp"
#include "smtp/mime/error.hpp"
#include "smtp/mime/message_builder.hpp"
#include "smtp/mime/raw_message.hpp"

using mime_test::build_bytes;
using mime_test::fixed_options;
using mime_test::source;
using smtp::mime::BuildResult;
using smtp::mime::Charset;
using smtp::mime::MessageBuilder;
namespace mime = smtp::mime;

namespace {

MessageBuilder alice_to_bob() {
  MessageBuilder builder;
  builder.from("alice@example.test", "Alice").to("bob@example.test", "Bob");
  return builder;
}

BuildResult build(MessageBuilder& builder) { return builder.build(fixed_options()); }

}  // namespace

TEST_CASE("exact bytes: one text part") {
  auto builder = alice_to_bob();
  builder.cc("carol@example.test")
      .bcc("dave@example.test")
      .reply_to("help@example.test", "Help Desk")
      .subject("Hello there")
      .header("X-Mailer", "flow runtime")
      .text("Hello Bob,\nsee you.\n");
  CHECK(build_bytes(builder) ==
        "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
        "From: Alice <alice@example.test>\r\n"
        "Reply-To: Help Desk <help@example.test>\r\n"
        "To: Bob <bob@example.test>\r\n"
        "Cc: carol@example.test\r\n"
        "Subject: Hello there\r\n"
        "Message-ID: <tok1@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "X-Mailer: flow runtime\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "Hello Bob,\r\n"
        "see you.\r\n");
}

TEST_CASE("exact bytes: text and HTML (multipart/alternative)") {
  auto builder = alice_to_bob();
  builder.subject("Lunch").text("Noon?").html("<p>Noon?</p>\r\n");
  CHECK(build_bytes(builder) ==
        "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
        "From: Alice <alice@example.test>\r\n"
        "To: Bob <bob@example.test>\r\n"
        "Subject: Lunch\r\n"
        "Message-ID: <tok1@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=\"=_tok2\"\r\n"
        "\r\n"
        "--=_tok2\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "Noon?\r\n"
        "--=_tok2\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "<p>Noon?</p>\r\n"
        "\r\n"
        "--=_tok2--\r\n");
}

TEST_CASE("exact bytes: text with an attachment (multipart/mixed)") {
  auto builder = alice_to_bob();
  builder.subject("Grüße")
      .text("Grüße aus Köln, bis morgen um acht am Bahnhof.\n")
      .attach("notes.txt", "text/plain", source("line 1\nline 2\n", false));
  CHECK(build_bytes(builder) ==
        "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
        "From: Alice <alice@example.test>\r\n"
        "To: Bob <bob@example.test>\r\n"
        "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"
        "Message-ID: <tok1@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"=_tok2\"\r\n"
        "\r\n"
        "--=_tok2\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, bis morgen um acht am Bahnhof.\r\n"
        "\r\n"
        "--=_tok2\r\n"
        "Content-Type: text/plain; name=\"notes.txt\"\r\n"
        "Content-Disposition: attachment; filename=\"notes.txt\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "bGluZSAxCmxpbmUgMgo=\r\n"
        "--=_tok2--\r\n");
}

TEST_CASE("exact bytes: ISO-2022-JP text is 7bit, each line back in ASCII") {
  MessageBuilder builder;
  builder.charset(Charset::iso_2022_jp)
      .from("taro@example.jp", "山田 太郎")
      .to("hanako@example.jp")
      .subject("会議")
      .text("明日の会議\n10時から¥\n");
  CHECK(build_bytes(builder) ==
        "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
        "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.jp>\r\n"
        "To: hanako@example.jp\r\n"
        "Subject: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\r\n"
        "Message-ID: <tok1@example.jp>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "\x1b$BL@F|$N2q5D\x1b(B\r\n"
        "10\x1b$B;~$+$i\x1b(J\\\x1b(B\r\n");
}

TEST_CASE("attachments only, no body at all") {
  auto builder = alice_to_bob();
  builder.attach("a.bin", "application/octet-stream", source("\x01\x02\x03"));
  const auto bytes = build_bytes(builder);
  CHECK(
      bytes.ends_with("Content-Type: multipart/mixed; boundary=\"=_tok2\"\r\n"
                      "\r\n"
                      "--=_tok2\r\n"
                      "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
                      "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
                      "Content-Transfer-Encoding: base64\r\n"
                      "\r\n"
                      "AQID\r\n"
                      "--=_tok2--\r\n"));
  auto empty = alice_to_bob();
  CHECK(build_bytes(empty).ends_with(
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
}

TEST_CASE("envelope: To + Cc + Bcc de-duplicated, Bcc never in the message") {
  auto builder = alice_to_bob();
  builder.to("Carol@Example.test")
      .cc("bob@EXAMPLE.TEST", "Bob again")
      .cc("carol@example.test")  // another local part case: another mailbox
      .bcc("secret@example.test")
      .bcc("bob@example.test")
      .text("x");
  auto built = build(builder);
  REQUIRE(built.ok());
  CHECK(built.message.envelope.from == "alice@example.test");
  CHECK(built.message.envelope.recipients ==
        std::vector<std::string>{"bob@example.test", "Carol@Example.test", "carol@example.test",
                                 "secret@example.test"});
  const auto bytes = mime_test::read_all(*built.message.body);
  CHECK(bytes.find("secret") == std::string::npos);
  CHECK(bytes.find("Bcc") == std::string::npos);
  CHECK(built.message.message_id == "<tok1@example.test>");
  CHECK(built.message.traits.body_class == smtp::BodyClass::seven_bit);
  CHECK(built.message.traits.utf8_headers == smtp::Utf8Headers::no);

  SUBCASE("envelope_from replaces the sender in the envelope only") {
    auto b = alice_to_bob();
    b.envelope_from("bounces+123@example.test").text("x");
    auto r = build(b);
    REQUIRE(r.ok());
    CHECK(r.message.envelope.from == "bounces+123@example.test");
    CHECK(mime_test::read_all(*r.message.body).find("From: Alice <alice@example.test>\r\n") !=
          std::string::npos);
  }
  SUBCASE("a non-ASCII address goes raw (RFC 6532): the message needs SMTPUTF8") {
    auto b = alice_to_bob();
    b.to("usér@example.test").text("x");
    auto r = build(b);
    REQUIRE(r.ok());
    CHECK(r.message.traits.utf8_headers == smtp::Utf8Headers::yes);
  }
}

TEST_CASE("Message-ID: 128 random bits at the sender's domain by default") {
  auto builder = alice_to_bob();
  builder.text("x");
  smtp::mime::BuildOptions options;
  const auto first = builder.build(options).message.message_id;
  const auto second = builder.build(options).message.message_id;
  CHECK(first != second);
  REQUIRE(first.size() == 1 + 32 + 1 + 12 + 1);
  CHECK(first.starts_with("<"));
  CHECK(first.ends_with("@example.test>"));
  CHECK(first.find_first_not_of("0123456789abcdef", 1) == 33);
  options.message_id_domain = "mail.example.org";
  CHECK(builder.build(options).message.message_id.ends_with("@mail.example.org>"));
}

TEST_CASE("non-ASCII extra headers are encoded, long ASCII ones folded") {
  auto builder = alice_to_bob();
  builder.header("X-Note", "Änderung")
      .header("X-Long", std::string(60, 'a') + " " + std::string(30, 'b'))
      .text("x");
  const auto bytes = build_bytes(builder);
  CHECK(bytes.find("X-Note: =?UTF-8?B?w4RuZGVydW5n?=\r\n") != std::string::npos);
  CHECK(bytes.find("X-Long: " + std::string(60, 'a') + "\r\n " + std::string(30, 'b') + "\r\n") !=
        std::string::npos);
}

TEST_CASE("a long header name: the encoded value starts on the next line, lines stay <= 78") {
  auto builder = alice_to_bob();
  const std::string name = "X-" + std::string(74, 'n');
  builder.header(name, "日本語の値です。日本語の値です。日本語の値です。").text("x");
  const auto bytes = build_bytes(builder);
  CHECK(bytes.find(name + ":\r\n =?UTF-8?B?") != std::string::npos);
  CHECK(mime_test::longest_line(mime_test::header_section(bytes)) <= 78);
  auto too_long = alice_to_bob();
  too_long.header(name + "n", "v");
  CHECK(build(too_long).detail == "header '" + name + "n': the name is longer than 76 characters");
}

TEST_CASE("a 7bit text that contains the boundary goes quoted-printable") {
  auto builder = alice_to_bob();
  builder.text("--=_tok2\nfake part").attach("a", "a/b", source("x"));
  const auto bytes = build_bytes(builder);
  CHECK(bytes.find("Content-Transfer-Encoding: quoted-printable\r\n\r\n--=3D_tok2\r\n") !=
        std::string::npos);
}

TEST_CASE("ISO-2022-JP: a line over 998 octets goes base64") {
  MessageBuilder builder;
  builder.charset(Charset::iso_2022_jp)
      .from("a@example.jp")
      .to("b@example.jp")
      .text(std::string(1200, 'x'));
  const auto bytes = build_bytes(builder);
  CHECK(bytes.find("Content-Transfer-Encoding: base64") != std::string::npos);
  CHECK(mime_test::longest_line(bytes) <= 76);
}

TEST_CASE("header injection and other bad input are refused, naming the field") {
  struct Case {
    std::string what;
    std::function<void(MessageBuilder&)> change;
    std::error_code error;
    std::string detail;
  };
  const Case cases[] = {
      {"CR LF in the subject", [](auto& b) { b.subject("hi\r\nBcc: evil@example.test"); },
       mime::errc::header_invalid, "Subject contains CR, LF or NUL"},
      {"LF in the subject", [](auto& b) { b.subject("hi\nX: y"); }, mime::errc::header_invalid,
       "Subject contains CR, LF or NUL"},
      {"NUL in the subject", [](auto& b) { b.subject(std::string("a\0b", 3)); },
       mime::errc::header_invalid, "Subject contains CR, LF or NUL"},
      {"invalid UTF-8 in the subject", [](auto& b) { b.subject("\xff"); },
       mime::errc::header_invalid, "Subject is not valid UTF-8"},
      {"CR LF in a display name", [](auto& b) { b.cc("c@example.test", "C\r\nBcc: x@y.test"); },
       mime::errc::header_invalid, "Cc[1] display name contains CR, LF or NUL"},
      {"LF in the From display name", [](auto& b) { b.from("a@example.test", "A\nB"); },
       mime::errc::header_invalid, "From display name contains CR, LF or NUL"},
      {"CR LF in an extra header value", [](auto& b) { b.header("X-A", "1\r\nBcc: x@y.test"); },
       mime::errc::header_invalid, "header 'X-A' value contains CR, LF or NUL"},
      {"a space in an extra header name", [](auto& b) { b.header("X A", "1"); },
       mime::errc::header_invalid, "header 'X A': a name is printable ASCII without spaces or ':'"},
      {"a colon in an extra header name", [](auto& b) { b.header("Bcc:", "x@y.test"); },
       mime::errc::header_invalid,
       "header 'Bcc:': a name is printable ASCII without spaces or ':'"},
      {"CR LF in an extra header name", [](auto& b) { b.header("X\r\nBcc", "x@y.test"); },
       mime::errc::header_invalid,
       "header 'X\\x0d\\x0aBcc': a name is printable ASCII without spaces or ':'"},
      {"Bcc as an extra header", [](auto& b) { b.header("bcc", "x@y.test"); },
       mime::errc::header_invalid,
       "header 'bcc': the builder writes this header; use its own setter"},
      {"Content-Type as an extra header", [](auto& b) { b.header("Content-Type", "text/html"); },
       mime::errc::header_invalid,
       "header 'Content-Type': the builder writes this header; use its own setter"},
      {"CR LF in a file name",
       [](auto& b) { b.attach("a.txt\r\nContent-Type: text/html", "text/plain", source("")); },
       mime::errc::file_name_invalid, "attachment[1]: the file name contains CR, LF or NUL"},
      {"an empty file name", [](auto& b) { b.attach("", "text/plain", source("")); },
       mime::errc::file_name_invalid, "attachment[1]: the file name is empty"},
      {"CR LF in a MIME type",
       [](auto& b) { b.attach("a.txt", "text/plain\r\nBcc: x@y.test", source("")); },
       mime::errc::content_type_invalid,
       "attachment[1] ('a.txt'): 'text/plain\\x0d\\x0aBcc: x@y.test' is not type/subtype"},
      {"a parameter in a MIME type",
       [](auto& b) { b.attach("a.txt", "text/plain; charset=x", source("")); },
       mime::errc::content_type_invalid,
       "attachment[1] ('a.txt'): 'text/plain; charset=x' is not type/subtype"},
      {"no stream",
       [](auto& b) { b.attach("a.txt", "text/plain", std::unique_ptr<smtp::BodySource>()); },
       mime::errc::attachment_missing,
       "attachment[1] ('a.txt') has no stream (a stream goes into one build() only)"},
      {"invalid UTF-8 in the text", [](auto& b) { b.text("\xc3"); }, mime::errc::text_invalid,
       "the text body is not valid UTF-8"},
      {"invalid UTF-8 in the HTML", [](auto& b) { b.html("\xed\xa0\x80"); },
       mime::errc::text_invalid, "the HTML body is not valid UTF-8"},
      {"a bad To address", [](auto& b) { b.to("carol"); }, smtp::errc::invalid_address,
       "To[2] <carol>: the address has no '@'"},
      {"CR LF in an address", [](auto& b) { b.to("c@example.test\r\nRCPT TO:<x@y>"); },
       smtp::errc::invalid_address,
       "To[2] <c@example.test\\x0d\\x0aRCPT TO:<x@y>>: the address contains CR, LF or NUL"},
      {"a bad Bcc address", [](auto& b) { b.bcc("x@"); }, smtp::errc::invalid_address,
       "Bcc[1] <x@>: the domain (after '@') is not a valid domain name"},
      {"a bad Reply-To address", [](auto& b) { b.reply_to("a b@example.test"); },
       smtp::errc::invalid_address,
       "Reply-To[1] <a b@example.test>: the local part (before '@') has characters that need "
       "quoting or are not allowed"},
      {"a bad From address", [](auto& b) { b.from("@example.test"); }, smtp::errc::invalid_address,
       "From <@example.test>: the local part (before '@') must be 1 to 64 octets"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto builder = alice_to_bob();
    c.change(builder);
    const auto result = build(builder);
    CHECK(result.error == c.error);
    CHECK(result.detail == c.detail);
    CHECK_FALSE(result.message.body);
  }
}

TEST_CASE("missing sender or recipients, unusable random tokens, unconvertible text") {
  MessageBuilder no_from;
  no_from.to("bob@example.test");
  CHECK(build(no_from).error == mime::errc::sender_missing);

  MessageBuilder no_rcpt;
  no_rcpt.from("alice@example.test");
  const auto r = build(no_rcpt);
  CHECK(r.error == smtp::errc::no_recipients);
  CHECK(r.describe() == "the message has no recipients: To, Cc and Bcc are all empty");

  auto builder = alice_to_bob();
  builder.text("x").html("y").attach("a", "a/b", [] { return source("x"); });
  auto options = fixed_options();
  options.random_token = [] { return std::string("same"); };
  CHECK(builder.build(options).error == mime::errc::random_invalid);
  options.random_token = [] { return std::string("a@b"); };
  CHECK(builder.build(options).detail == "BuildOptions::random_token gave 'a@b'");

  auto japanese = alice_to_bob();
  japanese.charset(Charset::iso_2022_jp).text("一行目\n価格～1000円");
  const auto j = build(japanese);
  CHECK(j.error == mime::errc::charset_unconvertible);
  CHECK(j.detail == "the text body, line 2: U+FF5E cannot be written in ISO-2022-JP");
  japanese.text("ok").subject("😀");
  CHECK(build(japanese).detail == "Subject: U+1F600 cannot be written in ISO-2022-JP");
}

TEST_CASE("a refused build() keeps the streams, a stream goes into one message only") {
  auto builder = alice_to_bob();
  builder.charset(Charset::iso_2022_jp).subject("😀").attach("a.txt", "text/plain", source("abc"));
  CHECK(build(builder).error == mime::errc::charset_unconvertible);
  builder.subject("ok");
  auto first = build(builder);
  REQUIRE(first.ok());
  CHECK(mime_test::read_all(*first.message.body).find("YWJj") != std::string::npos);
  CHECK(build(builder).error == mime::errc::attachment_missing);

  auto with_factory = alice_to_bob();
  with_factory.attach("a.txt", "text/plain", [] { return source("abc"); });
  CHECK(build_bytes(with_factory) == build_bytes(with_factory));
}

TEST_CASE("a ready-made message: its Message-ID and traits") {
  const auto info = smtp::mime::inspect_raw_message(
      "From: a@example.test\r\n"
      "message-id:\r\n"
      "  <x.1@example.test> \r\n"
      "Subject: caf\xc3\xa9\r\n"
      "\r\n"
      "Message-ID: <not-a-header@example.test>\r\n");
  CHECK(info.message_id == "<x.1@example.test>");
  CHECK(info.traits.utf8_headers == smtp::Utf8Headers::yes);
  CHECK(info.traits.body_class == smtp::BodyClass::seven_bit);

  const auto plain = smtp::mime::inspect_raw_message("Subject: x\n\nbody \xe2\x82\xac\n");
  CHECK(plain.message_id.empty());
  CHECK(plain.traits.utf8_headers == smtp::Utf8Headers::no);
  CHECK(plain.traits.body_class == smtp::BodyClass::eight_bit);
}
