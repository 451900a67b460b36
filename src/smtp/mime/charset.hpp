#pragma once
// Charsets of text bodies and encoded words, and conversion from UTF-8 through glibc's iconv.
//
// Conversion never substitutes: a character the charset cannot hold is an error that names it
// (iconv without //TRANSLIT or //IGNORE), so a user never gets a silent '?'.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace smtp::mime {

enum class Charset {
  utf8,         // the default
  iso_2022_jp,  // RFC 1468: 7-bit, what Japanese mail users expect
};

// The name in MIME parameters and encoded words ("UTF-8", "ISO-2022-JP").
std::string_view charset_name(Charset charset);

// The length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
std::size_t utf8_sequence_length(unsigned char lead);

// "U+65E5" for the character at `pos` of valid UTF-8, for error messages.
std::string describe_code_point(std::string_view utf8, std::size_t pos);

// Converts UTF-8 text into one charset. Every call stands alone: its output starts and ends in
// the charset's initial state (ASCII for ISO-2022-JP), as RFC 1468 asks of every line and
// RFC 2047 of every encoded word.
class Converter {
 public:
  explicit Converter(Charset charset);
  ~Converter();
  Converter(Converter&& other) noexcept;
  Converter& operator=(Converter&&) = delete;
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;

  Charset charset() const { return charset_; }
  // errc::charset_unavailable when iconv could not be opened.
  std::error_code status() const { return status_; }

  // Appends the converted `utf8` (valid UTF-8) to `out`. On errc::charset_unconvertible,
  // `detail` names the character.
  std::error_code convert(std::string_view utf8, std::string& out, std::string& detail);

 private:
  Charset charset_;
  void* cd_ = nullptr;  // iconv_t, kept out of this header
  std::error_code status_;
};

}  // namespace smtp::mime
