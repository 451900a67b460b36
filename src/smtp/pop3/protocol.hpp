#pragma once
// POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS) as far as POP before SMTP needs it: the
// greeting, capabilities, STLS, APOP or USER/PASS, QUIT. Sans-I/O: lines in, lines out.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smtp::pop3 {

struct Response {
  bool ok = false;   // "+OK" or "-ERR"
  std::string text;  // after the status indicator and its space
};

constexpr std::size_t max_line_length = 2048;  // octets with CRLF (RFC 1939 asks for 512)
constexpr std::size_t max_capa_lines = 256;

// Takes one CRLF-terminated line from the front of `input`. Returns nothing when the line is
// not complete yet; a line longer than max_line_length, or with a bare CR, LF or NUL, is an
// error (errc::pop3_response_malformed).
std::optional<std::string> take_line(std::string_view& input, std::error_code& ec);

// "+OK text" / "-ERR text" (the text is optional).
std::optional<Response> parse_status(std::string_view line);

// The APOP timestamp of a greeting: the msg-id "<...@...>" RFC 1939 section 7 requires. Only a
// well-formed one counts: no spaces, one '<' at the start, one '>' at the end, an '@' inside.
std::optional<std::string> apop_timestamp(std::string_view greeting_text);

// Whether a CAPA listing (lines without the terminating ".") offers `capability`.
bool offers(const std::vector<std::string>& capa_lines, std::string_view capability);

using Md5 = std::array<unsigned char, 16> (*)(std::string_view message);

// Command lines, through the same CR/LF/NUL chokepoint as SMTP.
std::error_code apop(std::string& out, std::string_view user, std::string_view password,
                     std::string_view timestamp, Md5 md5);
std::error_code user(std::string& out, std::string_view user);
std::error_code pass(std::string& out, std::string_view password);

}  // namespace smtp::pop3
