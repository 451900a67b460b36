#include "smtp/protocol/reply.hpp"

#include <charconv>

#include "smtp/error.hpp"

namespace smtp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "d.ddd.ddd" at the start of the text, followed by a space or the end; its class must match
// the reply code's (RFC 3463 section 2).
std::optional<EnhancedStatus> parse_enhanced(std::string_view text, int code) {
  EnhancedStatus status;
  int* parts[] = {&status.klass, &status.subject, &status.detail};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    const char* start = p;
    auto [next, err] = std::from_chars(p, end, *parts[i]);
    const auto digits = next - start;
    if (err != std::errc{} || digits < 1 || digits > (i == 0 ? 1 : 3) || !is_digit(*start)) {
      return std::nullopt;
    }
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end && *p != ' ') return std::nullopt;
  if (status.klass != code / 100 || (status.klass != 2 && status.klass != 4 && status.klass != 5)) {
    return std::nullopt;
  }
  return status;
}

}  // namespace

std::string EnhancedStatus::to_string() const {
  return std::to_string(klass) + '.' + std::to_string(subject) + '.' + std::to_string(detail);
}

std::string escape_text(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

std::string Reply::display() const {
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) text += " / ";
    text += lines[i];
  }
  std::string out = std::to_string(code);
  if (!text.empty()) {
    out += ' ';
    out += escape_text(text);
  }
  return out;
}

std::optional<Reply> ReplyParser::parse(std::string_view& input, std::error_code& ec) {
  ec.clear();
  while (!input.empty()) {
    const auto lf = input.find('\n');
    const std::string_view chunk =
        input.substr(0, lf == std::string_view::npos ? input.size() : lf + 1);
    if (partial_line_.size() + chunk.size() > limits_.max_line_length) {
      ec = errc::reply_line_too_long;
      return std::nullopt;
    }
    if (bytes_ + chunk.size() > limits_.max_bytes) {
      ec = errc::reply_too_large;
      return std::nullopt;
    }
    bytes_ += chunk.size();
    input.remove_prefix(chunk.size());
    if (lf == std::string_view::npos) {
      partial_line_.append(chunk);
      return std::nullopt;
    }
    std::string line = std::move(partial_line_);
    partial_line_.clear();
    line.append(chunk);
    bool complete = false;
    ec = take_line(line, complete);
    if (ec) return std::nullopt;
    if (complete) {
      Reply reply = std::move(current_);
      current_ = Reply{};
      bytes_ = 0;
      if (!reply.lines.empty()) reply.enhanced = parse_enhanced(reply.lines.front(), reply.code);
      return reply;
    }
  }
  return std::nullopt;
}

// One line, with its line ending: "NNN-text\r\n", "NNN text\r\n" or "NNN\r\n". Every line of a
// reply must carry the same code; text may hold printable ASCII, tabs and UTF-8, never a bare CR
// or a NUL.
std::error_code ReplyParser::take_line(std::string_view line, bool& complete) {
  if (line.size() < 5 || line[line.size() - 2] != '\r') return errc::reply_malformed;
  line.remove_suffix(2);
  if (!is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) || line[0] < '2' ||
      line[0] > '5' || line[1] > '5') {
    return errc::reply_malformed;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!current_.lines.empty() && code != current_.code) return errc::reply_malformed;
  std::string_view text;
  if (line.size() == 3) {
    complete = true;
  } else if (line[3] == ' ' || line[3] == '-') {
    complete = line[3] == ' ';
    text = line.substr(4);
  } else {
    return errc::reply_malformed;
  }
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\0' || c == '\r' || c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f) {
      return errc::reply_malformed;
    }
  }
  if (current_.lines.size() + 1 > limits_.max_lines) return errc::reply_too_many_lines;
  current_.code = code;
  current_.lines.emplace_back(text);
  return {};
}

}  // namespace smtp
