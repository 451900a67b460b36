#include "smtp/mime/error.hpp"

#include <string>

namespace smtp::mime {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smtp.mime"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::header_invalid:
        return "a header is invalid (CR, LF or NUL in its value, invalid UTF-8, a bad name, or "
               "a header the builder sets itself); refused";
      case errc::content_type_invalid:
        return "an attachment's MIME type must be type/subtype, e.g. application/pdf";
      case errc::file_name_invalid:
        return "an attachment's file name is empty or contains CR, LF or NUL";
      case errc::text_invalid:
        return "the message text is not valid UTF-8";
      case errc::sender_missing:
        return "the message has no From address";
      case errc::charset_unavailable:
        return "the charset is not available on this system (iconv)";
      case errc::charset_unconvertible:
        return "a character cannot be represented in the chosen charset; choose UTF-8";
      case errc::attachment_missing:
        return "an attachment has no stream (or its stream was already used)";
      case errc::attachment_read_failed:
        return "reading an attachment failed";
      case errc::line_too_long:
        return "a header would have a line longer than 998 octets";
      case errc::random_invalid:
        return "the random token for the Message-ID or a MIME boundary is unusable "
               "(1 to 64 letters and digits)";
    }
    return "unknown MIME error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

}  // namespace smtp::mime
