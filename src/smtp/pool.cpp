#include "smtp/pool.hpp"

#include "smtp/error.hpp"
#include "smtp/session.hpp"
#include "smtp/status.hpp"
#include "smtp/tls_context.hpp"

namespace smtp {

struct SessionPool::Entry {
  std::unique_ptr<Session> session;
  std::size_t messages = 0;
  Clock::time_point idle_since;
  std::uint64_t generation = 0;  // the bucket's generation when the session was made
};

struct SessionPool::Bucket {
  std::shared_ptr<TlsClientContext> tls;  // shared: sessions resume each other's TLS sessions
  std::vector<std::unique_ptr<Entry>> idle;
  std::size_t in_use = 0;
  std::uint64_t generation = 0;  // bumped by retire(): busy sessions of older ones close
  Clock::time_point last_used = Clock::now();
};

namespace {

void add(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

void add(std::string& key, std::int64_t number) { add(key, std::to_string(number)); }

bool is_transient_loss(std::error_code ec) {
  return ec == errc::server_closing || ec == errc::connection_lost || ec == errc::timeout;
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
    if (idle.empty() && it->second.in_use == 0 &&
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
                                                         Result& failure) {
  std::unique_lock lock(mutex_);
  const auto deadline = Clock::now() + definition.timeout;
  // Looked up again after every wait: an empty bucket may be forgotten meanwhile.
  while (buckets_[key].idle.empty() &&
         buckets_[key].in_use >= limits_.max_sessions_per_definition) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      failure.status = Status::retry;
      failure.error = errc::timeout;
      failure.detail = "every session of this connection stayed busy";
      return nullptr;
    }
  }
  auto& bucket = buckets_[key];
  ++bucket.in_use;
  ++stats_.messages;
  if (!bucket.idle.empty()) {
    auto entry = std::move(bucket.idle.back());  // the most recently used is the warmest
    bucket.idle.pop_back();
    return entry;
  }
  if (!bucket.tls && definition.tls != TlsMode::none) {
    std::error_code ignored;  // an unreadable CA file is reported by the session itself
    bucket.tls = TlsClientContext::create(definition.ca_file, ignored);
  }
  auto entry = std::make_unique<Entry>();
  entry->session = std::make_unique<Session>(definition, bucket.tls);
  entry->generation = bucket.generation;
  return entry;
}

void SessionPool::release(const std::string& key, std::unique_ptr<Entry> entry) {
  bool keep = entry->session->is_open() && !entry->session->broken() &&
              entry->messages < limits_.max_messages_per_session;
  {
    const std::lock_guard lock(mutex_);
    auto& bucket = buckets_[key];
    --bucket.in_use;
    bucket.last_used = Clock::now();
    keep = keep && entry->generation == bucket.generation;
    if (keep) {
      entry->idle_since = Clock::now();
      bucket.idle.push_back(std::move(entry));
    }
  }
  freed_.notify_one();
  if (entry) entry->session->close();
}

Result SessionPool::send(const SessionOptions& definition, const Envelope& envelope,
                         BodySource& body, const MessageTraits& traits) {
  const auto key = definition_key(definition);
  std::vector<std::unique_ptr<Entry>> expired;
  {
    const std::lock_guard lock(mutex_);
    expired = take_expired(Clock::now());
  }
  for (auto& e : expired) e->session->close();

  Result failure;
  auto entry = acquire(key, definition, failure);
  if (!entry) return failure;

  // A reused session is checked first: for free (has the server closed it?), and with NOOP
  // after a long idle, so a message is rarely started on a dead connection.
  bool reused = entry->session->is_open();
  if (reused) {
    const auto idle = Clock::now() - entry->idle_since;
    const auto depth =
        idle >= limits_.noop_after_idle ? Session::Probe::thorough : Session::Probe::quick;
    reused = entry->session->probe(depth);
  }
  {
    const std::lock_guard lock(mutex_);
    ++(reused ? stats_.sessions_reused : stats_.sessions_opened);
  }
  auto result = entry->session->send(envelope, body, traits);
  ++entry->messages;
  // A reused session that was dead although it looked alive: nothing reached the server if the
  // failure came before the end of data, so once more on a fresh session.
  if (reused && result.status == Status::retry && is_transient_loss(result.error) &&
      body.rewind()) {
    auto transcript = std::move(result.transcript);
    entry->session->close();
    entry->messages = 0;
    result = entry->session->send(envelope, body, traits);
    result.transcript.insert(0, transcript + "* retried on a fresh session\n");
    ++entry->messages;
    const std::lock_guard lock(mutex_);
    ++stats_.retries;
    ++stats_.sessions_opened;
  }
  release(key, std::move(entry));
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
