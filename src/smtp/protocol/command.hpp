#pragma once
// The single chokepoint for SMTP command lines: every command the client writes is built here,
// and nothing containing CR, LF or NUL gets through (no command injection through addresses,
// user names or parameters).

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace smtp::command {

// Appends `line` + CRLF to `out`, or refuses (errc::forbidden_character) and leaves `out` as it
// was.
std::error_code append_line(std::string& out, std::string_view line);

struct MailParameters {
  std::uint64_t size = 0;      // SIZE=n when non-zero (RFC 1870)
  bool body_8bitmime = false;  // BODY=8BITMIME (RFC 6152)
  bool smtputf8 = false;       // SMTPUTF8 (RFC 6531)
};

std::error_code ehlo(std::string& out, std::string_view client_name);
std::error_code helo(std::string& out, std::string_view client_name);
std::error_code starttls(std::string& out);
std::error_code mail_from(std::string& out, std::string_view reverse_path,
                          const MailParameters& params);
std::error_code rcpt_to(std::string& out, std::string_view forward_path);
std::error_code data(std::string& out);
std::error_code bdat(std::string& out, std::uint64_t size, bool last);
std::error_code rset(std::string& out);
std::error_code noop(std::string& out);
std::error_code quit(std::string& out);
// "AUTH MECH" or "AUTH MECH initial-response".
std::error_code auth(std::string& out, std::string_view mechanism, std::string_view initial = {});

}  // namespace smtp::command
