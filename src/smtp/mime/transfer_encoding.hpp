#pragma once
// Content-Transfer-Encodings (RFC 2045 section 6) as streaming encoders: fed in pieces of any
// size, their output does not depend on where the pieces split. Neither adds a CRLF after the
// last line: in a multipart body the boundary delimiter's CRLF ends it (RFC 2046 5.1.1).

#include <cstdint>
#include <string>
#include <string_view>

namespace smtp::mime {

enum class TransferEncoding { seven_bit, quoted_printable, base64 };

// The header value: "7bit", "quoted-printable", "base64".
std::string_view transfer_encoding_name(TransferEncoding encoding);

// Base64 in lines of 76 characters joined by CRLF.
class Base64Encoder {
 public:
  static constexpr std::size_t line_length = 76;

  void write(std::string_view bytes, std::string& out);
  void finish(std::string& out);

  // The exact output size for `bytes` input octets.
  static std::uint64_t encoded_size(std::uint64_t bytes);

 private:
  void put(char c, std::string& out);
  void put_group(const unsigned char* group, std::size_t count, std::string& out);

  unsigned char pending_[3] = {};
  std::size_t pending_size_ = 0;
  std::size_t column_ = 0;
};

// Quoted-printable for text whose line breaks are CRLF (hard breaks, kept as they are). Lines
// are at most 76 characters: a soft break "=" CRLF is inserted before one would grow longer. A
// space or tab that would end a line is written =20 / =09, so no transport can strip it; a lone
// CR or LF is written =0D / =0A.
class QuotedPrintableEncoder {
 public:
  static constexpr std::size_t line_length = 76;

  void write(std::string_view text, std::string& out);
  void finish(std::string& out);

 private:
  void put_char(unsigned char c, std::string& out);
  void put_token(std::string_view token, std::string& out);
  void put_escaped(unsigned char c, std::string& out);
  void flush_pending_space(bool at_line_end, std::string& out);

  std::size_t column_ = 0;
  int pending_space_ = -1;   // a space or tab held back: is it at the end of a line?
  bool pending_cr_ = false;  // a CR held back: is it the start of CRLF?
};

std::string encode_base64(std::string_view bytes);
std::string encode_quoted_printable(std::string_view text);

// The encoding for a text part already in its charset, with CRLF line breaks: 7bit for ASCII
// text whose lines are at most `max_7bit_line` octets, otherwise the shorter of
// quoted-printable and base64 (so mostly-ASCII text stays readable); base64 whenever the text
// holds NUL or control characters other than tab.
TransferEncoding choose_text_encoding(std::string_view text, std::size_t max_7bit_line = 78);

// Whether every line (CRLF-separated) of `text` has at most `limit` octets.
bool lines_within(std::string_view text, std::size_t limit);

}  // namespace smtp::mime
