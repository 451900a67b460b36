#include "smtp/status.hpp"

#include "smtp/error.hpp"

namespace smtp {

Status status_of_reply(const Reply& reply) {
  return reply.is_transient() ? Status::retry : Status::failed;
}

bool is_transport_error(std::error_code ec) {
  if (!ec) return false;
  if (ec.category() != category()) return true;
  switch (static_cast<errc>(ec.value())) {
    case errc::timeout:
    case errc::connection_lost:
    case errc::reply_malformed:
    case errc::reply_line_too_long:
    case errc::reply_too_many_lines:
    case errc::reply_too_large:
    case errc::resolve_failed:
    case errc::connect_failed:
    case errc::tls_handshake_failed:
      return true;
    default:
      return false;
  }
}

Status classify(std::error_code ec, const std::optional<Reply>& reply, DataPhase phase) {
  if (!ec) return Status::ok;
  if (is_transport_error(ec)) {
    return phase == DataPhase::after_end_of_data ? Status::uncertain : Status::retry;
  }
  if (ec.category() != category()) return Status::failed;
  switch (static_cast<errc>(ec.value())) {
    case errc::server_closing:
    case errc::auth_temporary_failure:
      return Status::retry;
    case errc::greeting_rejected:
    case errc::ehlo_rejected:
    case errc::starttls_refused:
    case errc::sender_rejected:
    case errc::all_recipients_rejected:
    case errc::data_rejected:
    case errc::message_rejected:
      return reply ? status_of_reply(*reply) : Status::failed;
    default:
      // Bad input, TLS policy, authentication: sending again unchanged cannot succeed.
      return Status::failed;
  }
}

}  // namespace smtp
