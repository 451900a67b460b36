#pragma once
// The two body transformations of the sandbox, sans-I/O.
//
// DataReader: the SMTP DATA body as it arrives. A line is ended by CRLF only; the body ends at
// CRLF "." CRLF (or "." CRLF right after the 354), never at a bare LF ("\n.\n", "\n.\r\n" and
// "\r\n.\n" are content: no SMTP smuggling). A line that begins with "." loses that dot
// (RFC 5321 4.5.2); every other octet is kept exactly.
//
// PopEncoder: a stored message as a POP3 multi-line response body: CRLF line endings (a bare LF
// becomes CRLF), dot-stuffing, a final CRLF if the message lacks one, then ".\r\n". With a line
// count it does TOP: the header section, the blank line, then that many body lines.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flowhost::sandbox {

class DataReader {
 public:
  // Consumes input up to and including the end marker and appends the body octets to `out`.
  // Returns how many input octets were consumed (all of them unless done() became true).
  std::size_t feed(std::string_view in, std::string& out);
  bool done() const noexcept { return done_; }

 private:
  enum class State { line_start, dot, dot_cr, mid, cr };
  State state_ = State::line_start;
  bool done_ = false;
};

class PopEncoder {
 public:
  explicit PopEncoder(std::optional<std::size_t> top_lines = std::nullopt)
      : top_lines_(top_lines), in_headers_(top_lines.has_value()) {}

  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);                // the final CRLF if needed, then ".\r\n"
  bool done() const noexcept { return done_; }  // TOP: nothing more is wanted
  std::size_t stuffed() const noexcept { return stuffed_; }

  // The POP3 size of a message (CRLF line endings, before dot-stuffing) fed as `content`.
  static std::size_t size_of(std::string_view content);

 private:
  void content(char c, std::string& out);
  void end_line(std::string& out);

  std::optional<std::size_t> top_lines_;
  bool in_headers_;
  bool line_start_ = true;
  bool pending_cr_ = false;
  bool done_ = false;
  std::size_t stuffed_ = 0;
};

}  // namespace flowhost::sandbox
