// The body writer for DATA and BDAT (security rule 4): CRLF normalisation, dot-stuffing, exactly
// one terminating CRLF.CRLF, NUL and over-long lines refused. Every body is fed whole, one byte
// at a time and split at every position, its wire form appended or partly left in the piece, and
// the outputs must be identical: neither a piece boundary nor the way it is written may change
// what goes on the wire. Longer bodies are checked against a byte-by-byte model of the rules.

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/error.hpp"
#include "smtp/protocol/body_encoder.hpp"
#include "smtp/protocol/reply.hpp"  // escape_text, for readable failure messages
#include "unit_support.hpp"

using namespace std::string_literals;
using smtp::BodyEncoder;
using smtp::BodyFraming;
using smtp::errc;
using unit::count_of;
using unit::err;

namespace {

// The body for a failure message: escaped, and cut short when long.
std::string shown(std::string_view body) {
  auto text = smtp::escape_text(body.substr(0, 120));
  if (body.size() > 120) text += "... (" + std::to_string(body.size()) + " octets)";
  return text;
}

struct Encoded {
  std::string out;
  std::error_code ec;
  bool saw_8bit = false;
};

// How the pieces are written: appended whole to the output, or with their unchanged end left in
// the piece (`tail`), as the session sends them.
enum class Api { append, tail };

Encoded encode_pieces(const std::vector<std::string>& pieces,
                      BodyFraming framing = BodyFraming::data, Api api = Api::append) {
  BodyEncoder encoder(framing);
  Encoded e;
  for (const auto& piece : pieces) {
    if (api == Api::append) {
      e.ec = encoder.write(piece, e.out);
    } else {
      std::string_view tail;
      e.ec = encoder.write(piece, e.out, tail);
      if (!tail.empty()) {  // the piece's own bytes, not a copy
        CHECK(tail.data() >= piece.data());
        CHECK(tail.data() + tail.size() <= piece.data() + piece.size());
      }
      e.out += tail;
    }
    if (e.ec) break;
  }
  if (!e.ec) encoder.finish(e.out);
  e.saw_8bit = encoder.saw_8bit();
  return e;
}

std::vector<std::string> one_byte_pieces(std::string_view body) {
  std::vector<std::string> pieces;
  for (const char c : body) pieces.emplace_back(1, c);
  return pieces;
}

// Encodes `body` whole, byte by byte and split in two at every position (for bodies short
// enough); checks that all agree and returns the whole-body result.
Encoded encode(std::string_view body, BodyFraming framing = BodyFraming::data) {
  INFO("body: ", shown(body));
  const auto whole = encode_pieces({std::string(body)}, framing);

  for (const auto& other : {encode_pieces(one_byte_pieces(body), framing),
                            encode_pieces({std::string(body)}, framing, Api::tail),
                            encode_pieces(one_byte_pieces(body), framing, Api::tail)}) {
    CHECK(other.ec == whole.ec);
    if (!whole.ec) {  // after an error the partial output and saw_8bit depend on where it stopped
      CHECK(other.out == whole.out);
      CHECK(other.saw_8bit == whole.saw_8bit);
    }
  }

  if (body.size() <= 256) {
    std::size_t first_mismatch = std::string::npos;
    for (std::size_t split = 0; split <= body.size() && first_mismatch == std::string::npos;
         ++split) {
      const auto two = encode_pieces(
          {std::string(body.substr(0, split)), std::string(body.substr(split))}, framing);
      if (two.ec != whole.ec || (!whole.ec && two.out != whole.out)) first_mismatch = split;
    }
    CHECK_MESSAGE(first_mismatch == std::string::npos, "output differs when split at ",
                  first_mismatch);
  }
  return whole;
}

// The rules, one byte at a time and with no state across pieces: the model every encoding must
// match. A line's content is checked as it grows, so the first violation in byte order wins.
Encoded reference(std::string_view body, BodyFraming framing = BodyFraming::data) {
  Encoded e;
  std::string line;
  auto end_line = [&] {
    if (framing == BodyFraming::data && !line.empty() && line.front() == '.') e.out += '.';
    e.out += line;
    e.out += "\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\0') {
      e.ec = err(errc::body_contains_nul);
      return e;
    }
    if (c == '\r' || c == '\n') {
      end_line();
      if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;
      continue;
    }
    line += c;
    if (line.size() > BodyEncoder::max_line_length) {
      e.ec = err(errc::body_line_too_long);
      return e;
    }
    if (static_cast<unsigned char>(c) >= 0x80) e.saw_8bit = true;
  }
  if (!line.empty()) end_line();
  if (framing == BodyFraming::data) e.out += ".\r\n";
  return e;
}

// `body` cut at the given offsets (sorted, each at most body.size()).
std::vector<std::string> cut(std::string_view body, const std::vector<std::size_t>& at) {
  std::vector<std::string> pieces;
  std::size_t from = 0;
  for (const auto to : at) {
    pieces.emplace_back(body.substr(from, to - from));
    from = to;
  }
  pieces.emplace_back(body.substr(from));
  return pieces;
}

// Encodes `body` whole and in the given pieces, and checks both against the model.
void check_against_reference(std::string_view body, const std::vector<std::size_t>& at,
                             BodyFraming framing) {
  const auto expected = reference(body, framing);
  for (const auto& pieces : {std::vector<std::string>{std::string(body)}, cut(body, at)}) {
    for (const auto api : {Api::append, Api::tail}) {
      const auto got = encode_pieces(pieces, framing, api);
      CHECK(got.ec == expected.ec);
      if (!expected.ec && got.ec == expected.ec) {
        CHECK(got.out == expected.out);
        CHECK(got.saw_8bit == expected.saw_8bit);
      }
    }
  }
}

// Every CR is followed by LF and every LF follows a CR.
bool only_crlf(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

// The DATA wire form, with the CRLF that ended the DATA command in front: "\r\n.\r\n" occurs
// exactly once, at the very end, and no line before it is a lone dot.
void check_data_wire(const std::string& out) {
  INFO("wire: ", shown(out));
  const std::string wire = "\r\n" + out;
  CHECK(only_crlf(wire));
  CHECK(count_of(wire, "\r\n.\r\n") == 1);
  REQUIRE(wire.size() >= 5);
  CHECK(wire.substr(wire.size() - 5) == "\r\n.\r\n");
}

// What a server reading the DATA stream gets: lines up to the lone dot, each unstuffed, joined
// with '\n'. Nothing may follow the terminator.
std::optional<std::string> server_reads(std::string_view wire) {
  std::string text;
  std::size_t pos = 0;
  while (true) {
    const auto eol = wire.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    auto line = wire.substr(pos, eol - pos);
    pos = eol + 2;
    if (line == ".") return pos == wire.size() ? std::optional<std::string>{text} : std::nullopt;
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    text.append(line);
    text += '\n';
  }
}

// The body with every CRLF, bare CR and bare LF as '\n', and a final '\n' if it had none.
std::string as_lines(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      out += '\n';
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else {
      out += body[i];
    }
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

}  // namespace

// --- line endings -------------------------------------------------------------------------------

TEST_CASE("body: CRLF text passes through and gets one terminator") {
  const auto e = encode("Hello\r\nWorld\r\n");
  CHECK(e.ec == std::error_code{});
  CHECK(e.out == "Hello\r\nWorld\r\n.\r\n");
}

TEST_CASE("body: a bare LF becomes CRLF") {
  CHECK(encode("Hello\nWorld\n").out == "Hello\r\nWorld\r\n.\r\n");
}

TEST_CASE("body: a bare CR becomes CRLF") {
  CHECK(encode("Hello\rWorld\r").out == "Hello\r\nWorld\r\n.\r\n");
}

TEST_CASE("body: mixed line endings all become CRLF") {
  CHECK(encode("a\r\nb\nc\rd").out == "a\r\nb\r\nc\r\nd\r\n.\r\n");
}

TEST_CASE("body: CR CR LF, LF CR and LF LF are two line breaks each") {
  CHECK(encode("a\r\r\nb").out == "a\r\n\r\nb\r\n.\r\n");
  CHECK(encode("a\n\rb").out == "a\r\n\r\nb\r\n.\r\n");
  CHECK(encode("a\n\nb").out == "a\r\n\r\nb\r\n.\r\n");
}

TEST_CASE("body: a CR ending one piece and an LF starting the next are one CRLF") {
  CHECK(encode_pieces({"a\r", "\nb"}).out == "a\r\nb\r\n.\r\n");
  CHECK(encode_pieces({"a\r", "", "\nb"}).out == "a\r\nb\r\n.\r\n");
  CHECK(encode_pieces({"a\r", "b"}).out == "a\r\nb\r\n.\r\n");
  CHECK(encode_pieces({"a\r", "\r", "\nb"}).out == "a\r\n\r\nb\r\n.\r\n");
}

TEST_CASE("body: a CR ending the last piece is a line break, not a lost byte") {
  CHECK(encode_pieces({"a\r"}).out == "a\r\n.\r\n");
  CHECK(encode_pieces({"a", "\r"}).out == "a\r\n.\r\n");
}

// --- dot-stuffing -------------------------------------------------------------------------------

TEST_CASE("body: a dot at the start of the body is doubled") {
  CHECK(encode(".hidden\r\n").out == "..hidden\r\n.\r\n");
  CHECK(encode("..two").out == "...two\r\n.\r\n");
}

TEST_CASE("body: a dot after every kind of line break is doubled") {
  CHECK(encode("a\r\n.b").out == "a\r\n..b\r\n.\r\n");
  CHECK(encode("a\n.b").out == "a\r\n..b\r\n.\r\n");
  CHECK(encode("a\r.b").out == "a\r\n..b\r\n.\r\n");
  CHECK(encode(".a\r\n.b\r\n.c").out == "..a\r\n..b\r\n..c\r\n.\r\n");
}

TEST_CASE("body: a dot inside a line is left alone") {
  CHECK(encode("a.b\r\nc .\r\n").out == "a.b\r\nc .\r\n.\r\n");
}

TEST_CASE("body: dot-stuffing works across piece boundaries") {
  for (const auto& pieces : std::vector<std::vector<std::string>>{{"a\r\n", ".b"},
                                                                  {"a\n", ".b"},
                                                                  {"a\r", ".b"},
                                                                  {"a\r", "\n.b"},
                                                                  {"a\r\n", "", ".b"},
                                                                  {"a", "\r", "\n", ".", "b"}}) {
    CAPTURE(pieces.size());
    CHECK(encode_pieces(pieces).out == "a\r\n..b\r\n.\r\n");
  }
  CHECK(encode_pieces({"a", ".b"}).out == "a.b\r\n.\r\n");  // mid-line: no stuffing
  CHECK(encode_pieces({".", ".", "."}).out == "....\r\n.\r\n");
}

// --- the terminator -----------------------------------------------------------------------------

TEST_CASE("body: exactly one terminator whether or not the body ends with CRLF") {
  const auto with = encode("last line\r\n");
  const auto without = encode("last line");
  CHECK(with.out == "last line\r\n.\r\n");
  CHECK(without.out == "last line\r\n.\r\n");
  check_data_wire(with.out);
  check_data_wire(without.out);
}

TEST_CASE("body: an empty body is just the terminator") {
  const auto e = encode("");
  CHECK(e.ec == std::error_code{});
  CHECK(e.out == ".\r\n");
  check_data_wire(e.out);
  CHECK(encode_pieces({}).out == ".\r\n");
}

TEST_CASE("body: a body that is one empty line keeps it") {
  CHECK(encode("\r\n").out == "\r\n.\r\n");
  CHECK(encode("\n").out == "\r\n.\r\n");
}

TEST_CASE("body: a body that is a lone dot, or contains an end of data, is stuffed") {
  CHECK(encode(".").out == "..\r\n.\r\n");
  CHECK(encode(".\r\n").out == "..\r\n.\r\n");
  CHECK(encode("x\r\n.\r\n").out == "x\r\n..\r\n.\r\n");
}

// --- SMTP smuggling (2023)
// -------------------------------------------------------------------------

TEST_CASE("body: SMTP smuggling sequences never end the data early") {
  for (const char* sequence : {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"}) {
    INFO("sequence: ", smtp::escape_text(sequence));
    const std::string body = "a"s + sequence + "b";
    const auto e = encode(body);
    CHECK(e.ec == std::error_code{});
    CHECK(e.out == "a\r\n..\r\nb\r\n.\r\n");
    check_data_wire(e.out);
  }
}

TEST_CASE("body: a smuggled second message inside the body stays inside the body") {
  for (const char* end : {"\r\n.\r\n", "\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n"}) {
    INFO("end of data: ", smtp::escape_text(end));
    const std::string body = "Subject: hi\r\n\r\nhello"s + end +
                             "MAIL FROM:<admin@victim.example>\r\nRCPT TO:<x@victim.example>\r\n"
                             "DATA\r\nFrom: admin@victim.example\r\n\r\nspoofed" +
                             end;
    const auto e = encode(body);
    CHECK(e.ec == std::error_code{});
    check_data_wire(e.out);
    const auto text = server_reads(e.out);
    REQUIRE(text);
    CHECK(*text == as_lines(body));  // the server sees the whole body as one message
  }
}

TEST_CASE("body: smuggling sequences at the very start and the very end") {
  for (const char* sequence : {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", ".\r\n", ".\n"}) {
    INFO("sequence: ", smtp::escape_text(sequence));
    check_data_wire(encode(sequence).out);
    check_data_wire(encode("text"s + sequence).out);
    check_data_wire(encode(std::string(sequence) + "text").out);
  }
}

TEST_CASE("body: every short body over {a, ., CR, LF} is framed safely and read back intact") {
  // Exhaustive up to 7 bytes: 21845 bodies.
  const char alphabet[] = {'a', '.', '\r', '\n'};
  std::size_t failures = 0;
  std::string first_failure;
  std::vector<std::string> bodies = {""};
  for (std::size_t length = 1; length <= 7; ++length) {
    std::vector<std::string> next;
    for (const auto& prefix : bodies) {
      if (prefix.size() != length - 1) continue;
      for (const char c : alphabet) next.push_back(prefix + c);
    }
    bodies.insert(bodies.end(), next.begin(), next.end());
  }
  REQUIRE(bodies.size() == 21845);
  for (const auto& body : bodies) {
    const auto whole = encode_pieces({body});
    const auto bytewise = encode_pieces(one_byte_pieces(body));
    const std::string wire = "\r\n" + whole.out;
    const auto text = server_reads(whole.out);
    const bool ok = !whole.ec && bytewise.out == whole.out && only_crlf(wire) &&
                    count_of(wire, "\r\n.\r\n") == 1 && text && *text == as_lines(body);
    if (!ok && failures++ == 0) first_failure = body;
  }
  CHECK_MESSAGE(failures == 0, "first failing body: ", smtp::escape_text(first_failure));
}

// --- long runs: the encoder skips plain CRLF text 64 bytes at a time ---------------------------

TEST_CASE("body: every special byte at every offset of a long line matches the model") {
  for (const std::string& special :
       {"\r\n"s, "\r"s, "\n"s, "\0"s, "\r\n."s, "\n."s, "\r."s, "\r\r\n"s, "\x80"s}) {
    for (std::size_t offset = 0; offset <= 140; ++offset) {
      CAPTURE(smtp::escape_text(special));
      CAPTURE(offset);
      // Plain CRLF lines around it, so that blocks before and after it are skipped whole.
      const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789\r\n";
      const std::string body = plain + std::string(offset, 'x') + special +
                               std::string(140 - offset, 'y') + "\r\n" + plain + plain + plain;
      for (const auto framing : {BodyFraming::data, BodyFraming::bdat}) {
        check_against_reference(body, {plain.size() + offset}, framing);
        check_against_reference(body, {plain.size() + offset + 1}, framing);
      }
    }
  }
}

TEST_CASE("body: the line limit is exact wherever a long line starts and ends") {
  for (std::size_t lead = 0; lead <= 65; ++lead) {
    for (std::size_t length = 990; length <= 1000; ++length) {
      CAPTURE(lead);
      CAPTURE(length);
      const std::string body =
          std::string(lead, 'a') + "\r\n" + std::string(length, 'x') + "\r\n" + "tail\r\n";
      check_against_reference(body, {lead + 2 + length / 2}, BodyFraming::data);
      check_against_reference(body + std::string(length, 'z'), {}, BodyFraming::bdat);
      // The line ends the message, its last piece made of whole 64-byte blocks.
      check_against_reference(std::string(length, 'x'), {length % 64}, BodyFraming::data);
      check_against_reference(std::string(length, 'x'), {lead, lead + (length - lead) % 64},
                              BodyFraming::bdat);
    }
  }
}

TEST_CASE("body: random bodies, whole and in random pieces, match the model") {
  // Lines of random lengths, mostly CRLF-terminated plain text (so that whole blocks are skipped)
  // with, now and then, a bare CR or LF, no line ending, a leading dot, an 8-bit byte, a NUL or a
  // line around the limit.
  std::mt19937 random(20261129);
  auto chance = [&](unsigned per_thousand) { return random() % 1000 < per_thousand; };
  std::size_t refused = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string body;
    const std::size_t size = random() % 3000;
    while (body.size() < size) {
      if (chance(30)) body += '.';
      const std::size_t length = chance(3) ? 990 + random() % 12 : random() % 130;
      for (std::size_t i = 0; i < length; ++i) {
        body += chance(3) ? '\xe9' : static_cast<char>('a' + random() % 26);
      }
      const auto end = random() % 100;
      body += end < 85 ? "\r\n" : end < 90 ? "\n" : end < 95 ? "\r" : end < 97 ? "\r\r\n" : "";
    }
    if (chance(100)) body.insert(random() % (body.size() + 1), 1, '\0');
    std::vector<std::size_t> at;
    for (auto n = random() % 5; n > 0; --n) at.push_back(random() % (body.size() + 1));
    std::sort(at.begin(), at.end());
    INFO("body: ", shown(body));
    check_against_reference(body, at, random() % 2 ? BodyFraming::data : BodyFraming::bdat);
    if (reference(body).ec) ++refused;
  }
  CHECK(refused > 100);  // both outcomes are well covered
  CHECK(refused < 1000);
}

// --- NUL
// ------------------------------------------------------------------------------------------

TEST_CASE("body: a NUL byte is refused with body_contains_nul") {
  for (const std::string& body : {"a\0b"s, "\0"s, "line\r\n\0"s, "a\r\0"s, "\0.\r\n"s}) {
    INFO("body: ", smtp::escape_text(body));
    CHECK(encode(body).ec == err(errc::body_contains_nul));
    CHECK(encode(body, BodyFraming::bdat).ec == err(errc::body_contains_nul));
  }
}

TEST_CASE("body: a NUL in a later piece is refused too") {
  CHECK(encode_pieces({"clean\r\n", "also clean", "x\0y"s}).ec == err(errc::body_contains_nul));
  CHECK(encode_pieces({"a\r", "\0"s}).ec == err(errc::body_contains_nul));
}

// --- line length
// ----------------------------------------------------------------------------------

TEST_CASE("body: a 998-octet line is accepted, 999 is refused with body_line_too_long") {
  const std::string line998(998, 'x');
  CHECK(encode(line998 + "\r\n").out == line998 + "\r\n.\r\n");
  CHECK(encode(line998).out == line998 + "\r\n.\r\n");
  CHECK(encode(line998 + 'x').ec == err(errc::body_line_too_long));
  CHECK(encode(line998 + "x\r\n").ec == err(errc::body_line_too_long));
  CHECK(encode(line998 + 'x', BodyFraming::bdat).ec == err(errc::body_line_too_long));
}

TEST_CASE("body: the line limit holds for a line spread over pieces") {
  CHECK(encode_pieces({std::string(500, 'x'), std::string(498, 'x')}).ec == std::error_code{});
  CHECK(encode_pieces({std::string(500, 'x'), std::string(499, 'x')}).ec ==
        err(errc::body_line_too_long));
  CHECK(encode_pieces({std::string(998, 'x'), "x"}).ec == err(errc::body_line_too_long));
}

TEST_CASE("body: the line count starts again after every kind of line break") {
  const std::string line998(998, 'x');
  for (const char* eol : {"\r\n", "\n", "\r"}) {
    CAPTURE(smtp::escape_text(eol));
    const auto e = encode(line998 + eol + line998 + eol + line998);
    CHECK(e.ec == std::error_code{});
    CHECK(e.out == line998 + "\r\n" + line998 + "\r\n" + line998 + "\r\n.\r\n");
  }
  CHECK(encode_pieces({line998 + "\r", "\n" + line998}).ec == std::error_code{});
}

TEST_CASE("body: the line limit counts octets, not characters") {
  std::string e_acute;
  for (int i = 0; i < 499; ++i) e_acute += "\xc3\xa9";  // 998 octets
  CHECK(encode(e_acute).ec == std::error_code{});
  CHECK(encode(e_acute + "\xc3\xa9").ec == err(errc::body_line_too_long));
}

TEST_CASE("body: the doubled dot does not count towards the line limit (RFC 5321 4.5.3.1.6)") {
  const std::string line = "." + std::string(997, 'x');  // 998 octets of content
  const auto e = encode(line);
  CHECK(e.ec == std::error_code{});
  CHECK(e.out == "." + line + "\r\n.\r\n");
}

// --- 8-bit content -------------------------------------------------------------------------------

TEST_CASE("body: saw_8bit reports any byte at or above 0x80") {
  CHECK_FALSE(encode("plain ASCII\r\n\x7f\t~").saw_8bit);
  CHECK_FALSE(encode("").saw_8bit);
  CHECK(encode("caf\xc3\xa9").saw_8bit);
  CHECK(encode("\x80").saw_8bit);
  CHECK(encode(".\xff").saw_8bit);
}

TEST_CASE("body: saw_8bit stays set once seen, across pieces") {
  BodyEncoder encoder(BodyFraming::data);
  std::string out;
  REQUIRE(encoder.write("ascii\r\n", out) == std::error_code{});
  CHECK_FALSE(encoder.saw_8bit());
  REQUIRE(encoder.write("caf\xc3\xa9\r\n", out) == std::error_code{});
  CHECK(encoder.saw_8bit());
  REQUIRE(encoder.write("ascii again\r\n", out) == std::error_code{});
  encoder.finish(out);
  CHECK(encoder.saw_8bit());
}

// --- BDAT framing
// ----------------------------------------------------------------------------------

TEST_CASE("body (BDAT): line endings are normalised, no dot-stuffing, no terminator") {
  CHECK(encode(".a\n.\nb", BodyFraming::bdat).out == ".a\r\n.\r\nb\r\n");
  CHECK(encode("a\r.\rb\r\n", BodyFraming::bdat).out == "a\r\n.\r\nb\r\n");
}

TEST_CASE("body (BDAT): finish adds a CRLF only when the last line has none") {
  CHECK(encode("abc", BodyFraming::bdat).out == "abc\r\n");
  CHECK(encode("abc\r\n", BodyFraming::bdat).out == "abc\r\n");
  CHECK(encode("abc\r", BodyFraming::bdat).out == "abc\r\n");
  CHECK(encode("", BodyFraming::bdat).out.empty());
}

TEST_CASE("body (BDAT): the same bytes as DATA apart from stuffing and the terminator") {
  const std::string body = "From: a@example.com\nSubject: x\n\nline\rline\r\nend";
  const auto data = encode(body);
  const auto bdat = encode(body, BodyFraming::bdat);
  CHECK(data.out == bdat.out + ".\r\n");
}
