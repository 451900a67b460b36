#include "smtp/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include "smtp/error.hpp"
#include "smtp/protocol/base64.hpp"

namespace smtp::net {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::optional<Sha256> parse_pin(std::string_view pin) {
  if (pin.starts_with("sha256//")) pin.remove_prefix(8);
  Sha256 out{};
  if (pin.size() == 64) {
    for (std::size_t i = 0; i < 32; ++i) {
      const int hi = hex_value(pin[2 * i]);
      const int lo = hex_value(pin[2 * i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return out;
  }
  const auto bytes = base64::decode(pin);
  if (!bytes || bytes->size() != out.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::error_code configure_context(ssl_ctx_st* ctx, const std::string& ca_file) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_default_verify_paths(ctx);
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return errc::ca_file_unreadable;
  }
  return {};
}

std::error_code configure_connection(ssl_st* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_literal(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) return errc::tls_handshake_failed;
    return {};
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, host.c_str()) != 1 || SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return errc::tls_handshake_failed;
  }
  return {};
}

std::error_code check_pin(ssl_st* ssl, const Sha256& pin, std::string& detail) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return errc::certificate_pin_mismatch;
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (length <= 0) return errc::certificate_pin_mismatch;
  Sha256 digest{};
  unsigned int digest_length = 0;
  EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), &digest_length, EVP_sha256(),
             nullptr);
  OPENSSL_free(der);
  if (digest != pin) {
    detail = "the server's key is sha256//" +
             base64::encode(
                 std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    return errc::certificate_pin_mismatch;
  }
  return {};
}

std::error_code classify_handshake_error(const std::error_code& ec, ssl_st* ssl,
                                         std::string& detail) {
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      const long result = SSL_get_verify_result(ssl);
      detail = X509_verify_cert_error_string(result);
      if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        return errc::certificate_name_mismatch;
      }
      return errc::certificate_untrusted;
    }
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
        reason == SSL_R_UNEXPECTED_RECORD) {
      return errc::tls_peer_not_tls;
    }
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION) {
      detail = "the server offers no TLS version of 1.2 or later";
      return errc::tls_handshake_failed;
    }
  }
  detail = ec.message();
  return errc::tls_handshake_failed;
}

std::array<unsigned char, 16> hmac_md5(std::string_view key, std::string_view message) {
  std::array<unsigned char, 16> out{};
  unsigned int length = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
  return out;
}

std::array<unsigned char, 16> md5(std::string_view message) {
  std::array<unsigned char, 16> out{};
  unsigned int length = 0;
  EVP_Digest(message.data(), message.size(), out.data(), &length, EVP_md5(), nullptr);
  return out;
}

}  // namespace smtp::net
