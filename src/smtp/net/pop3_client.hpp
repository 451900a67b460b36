#pragma once
// The POP3 login as a coroutine on a caller's event loop (the SMTP session runs it first for
// POP before SMTP).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <system_error>

#include "smtp/pop3.hpp"
#include "smtp/protocol/transcript.hpp"

namespace smtp::net {

struct Pop3Outcome {
  std::error_code error;
  std::string detail;  // the server's response (escaped) or the transport's reason
  // When the authentication command went out: POP before SMTP counts its interval from here.
  std::chrono::steady_clock::time_point auth_started{};
};

boost::asio::awaitable<Pop3Outcome> pop3_login(boost::asio::io_context& io,
                                               const Pop3Options& options, Transcript& transcript);

}  // namespace smtp::net
