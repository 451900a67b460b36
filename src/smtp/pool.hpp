#pragma once
// Sessions kept open and reused across messages: one pool serves every definition, with a set
// of sessions per definition. A session opened for one definition (host, port, TLS settings, CA,
// pin, credentials, user, POP before SMTP) is never used for another. Thread-safe: many flows
// send through one pool at once; each session carries one message at a time.

#include <chrono>
#include <condition_variable>
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
  std::size_t max_sessions_per_definition = 8;  // more concurrent senders wait for one
  std::size_t max_messages_per_session = 100;   // then the session says QUIT
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // then it says QUIT
  // A session idle longer than this is checked with NOOP before it carries a message.
  std::chrono::milliseconds noop_after_idle{std::chrono::seconds(10)};
};

struct PoolStats {
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_reused = 0;  // sends that went over an already open session
  std::uint64_t retries = 0;          // sends retried on a fresh session after a dead one
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
  using Clock = std::chrono::steady_clock;

  std::unique_ptr<Entry> acquire(const std::string& key, const SessionOptions& definition,
                                 Result& failure);
  void release(const std::string& key, std::unique_ptr<Entry> entry);
  // Takes the entries to close out of the pool (under the lock); closing happens outside it.
  std::vector<std::unique_ptr<Entry>> take_expired(Clock::time_point now);

  PoolLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::map<std::string, Bucket> buckets_;  // keyed by everything that defines a session
  PoolStats stats_;
};

// The pool key of a definition: every field that changes what a session is, length-prefixed so
// two different definitions never share a key. Holds secrets: never log it.
std::string definition_key(const SessionOptions& definition);

}  // namespace smtp
