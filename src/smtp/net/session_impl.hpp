#pragma once
// The inside of Session: its state, the conversation set-up (session.cpp) and the mail
// transaction (transaction.cpp). Internal to the engine.

#include <spdlog/spdlog.h>

#include <deque>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "smtp/error.hpp"
#include "smtp/log.hpp"
#include "smtp/net/connection.hpp"
#include "smtp/net/pop3_client.hpp"
#include "smtp/net/tls.hpp"
#include "smtp/protocol/address.hpp"
#include "smtp/protocol/body_encoder.hpp"
#include "smtp/protocol/command.hpp"
#include "smtp/protocol/transcript.hpp"
#include "smtp/session.hpp"
#include "smtp/status.hpp"

namespace smtp {

namespace asio = boost::asio;
using asio::awaitable;

struct Session::Impl {
  Impl(SessionOptions opts, std::shared_ptr<TlsClientContext> tls)
      : options(std::move(opts)), tls_context(std::move(tls)), parser(options.reply_limits) {}

  SessionOptions options;
  std::shared_ptr<TlsClientContext> tls_context;
  asio::io_context io{1};
  std::unique_ptr<net::Connection> connection;
  ReplyParser parser;
  Capabilities caps;
  Transcript transcript;
  bool opened = false;
  bool is_broken = false;
  bool needs_rset = false;
  bool end_of_data_sent = false;
  bool wrote_since_read = false;
  std::string read_buffer;  // the body's read buffer, reused by every transaction
  Stage stage = Stage::none;
  std::uint64_t round_trips = 0;
  // Context of the last failure, for the result.
  std::string detail;
  std::optional<Reply> last_reply;

  // ---- running -------------------------------------------------------------------------------

  template <class T>
  T run(awaitable<T> operation) {
    std::optional<T> value;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(operation), [&](std::exception_ptr e, T v) {
      failure = e;
      value = std::move(v);
    });
    io.restart();
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*value);
  }

  net::Connection& conn() { return *connection; }

  // Keeps the transport's explanation of a failure for the result.
  std::error_code transport(std::error_code ec) {
    if (ec && detail.empty()) detail = conn().detail();
    return ec;
  }

  // ---- bytes ---------------------------------------------------------------------------------

  awaitable<std::error_code> write(std::string_view bytes) {
    wrote_since_read = true;
    co_return transport(co_await conn().write(bytes));
  }

  awaitable<std::error_code> write(std::span<const asio::const_buffer> buffers) {
    wrote_since_read = true;
    co_return transport(co_await conn().write(buffers));
  }

  awaitable<std::error_code> write_commands(std::string_view lines,
                                            Redaction redaction = Redaction::none) {
    transcript.client(lines, redaction);
    co_return co_await write(lines);
  }

  awaitable<std::error_code> read_reply(Reply& reply) {
    const net::Connection::Deadline deadline(conn());
    for (;;) {
      auto pending = conn().unread();
      const auto before = pending.size();
      std::error_code ec;
      auto parsed = parser.parse(pending, ec);
      conn().consume(before - pending.size());
      if (ec) co_return ec;
      if (parsed) {
        reply = std::move(*parsed);
        transcript.server(reply);
        if (reply.code == 421) {
          // The server is closing the connection, whatever was asked (RFC 5321 3.8).
          last_reply = reply;
          co_return errc::server_closing;
        }
        co_return std::error_code{};
      }
      if (wrote_since_read) {
        ++round_trips;
        wrote_since_read = false;
      }
      if (auto rec = co_await conn().read_some()) co_return transport(rec);
    }
  }

  // ---- session set-up ------------------------------------------------------------------------

  const std::string& client_name() {
    return options.client_name.empty() ? conn().local_address_literal() : options.client_name;
  }

  // STARTTLS and AUTH exist only in ESMTP: then a refused EHLO may not fall back to HELO.
  bool requires_esmtp() const {
    return options.tls == TlsMode::starttls || options.credentials.has_value();
  }

  awaitable<std::error_code> hello() {
    std::string out;
    if (auto ec = command::ehlo(out, client_name())) co_return ec;
    if (auto ec = co_await write_commands(out)) co_return ec;
    Reply reply;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    if (reply.is_positive()) {
      caps = Capabilities::from_ehlo(reply);
      co_return std::error_code{};
    }
    last_reply = reply;
    if (requires_esmtp() || !reply.is_permanent()) {
      co_return errc::ehlo_rejected;
    }
    out.clear();
    if (auto ec = command::helo(out, client_name())) co_return ec;
    if (auto ec = co_await write_commands(out)) co_return ec;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    if (!reply.is_positive()) {
      last_reply = reply;
      co_return errc::ehlo_rejected;
    }
    caps = Capabilities{};
    co_return std::error_code{};
  }

  awaitable<std::error_code> starttls() {
    if (!caps.starttls) co_return errc::starttls_not_offered;
    std::string out;
    command::starttls(out);
    if (auto ec = co_await write_commands(out)) co_return ec;
    Reply reply;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    if (reply.code != 220) {
      last_reply = reply;
      co_return errc::starttls_refused;
    }
    // Anything already buffered was sent before the handshake, in plaintext, by whoever could
    // write to the connection: it must never be read as if it came over TLS.
    if (!conn().unread().empty() || parser.in_progress()) {
      co_return errc::starttls_unexpected_data;
    }
    if (auto ec = co_await conn().start_tls()) co_return transport(ec);
    caps = Capabilities{};  // forget everything learned before TLS
    co_return co_await hello();
  }

  awaitable<std::error_code> authenticate() {
    const Credentials& credentials = *options.credentials;
    const auto mechanism = sasl::name(credentials.mechanism);
    if (caps.auth_mechanisms.empty()) co_return errc::auth_not_offered;
    if (!caps.offers_auth(mechanism)) {
      detail = "configured " + std::string(mechanism) + ", the server offers";
      for (const auto& m : caps.auth_mechanisms) detail += " " + m;
      co_return errc::auth_mechanism_not_offered;
    }
    if (sasl::sends_password(credentials.mechanism) && !conn().secure() &&
        !conn().peer_loopback() && options.plaintext_auth == PlaintextAuth::refuse) {
      co_return errc::auth_plaintext_refused;
    }
    sasl::Exchange exchange(credentials.mechanism, credentials.username, credentials.password,
                            &net::hmac_md5);
    std::string out;
    if (auto ec = exchange.start(out)) co_return ec;
    if (auto ec = co_await write_commands(out, Redaction::after_verb)) co_return ec;
    for (;;) {
      Reply reply;
      if (auto ec = co_await read_reply(reply)) co_return ec;
      if (reply.code == 235) co_return std::error_code{};
      if (reply.code != 334) {
        last_reply = reply;
        co_return reply.is_transient() ? errc::auth_temporary_failure : errc::auth_failed;
      }
      out.clear();
      if (auto ec = exchange.respond(reply, out)) co_return ec;
      if (auto ec = co_await write_commands(out, Redaction::whole_line)) co_return ec;
    }
  }

  // POP3 login first; the SMTP connection waits until the interval after the POP3
  // authentication began has passed. A failed login means no SMTP connection at all.
  awaitable<std::error_code> pop_before_smtp() {
    const auto& pop = *options.pop_before_smtp;
    transcript.note("POP before SMTP: POP3 login to " + pop.pop3.host + " port " +
                    std::to_string(pop.pop3.port));
    const auto outcome = co_await net::pop3_login(io, pop.pop3, transcript);
    if (outcome.error) {
      detail = outcome.detail;
      co_return outcome.error;
    }
    asio::steady_timer wait(io);
    wait.expires_at(outcome.auth_started + pop.interval);
    co_await wait.async_wait(asio::use_awaitable);
    co_return std::error_code{};
  }

  awaitable<std::error_code> open() {
    if (!options.pin_sha256.empty() && !net::parse_pin(options.pin_sha256)) {
      co_return errc::invalid_pin;
    }
    stage = Stage::none;
    if (options.pop_before_smtp) {
      if (auto ec = co_await pop_before_smtp()) co_return ec;
      stage = Stage::pop3_login;
    }
    connection =
        std::make_unique<net::Connection>(io,
                                          net::Endpoint{options.host, options.port, options.timeout,
                                                        options.ca_file, options.pin_sha256},
                                          transcript, tls_context);
    if (auto ec = co_await conn().connect()) co_return transport(ec);
    stage = Stage::connected;
    if (options.tls == TlsMode::implicit) {
      if (auto ec = co_await conn().start_tls()) co_return transport(ec);
      stage = Stage::tls;
    }
    Reply greeting;
    if (auto ec = co_await read_reply(greeting)) co_return ec;
    if (greeting.code != 220) {
      last_reply = greeting;
      co_return errc::greeting_rejected;
    }
    stage = Stage::greeted;
    if (auto ec = co_await hello()) co_return ec;
    stage = Stage::ehlo;
    if (options.tls == TlsMode::starttls) {
      if (auto ec = co_await starttls()) co_return ec;
      stage = Stage::tls;
    }
    if (options.credentials) {
      if (auto ec = co_await authenticate()) co_return ec;
      stage = Stage::authenticated;
    }
    opened = true;
    co_return std::error_code{};
  }

  // ---- the transaction (transaction.cpp) ----------------------------------------------------

  struct Prepared {
    bool needs_smtputf8 = false;
    bool eight_bit = false;
  };

  // One message from its first read to its final reply. Written messages wait in `in_flight`
  // in the order of their replies on the wire; the front one is the one being finished.
  struct Pending {
    Pending(const Envelope& e, BodySource& b, const MessageTraits& t, Session::Queued* q,
            bool chunking)
        : envelope(&e),
          body(&b),
          traits(&t),
          queued(q),
          use_bdat(chunking),
          encoder(chunking ? BodyFraming::bdat : BodyFraming::data) {}

    const Envelope* envelope;
    BodySource* body;
    const MessageTraits* traits;
    Session::Queued* queued;         // null for the message of the session's own caller
    Session::Queue* from = nullptr;  // the queue it was taken from
    bool use_bdat;
    BodyEncoder encoder;
    Result result;
    std::string detail;              // why it was refused before anything was written
    std::vector<std::string> lines;  // [RSET] MAIL RCPT..., one command each
    std::string first;               // the first encoded piece of the body
    bool rset_first = false;
    bool declared_8bit = false;  // MAIL FROM said BODY=8BITMIME
    bool body_done = false;      // `first` is the whole body, end of data included
    bool whole = false;          // the opening flight carries the whole message (BDAT LAST)
    bool written = false;        // its opening flight was written
    Transcript opening;          // what was written for it while another was finished

    // Its end of data went out with its opening flight.
    bool end_of_data_written() const { return written && whole; }
  };

  std::deque<Pending> in_flight;
  Session::Queue* queue = nullptr;  // of the current call

  std::error_code prepare(const Envelope& envelope, const MessageTraits& traits, Prepared& p,
                          std::string& why);

  // Reads and encodes up to one chunk of the body. `done` becomes true at its end, when the
  // encoder's finish() has been appended too.
  std::error_code read_piece(BodySource& body, BodyEncoder& encoder, std::string& out, bool& done,
                             std::string& why);

  // The same for a chunk written before the next read, without copying what needs no change:
  // the chunk is `out` followed by `tail`, bytes left in the read buffer. The last chunk comes
  // whole in `out`.
  std::error_code read_piece(BodySource& body, BodyEncoder& encoder, std::string& out,
                             std::string_view& tail, bool& done, std::string& why);

  // An 8-bit byte in a later chunk of a body that MAIL FROM did not declare 8-bit: the message is
  // abandoned before its end of data.
  std::error_code check_undeclared_8bit(const Pending& t);

  // Checks a message and reads its first piece; builds its envelope commands. Writes nothing.
  std::error_code admit(Pending& t, bool rset_first);

  // Appends the message's opening flight to `flight`: its commands and, with PIPELINING, DATA
  // or (a message of one chunk) BDAT LAST and the whole body.
  void append_opening(Pending& t, std::string& flight, Transcript& record);

  // Takes waiting messages and appends their opening flights to `flight`, whose end finishes
  // the last message written. `behind_open_envelope`: that message's envelope replies are
  // still unread, so a message written behind it starts with RSET.
  void take_ahead(std::string& flight, bool behind_open_envelope);

  // Writes `flight`, then marks the messages it opened as written.
  awaitable<std::error_code> write_flight(std::string_view flight);

  // The message of the session's caller: staged, written, finished.
  awaitable<std::error_code> transact(Pending& t);

  // Reads a written message's replies, sends the rest of its body, reads the final reply.
  awaitable<std::error_code> complete(Pending& t);

  static Status recipient_status(const Reply& reply);

  // Whether the envelope's replies end the transaction before any body: a refused sender, or
  // no accepted recipient (`refusal` explains why).
  std::error_code envelope_refused(const Reply& mail_reply, std::size_t accepted,
                                   const Reply& refusal, Result& result);

  // DATA: the rest of the body, then exactly one end of data.
  awaitable<std::error_code> stream_data(Pending& t, std::string& out);

  // BDAT: the body in chunks, the last one marked LAST. With PIPELINING the chunks' replies are
  // read after the last chunk; the final reply is left for the caller.
  awaitable<std::error_code> stream_bdat(Pending& t, std::string& chunk);

  // Settles every taken message still in flight as lost with the connection.
  void abandon_in_flight();

  awaitable<std::error_code> noop() {
    std::string out;
    command::noop(out);
    if (auto ec = co_await write_commands(out)) co_return ec;
    Reply reply;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    co_return reply.is_positive() ? std::error_code{} : errc::connection_lost;
  }

  // QUIT without waiting for the reply, as Postfix's client does by default: the reply changes
  // nothing, and a pool closing idle sessions must not wait on a server that has gone.
  awaitable<std::error_code> quit() {
    std::string out;
    command::quit(out);
    co_return co_await write_commands(out);
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  void reset_connection() {
    connection.reset();
    parser = ReplyParser(options.reply_limits);
    caps = Capabilities{};
    opened = false;
    needs_rset = false;
  }

  void fail(Result& result, std::error_code ec) {
    result.error = ec;
    result.status =
        classify(ec, last_reply,
                 end_of_data_sent ? DataPhase::after_end_of_data : DataPhase::before_end_of_data);
    if (last_reply) {
      result.reply = last_reply;
      if (detail.empty()) detail = "server replied " + last_reply->display();
    }
    result.detail = detail;
    if (is_transport_error(ec) || ec == errc::server_closing ||
        ec == errc::starttls_unexpected_data || !opened) {
      is_broken = true;
    }
  }

  void finish(Result& result, std::error_code ec, std::string_view what,
              std::string transcript_before = {}) {
    if (ec) fail(result, ec);
    if (is_broken) {
      reset_connection();
      transcript.note("connection closed");
    }
    result.transcript = std::move(transcript_before) + transcript.take();
    auto log = logger();
    if (result.ok()) {
      log->debug("{}: {}", what, result.describe());
    } else {
      log->info("{}: {}", what, result.describe());
    }
    log->trace("transcript:\n{}", result.transcript);
  }

  void begin() {
    detail.clear();
    last_reply.reset();
    end_of_data_sent = false;
  }

  // Runs the front message's exchange to its end and hands back its result. A broken session
  // settles the messages taken behind it as lost.
  Result conclude(awaitable<std::error_code> exchange, std::string transcript_before) {
    std::error_code ec;
    try {
      ec = run(std::move(exchange));
    } catch (...) {
      is_broken = true;
      if (!in_flight.empty()) in_flight.pop_front();
      abandon_in_flight();
      reset_connection();
      queue = nullptr;
      throw;
    }
    Result result = std::move(in_flight.front().result);
    in_flight.pop_front();
    finish(result, ec, "send", std::move(transcript_before));
    if (is_broken) abandon_in_flight();
    queue = nullptr;
    return result;
  }

  Result do_open() {
    begin();
    if (is_broken) {
      reset_connection();
      is_broken = false;
    }
    Result result;
    std::error_code ec;
    if (!opened) ec = run(open());
    finish(result, ec, "open");
    return result;
  }
};

}  // namespace smtp
