#include "smtp/pop3/protocol.hpp"

#include <algorithm>

#include "smtp/error.hpp"
#include "smtp/protocol/command.hpp"

namespace smtp::pop3 {
namespace {

bool has_forbidden(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

}  // namespace

std::optional<std::string> take_line(std::string_view& input, std::error_code& ec) {
  ec.clear();
  const auto crlf = input.find("\r\n");
  const auto length = crlf == std::string_view::npos ? input.size() : crlf + 2;
  if (length > max_line_length) {
    ec = errc::pop3_response_malformed;
    return std::nullopt;
  }
  if (crlf == std::string_view::npos) return std::nullopt;
  const auto line = input.substr(0, crlf);
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    ec = errc::pop3_response_malformed;
    return std::nullopt;
  }
  input.remove_prefix(length);
  return std::string(line);
}

std::optional<Response> parse_status(std::string_view line) {
  Response response;
  if (line.starts_with("+OK")) {
    response.ok = true;
    line.remove_prefix(3);
  } else if (line.starts_with("-ERR")) {
    line.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  if (!line.empty()) {
    if (line.front() != ' ') return std::nullopt;
    line.remove_prefix(1);
  }
  response.text = std::string(line);
  return response;
}

std::optional<std::string> apop_timestamp(std::string_view text) {
  const auto open = text.find('<');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = text.find('>', open);
  if (close == std::string_view::npos) return std::nullopt;
  const auto stamp = text.substr(open, close - open + 1);
  const auto inner = stamp.substr(1, stamp.size() - 2);
  const auto at = inner.find('@');
  if (inner.empty() || at == std::string_view::npos || at == 0 || at + 1 == inner.size()) {
    return std::nullopt;
  }
  for (const char c : inner) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>') return std::nullopt;
  }
  return std::string(stamp);
}

bool offers(const std::vector<std::string>& capa_lines, std::string_view capability) {
  const auto wanted = upper(capability);
  return std::any_of(capa_lines.begin(), capa_lines.end(), [&](const std::string& line) {
    const auto name = upper(std::string_view(line).substr(0, line.find(' ')));
    return name == wanted;
  });
}

std::error_code apop(std::string& out, std::string_view user_name, std::string_view password,
                     std::string_view timestamp, Md5 md5) {
  if (user_name.empty() || has_forbidden(user_name) || has_forbidden(password) ||
      user_name.find(' ') != std::string_view::npos) {
    return errc::invalid_credentials;
  }
  std::string message(timestamp);
  message += password;
  static constexpr char hex[] = "0123456789abcdef";
  std::string digest;
  for (const auto b : md5(message)) {
    digest += hex[b >> 4];
    digest += hex[b & 0xf];
  }
  return command::append_line(out, "APOP " + std::string(user_name) + " " + digest);
}

std::error_code user(std::string& out, std::string_view user_name) {
  if (user_name.empty() || has_forbidden(user_name)) return errc::invalid_credentials;
  return command::append_line(out, "USER " + std::string(user_name));
}

std::error_code pass(std::string& out, std::string_view password) {
  if (has_forbidden(password)) return errc::invalid_credentials;
  return command::append_line(out, "PASS " + std::string(password));
}

}  // namespace smtp::pop3
