#include "smtp/mime/charset.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstdio>

#include "smtp/mime/error.hpp"

namespace smtp::mime {
namespace {

// iconv_open's failure value, (iconv_t)-1.
iconv_t invalid_cd() { return reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }

}  // namespace

std::string_view charset_name(Charset charset) {
  switch (charset) {
    case Charset::utf8:
      return "UTF-8";
    case Charset::iso_2022_jp:
      return "ISO-2022-JP";
  }
  return "UTF-8";
}

std::size_t utf8_sequence_length(unsigned char lead) {
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 1;
}

std::string describe_code_point(std::string_view utf8, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(utf8[pos]);
  const auto length = utf8_sequence_length(lead);
  std::uint32_t cp = length == 1 ? lead : lead & (0x7fu >> length);
  for (std::size_t k = 1; k < length && pos + k < utf8.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(utf8[pos + k]) & 0x3fu);
  }
  char text[16];
  std::snprintf(text, sizeof text, "U+%04X", static_cast<unsigned>(cp));
  return text;
}

Converter::Converter(Charset charset) : charset_(charset) {
  if (charset_ == Charset::utf8) return;  // the input is UTF-8 already: nothing to open
  const auto cd = iconv_open(std::string(charset_name(charset_)).c_str(), "UTF-8");
  if (cd == invalid_cd()) {
    status_ = errc::charset_unavailable;
  } else {
    cd_ = cd;
  }
}

Converter::~Converter() {
  if (cd_ != nullptr) iconv_close(static_cast<iconv_t>(cd_));
}

Converter::Converter(Converter&& other) noexcept
    : charset_(other.charset_), cd_(other.cd_), status_(other.status_) {
  other.cd_ = nullptr;
}

std::error_code Converter::convert(std::string_view utf8, std::string& out, std::string& detail) {
  if (status_) return status_;
  if (cd_ == nullptr) {
    out.append(utf8);
    return {};
  }
  const auto cd = static_cast<iconv_t>(cd_);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial state
  auto* in = const_cast<char*>(utf8.data());      // iconv's signature; it does not write
  std::size_t in_left = utf8.size();
  char buffer[256];
  bool flushing = false;
  while (true) {
    char* next = buffer;
    std::size_t room = sizeof buffer;
    // With no input left, a call with null input writes the return to the initial state.
    const auto rc = flushing ? iconv(cd, nullptr, nullptr, &next, &room)
                             : iconv(cd, &in, &in_left, &next, &room);
    const int error = rc == static_cast<std::size_t>(-1) ? errno : 0;
    out.append(buffer, static_cast<std::size_t>(next - buffer));
    if (error == E2BIG) continue;
    if (error != 0) {
      detail = describe_code_point(utf8, utf8.size() - in_left) + " cannot be written in " +
               std::string(charset_name(charset_));
      return errc::charset_unconvertible;
    }
    if (flushing) return {};
    flushing = true;
  }
}

}  // namespace smtp::mime
