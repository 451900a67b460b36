#include "smtp/pool.hpp"

#include <condition_variable>
#include <deque>

#include "smtp/error.hpp"
#include "smtp/session.hpp"
#include "smtp/status.hpp"
#include "smtp/tls_context.hpp"

namespace smtp {

// A sender waiting for a session. Lives on the sender's stack; the pool's mutex guards it.
struct SessionPool::Waiter : Session::Queued {
  enum class State {
    waiting,  // queued for a session
    taken,    // its message is in a busy session's flight: the session comes to it next
    handed,   // `entry` is its session now
    settled,  // finished without a session: `result`
  };
  State state = State::waiting;
  bool queued = false;  // in its bucket's queue
  bool taken = false;   // its message was taken (then `entry` comes with it under way)
  std::unique_ptr<Entry> entry;
  Result result;
  std::condition_variable wake;
};

struct SessionPool::Entry final : Session::Queue {
  Entry(SessionPool& p, Bucket& b) : pool(p), bucket(b) {}
  ~Entry() { session.reset(); }  // settles anything still taken while the entry is whole
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  Session::Queued* take() override;
  void settle(Session::Queued& message, Result result) override;

  SessionPool& pool;
  Bucket& bucket;  // outlives the entry: a bucket with sessions or waiters is never forgotten
  std::unique_ptr<Session> session;
  std::size_t messages = 0;
  std::size_t taken = 0;  // messages taken into its flights and not yet handed over
  Clock::time_point idle_since;
  std::uint64_t generation = 0;  // the bucket's generation when the session was made
};

struct SessionPool::Bucket {
  std::shared_ptr<TlsClientContext> tls;  // shared: sessions resume each other's TLS sessions
  std::vector<std::unique_ptr<Entry>> idle;
  std::deque<Waiter*> waiting;  // first come, first served
  std::size_t in_use = 0;
  std::uint64_t generation = 0;  // bumped by retire(): busy sessions of older ones close
  Clock::time_point last_used = Clock::now();
};

Session::Queued* SessionPool::Entry::take() {
  const std::lock_guard lock(pool.mutex_);
  const auto& limits = pool.limits_;
  if (generation != bucket.generation || bucket.waiting.empty()) return nullptr;
  // The message under way, those already taken, and this one.
  if (taken + 2 > limits.max_pipelined_messages) return nullptr;
  if (messages + taken + 2 > limits.max_messages_per_session) return nullptr;
  Waiter* waiter = bucket.waiting.front();
  bucket.waiting.pop_front();
  waiter->queued = false;
  waiter->taken = true;
  waiter->state = Waiter::State::taken;
  ++taken;
  ++pool.stats_.pipelined;
  return waiter;
}

void SessionPool::Entry::settle(Session::Queued& message, Result result) {
  const std::lock_guard lock(pool.mutex_);
  auto& waiter = static_cast<Waiter&>(message);
  waiter.result = std::move(result);
  waiter.state = Waiter::State::settled;
  --taken;
  waiter.wake.notify_one();  // under the lock: the waiter cannot be gone before this returns
}

namespace {

void add(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

void add(std::string& key, std::int64_t number) { add(key, std::to_string(number)); }

// The session died (closed, 421, time-out) before the message's end of data: nothing of it
// reached a mailbox, so sending it again is safe.
bool lost_before_end_of_data(const Result& r) {
  return r.status == Status::retry &&
         (r.error == errc::server_closing || r.error == errc::connection_lost ||
          r.error == errc::timeout);
}

}  // namespace

std::string definition_key(const SessionOptions& d) {
  std::string key;
  add(key, d.host);
  add(key, d.port);
  add(key, static_cast<int>(d.tls));
  add(key, d.ca_file);
  add(key, d.pin_sha256);
  add(key, d.timeout.count());
  add(key, static_cast<int>(d.plaintext_auth));
  add(key, d.client_name);
  add(key, d.credentials ? 1 : 0);
  if (d.credentials) {
    add(key, static_cast<int>(d.credentials->mechanism));
    add(key, d.credentials->username);
    add(key, d.credentials->password);
  }
  add(key, d.pop_before_smtp ? 1 : 0);
  if (d.pop_before_smtp) {
    const auto& p = d.pop_before_smtp->pop3;
    add(key, p.host);
    add(key, p.port);
    add(key, static_cast<int>(p.tls));
    add(key, p.ca_file);
    add(key, p.pin_sha256);
    add(key, p.username);
    add(key, p.password);
    add(key, static_cast<int>(p.apop));
    add(key, static_cast<int>(p.plaintext_auth));
    add(key, d.pop_before_smtp->interval.count());
  }
  add(key, static_cast<std::int64_t>(d.chunk_size));
  return key;
}

SessionPool::SessionPool(PoolLimits limits) : limits_(limits) {}

SessionPool::~SessionPool() {
  std::vector<std::unique_ptr<Entry>> all;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [key, bucket] : buckets_) {
      for (auto& e : bucket.idle) all.push_back(std::move(e));
      bucket.idle.clear();
    }
  }
  for (auto& e : all) e->session->close();
}

std::vector<std::unique_ptr<SessionPool::Entry>> SessionPool::take_expired(Clock::time_point now) {
  std::vector<std::unique_ptr<Entry>> expired;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    auto& idle = it->second.idle;
    for (auto e = idle.begin(); e != idle.end();) {
      if (now - (*e)->idle_since >= limits_.idle_timeout) {
        expired.push_back(std::move(*e));
        e = idle.erase(e);
      } else {
        ++e;
      }
    }
    // A definition unused for the idle time-out is forgotten, with its TLS sessions.
    if (idle.empty() && it->second.in_use == 0 && it->second.waiting.empty() &&
        now - it->second.last_used >= limits_.idle_timeout) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

void SessionPool::close_idle() {
  std::vector<std::unique_ptr<Entry>> expired;
  {
    const std::lock_guard lock(mutex_);
    expired = take_expired(Clock::now());
  }
  for (auto& e : expired) e->session->close();
}

std::unique_ptr<SessionPool::Entry> SessionPool::acquire(const std::string& key,
                                                         const SessionOptions& definition,
                                                         Waiter& waiter, Result& failure) {
  std::unique_lock lock(mutex_);
  const auto deadline = Clock::now() + definition.timeout;
  // The bucket is looked up again after every wait: an empty one may be forgotten meanwhile.
  for (;;) {
    auto& bucket = buckets_[key];
    switch (waiter.state) {
      case Waiter::State::handed:
        return std::move(waiter.entry);
      case Waiter::State::settled:
        return nullptr;
      case Waiter::State::taken:
        // The session's own deadlines bound the wait for its hand-over.
        waiter.wake.wait(lock);
        continue;
      case Waiter::State::waiting:
        break;
    }
    if (!bucket.idle.empty() || bucket.in_use < limits_.max_sessions_per_definition) {
      if (waiter.queued) {
        std::erase(bucket.waiting, &waiter);
        waiter.queued = false;
      }
      ++bucket.in_use;
      if (!bucket.idle.empty()) {
        auto entry = std::move(bucket.idle.back());  // the most recently used is the warmest
        bucket.idle.pop_back();
        return entry;
      }
      if (!bucket.tls && definition.tls != TlsMode::none) {
        std::error_code ignored;  // an unreadable CA file is reported by the session itself
        bucket.tls = TlsClientContext::create(definition.ca_file, ignored);
      }
      auto entry = std::make_unique<Entry>(*this, bucket);
      entry->session = std::make_unique<Session>(definition, bucket.tls);
      entry->generation = bucket.generation;
      return entry;
    }
    if (!waiter.queued) {
      bucket.waiting.push_back(&waiter);
      waiter.queued = true;
    }
    if (waiter.wake.wait_until(lock, deadline) == std::cv_status::timeout &&
        waiter.state == Waiter::State::waiting) {
      std::erase(buckets_[key].waiting, &waiter);
      waiter.queued = false;
      failure.status = Status::retry;
      failure.error = errc::timeout;
      failure.detail = "every session of this connection stayed busy";
      return nullptr;
    }
  }
}

void SessionPool::release(std::unique_ptr<Entry> entry) {
  Bucket& bucket = entry->bucket;
  const bool usable = entry->session->is_open() && !entry->session->broken() &&
                      entry->messages < limits_.max_messages_per_session;
  std::unique_ptr<Entry> closing;
  {
    const std::lock_guard lock(mutex_);
    bucket.last_used = Clock::now();
    if (Session::Queued* next = entry->session->next_taken()) {
      // Its message is under way on this session: its sender finishes it.
      auto& waiter = static_cast<Waiter&>(*next);
      --entry->taken;
      waiter.entry = std::move(entry);
      waiter.state = Waiter::State::handed;
      waiter.wake.notify_one();
      return;
    }
    const bool keep = usable && entry->generation == bucket.generation;
    entry->idle_since = Clock::now();
    if (keep && !bucket.waiting.empty()) {
      Waiter* waiter = bucket.waiting.front();
      bucket.waiting.pop_front();
      waiter->queued = false;
      waiter->entry = std::move(entry);
      waiter->state = Waiter::State::handed;
      waiter->wake.notify_one();
      return;
    }
    --bucket.in_use;
    if (keep) {
      bucket.idle.push_back(std::move(entry));
    } else {
      closing = std::move(entry);
      // Room for a new session: every queued sender looks again, and the first to find the
      // room opens one (waking only the first could wake the same sender twice for two rooms).
      for (Waiter* waiter : bucket.waiting) waiter->wake.notify_one();
    }
  }
  if (closing) closing->session->close();
}

Result SessionPool::send(const SessionOptions& definition, const Envelope& envelope,
                         BodySource& body, const MessageTraits& traits) {
  const auto key = definition_key(definition);
  std::vector<std::unique_ptr<Entry>> expired;
  {
    const std::lock_guard lock(mutex_);
    expired = take_expired(Clock::now());
    ++stats_.messages;
  }
  for (auto& e : expired) e->session->close();

  Waiter waiter;
  waiter.envelope = &envelope;
  waiter.body = &body;
  waiter.traits = &traits;
  return send_for(key, definition, waiter);
}

Result SessionPool::send_for(const std::string& key, const SessionOptions& definition,
                             Waiter& waiter) {
  BodySource& body = *waiter.body;
  std::string retried_after;  // the transcript of a first attempt lost with its session
  Result failure;
  auto entry = acquire(key, definition, waiter, failure);
  if (!entry && waiter.state == Waiter::State::settled) {
    // Taken into a busy session's flight and lost with it before its end of data: nothing
    // reached a mailbox, so once more (the same rule as for a dead reused session below).
    Result settled = std::move(waiter.result);
    if (!lost_before_end_of_data(settled) || !body.rewind()) return settled;
    retried_after = std::move(settled.transcript) + "* sent again\n";
    waiter.state = Waiter::State::waiting;
    waiter.taken = false;
    {
      const std::lock_guard lock(mutex_);
      ++stats_.retries;
    }
    entry = acquire(key, definition, waiter, failure);
    if (!entry && waiter.state == Waiter::State::settled) failure = std::move(waiter.result);
  }
  if (!entry) {
    failure.transcript.insert(0, retried_after);
    return failure;
  }

  Result result;
  bool reused = true;
  if (waiter.taken) {
    result = entry->session->resume(waiter, entry.get());
  } else {
    // A reused session is checked first: for free (has the server closed it?), and with NOOP
    // after a long idle, so a message is rarely started on a dead connection.
    reused = entry->session->is_open();
    if (reused) {
      const auto idle = Clock::now() - entry->idle_since;
      const auto depth =
          idle >= limits_.noop_after_idle ? Session::Probe::thorough : Session::Probe::quick;
      reused = entry->session->probe(depth);
    }
    result = entry->session->send(*waiter.envelope, body, *waiter.traits, entry.get());
  }
  {
    const std::lock_guard lock(mutex_);
    ++(reused ? stats_.sessions_reused : stats_.sessions_opened);
  }
  ++entry->messages;
  // A reused session that was dead although it looked alive: nothing reached the server if the
  // failure came before the end of data, so once more on a fresh session. (A lost session has
  // settled every message taken behind this one: it carries nothing else now.)
  if (retried_after.empty() && reused && lost_before_end_of_data(result) && body.rewind()) {
    retried_after = std::move(result.transcript) + "* retried on a fresh session\n";
    entry->session->close();
    entry->messages = 0;
    result = entry->session->send(*waiter.envelope, body, *waiter.traits, entry.get());
    ++entry->messages;
    const std::lock_guard lock(mutex_);
    ++stats_.retries;
    ++stats_.sessions_opened;
  }
  result.transcript.insert(0, retried_after);
  release(std::move(entry));
  return result;
}

void SessionPool::retire(const SessionOptions& definition) {
  std::vector<std::unique_ptr<Entry>> idle;
  {
    const std::lock_guard lock(mutex_);
    const auto it = buckets_.find(definition_key(definition));
    if (it == buckets_.end()) return;
    idle = std::move(it->second.idle);
    it->second.idle.clear();
    ++it->second.generation;
  }
  for (auto& e : idle) e->session->close();
}

PoolStats SessionPool::stats() const {
  const std::lock_guard lock(mutex_);
  PoolStats s = stats_;
  s.idle = 0;
  s.in_use = 0;
  for (const auto& [key, bucket] : buckets_) {
    s.idle += bucket.idle.size();
    s.in_use += bucket.in_use;
  }
  return s;
}

}  // namespace smtp
