#pragma once
// Streams a message body onto the wire (RFC 5321 4.5.2 and 4.1.1.4, RFC 3030 for BDAT).
//
// Whatever line endings the message has, the wire gets CRLF: a bare LF or a bare CR becomes
// CRLF, so a sequence such as "\n.\n" can never look like an end of data to any server (no SMTP
// smuggling). NUL bytes and lines over 998 octets are refused, not repaired: the caller must
// encode such content. For DATA, lines starting with '.' are dot-stuffed and finish() appends
// exactly one terminating ".\r\n"; for BDAT the bytes go as they are, framed by the caller.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace smtp {

enum class BodyFraming { data, bdat };

class BodyEncoder {
 public:
  static constexpr std::size_t max_line_length = 998;  // octets, without CRLF (RFC 5322 2.1.1)

  explicit BodyEncoder(BodyFraming framing) : framing_(framing) {}

  // Appends the wire form of the next piece of the message to `out`. On error the message
  // cannot be completed; `out` may hold a partial line that must never be followed by an end
  // of data.
  std::error_code write(std::string_view piece, std::string& out);

  // The same without copying the bytes that need no change: the piece's wire form is what is
  // appended to `out`, followed by `tail`, the end of `piece` as it is (for plain CRLF text, all
  // of it). `tail` points into `piece`.
  std::error_code write(std::string_view piece, std::string& out, std::string_view& tail);

  // Ends the message: a CRLF if the last line has none, then for DATA the ".\r\n".
  void finish(std::string& out);

  // Whether any byte so far was 8-bit.
  bool saw_8bit() const { return saw_8bit_; }

 private:
  void end_line(std::string& out);

  BodyFraming framing_;
  bool pending_cr_ = false;  // a CR ended the last piece: is it CRLF or a bare CR?
  bool saw_8bit_ = false;
  std::size_t line_length_ = 0;  // octets of the current line so far; 0 at a line's start
};

}  // namespace smtp
