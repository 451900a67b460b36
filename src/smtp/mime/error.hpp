#pragma once
// Errors of the MIME message builder. Invalid addresses use smtp::errc::invalid_address and a
// message without recipients smtp::errc::no_recipients; everything else specific to building a
// message is here. The detail string that comes with a code names the field.

#include <system_error>

namespace smtp::mime {

enum class errc {
  header_invalid = 1,     // CR, LF or NUL, not UTF-8, a name outside ftext, or a reserved name
  content_type_invalid,   // an attachment's MIME type is not "type/subtype" of tokens
  file_name_invalid,      // an attachment's file name is empty or holds CR, LF or NUL
  text_invalid,           // a text or HTML body is not valid UTF-8
  sender_missing,         // no From address
  charset_unavailable,    // iconv cannot convert to the charset on this system
  charset_unconvertible,  // a character has no representation in the chosen charset
  attachment_missing,  // an attachment has neither a stream nor a factory, or the stream is spent
  attachment_read_failed,  // an attachment's stream failed or did not give its announced size
  line_too_long,           // a header line cannot be kept within 998 octets
  random_invalid,          // BuildOptions::random_token gave an unusable token
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace smtp::mime

template <>
struct std::is_error_code_enum<smtp::mime::errc> : std::true_type {};
