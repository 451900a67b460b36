#pragma once
// What a server offers in its EHLO reply (RFC 5321 section 4.1.1.1 and the extensions' RFCs).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/protocol/reply.hpp"

namespace smtp {

struct Capabilities {
  bool esmtp = false;  // false after a HELO fallback: no extension may be used
  bool starttls = false;
  bool pipelining = false;
  bool chunking = false;
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool enhanced_status_codes = false;
  bool dsn = false;
  // SIZE: present with a limit (0 means the server declared no fixed limit).
  std::optional<std::uint64_t> size_limit;
  std::vector<std::string> auth_mechanisms;  // upper case, as offered

  bool offers_auth(std::string_view mechanism) const;

  // Reads the keyword lines of a positive EHLO reply (every line after the first). Unknown
  // keywords are ignored; a malformed SIZE argument is treated as SIZE without a limit.
  static Capabilities from_ehlo(const Reply& reply);
};

}  // namespace smtp
