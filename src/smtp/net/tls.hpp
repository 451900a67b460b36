#pragma once
// OpenSSL policy for the engine: certificate verification, SNI, TLS >= 1.2, public-key pins,
// and telling the user why a handshake failed.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

struct ssl_st;
struct ssl_ctx_st;

namespace smtp::net {

using Sha256 = std::array<unsigned char, 32>;

// "sha256//BASE64", BASE64 (44 characters) or 64 hex digits.
std::optional<Sha256> parse_pin(std::string_view pin);

// Verification on, TLS 1.2 minimum, the system trust store plus `ca_file` when given.
std::error_code configure_context(ssl_ctx_st* ctx, const std::string& ca_file);

// SNI and the name to verify: a DNS name is checked against DNS SANs and sent as SNI; an IP
// literal is checked against IP SANs and sends no SNI (RFC 6066 section 3).
std::error_code configure_connection(ssl_st* ssl, const std::string& host);

// After the handshake: the peer's SubjectPublicKeyInfo must hash to `pin`.
std::error_code check_pin(ssl_st* ssl, const Sha256& pin, std::string& detail);

// Turns a failed handshake into one of the core's errors, with the specifics in `detail`.
std::error_code classify_handshake_error(const std::error_code& ec, ssl_st* ssl,
                                         std::string& detail);

// HMAC-MD5 for SASL CRAM-MD5, MD5 for POP3 APOP.
std::array<unsigned char, 16> hmac_md5(std::string_view key, std::string_view message);
std::array<unsigned char, 16> md5(std::string_view message);

}  // namespace smtp::net
