#include "smtp/mime/encoded_word.hpp"

#include "smtp/mime/transfer_encoding.hpp"

namespace smtp::mime {
namespace {

constexpr std::string_view hex_digits = "0123456789ABCDEF";

std::size_t q_size(std::string_view bytes) {
  std::size_t size = 0;
  for (const char c : bytes) size += q_literal(static_cast<unsigned char>(c)) || c == ' ' ? 1 : 3;
  return size;
}

std::size_t b_size(std::string_view bytes) { return (bytes.size() + 2) / 3 * 4; }

std::string q_encode(std::string_view bytes) {
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out += '_';
    } else if (q_literal(c)) {
      out += ch;
    } else {
      out += '=';
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
    }
  }
  return out;
}

// One encoded word of `bytes` (already in the charset), B or Q by size.
std::string make_word(std::string_view charset, std::string_view bytes) {
  const bool use_q = q_size(bytes) <= b_size(bytes);
  std::string word = "=?";
  word += charset;
  word += use_q ? "?Q?" : "?B?";
  word += use_q ? q_encode(bytes) : encode_base64(bytes);  // 45 bytes at most: one line
  word += "?=";
  return word;
}

}  // namespace

bool q_literal(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

std::error_code encode_words(std::string_view utf8, Converter& converter, std::size_t first_limit,
                             std::vector<std::string>& words, std::string& detail) {
  const auto charset = charset_name(converter.charset());
  const std::size_t overhead = charset.size() + 7;  // "=?" charset "?B?" ... "?="
  std::size_t limit = std::min(first_limit, max_encoded_word);
  std::size_t start = 0;
  while (start < utf8.size()) {
    // Grow the word one character at a time while its shorter encoding still fits.
    std::string best;
    std::size_t end = start;
    while (end < utf8.size()) {
      const auto next = end + utf8_sequence_length(static_cast<unsigned char>(utf8[end]));
      std::string converted;
      if (auto ec = converter.convert(utf8.substr(start, next - start), converted, detail)) {
        return ec;
      }
      if (overhead + std::min(q_size(converted), b_size(converted)) > limit) break;
      best = std::move(converted);
      end = next;
    }
    if (end == start) {
      // Not even one character fits the first word's room: it goes on a line of its own.
      if (limit == max_encoded_word) return std::make_error_code(std::errc::value_too_large);
      limit = max_encoded_word;
      continue;
    }
    words.push_back(make_word(charset, best));
    start = end;
    limit = max_encoded_word;
  }
  return {};
}

}  // namespace smtp::mime
