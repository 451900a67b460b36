#pragma once
// Header fields (RFC 5322): validation, folding, and the encodings of their values (RFC 2047
// words for text and display names, RFC 2231 for file names). Nothing is repaired: a value with
// CR, LF or NUL, or that is not UTF-8, is refused.

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smtp/mime/charset.hpp"

namespace smtp::mime {

// Lines are folded to this length where possible (RFC 5322 2.1.1) ...
constexpr std::size_t fold_length = 78;
// ... and never exceed this one.
constexpr std::size_t max_line_length = 998;

// A field value in pieces: every piece starts with the space or tab where the line may fold.
using Segments = std::vector<std::string>;

// Appends "Name:" and the segments, folding before a segment that would take the line past 78
// characters, and CRLF. errc::line_too_long if a line still exceeds 998 octets.
std::error_code fold_field(std::string_view name, const Segments& segments, std::string& out);

// 1*ftext: printable ASCII except ':' (RFC 5322 3.6.8).
bool is_field_name(std::string_view name);

// Refuses (errc::header_invalid) CR, LF, NUL and invalid UTF-8; `detail` says which.
std::error_code check_value(std::string_view value, std::string& detail);

// Unstructured text (Subject, extra header values): as it is when printable ASCII that folds
// within 998 octets and holds nothing a decoder would take for an encoded word, otherwise RFC
// 2047 encoded words.
std::error_code unstructured_segments(std::string_view field_name, std::string_view value,
                                      Converter& converter, Segments& segments,
                                      std::string& detail);

// A mailbox: "display name <address>" or the bare address. The display name goes as atoms, a
// quoted string (when it holds specials) or encoded words (when it is not printable ASCII).
std::error_code mailbox_segments(std::string_view field_name, std::string_view address,
                                 std::string_view display_name, Converter& converter,
                                 Segments& segments, std::string& detail);

// An attachment's file name as parameter(s) named `param` ("filename" or "name"): a plain
// quoted value when it is short printable ASCII; otherwise a quoted RFC 2047 value in the
// message charset (what most mail clients read), followed, when `rfc2231` is set, by the RFC
// 2231 form `param*=UTF-8''...` (split into `param*0*`, `param*1*`, ... when long).
// One Segments per parameter.
std::error_code file_name_params(std::string_view param, std::string_view file_name,
                                 Converter& converter, bool rfc2231, std::vector<Segments>& params,
                                 std::string& detail);

// Appends each parameter to `segments`, after a ';' on the segment before it.
void append_params(Segments& segments, const std::vector<Segments>& params);

// RFC 5322 3.3: "Sun, 29 Nov 2026 21:00:00 +0900" for `now` at `utc_offset`.
std::string format_date(std::chrono::system_clock::time_point now, std::chrono::minutes utc_offset);

// The local time zone's offset from UTC at `now`.
std::chrono::minutes local_utc_offset(std::chrono::system_clock::time_point now);

// A quoted-string (RFC 5322 3.2.4) of printable ASCII: '"' and '\' escaped.
std::string quote(std::string_view text);

}  // namespace smtp::mime
