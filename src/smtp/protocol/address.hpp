#pragma once
// Validation of envelope addresses (RFC 5321 section 4.1.2, RFC 6531 for UTF-8). Addresses are
// validated, never repaired: anything outside the grammar is refused with a reason.

#include <string>
#include <string_view>
#include <system_error>

namespace smtp {

struct AddressCheck {
  std::error_code error;        // errc::invalid_address when the address is refused
  std::string reason;           // why, for the user
  bool needs_smtputf8 = false;  // the address holds UTF-8 (valid only with SMTPUTF8)
  explicit operator bool() const { return !error; }
};

// A Mailbox: local-part "@" domain. `allow_empty` accepts "" (the null reverse-path "<>").
AddressCheck check_address(std::string_view address, bool allow_empty = false);

// A domain or an address literal, as used in EHLO.
bool is_valid_domain(std::string_view domain);

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

bool is_ascii(std::string_view text);

}  // namespace smtp
