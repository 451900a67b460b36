#include "smtp/mime/raw_message.hpp"

namespace smtp::mime {
namespace {

// An OR over all the bytes, with no early exit, so that the compiler vectorises it.
bool has_8bit(std::string_view bytes) {
  unsigned char all = 0;
  for (const char c : bytes) all |= static_cast<unsigned char>(c);
  return (all & 0x80) != 0;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
  return text;
}

// The end of the header section: the first empty line (CRLF or bare LF line breaks).
std::size_t header_end(std::string_view message) {
  std::size_t line = 0;
  while (line < message.size()) {
    auto end = message.find('\n', line);
    if (end == std::string_view::npos) return message.size();
    const auto content = message.substr(line, end - line);
    if (content.empty() || content == "\r") return line;
    line = end + 1;
  }
  return message.size();
}

}  // namespace

RawMessageInfo inspect_raw_message(std::string_view message) {
  RawMessageInfo info;
  const auto end = header_end(message);
  const auto headers = message.substr(0, end);
  info.traits.utf8_headers = has_8bit(headers) ? smtp::Utf8Headers::yes : smtp::Utf8Headers::no;
  info.traits.body_class =
      has_8bit(message.substr(end)) ? smtp::BodyClass::eight_bit : smtp::BodyClass::seven_bit;

  // Unfold each field (a line starting with whitespace continues the one before).
  std::string field;
  auto take = [&] {
    const auto colon = field.find(':');
    if (info.message_id.empty() && colon != std::string::npos &&
        iequals(trim(std::string_view(field).substr(0, colon)), "message-id")) {
      info.message_id = std::string(trim(std::string_view(field).substr(colon + 1)));
    }
    field.clear();
  };
  std::size_t line = 0;
  while (line < headers.size()) {
    auto next = headers.find('\n', line);
    if (next == std::string_view::npos) next = headers.size();
    auto content = headers.substr(line, next - line);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.empty() || !is_wsp(content.front())) take();
    field += content;
    line = next + 1;
  }
  take();
  return info;
}

}  // namespace smtp::mime
