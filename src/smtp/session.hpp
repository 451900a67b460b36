#pragma once
// One SMTP session: a connection to a server that can carry many messages, one at a time.
//
// The calls block the calling thread while the session's own event loop runs the exchange (so
// a session never shares an event loop and its deadlines with another). A session is used by one
// thread at a time; a pool hands it out. Once it reports `broken()`, it must not be reused.

#include <memory>

#include "smtp/message.hpp"
#include "smtp/options.hpp"
#include "smtp/protocol/capabilities.hpp"
#include "smtp/result.hpp"
#include "smtp/tls_context.hpp"

namespace smtp {

class Session {
 public:
  // `tls_context` lets sessions to one server share trust settings and resume TLS sessions;
  // without one the session makes its own.
  explicit Session(SessionOptions options, std::shared_ptr<TlsClientContext> tls_context = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects, negotiates TLS, says EHLO and authenticates. Sends no mail.
  Result open();

  // Sends one message, opening the session first if needed.
  Result send(const Envelope& envelope, BodySource& body, const MessageTraits& traits = {});

  // Says QUIT and closes, without waiting for the reply. Safe to call at any time.
  void close();

  // Whether an open session still looks usable, without sending mail: `quick` checks that the
  // server has not closed or spoken unasked (no round trip); `thorough` also sends NOOP.
  // A session that fails is closed (and reopens on the next send).
  enum class Probe { quick, thorough };
  bool probe(Probe depth);

  bool is_open() const;

  // How far the last opening got, for a step-by-step connection test. After a failure, the
  // step after the one reached is the one that failed.
  enum class Stage { none, pop3_login, connected, tls, greeted, ehlo, authenticated, quit };
  Stage stage() const;
  // Round trips so far: the times the session waited for the server after writing.
  std::uint64_t round_trips() const;
  // True once the session can carry no more mail (lost, timed out, or protocol broken).
  bool broken() const;
  const Capabilities& capabilities() const;
  const SessionOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smtp
