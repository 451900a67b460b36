#include "smtp/protocol/transcript.hpp"

namespace smtp {

void Transcript::add(std::string_view prefix, std::string_view line) {
  if (truncated_) return;
  if (text_.size() + prefix.size() + line.size() + 1 > max_bytes_) {
    text_ += "[transcript truncated]\n";
    truncated_ = true;
    return;
  }
  text_ += prefix;
  text_ += line;
  text_ += '\n';
}

void Transcript::client(std::string_view lines, Redaction redaction) {
  while (!lines.empty()) {
    const auto end = lines.find("\r\n");
    const auto line = lines.substr(0, end);
    switch (redaction) {
      case Redaction::none:
        add("C: ", escape_text(line));
        break;
      case Redaction::after_command: {
        const auto space = line.find(' ');
        if (space == std::string_view::npos) {
          add("C: ", escape_text(line));
        } else {
          add("C: ", escape_text(line.substr(0, space)) + " <redacted>");
        }
        break;
      }
      case Redaction::after_verb: {
        // "AUTH PLAIN <secret>" -> "AUTH PLAIN <redacted>"
        const auto second_space = line.find(' ', line.find(' ') + 1);
        if (second_space == std::string_view::npos) {
          add("C: ", escape_text(line));
        } else {
          add("C: ", escape_text(line.substr(0, second_space)) + " <redacted>");
        }
        break;
      }
      case Redaction::whole_line:
        add("C: ", "<redacted>");
        break;
    }
    if (end == std::string_view::npos) break;
    lines.remove_prefix(end + 2);
  }
}

void Transcript::client_body(std::size_t octets) {
  add("C: ", "<message data: " + std::to_string(octets) + " octets>");
}

void Transcript::server(const Reply& reply) {
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    std::string line = std::to_string(reply.code);
    line += (i + 1 == reply.lines.size()) ? ' ' : '-';
    line += escape_text(reply.lines[i]);
    add("S: ", line);
  }
}

void Transcript::server_line(std::string_view line) { add("S: ", escape_text(line)); }

void Transcript::note(std::string_view text) { add("* ", escape_text(text)); }

std::string Transcript::take() {
  std::string out = std::move(text_);
  text_.clear();
  truncated_ = false;
  return out;
}

}  // namespace smtp
