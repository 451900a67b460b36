#include "smtp/mime/header.hpp"

#include <ctime>

#include "smtp/mime/encoded_word.hpp"
#include "smtp/mime/error.hpp"
#include "smtp/protocol/address.hpp"

namespace smtp::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_printable_ascii(std::string_view text, bool allow_tab) {
  for (const char c : text) {
    if ((c < 0x20 || c > 0x7e) && !(allow_tab && c == '\t')) return false;
  }
  return true;
}

bool is_atext(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Whether a decoder could take part of `text` for an encoded word ("=?" ... "?="): such text
// is encoded itself, so it reads back as written.
bool looks_encoded(std::string_view text) {
  const auto start = text.find("=?");
  return start != std::string_view::npos && text.find("?=", start + 2) != std::string_view::npos;
}

// Atoms separated by single spaces: a display name that needs no quoting.
bool is_atom_phrase(std::string_view text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  if (text.find("  ") != std::string_view::npos || looks_encoded(text)) return false;
  for (const char c : text) {
    if (c != ' ' && !is_atext(c)) return false;
  }
  return true;
}

// Splits `text` (which starts with whitespace) before each run of whitespace that is followed
// by more text, so every piece is whitespace then a word (trailing whitespace stays with the
// last piece).
Segments split_before_whitespace(std::string_view text) {
  Segments pieces;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_wsp(text[i])) ++i;
    if (i == text.size()) break;  // trailing whitespace
    while (i < text.size() && !is_wsp(text[i])) ++i;
    pieces.emplace_back(text.substr(start, i - start));
    start = i;
  }
  if (start < text.size()) {
    if (pieces.empty()) {
      pieces.emplace_back(text.substr(start));
    } else {
      pieces.back() += text.substr(start);
    }
  }
  return pieces;
}

std::error_code words_as_segments(std::string_view text, Converter& converter,
                                  std::size_t first_limit, Segments& segments,
                                  std::string& detail) {
  std::vector<std::string> words;
  if (auto ec = encode_words(text, converter, first_limit, words, detail)) return ec;
  for (auto& word : words) segments.push_back(" " + word);
  return {};
}

// RFC 2231 attribute-char: printable ASCII except space, '*', ''', '%' and tspecials.
bool is_attribute_char(char c) {
  if (c <= 0x20 || c > 0x7e) return false;
  return std::string_view("*'%()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// The RFC 2231 percent-encoding of one character (all its bytes).
std::string percent_encode(std::string_view character) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : character) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_attribute_char(ch)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// `param*=UTF-8''...`, or continuations `param*0*=UTF-8''...`, `param*1*=...` that each fit a
// line. RFC 2231 joins the octets before decoding, but some clients decode each piece alone, so
// a character's octets are never split between two pieces.
std::vector<Segments> rfc2231_params(std::string_view param, std::string_view utf8) {
  std::vector<std::string> characters;
  std::string encoded;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto n = utf8_sequence_length(static_cast<unsigned char>(utf8[i]));
    characters.push_back(percent_encode(utf8.substr(i, n)));
    encoded += characters.back();
    i += n;
  }
  const std::string name(param);
  const std::string single = " " + name + "*=UTF-8''" + encoded;
  if (single.size() + 1 <= fold_length) return {{single}};

  std::vector<Segments> params;
  auto prefix = [&] {
    return " " + name + "*" + std::to_string(params.size()) +
           "*=" + (params.empty() ? "UTF-8''" : "");
  };
  std::string line = prefix();
  std::size_t prefix_size = line.size();
  for (const auto& character : characters) {
    if (line.size() > prefix_size && line.size() + character.size() + 1 > fold_length) {
      params.push_back({line});
      line = prefix();
      prefix_size = line.size();
    }
    line += character;
  }
  params.push_back({line});
  return params;
}

const char* const weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string two_digits(int n) {
  return std::string(1, static_cast<char>('0' + n / 10)) + static_cast<char>('0' + n % 10);
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::error_code fold_field(std::string_view name, const Segments& segments, std::string& out) {
  std::string field(name);
  field += ':';
  std::size_t line = field.size();
  for (const auto& segment : segments) {
    if (line + segment.size() > fold_length && line > 0) {
      field += "\r\n";
      line = 0;
    }
    field += segment;
    line += segment.size();
    if (line > max_line_length) return errc::line_too_long;
  }
  out += field;
  out += "\r\n";
  return {};
}

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

std::error_code check_value(std::string_view value, std::string& detail) {
  for (const char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      detail = "contains CR, LF or NUL";
      return errc::header_invalid;
    }
  }
  if (!is_valid_utf8(value)) {
    detail = "is not valid UTF-8";
    return errc::header_invalid;
  }
  return {};
}

std::error_code unstructured_segments(std::string_view field_name, std::string_view value,
                                      Converter& converter, Segments& segments,
                                      std::string& detail) {
  if (value.empty()) return {};
  if (is_printable_ascii(value, true) && !looks_encoded(value)) {
    auto pieces = split_before_whitespace(" " + std::string(value));
    bool fits = true;
    for (const auto& piece : pieces) fits = fits && piece.size() <= max_line_length;
    if (fits) {
      segments.insert(segments.end(), pieces.begin(), pieces.end());
      return {};
    }
  }
  const auto first_limit = fold_length - std::min(fold_length, field_name.size() + 2);
  return words_as_segments(value, converter, first_limit, segments, detail);
}

std::error_code mailbox_segments(std::string_view field_name, std::string_view address,
                                 std::string_view display_name, Converter& converter,
                                 Segments& segments, std::string& detail) {
  Segments own;
  if (display_name.empty()) {
    // no phrase: the bare address
  } else if (is_atom_phrase(display_name)) {
    own = split_before_whitespace(" " + std::string(display_name));
  } else if (is_printable_ascii(display_name, false) &&
             quote(display_name).size() + 1 <= fold_length - 2) {
    own.push_back(" " + quote(display_name));
  } else {
    const auto first_limit = fold_length - std::min(fold_length, field_name.size() + 2);
    if (auto ec = words_as_segments(display_name, converter, first_limit, own, detail)) {
      return ec;
    }
  }
  own.push_back(display_name.empty() ? " " + std::string(address)
                                     : " <" + std::string(address) + ">");
  // A mailbox that fits a line stays on one: lists then fold between mailboxes.
  std::size_t size = 0;
  for (const auto& piece : own) size += piece.size();
  if (size + 1 <= fold_length) {
    std::string joined;
    for (const auto& piece : own) joined += piece;
    segments.push_back(std::move(joined));
  } else {
    segments.insert(segments.end(), own.begin(), own.end());
  }
  return {};
}

std::error_code file_name_params(std::string_view param, std::string_view file_name,
                                 Converter& converter, bool rfc2231, std::vector<Segments>& params,
                                 std::string& detail) {
  const std::string plain = " " + std::string(param) + "=" + quote(file_name);
  if (is_printable_ascii(file_name, false) && !looks_encoded(file_name) &&
      plain.size() + 1 <= fold_length) {
    params.push_back({plain});
    return {};
  }
  // Room for ` name="` before the first word and `";` after it.
  const auto first_limit = fold_length - std::min(fold_length, param.size() + 5);
  std::vector<std::string> words;
  if (auto ec = encode_words(file_name, converter, first_limit, words, detail)) return ec;
  Segments fallback;
  for (const auto& word : words) fallback.push_back(" " + word);
  fallback.front().insert(1, std::string(param) + "=\"");
  fallback.back() += '"';
  params.push_back(std::move(fallback));
  if (rfc2231) {
    for (auto& p : rfc2231_params(param, file_name)) params.push_back(std::move(p));
  }
  return {};
}

void append_params(Segments& segments, const std::vector<Segments>& params) {
  for (const auto& param : params) {
    segments.back() += ';';
    segments.insert(segments.end(), param.begin(), param.end());
  }
}

std::string format_date(std::chrono::system_clock::time_point now,
                        std::chrono::minutes utc_offset) {
  const auto local = std::chrono::system_clock::to_time_t(now + utc_offset);
  std::tm tm{};
  gmtime_r(&local, &tm);
  const auto offset = utc_offset.count();
  const auto magnitude = static_cast<int>(offset < 0 ? -offset : offset);
  return std::string(weekdays[tm.tm_wday]) + ", " + std::to_string(tm.tm_mday) + " " +
         months[tm.tm_mon] + " " + std::to_string(tm.tm_year + 1900) + " " +
         two_digits(tm.tm_hour) + ":" + two_digits(tm.tm_min) + ":" + two_digits(tm.tm_sec) + " " +
         (offset < 0 ? "-" : "+") + two_digits(magnitude / 60) + two_digits(magnitude % 60);
}

std::chrono::minutes local_utc_offset(std::chrono::system_clock::time_point now) {
  const auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(tm.tm_gmtoff));
}

}  // namespace smtp::mime
