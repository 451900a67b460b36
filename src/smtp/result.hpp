#pragma once
// The outcome of opening a session or sending a message.

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smtp/protocol/reply.hpp"

namespace smtp {

enum class Status {
  ok,         // accepted by the server
  retry,      // transient (4xx, network, time-out before the end of data): sending again is safe
  failed,     // permanent (5xx, authentication, bad input, TLS policy): do not send again as is
  uncertain,  // the connection was lost after the end of data: the server may have the message
};

std::string_view to_string(Status status);

struct RecipientResult {
  std::string address;
  Status status = Status::failed;
  std::optional<Reply> reply;  // the server's answer to RCPT (or to the end of data)
};

struct Result {
  Status status = Status::ok;
  std::error_code error;       // what went wrong, in smtp::category() (empty when ok)
  std::string detail;          // specifics: the escaped server reply, the address, the TLS reason
  std::optional<Reply> reply;  // the server's final reply, when there was one
  std::vector<RecipientResult> recipients;
  std::string transcript;  // the conversation, secrets redacted and server text escaped

  bool ok() const { return status == Status::ok; }
  // One line for a user: what happened, why, and the setting to change. Never holds a secret.
  std::string describe() const;
};

}  // namespace smtp
