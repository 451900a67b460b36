#pragma once
// Base64 (strict), MD5 and HMAC-MD5 as lowercase hex (APOP, CRAM-MD5), random tokens and a
// constant-time comparison, on OpenSSL 3.

#include <optional>
#include <string>
#include <string_view>

namespace flowhost::sandbox::crypto {

std::string base64_encode(std::string_view data);
// Strict: the alphabet only, length a multiple of 4, padding only at the end. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

std::string md5_hex(std::string_view data);
std::string hmac_md5_hex(std::string_view key, std::string_view data);

std::string random_hex(std::size_t octets);

bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace flowhost::sandbox::crypto
