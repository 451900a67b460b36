#pragma once
// Base64 (RFC 4648 section 4) for SASL exchanges.

#include <optional>
#include <string>
#include <string_view>

namespace smtp::base64 {

std::string encode(std::string_view bytes);

// Strict: padding required, no whitespace, no characters outside the alphabet.
std::optional<std::string> decode(std::string_view text);

}  // namespace smtp::base64
