#pragma once
// SMTP replies (RFC 5321 section 4.2) and a strict, bounded, incremental parser for them.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smtp {

// RFC 3463 enhanced status code, e.g. 5.1.1.
struct EnhancedStatus {
  int klass = 0;
  int subject = 0;
  int detail = 0;
  std::string to_string() const;
  friend bool operator==(const EnhancedStatus&, const EnhancedStatus&) = default;
};

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text of each line, after "NNN-" or "NNN "
  std::optional<EnhancedStatus> enhanced;

  int klass() const { return code / 100; }
  bool is_positive() const { return klass() == 2; }
  bool is_intermediate() const { return klass() == 3; }
  bool is_transient() const { return klass() == 4; }
  bool is_permanent() const { return klass() == 5; }

  // "550 5.1.1 text" on one line (lines joined by " / "), with every byte that is not printable
  // ASCII escaped: safe to log or show to a user.
  std::string display() const;
};

// Escapes bytes outside printable ASCII as \xNN, and backslash as \\, so server text cannot
// forge log lines or terminal control sequences.
std::string escape_text(std::string_view text);

struct ReplyLimits {
  std::size_t max_line_length = 2048;  // octets, including CRLF (RFC 5321 asks for 512)
  std::size_t max_lines = 256;
  std::size_t max_bytes = std::size_t{64} * 1024;
};

// Parses replies from a byte stream. Feed it whatever arrived; it consumes at most one complete
// reply and leaves the rest of the input for the next call.
class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}

  // Consumes bytes from the front of `input`. Returns a reply once one is complete; returns
  // nothing when more bytes are needed (all of `input` was consumed) or on error (`ec` set;
  // the stream cannot be parsed further).
  std::optional<Reply> parse(std::string_view& input, std::error_code& ec);

  // True while a reply has been started but not finished.
  bool in_progress() const { return !partial_line_.empty() || !current_.lines.empty(); }

 private:
  std::error_code take_line(std::string_view line, bool& complete);

  ReplyLimits limits_;
  std::string partial_line_;  // bytes of a line whose CRLF has not arrived yet
  Reply current_;
  std::size_t bytes_ = 0;
};

}  // namespace smtp
