#pragma once
// Transient versus permanent, decided once: how an error (and the reply behind it) maps to the
// result status a caller acts on.

#include <optional>
#include <system_error>

#include "smtp/protocol/reply.hpp"
#include "smtp/result.hpp"

namespace smtp {

enum class DataPhase { before_end_of_data, after_end_of_data };

// For a negative reply: 4xx is RETRY, 5xx is FAILED.
Status status_of_reply(const Reply& reply);

// Errors of the connection itself (lost, timed out, unreadable replies): the session is unusable.
bool is_transport_error(std::error_code ec);

// The status of a failed attempt. After the end of data a lost connection is UNCERTAIN: the
// server may have taken the message, so a retry could deliver it twice.
Status classify(std::error_code ec, const std::optional<Reply>& reply, DataPhase phase);

}  // namespace smtp
