#include "smtp/mime/transfer_encoding.hpp"

namespace smtp::mime {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view hex_digits = "0123456789ABCDEF";

// Printable ASCII that quoted-printable may write as it is ('=' is the escape).
bool qp_literal(unsigned char c) { return c >= 33 && c <= 126 && c != '='; }

// Bytes that make a text "binary" for transfer encoding: NUL and controls other than tab,
// CR and LF.
bool is_binary(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

}  // namespace

std::string_view transfer_encoding_name(TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::seven_bit:
      return "7bit";
    case TransferEncoding::quoted_printable:
      return "quoted-printable";
    case TransferEncoding::base64:
      return "base64";
  }
  return "base64";
}

// --- base64 ----------------------------------------------------------------------------------

void Base64Encoder::put(char c, std::string& out) {
  if (column_ == line_length) {
    out += "\r\n";
    column_ = 0;
  }
  out += c;
  ++column_;
}

void Base64Encoder::put_group(const unsigned char* group, std::size_t count, std::string& out) {
  const std::uint32_t n = std::uint32_t{group[0]} << 16 |
                          (count > 1 ? std::uint32_t{group[1]} << 8 : 0) |
                          (count > 2 ? std::uint32_t{group[2]} : 0);
  put(base64_alphabet[(n >> 18) & 63], out);
  put(base64_alphabet[(n >> 12) & 63], out);
  put(count > 1 ? base64_alphabet[(n >> 6) & 63] : '=', out);
  put(count > 2 ? base64_alphabet[n & 63] : '=', out);
}

void Base64Encoder::write(std::string_view bytes, std::string& out) {
  out.reserve(out.size() + bytes.size() / 3 * 4 + bytes.size() / 57 * 2 + 8);
  for (const char c : bytes) {
    pending_[pending_size_++] = static_cast<unsigned char>(c);
    if (pending_size_ == 3) {
      put_group(pending_, 3, out);
      pending_size_ = 0;
    }
  }
}

void Base64Encoder::finish(std::string& out) {
  if (pending_size_ > 0) put_group(pending_, pending_size_, out);
  pending_size_ = 0;
}

std::uint64_t Base64Encoder::encoded_size(std::uint64_t bytes) {
  const std::uint64_t chars = (bytes + 2) / 3 * 4;
  if (chars == 0) return 0;
  const std::uint64_t lines = (chars + line_length - 1) / line_length;
  return chars + 2 * (lines - 1);
}

// --- quoted-printable ------------------------------------------------------------------------

void QuotedPrintableEncoder::put_token(std::string_view token, std::string& out) {
  // Keep room for the "=" of a soft break, so no line exceeds 76 characters.
  if (column_ + token.size() > line_length - 1) {
    out += "=\r\n";
    column_ = 0;
  }
  out += token;
  column_ += token.size();
}

void QuotedPrintableEncoder::put_escaped(unsigned char c, std::string& out) {
  const char token[3] = {'=', hex_digits[c >> 4], hex_digits[c & 15]};
  put_token(std::string_view(token, 3), out);
}

void QuotedPrintableEncoder::flush_pending_space(bool at_line_end, std::string& out) {
  if (pending_space_ < 0) return;
  const auto c = static_cast<unsigned char>(pending_space_);
  pending_space_ = -1;
  if (at_line_end) {
    put_escaped(c, out);
  } else {
    const char token = static_cast<char>(c);
    put_token(std::string_view(&token, 1), out);
  }
}

void QuotedPrintableEncoder::put_char(unsigned char c, std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    if (c == '\n') {  // a hard line break
      flush_pending_space(true, out);
      out += "\r\n";
      column_ = 0;
      return;
    }
    flush_pending_space(false, out);
    put_escaped('\r', out);
  }
  if (c == '\r') {
    pending_cr_ = true;
    return;
  }
  flush_pending_space(false, out);
  if (c == ' ' || c == '\t') {
    pending_space_ = c;
  } else if (qp_literal(c)) {
    const char token = static_cast<char>(c);
    put_token(std::string_view(&token, 1), out);
  } else {
    put_escaped(c, out);
  }
}

void QuotedPrintableEncoder::write(std::string_view text, std::string& out) {
  for (const char c : text) put_char(static_cast<unsigned char>(c), out);
}

void QuotedPrintableEncoder::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    flush_pending_space(false, out);
    put_escaped('\r', out);
  }
  flush_pending_space(true, out);  // the end of the text ends its last line
}

// --- whole texts -----------------------------------------------------------------------------

std::string encode_base64(std::string_view bytes) {
  Base64Encoder encoder;
  std::string out;
  encoder.write(bytes, out);
  encoder.finish(out);
  return out;
}

std::string encode_quoted_printable(std::string_view text) {
  QuotedPrintableEncoder encoder;
  std::string out;
  encoder.write(text, out);
  encoder.finish(out);
  return out;
}

bool lines_within(std::string_view text, std::size_t limit) {
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    if (end - start > limit) return false;
    start = end + 2;
  }
  return true;
}

TransferEncoding choose_text_encoding(std::string_view text, std::size_t max_7bit_line) {
  bool ascii = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_binary(c)) return TransferEncoding::base64;
    // A CR or LF outside CRLF is not a line break in canonical text: encode it.
    if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) ascii = false;
    if (c == '\n' && (i == 0 || text[i - 1] != '\r')) ascii = false;
    if (c >= 0x80) ascii = false;
  }
  if (ascii && lines_within(text, max_7bit_line)) return TransferEncoding::seven_bit;
  const auto qp = encode_quoted_printable(text).size();
  const auto b64 = Base64Encoder::encoded_size(text.size());
  return qp <= b64 ? TransferEncoding::quoted_printable : TransferEncoding::base64;
}

}  // namespace smtp::mime
