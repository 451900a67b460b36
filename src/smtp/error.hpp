#pragma once
// The session core's error codes. Every code has a message a user can act on: it names the
// cause and, where there is one, the connection setting that fixes it.

#include <string>
#include <system_error>

namespace smtp {

enum class errc {
  // Bad input: nothing was sent.
  invalid_address = 1,
  forbidden_character,  // CR, LF or NUL in something that would become a command line
  invalid_credentials,  // NUL/CR/LF in a user name or password
  no_recipients,
  body_contains_nul,
  body_line_too_long,
  body_read_failed,
  smtputf8_not_offered,
  eightbitmime_not_offered,
  message_too_large,
  body_not_seven_bit,  // an 8-bit byte in a body promised 7-bit (MessageTraits)
  // Replies that break the protocol.
  reply_malformed,
  reply_line_too_long,
  reply_too_many_lines,
  reply_too_large,
  // Session set-up.
  greeting_rejected,
  ehlo_rejected,
  starttls_not_offered,
  starttls_refused,
  starttls_unexpected_data,
  auth_not_offered,
  auth_mechanism_not_offered,
  auth_failed,
  auth_temporary_failure,
  auth_plaintext_refused,
  auth_protocol_error,
  // The transaction.
  sender_rejected,
  all_recipients_rejected,
  data_rejected,
  message_rejected,
  server_closing,
  // Transport.
  resolve_failed,
  connect_failed,
  timeout,
  connection_lost,
  tls_handshake_failed,
  tls_peer_not_tls,
  certificate_untrusted,
  certificate_name_mismatch,
  certificate_pin_mismatch,
  ca_file_unreadable,
  invalid_pin,
  // POP before SMTP.
  pop3_greeting_rejected,
  pop3_response_malformed,
  pop3_stls_not_offered,
  pop3_stls_refused,
  pop3_stls_unexpected_data,
  pop3_apop_not_offered,
  pop3_plaintext_refused,
  pop3_login_failed,
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace smtp

template <>
struct std::is_error_code_enum<smtp::errc> : std::true_type {};
