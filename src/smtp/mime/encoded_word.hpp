#pragma once
// RFC 2047 encoded words, for non-ASCII text in headers (Subject, display names, extra header
// values, the file-name fallback).

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smtp/mime/charset.hpp"

namespace smtp::mime {

// The longest encoded word RFC 2047 allows (section 2).
constexpr std::size_t max_encoded_word = 75;

// Encodes `utf8` (valid UTF-8) as encoded words in the converter's charset, appended to `words`.
// Each word holds whole characters (a multi-byte character is never split), is at most 75
// characters (the first at most `first_limit`, so it fits after the field name), and is B or
// Q, whichever is shorter. Each word is converted on its own, so in ISO-2022-JP each starts and
// ends in ASCII. The whole text is encoded, spaces included: whitespace between encoded words
// is dropped by decoders, so the words must be joined with folding whitespace only.
std::error_code encode_words(std::string_view utf8, Converter& converter, std::size_t first_limit,
                             std::vector<std::string>& words, std::string& detail);

// Whether RFC 2047 Q writes `c` as it is; the set is the strictest one (section 5 (3), for
// phrases), which is valid everywhere.
bool q_literal(unsigned char c);

}  // namespace smtp::mime
