#include "smtp/net/pop3_client.hpp"

#include <boost/asio/co_spawn.hpp>

#include "smtp/error.hpp"
#include "smtp/net/connection.hpp"
#include "smtp/net/tls.hpp"
#include "smtp/pop3/protocol.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/status.hpp"

namespace smtp::net {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

class Pop3Login {
 public:
  Pop3Login(asio::io_context& io, const Pop3Options& options, Transcript& transcript)
      : options_(options),
        transcript_(transcript),
        connection_(io,
                    Endpoint{options.host, options.port, options.timeout, options.ca_file,
                             options.pin_sha256},
                    transcript) {}

  awaitable<Pop3Outcome> run() {
    Pop3Outcome outcome;
    outcome.error = co_await login(outcome);
    if (outcome.error && outcome.detail.empty()) outcome.detail = connection_.detail();
    connection_.close();
    co_return outcome;
  }

 private:
  awaitable<std::error_code> read_line(std::string& line) {
    const Connection::Deadline deadline(connection_);
    for (;;) {
      auto pending = connection_.unread();
      const auto before = pending.size();
      std::error_code ec;
      auto taken = pop3::take_line(pending, ec);
      if (ec) co_return ec;
      if (taken) {
        connection_.consume(before - pending.size());
        line = std::move(*taken);
        transcript_.server_line(line);
        co_return std::error_code{};
      }
      if (auto rec = co_await connection_.read_some()) co_return rec;
    }
  }

  awaitable<std::error_code> read_status(pop3::Response& response) {
    std::string line;
    if (auto ec = co_await read_line(line)) co_return ec;
    const auto parsed = pop3::parse_status(line);
    if (!parsed) co_return errc::pop3_response_malformed;
    response = *parsed;
    co_return std::error_code{};
  }

  awaitable<std::error_code> command(std::string_view line, Redaction redaction,
                                     pop3::Response& response) {
    transcript_.client(line, redaction);
    if (auto ec = co_await connection_.write(line)) co_return ec;
    co_return co_await read_status(response);
  }

  // CAPA: +OK, then lines up to ".". An -ERR means no capabilities are listed.
  awaitable<std::error_code> capabilities(std::vector<std::string>& lines) {
    pop3::Response response;
    if (auto ec = co_await command("CAPA\r\n", Redaction::none, response)) co_return ec;
    lines.clear();
    if (!response.ok) co_return std::error_code{};
    for (;;) {
      std::string line;
      if (auto ec = co_await read_line(line)) co_return ec;
      if (line == ".") co_return std::error_code{};
      if (lines.size() == pop3::max_capa_lines) co_return errc::pop3_response_malformed;
      lines.push_back(line.starts_with("..") ? line.substr(1) : line);
    }
  }

  awaitable<std::error_code> stls(Pop3Outcome& outcome) {
    std::vector<std::string> capa;
    if (auto ec = co_await capabilities(capa)) co_return ec;
    if (!pop3::offers(capa, "STLS")) co_return errc::pop3_stls_not_offered;
    pop3::Response response;
    if (auto ec = co_await command("STLS\r\n", Redaction::none, response)) co_return ec;
    if (!response.ok) {
      outcome.detail = "server replied -ERR " + escape_text(response.text);
      co_return errc::pop3_stls_refused;
    }
    // As with STARTTLS: plaintext already buffered must never pass for TLS input.
    if (!connection_.unread().empty()) co_return errc::pop3_stls_unexpected_data;
    co_return co_await connection_.start_tls();
  }

  awaitable<std::error_code> authenticate(const std::string& greeting, Pop3Outcome& outcome) {
    std::string out;
    pop3::Response response;
    if (options_.apop == Apop::yes) {
      const auto timestamp = pop3::apop_timestamp(greeting);
      if (!timestamp) co_return errc::pop3_apop_not_offered;
      if (auto ec = pop3::apop(out, options_.username, options_.password, *timestamp, &md5)) {
        co_return ec;
      }
      outcome.auth_started = std::chrono::steady_clock::now();
      if (auto ec = co_await command(out, Redaction::after_verb, response)) co_return ec;
    } else {
      if (!connection_.secure() && !connection_.peer_loopback() &&
          options_.plaintext_auth == PlaintextAuth::refuse) {
        co_return errc::pop3_plaintext_refused;
      }
      if (auto ec = pop3::user(out, options_.username)) co_return ec;
      std::string password_line;
      if (auto ec = pop3::pass(password_line, options_.password)) co_return ec;
      outcome.auth_started = std::chrono::steady_clock::now();
      if (auto ec = co_await command(out, Redaction::none, response)) co_return ec;
      if (response.ok) {
        if (auto ec = co_await command(password_line, Redaction::after_command, response)) {
          co_return ec;
        }
      }
    }
    if (!response.ok) {
      outcome.detail = "server replied -ERR " + escape_text(response.text);
      co_return errc::pop3_login_failed;
    }
    co_return std::error_code{};
  }

  awaitable<std::error_code> login(Pop3Outcome& outcome) {
    if (auto ec = co_await connection_.connect()) co_return ec;
    if (options_.tls == TlsMode::implicit) {
      if (auto ec = co_await connection_.start_tls()) co_return ec;
    }
    pop3::Response greeting;
    if (auto ec = co_await read_status(greeting)) co_return ec;
    if (!greeting.ok) {
      outcome.detail = "server replied -ERR " + escape_text(greeting.text);
      co_return errc::pop3_greeting_rejected;
    }
    if (options_.tls == TlsMode::starttls) {
      if (auto ec = co_await stls(outcome)) co_return ec;
    }
    if (auto ec = co_await authenticate(greeting.text, outcome)) co_return ec;
    pop3::Response bye;
    (void)co_await command("QUIT\r\n", Redaction::none, bye);  // the login already counted
    co_return std::error_code{};
  }

  const Pop3Options& options_;
  Transcript& transcript_;
  Connection connection_;
};

}  // namespace

awaitable<Pop3Outcome> pop3_login(asio::io_context& io, const Pop3Options& options,
                                  Transcript& transcript) {
  Pop3Login login(io, options, transcript);
  co_return co_await login.run();
}

}  // namespace smtp::net

namespace smtp {

Result pop3_login(const Pop3Options& options) {
  boost::asio::io_context io{1};
  Transcript transcript;
  net::Pop3Outcome outcome;
  boost::asio::co_spawn(io, net::pop3_login(io, options, transcript),
                        [&](std::exception_ptr e, net::Pop3Outcome o) {
                          if (e) std::rethrow_exception(e);
                          outcome = std::move(o);
                        });
  io.run();
  Result result;
  result.error = outcome.error;
  result.status = classify(outcome.error, std::nullopt, DataPhase::before_end_of_data);
  result.detail = outcome.detail;
  result.transcript = transcript.take();
  return result;
}

}  // namespace smtp
