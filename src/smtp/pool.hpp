#pragma once
// Sessions kept open and reused across messages: one pool serves every definition, with a set
// of sessions per definition. A session opened for one definition (host, port, TLS settings, CA,
// pin, credentials, user, POP before SMTP) is never used for another. Thread-safe: many flows
// send through one pool at once.
//
// When every session of a definition is busy, senders queue, first come first served. A busy
// session whose server offers PIPELINING takes queued messages into the flight that ends its
// current message (Session::Queue), so on a reused session a message costs one round trip (DATA)
// or less (CHUNKING: several small messages per flight). Each sender still gets its own result:
// the session is handed from sender to sender in the order of the replies on the wire.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "smtp/message.hpp"
#include "smtp/options.hpp"
#include "smtp/result.hpp"

namespace smtp {

class Session;
class TlsClientContext;

struct PoolLimits {
  std::size_t max_sessions_per_definition = 8;  // more concurrent senders queue
  std::size_t max_messages_per_session = 100;   // then the session says QUIT
  // Messages one session may have written ahead of their final replies, the one it carries
  // included; 1 turns pipelining across messages off.
  std::size_t max_pipelined_messages = 16;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // then it says QUIT
  // A session idle longer than this is checked with NOOP before it carries a message.
  std::chrono::milliseconds noop_after_idle{std::chrono::seconds(10)};
};

struct PoolStats {
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_reused = 0;  // sends that went over an already open session
  std::uint64_t retries = 0;          // sends retried on a fresh session after a dead one
  std::uint64_t pipelined = 0;        // sends taken into a busy session's flight
  std::uint64_t messages = 0;         // sends attempted
  std::size_t idle = 0;               // sessions open and waiting now
  std::size_t in_use = 0;             // sessions carrying a message now
};

class SessionPool {
 public:
  explicit SessionPool(PoolLimits limits = {});
  ~SessionPool();  // says QUIT on every idle session
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // Sends one message over a session of `definition`, opening one when none is free. When a
  // reused session turns out dead (closed, 421) before any of the message was sent, the message
  // goes once more over a fresh session, if the body can rewind.
  Result send(const SessionOptions& definition, const Envelope& envelope, BodySource& body,
              const MessageTraits& traits = {});

  // Says QUIT on sessions idle past the idle time-out. send() does this too; a host may also
  // call it from a timer.
  void close_idle();

  // The definition is no longer in use: its idle sessions close now, the busy ones when their
  // message is done. A later send() with the same definition starts afresh.
  void retire(const SessionOptions& definition);

  PoolStats stats() const;

 private:
  struct Entry;
  struct Bucket;
  struct Waiter;
  using Clock = std::chrono::steady_clock;

  // A session for `waiter`: an idle one, a new one, or one handed over by a busy session
  // (then `waiter.taken` says whether its message is already under way). Null when the waiter
  // was settled instead (its result is in it) or waited too long (`failure` says so).
  std::unique_ptr<Entry> acquire(const std::string& key, const SessionOptions& definition,
                                 Waiter& waiter, Result& failure);
  // Hands the session to the sender of the next message it took, else to the first queued
  // sender, else keeps it idle (or closes it).
  void release(std::unique_ptr<Entry> entry);
  // Takes the entries to close out of the pool (under the lock); closing happens outside it.
  std::vector<std::unique_ptr<Entry>> take_expired(Clock::time_point now);
  // Sends the waiter's message: on the session acquire() gives it, or finishes it on the
  // session it was taken into; once more if that session died before its end of data.
  Result send_for(const std::string& key, const SessionOptions& definition, Waiter& waiter);

  PoolLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;  // keyed by everything that defines a session
  PoolStats stats_;
};

// The pool key of a definition: every field that changes what a session is, length-prefixed so
// two different definitions never share a key. Holds secrets: never log it.
std::string definition_key(const SessionOptions& definition);

}  // namespace smtp
