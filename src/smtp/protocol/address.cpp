#include "smtp/protocol/address.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/error.hpp"

namespace smtp {
namespace {

constexpr std::size_t max_local_part = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain = 255;     // RFC 5321 4.5.3.1.2
constexpr std::size_t max_path = 254;       // 256 minus the angle brackets

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool is_atext(unsigned char c) {
  if (is_alpha(c) || is_digit(c) || c >= 0x80) return true;  // >= 0x80: UTF-8, checked apart
  constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return specials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (const char ch : s) {
    if (ch == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(ch))) {
      return false;
    }
    prev = ch;
  }
  return true;
}

bool is_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  s = s.substr(1, s.size() - 2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (++i == s.size()) return false;
      const auto q = static_cast<unsigned char>(s[i]);
      if (q < 0x20 || q > 0x7e) return false;
    } else if (c == '"' || (c < 0x20) || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool is_subdomain(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (const char ch : label) {
    const auto c = static_cast<unsigned char>(ch);
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c < 0x80) return false;
  }
  return true;
}

bool is_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  s = s.substr(1, s.size() - 2);
  if (s.starts_with("IPv6:")) {
    // inet_pton accepts exactly RFC 4291's text forms (RFC 5321's IPv6-addr), and does no I/O.
    in6_addr address{};
    return inet_pton(AF_INET6, std::string(s.substr(5)).c_str(), &address) == 1;
  }
  int parts = 0;
  while (true) {
    const auto dot = s.find('.');
    const auto part = s.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (const char c : part) {
      if (!is_digit(static_cast<unsigned char>(c))) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

AddressCheck refuse(std::string reason) {
  AddressCheck check;
  check.error = errc::invalid_address;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

bool is_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > max_domain) return false;
  if (domain.front() == '[') return is_address_literal(domain);
  if (!is_valid_utf8(domain)) return false;
  while (true) {
    const auto dot = domain.find('.');
    if (!is_subdomain(domain.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

AddressCheck check_address(std::string_view address, bool allow_empty) {
  if (address.empty()) {
    if (allow_empty) return {};
    return refuse("the address is empty");
  }
  for (const char c : address) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return refuse("the address contains CR, LF or NUL");
    }
  }
  if (address.size() > max_path) return refuse("the address is longer than 254 octets");
  if (!is_valid_utf8(address)) return refuse("the address is not valid UTF-8");
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return refuse("the address has no '@'");
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.empty() || local.size() > max_local_part) {
    return refuse("the local part (before '@') must be 1 to 64 octets");
  }
  if (!is_dot_string(local) && !is_quoted_string(local)) {
    return refuse(
        "the local part (before '@') has characters that need quoting or are not allowed");
  }
  if (!is_valid_domain(domain)) return refuse("the domain (after '@') is not a valid domain name");
  AddressCheck check;
  check.needs_smtputf8 = !is_ascii(address);
  return check;
}

}  // namespace smtp
