#include "smtp/error.hpp"

namespace smtp {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smtp"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_address:
        return "invalid mail address";
      case errc::forbidden_character:
        return "a command would contain CR, LF or NUL; refused";
      case errc::invalid_credentials:
        return "the user name or password contains CR, LF or NUL";
      case errc::no_recipients:
        return "the message has no recipients";
      case errc::body_contains_nul:
        return "the message contains a NUL byte; encode it (base64 or quoted-printable)";
      case errc::body_line_too_long:
        return "the message has a line longer than 998 octets; encode it (base64 or "
               "quoted-printable)";
      case errc::body_read_failed:
        return "reading the message body failed";
      case errc::smtputf8_not_offered:
        return "an address is not ASCII but the server does not offer SMTPUTF8";
      case errc::eightbitmime_not_offered:
        return "the message has 8-bit content but the server does not offer 8BITMIME; "
               "encode it as 7-bit (base64 or quoted-printable)";
      case errc::body_not_seven_bit:
        return "the message body has an 8-bit byte although the message was declared 7-bit";
      case errc::message_too_large:
        return "the message is larger than the server's SIZE limit";
      case errc::reply_malformed:
        return "the server sent a malformed reply";
      case errc::reply_line_too_long:
        return "the server sent a reply line longer than the limit";
      case errc::reply_too_many_lines:
        return "the server sent a reply with more lines than the limit";
      case errc::reply_too_large:
        return "the server sent a reply larger than the limit";
      case errc::greeting_rejected:
        return "the server refused the connection in its greeting";
      case errc::ehlo_rejected:
        return "the server rejected EHLO and HELO";
      case errc::starttls_not_offered:
        return "the server does not offer STARTTLS, which 'Use STARTTLS' requires; "
               "the connection was not continued in plaintext";
      case errc::starttls_refused:
        return "the server refused STARTTLS; the connection was not continued in plaintext";
      case errc::starttls_unexpected_data:
        return "the server sent data after its STARTTLS reply (possible command injection); "
               "connection aborted";
      case errc::auth_not_offered:
        return "the server does not offer SMTP authentication; set 'Authentication' to None "
               "or check the port (some servers offer AUTH only after STARTTLS)";
      case errc::auth_mechanism_not_offered:
        return "the server does not offer the configured authentication type; change "
               "'Authentication Type'";
      case errc::auth_failed:
        return "authentication failed: check 'SMTP Username' and 'SMTP Password'";
      case errc::auth_temporary_failure:
        return "authentication failed temporarily on the server; try again later";
      case errc::auth_plaintext_refused:
        return "refused to send a password over an unencrypted connection; use SMTP over "
               "SSL or STARTTLS, the CRAM-MD5 authentication type, or allow plaintext "
               "authentication explicitly";
      case errc::auth_protocol_error:
        return "the server broke the authentication exchange";
      case errc::sender_rejected:
        return "the server rejected the sender";
      case errc::all_recipients_rejected:
        return "the server rejected every recipient";
      case errc::data_rejected:
        return "the server refused to accept the message data";
      case errc::message_rejected:
        return "the server rejected the message";
      case errc::server_closing:
        return "the server is closing the connection (421)";
      case errc::resolve_failed:
        return "the host name could not be resolved; check 'Host'";
      case errc::connect_failed:
        return "could not connect to the server; check 'Host' and 'Port'";
      case errc::timeout:
        return "the server did not respond within the time-out; check 'Host', 'Port' and "
               "'Timeout'";
      case errc::connection_lost:
        return "the server closed the connection unexpectedly";
      case errc::tls_handshake_failed:
        return "the TLS handshake failed";
      case errc::tls_peer_not_tls:
        return "the TLS handshake failed: the server answered in plaintext. This port does "
               "not speak implicit TLS: set 'Use STARTTLS' to starttls with 'Use SMTP over "
               "SSL' No, or change the port (465 is the usual implicit TLS port)";
      case errc::certificate_untrusted:
        return "the server's certificate is not trusted; name an extra CA file or pin the "
               "certificate's public key";
      case errc::certificate_name_mismatch:
        return "the server's certificate does not match the host name; use the name (or IP "
               "address) the certificate was issued for in 'Host'";
      case errc::certificate_pin_mismatch:
        return "the server's public key does not match the configured pin (pin_sha256)";
      case errc::ca_file_unreadable:
        return "the CA file could not be read (ca_file)";
      case errc::invalid_pin:
        return "the public key pin must be a SHA-256 digest in base64 (44 characters) or "
               "hex (64 characters)";
      case errc::pop3_greeting_rejected:
        return "the POP3 server refused the connection in its greeting";
      case errc::pop3_response_malformed:
        return "the POP3 server sent a malformed response";
      case errc::pop3_stls_not_offered:
        return "the POP3 server does not offer STLS, which the POP3 'Use STARTTLS' setting "
               "requires; the connection was not continued in plaintext";
      case errc::pop3_stls_refused:
        return "the POP3 server refused STLS; the connection was not continued in plaintext";
      case errc::pop3_stls_unexpected_data:
        return "the POP3 server sent data after its STLS response (possible command "
               "injection); connection aborted";
      case errc::pop3_apop_not_offered:
        return "the POP3 greeting has no APOP timestamp, so APOP is not possible; set 'Use "
               "APOP' to false";
      case errc::pop3_plaintext_refused:
        return "refused to send the POP3 password over an unencrypted connection; use POP over "
               "SSL or STARTTLS, APOP, or allow plaintext authentication explicitly";
      case errc::pop3_login_failed:
        return "POP3 login failed (POP before SMTP): check 'User' and 'Password'";
    }
    return "unknown smtp error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

}  // namespace smtp
