#pragma once
// One SMTP session: a connection to a server that can carry many messages, one after another.
//
// The calls block the calling thread while the session's own event loop runs the exchange (so
// a session never shares an event loop and its deadlines with another). A session is used by one
// thread at a time; a pool hands it out. Once it reports `broken()`, it must not be reused.
//
// Pipelining across messages: given a `Queue` of messages waiting for it, a session whose server
// offers PIPELINING writes the next message's MAIL/RCPT/DATA in the flight that carries the end
// of the current one (and, with CHUNKING, whole small messages back to back), before reading the
// current message's final reply. Each message so taken is finished by its own sender, who is
// handed the session next and calls `resume()`: results stay per message and in order.

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
  // Taken messages not yet finished are settled as lost.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects, negotiates TLS, says EHLO and authenticates. Sends no mail.
  Result open();

  // A message waiting for a session, described by its sender (who owns the objects).
  struct Queued {
    const Envelope* envelope = nullptr;
    BodySource* body = nullptr;
    const MessageTraits* traits = nullptr;
  };

  // Where a busy session finds waiting messages to pipeline behind the one it carries.
  class Queue {
   public:
    // A waiting message the session now takes (its sender must wait for the hand-over), or
    // nullptr when none waits or the session may take no more.
    virtual Queued* take() = 0;
    // A taken message is finished without the session being handed over: refused before any of
    // it was written (a bad address, too large), or lost with the connection.
    virtual void settle(Queued& message, Result result) = 0;

   protected:
    ~Queue() = default;
  };

  // Sends one message, opening the session first if needed. With a queue, may take waiting
  // messages into its flights (see above): then `next_taken()` says whose turn it is.
  Result send(const Envelope& envelope, BodySource& body, const MessageTraits& traits = {},
              Queue* queue = nullptr);

  // The oldest taken message still to be finished, or nullptr. The session belongs to its sender
  // next, who finishes it with resume(). Never set on a session that reports broken().
  Queued* next_taken() const;

  // Finishes `message`, which must be next_taken(): reads its replies, sends the rest of its
  // body, and may take more messages from `queue`.
  Result resume(Queued& message, Queue* queue = nullptr);

  // Says QUIT and closes, without waiting for the reply. Safe to call at any time (taken
  // messages not yet finished are settled as lost).
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
