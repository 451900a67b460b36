// Header values: RFC 2047 encoded words (Subject, display names), quoting of display names,
// folding, RFC 2231 file names, the Date format.

#include <doctest/doctest.h>
#include <iconv.h>

#include <string>
#include <vector>

#include "smtp/mime/charset.hpp"
#include "smtp/mime/encoded_word.hpp"
#include "smtp/mime/error.hpp"
#include "smtp/mime/header.hpp"
#include "smtp/protocol/address.hpp"
#include "smtp/protocol/base64.hpp"

using smtp::mime::Charset;
using smtp::mime::Converter;
using smtp::mime::Segments;

namespace {

const std::string long_japanese =
    "日本語の件名です。とても長い件名なので、複数のエンコードされた単語に分割されるはずです。"
    "絵文字😀も入ります。";

struct Word {
  std::string charset;
  char encoding;
  std::string bytes;  // decoded, still in the charset
};

// Decodes one encoded word strictly (the whole string must be one word).
Word decode_word(const std::string& word) {
  REQUIRE(word.starts_with("=?"));
  REQUIRE(word.ends_with("?="));
  const auto q1 = word.find('?', 2);
  Word w{word.substr(2, q1 - 2), word[q1 + 1], {}};
  REQUIRE(word[q1 + 2] == '?');
  const auto text = word.substr(q1 + 3, word.size() - q1 - 5);
  if (w.encoding == 'B') {
    const auto decoded = smtp::base64::decode(text);
    REQUIRE(decoded);
    w.bytes = *decoded;
  } else {
    REQUIRE(w.encoding == 'Q');
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') {
        w.bytes += ' ';
      } else if (text[i] == '=') {
        w.bytes += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        CHECK(smtp::mime::q_literal(static_cast<unsigned char>(text[i])));
        w.bytes += text[i];
      }
    }
  }
  return w;
}

std::string from_iso_2022_jp(const std::string& bytes) {
  const auto cd = iconv_open("UTF-8", "ISO-2022-JP");
  std::string out(bytes.size() * 4 + 16, '\0');
  auto* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char* next = out.data();
  std::size_t room = out.size();
  const auto rc = iconv(cd, &in, &in_left, &next, &room);
  iconv_close(cd);
  REQUIRE(rc != static_cast<std::size_t>(-1));
  out.resize(out.size() - room);
  return out;
}

std::vector<std::string> encode(const std::string& text, Charset charset,
                                std::size_t first_limit = 75) {
  Converter converter(charset);
  std::vector<std::string> words;
  std::string detail;
  REQUIRE_FALSE(smtp::mime::encode_words(text, converter, first_limit, words, detail));
  return words;
}

std::string folded(std::string_view name, const Segments& segments) {
  std::string out;
  REQUIRE_FALSE(smtp::mime::fold_field(name, segments, out));
  return out;
}

std::vector<std::string> lines_of(const std::string& field) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < field.size()) {
    const auto end = field.find("\r\n", start);
    lines.push_back(field.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

std::string subject_field(const std::string& subject, Charset charset = Charset::utf8) {
  Converter converter(charset);
  Segments segments;
  std::string detail;
  REQUIRE_FALSE(smtp::mime::unstructured_segments("Subject", subject, converter, segments, detail));
  return folded("Subject", segments);
}

}  // namespace

TEST_CASE("RFC 2047: a long Japanese subject splits at character boundaries, words <= 75") {
  for (const auto charset : {Charset::utf8, Charset::iso_2022_jp}) {
    CAPTURE(smtp::mime::charset_name(charset));
    const auto text = charset == Charset::utf8 ? long_japanese
                                               : long_japanese.substr(0, long_japanese.find("絵"));
    const auto words = encode(text, charset, 66);
    CHECK(words.size() > 2);
    CHECK(words.front().size() <= 66);
    std::string joined;
    for (const auto& word : words) {
      CAPTURE(word);
      CHECK(word.size() <= 75);
      const auto w = decode_word(word);
      CHECK(w.charset == smtp::mime::charset_name(charset));
      if (charset == Charset::utf8) {
        CHECK(smtp::is_valid_utf8(w.bytes));  // no character split between two words
        joined += w.bytes;
      } else {
        // Each word is self-contained: it starts in JIS X 0208 and ends back in ASCII.
        CHECK(w.bytes.starts_with("\x1b$B"));
        CHECK(w.bytes.ends_with("\x1b(B"));
        joined += from_iso_2022_jp(w.bytes);
      }
    }
    CHECK(joined == text);

    const auto field = subject_field(text, charset);
    for (const auto& line : lines_of(field)) CHECK(line.size() <= 78);
  }
}

TEST_CASE("RFC 2047: B or Q, whichever is shorter, Q escapes what a phrase cannot hold") {
  // Short words: base64's fixed cost wins even for Latin text.
  CHECK(encode("José", Charset::utf8) == std::vector<std::string>{"=?UTF-8?B?Sm9zw6k=?="});
  CHECK(encode("日本", Charset::utf8) == std::vector<std::string>{"=?UTF-8?B?5pel5pys?="});
  // Mostly ASCII: Q, with '_' for space and '=', '?', '_', ':' escaped.
  CHECK(
      encode("Réunion demain matin: salle_B? oui=non", Charset::utf8) ==
      std::vector<std::string>{"=?UTF-8?Q?R=C3=A9union_demain_matin=3A_salle=5FB=3F_oui=3Dnon?="});
  // The choice is made per word.
  CHECK(encode("Réunion demain matin avec toute l'équipe: salle_B?", Charset::utf8) ==
        std::vector<std::string>{
            "=?UTF-8?Q?R=C3=A9union_demain_matin_avec_toute_l=27=C3=A9quipe=3A_salle?=",
            "=?UTF-8?B?X0I/?="});
  CHECK(encode("日本", Charset::iso_2022_jp) ==
        std::vector<std::string>{"=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?="});
}

TEST_CASE("RFC 2047: a character the charset cannot hold is an error naming it") {
  Converter converter(Charset::iso_2022_jp);
  std::vector<std::string> words;
  std::string detail;
  // U+FF5E FULLWIDTH TILDE (what Windows IMEs type) has no JIS X 0208 code in glibc.
  const auto ec = smtp::mime::encode_words("価格～", converter, 75, words, detail);
  CHECK(ec == smtp::mime::errc::charset_unconvertible);
  CHECK(detail == "U+FF5E cannot be written in ISO-2022-JP");
  std::string out;
  CHECK(converter.convert("😀", out, detail) == smtp::mime::errc::charset_unconvertible);
  CHECK(detail == "U+1F600 cannot be written in ISO-2022-JP");
}

TEST_CASE("Subject: ASCII folds at whitespace, keeping every character, else encoded words") {
  CHECK(subject_field("Hello") == "Subject: Hello\r\n");
  const std::string words =
      "The quick brown fox  jumps over the lazy dog, then\tthe quick brown fox jumps again and "
      "again and again until the end of the subject line";
  const auto field = subject_field(words);
  const auto lines = lines_of(field);
  CHECK(lines.size() > 1);
  std::string unfolded;
  for (const auto& line : lines) {
    CHECK(line.size() <= 78);
    CHECK(line.find_first_not_of(" \t") != std::string::npos);  // no whitespace-only line
    unfolded += line;
  }
  CHECK(unfolded == "Subject: " + words);
  // Text a decoder would take for an encoded word is encoded itself.
  CHECK(subject_field("=?UTF-8?Q?x?=") == "Subject: =?UTF-8?B?PT9VVEYtOD9RP3g/PQ==?=\r\n");
  // A word too long to fit a 998-octet line is encoded, so it can be split.
  const auto huge = subject_field(std::string(1200, 'x'));
  for (const auto& line : lines_of(huge)) CHECK(line.size() <= 78);
}

TEST_CASE("display names: atoms, quoted strings with escapes, or encoded words") {
  auto mailbox = [](const std::string& name) {
    Converter converter(Charset::utf8);
    Segments segments;
    std::string detail;
    REQUIRE_FALSE(
        smtp::mime::mailbox_segments("To", "bob@example.test", name, converter, segments, detail));
    return folded("To", segments);
  };
  CHECK(mailbox("") == "To: bob@example.test\r\n");
  CHECK(mailbox("Bob Smith") == "To: Bob Smith <bob@example.test>\r\n");
  CHECK(mailbox("Doe, John") == "To: \"Doe, John\" <bob@example.test>\r\n");
  CHECK(mailbox("a \"b\" \\ c.") == "To: \"a \\\"b\\\" \\\\ c.\" <bob@example.test>\r\n");
  CHECK(mailbox("=?x?=") == "To: \"=?x?=\" <bob@example.test>\r\n");
  CHECK(mailbox("  two  spaces ") == "To: \"  two  spaces \" <bob@example.test>\r\n");
  CHECK(mailbox("José") == "To: =?UTF-8?B?Sm9zw6k=?= <bob@example.test>\r\n");
  CHECK(mailbox("tab\there") == "To: =?UTF-8?Q?tab=09here?= <bob@example.test>\r\n");
}

TEST_CASE("folding: long address lists fold between mailboxes at 78") {
  Converter converter(Charset::utf8);
  Segments segments;
  std::string detail;
  for (int i = 0; i < 6; ++i) {
    REQUIRE_FALSE(smtp::mime::mailbox_segments("To", "user" + std::to_string(i) + "@example.test",
                                               "User Number " + std::to_string(i), converter,
                                               segments, detail));
    if (i < 5) segments.back() += ',';
  }
  const auto field = folded("To", segments);
  CHECK(field ==
        "To: User Number 0 <user0@example.test>, User Number 1 <user1@example.test>,\r\n"
        " User Number 2 <user2@example.test>, User Number 3 <user3@example.test>,\r\n"
        " User Number 4 <user4@example.test>, User Number 5 <user5@example.test>\r\n");
  std::string out;
  CHECK(smtp::mime::fold_field("X", {" " + std::string(998, 'a')}, out) ==
        smtp::mime::errc::line_too_long);
}

TEST_CASE("RFC 2231 file names: filename*= with continuations, plus an RFC 2047 fallback") {
  auto params = [](const std::string& name, Charset charset = Charset::utf8) {
    Converter converter(charset);
    std::vector<Segments> p;
    std::string detail;
    REQUIRE_FALSE(smtp::mime::file_name_params("filename", name, converter, true, p, detail));
    Segments field = {" attachment"};
    smtp::mime::append_params(field, p);
    return folded("Content-Disposition", field);
  };
  CHECK(params("report.pdf") == "Content-Disposition: attachment; filename=\"report.pdf\"\r\n");
  CHECK(params("my \"best\" file.txt") ==
        "Content-Disposition: attachment; filename=\"my \\\"best\\\" file.txt\"\r\n");
  CHECK(params("日本語.pdf") ==
        "Content-Disposition: attachment; filename=\"=?UTF-8?B?5pel5pys6KqeLnBkZg==?=\";\r\n"
        " filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf\r\n");
  CHECK(params("日本語.pdf", Charset::iso_2022_jp) ==
        "Content-Disposition: attachment;\r\n"
        " filename=\"=?ISO-2022-JP?B?GyRCRnxLXDhsGyhCLnBkZg==?=\";\r\n"
        " filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf\r\n");

  SUBCASE("a long name: continuations, each line <= 78, no character split") {
    const std::string name =
        "二〇二六年度 第三四半期 営業報告書（最終版・確定）とその添付資料一式.xlsx";
    const auto field = params(name);
    std::string reassembled;
    int continuation = 0;
    for (const auto& line : lines_of(field)) {
      CAPTURE(line);
      CHECK(line.size() <= 78);
      const auto prefix = " filename*" + std::to_string(continuation) + "*=";
      if (!line.starts_with(prefix)) continue;
      auto value = line.substr(prefix.size());
      if (value.ends_with(";")) value.pop_back();
      if (continuation == 0) {
        REQUIRE(value.starts_with("UTF-8''"));
        value = value.substr(7);
      }
      std::string piece;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%') {
          piece += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          piece += value[i];
        }
      }
      CHECK(smtp::is_valid_utf8(piece));
      reassembled += piece;
      ++continuation;
    }
    CHECK(continuation > 2);
    CHECK(reassembled == name);
  }
  SUBCASE("a long ASCII name goes the same way") {
    const auto field = params(std::string(100, 'a') + ".txt");
    CHECK(field.find(" filename*0*=UTF-8''aaaa") != std::string::npos);
    for (const auto& line : lines_of(field)) CHECK(line.size() <= 78);
  }
}

TEST_CASE("Date: RFC 5322 format at a given offset") {
  const std::chrono::system_clock::time_point t(std::chrono::seconds(1795953600));
  using std::chrono::minutes;
  CHECK(smtp::mime::format_date(t, minutes(0)) == "Sun, 29 Nov 2026 12:00:00 +0000");
  CHECK(smtp::mime::format_date(t, minutes(540)) == "Sun, 29 Nov 2026 21:00:00 +0900");
  CHECK(smtp::mime::format_date(t, minutes(-750)) == "Sat, 28 Nov 2026 23:30:00 -1230");
  CHECK(smtp::mime::format_date(t + std::chrono::hours(24 * 40), minutes(0)) ==
        "Fri, 8 Jan 2027 12:00:00 +0000");
}
