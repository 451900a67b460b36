#pragma once
// A bounded, redacted record of a conversation, for diagnosis. Secrets (AUTH exchanges) are
// never recorded; server text is escaped; message bodies are recorded by size only.

#include <cstddef>
#include <string>
#include <string_view>

#include "smtp/protocol/reply.hpp"

namespace smtp {

// What of a client line may be recorded: all of it; the command word only ("PASS <redacted>");
// the command and its first argument ("AUTH PLAIN <redacted>"); nothing.
enum class Redaction { none, after_command, after_verb, whole_line };

class Transcript {
 public:
  explicit Transcript(std::size_t max_bytes = std::size_t{64} * 1024) : max_bytes_(max_bytes) {}

  // Records command lines (CRLF separated). `after_verb` keeps "AUTH PLAIN" and hides the rest.
  void client(std::string_view lines, Redaction redaction = Redaction::none);
  void client_body(std::size_t octets);
  void server(const Reply& reply);
  // A server line of a line-based protocol (POP3), recorded escaped.
  void server_line(std::string_view line);
  void note(std::string_view text);

  const std::string& text() const { return text_; }
  // Returns the record so far and starts a new one.
  std::string take();

 private:
  void add(std::string_view prefix, std::string_view line);

  std::size_t max_bytes_;
  std::string text_;
  bool truncated_ = false;
};

}  // namespace smtp
