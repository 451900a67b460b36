#include "scripted_peer.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "openssl_ptr.hpp"

namespace testsupport {

Step send(std::string text) { return {.kind = StepKind::send, .bytes = std::move(text) + "\r\n"}; }
Step send_raw(std::string bytes) { return {.kind = StepKind::send_raw, .bytes = std::move(bytes)}; }
Step send_trickle(std::string bytes, std::chrono::milliseconds gap) {
  return {.kind = StepKind::send_trickle, .bytes = std::move(bytes), .duration = gap};
}
Step expect_line() { return {.kind = StepKind::expect_line}; }
Step expect_lines(int n) {
  if (n < 0) throw std::invalid_argument("expect_lines: negative count");
  return {.kind = StepKind::expect_lines, .count = static_cast<std::size_t>(n)};
}
Step expect_data() { return {.kind = StepKind::expect_data}; }
Step expect_bytes(std::size_t n) { return {.kind = StepKind::expect_bytes, .count = n}; }
Step start_tls(TlsIdentity id) { return {.kind = StepKind::start_tls, .identity = id}; }
Step wait_ms(int ms) {
  if (ms < 0) throw std::invalid_argument("wait_ms: negative duration");
  return {.kind = StepKind::wait_ms, .duration = std::chrono::milliseconds(ms)};
}
Step hang() { return {.kind = StepKind::hang}; }
Step close_connection() { return {.kind = StepKind::close_connection}; }
Step accept_next() { return {.kind = StepKind::accept_next}; }

namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 16 * 1024;
constexpr char kTlsHandshakeRecord = 0x16;  // the first byte of a ClientHello

// Why the script stopped early: thrown by the I/O helpers, caught (and recorded) by run().
enum class Abort { client_closed, timed_out, stopped, io_error, no_connection, handshake_failed };

struct ScriptAbort {
  Abort why;
  std::string detail;
};

[[noreturn]] void throw_io_error(std::string_view what, int err) {
  throw ScriptAbort{Abort::io_error,
                    std::string(what) + ": " + std::generic_category().message(err)};
}

// The reason of the oldest error on this thread's OpenSSL error queue, which it empties.
std::string openssl_reason() {
  const unsigned long err = ERR_get_error();
  ERR_clear_error();
  if (err == 0) return "unknown TLS error";
  const char* reason = ERR_reason_error_string(err);
  return reason ? reason : "TLS error " + std::to_string(err);
}

const char* kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::send:
      return "send";
    case StepKind::send_raw:
      return "send_raw";
    case StepKind::send_trickle:
      return "send_trickle";
    case StepKind::expect_line:
      return "expect_line";
    case StepKind::expect_lines:
      return "expect_lines";
    case StepKind::expect_data:
      return "expect_data";
    case StepKind::expect_bytes:
      return "expect_bytes";
    case StepKind::start_tls:
      return "start_tls";
    case StepKind::wait_ms:
      return "wait_ms";
    case StepKind::hang:
      return "hang";
    case StepKind::close_connection:
      return "close_connection";
    case StepKind::accept_next:
      return "accept_next";
  }
  return "?";
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

SslCtxPtr make_server_ctx(TlsIdentity id) {
  const TestPki& pki = test_pki();
  const std::string& cert_pem = pki.cert_pem(id);
  const std::string& key_pem = pki.key_pem(id);
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  const X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  const PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));

  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || !cert || !key || SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
    throw std::runtime_error("cannot set up the TLS server context: " + openssl_reason());
  }
  return ctx;
}

// A server-side TLS session on memory BIOs: the peer moves the bytes between them and the
// socket itself, so it sees the plaintext that precedes a ClientHello and writes with
// MSG_NOSIGNAL.
SslPtr make_server_ssl(TlsIdentity id) {
  const SslCtxPtr ctx = make_server_ctx(id);  // the SSL keeps its own reference
  SslPtr ssl(SSL_new(ctx.get()));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!ssl || !in || !out) {
    BIO_free(in);
    BIO_free(out);
    throw std::runtime_error("cannot create a TLS session: " + openssl_reason());
  }
  SSL_set_bio(ssl.get(), in, out);
  SSL_set_accept_state(ssl.get());
  return ssl;
}

struct Connection {
  UniqueFd fd;
  SslPtr ssl;         // set once a TLS handshake has started
  std::string inbox;  // received (and recorded) but not yet consumed by a step
};

}  // namespace

class ScriptedPeer::Impl {
 public:
  Impl(std::vector<Step> script, PeerTls tls, TlsIdentity id, std::chrono::milliseconds time_limit,
       const std::string& address);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::uint16_t port() const { return port_; }
  void join();

  std::string received() const;
  std::vector<std::string> events() const;
  std::vector<std::string> server_names() const;
  bool script_completed() const;

 private:
  enum class Phase { connecting, steps, closing };

  void listen_on(const std::string& address);
  void run();
  void run_step(const Step& step);
  void record_abort(const ScriptAbort& abort);
  std::string where() const;

  void accept_connection();
  Connection& connection();
  void start_tls(TlsIdentity id, bool after_starttls);
  void handshake(Connection& c, bool after_starttls);
  void reject_plaintext();
  void answer_close_notify(Connection& c);

  template <class FindEnd>
  void consume(FindEnd find_end);
  void read_until_client_closes();
  bool receive_more();
  std::string read_socket(Connection& c);
  std::string read_tls(Connection& c);
  bool feed_tls(Connection& c);

  void send_bytes(std::string_view bytes);
  void send_trickle(std::string_view bytes, std::chrono::milliseconds gap);
  void write_socket(int fd, std::string_view bytes);
  void flush_tls(Connection& c);

  bool wait_ready(int fd, short events, Clock::time_point until);
  void wait_for(int fd, short events);
  void pause(std::chrono::milliseconds duration);

  void record_received(std::string_view bytes);
  void record_event(std::string event);

  const std::vector<Step> script_;
  const PeerTls tls_;
  const TlsIdentity implicit_identity_;
  const Clock::time_point deadline_;
  UniqueFd listener_;
  UniqueFd wake_read_;  // readable once the owner asks the thread to stop
  UniqueFd wake_write_;
  std::uint16_t port_ = 0;

  // Touched by the peer thread only.
  std::optional<Connection> conn_;
  Phase phase_ = Phase::connecting;
  std::size_t step_ = 0;

  mutable std::mutex mutex_;
  std::string received_;
  std::vector<std::string> events_;
  std::vector<std::string> server_names_;  // the SNI of each TLS handshake, "" for none
  bool completed_ = false;

  std::thread thread_;  // started by the constructor once everything above is ready
};

ScriptedPeer::Impl::Impl(std::vector<Step> script, PeerTls tls, TlsIdentity id,
                         std::chrono::milliseconds time_limit, const std::string& address)
    : script_(std::move(script)),
      tls_(tls),
      implicit_identity_(id),
      deadline_(Clock::now() + time_limit) {
  listen_on(address);
  std::array<int, 2> wake{};
  if (::pipe2(wake.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::system_error(errno, std::generic_category(), "ScriptedPeer: pipe2");
  }
  wake_read_ = UniqueFd(wake[0]);
  wake_write_ = UniqueFd(wake[1]);
  thread_ = std::thread([this] { run(); });
}

ScriptedPeer::Impl::~Impl() {
  // Whatever the thread is waiting for, its poll also watches the pipe.
  const char stop = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(wake_write_.get(), &stop, 1);
  join();
}

void ScriptedPeer::Impl::join() {
  if (thread_.joinable()) thread_.join();
}

void ScriptedPeer::Impl::listen_on(const std::string& address) {
  listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    throw std::invalid_argument("ScriptedPeer: not an IPv4 address: " + address);
  }
  socklen_t size = sizeof addr;
  if (listener_.get() < 0 ||
      ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), size) != 0 ||
      ::listen(listener_.get(), SOMAXCONN) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    throw std::system_error(errno, std::generic_category(), "ScriptedPeer: listen on " + address);
  }
  port_ = ntohs(addr.sin_port);
}

std::string ScriptedPeer::Impl::received() const {
  const std::lock_guard lock(mutex_);
  return received_;
}

std::vector<std::string> ScriptedPeer::Impl::events() const {
  const std::lock_guard lock(mutex_);
  return events_;
}

std::vector<std::string> ScriptedPeer::Impl::server_names() const {
  const std::lock_guard lock(mutex_);
  return server_names_;
}

bool ScriptedPeer::Impl::script_completed() const {
  const std::lock_guard lock(mutex_);
  return completed_;
}

void ScriptedPeer::Impl::record_received(std::string_view bytes) {
  const std::lock_guard lock(mutex_);
  received_ += bytes;
}

void ScriptedPeer::Impl::record_event(std::string event) {
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

// --- The script --------------------------------------------------------------------------

void ScriptedPeer::Impl::run() {
  try {
    accept_connection();
    phase_ = Phase::steps;
    for (step_ = 0; step_ < script_.size(); ++step_) run_step(script_[step_]);
    {
      const std::lock_guard lock(mutex_);
      completed_ = true;
    }
    phase_ = Phase::closing;
    if (conn_) read_until_client_closes();
  } catch (const ScriptAbort& abort) {
    record_abort(abort);
  } catch (const std::exception& e) {
    record_event(std::string("internal-error: ") + e.what());
  }
  conn_.reset();
}

void ScriptedPeer::Impl::run_step(const Step& step) {
  switch (step.kind) {
    case StepKind::send:
    case StepKind::send_raw:
      send_bytes(step.bytes);
      break;
    case StepKind::send_trickle:
      send_trickle(step.bytes, step.duration);
      break;
    case StepKind::expect_line:
    case StepKind::expect_lines:
      for (std::size_t i = 0; i < (step.kind == StepKind::expect_line ? 1 : step.count); ++i) {
        consume([](const std::string& in) -> std::optional<std::size_t> {
          const std::size_t end = in.find("\r\n");
          return end == std::string::npos ? std::nullopt : std::optional(end + 2);
        });
      }
      break;
    case StepKind::expect_data:
      consume([](const std::string& in) -> std::optional<std::size_t> {
        if (in.starts_with(".\r\n")) return 3;  // an empty body
        const std::size_t end = in.find("\r\n.\r\n");
        return end == std::string::npos ? std::nullopt : std::optional(end + 5);
      });
      break;
    case StepKind::expect_bytes:
      consume([n = step.count](const std::string& in) -> std::optional<std::size_t> {
        return in.size() >= n ? std::optional(n) : std::nullopt;
      });
      break;
    case StepKind::start_tls:
      start_tls(step.identity, true);
      break;
    case StepKind::wait_ms:
      pause(step.duration);
      break;
    case StepKind::hang:
      read_until_client_closes();
      break;
    case StepKind::close_connection:
      conn_.reset();
      break;
    case StepKind::accept_next:
      accept_connection();
      break;
  }
}

std::string ScriptedPeer::Impl::where() const {
  switch (phase_) {
    case Phase::connecting:
      return " before the first step";
    case Phase::steps:
      return " at step " + std::to_string(step_) + " (" + kind_name(script_[step_].kind) + ")";
    case Phase::closing:
      return " after the script";
  }
  return {};
}

void ScriptedPeer::Impl::record_abort(const ScriptAbort& abort) {
  switch (abort.why) {
    case Abort::client_closed:
      record_event("client-closed" + where());
      break;
    case Abort::timed_out:
      record_event("timeout" + where());
      break;
    case Abort::io_error:
      record_event("io-error" + where() + ": " + abort.detail);
      break;
    case Abort::no_connection:
      record_event("no-connection" + where());
      break;
    case Abort::handshake_failed:
      record_event("tls-handshake-failed: " + abort.detail);
      break;
    case Abort::stopped:
      record_event("stopped");
      break;
  }
}

// --- Connections and TLS -----------------------------------------------------------------

void ScriptedPeer::Impl::accept_connection() {
  conn_.reset();
  for (;;) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      conn_.emplace(Connection{UniqueFd(fd), nullptr, {}});
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(listener_.get(), POLLIN);
    } else if (errno != EINTR && errno != ECONNABORTED) {
      throw_io_error("accept", errno);
    }
  }
  // Without Nagle, send_trickle really sends one byte per segment.
  const int on = 1;
  ::setsockopt(conn_->fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (tls_ == PeerTls::implicit) start_tls(implicit_identity_, false);
}

Connection& ScriptedPeer::Impl::connection() {
  if (!conn_) throw ScriptAbort{Abort::no_connection, {}};
  return *conn_;
}

void ScriptedPeer::Impl::start_tls(TlsIdentity id, bool after_starttls) {
  Connection& c = connection();
  if (after_starttls && !c.inbox.empty()) reject_plaintext();
  c.ssl = make_server_ssl(id);
  try {
    handshake(c, after_starttls);
  } catch (const ScriptAbort& abort) {
    switch (abort.why) {
      case Abort::stopped:
      case Abort::handshake_failed:
        throw;
      case Abort::client_closed:
        throw ScriptAbort{Abort::handshake_failed, "connection closed by the client"};
      case Abort::timed_out:
        throw ScriptAbort{Abort::handshake_failed, "timeout"};
      case Abort::io_error:
      case Abort::no_connection:
        throw ScriptAbort{Abort::handshake_failed, abort.detail};
    }
  }
  record_event("tls-handshake-ok");
  const char* sni = SSL_get_servername(c.ssl.get(), TLSEXT_NAMETYPE_host_name);
  const std::lock_guard lock(mutex_);
  server_names_.emplace_back(sni != nullptr ? sni : "");
}

void ScriptedPeer::Impl::handshake(Connection& c, bool after_starttls) {
  // The first bytes after STARTTLS must start a ClientHello. Anything else is plaintext the
  // client sent before it got the STARTTLS reply (a command injection hole if a server took
  // it as encrypted input).
  std::string first = read_socket(c);
  if (first.empty()) throw ScriptAbort{Abort::client_closed, {}};
  if (after_starttls && first.front() != kTlsHandshakeRecord) {
    record_received(first);
    reject_plaintext();
  }
  BIO_write(SSL_get_rbio(c.ssl.get()), first.data(), static_cast<int>(first.size()));

  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(c.ssl.get());
    if (result == 1) {
      flush_tls(c);
      return;
    }
    if (SSL_get_error(c.ssl.get(), result) != SSL_ERROR_WANT_READ) {
      const std::string reason = openssl_reason();
      try {
        flush_tls(c);  // our alert, if OpenSSL wrote one; the client may be gone already
      } catch (const ScriptAbort&) {
      }
      throw ScriptAbort{Abort::handshake_failed, reason};
    }
    flush_tls(c);
    if (!feed_tls(c)) throw ScriptAbort{Abort::client_closed, {}};
  }
}

void ScriptedPeer::Impl::reject_plaintext() {
  record_event("plaintext-after-starttls");
  throw ScriptAbort{Abort::handshake_failed, "plaintext-after-starttls"};
}

void ScriptedPeer::Impl::answer_close_notify(Connection& c) {
  record_event("tls-close-notify");
  SSL_shutdown(c.ssl.get());
  try {
    flush_tls(c);
  } catch (const ScriptAbort& abort) {
    if (abort.why != Abort::client_closed) throw;  // the client need not wait for our reply
  }
}

// --- Reading -----------------------------------------------------------------------------

// Reads until find_end finds a complete unit (a line, a DATA body...) at the start of the
// inbox, then removes it; what follows it stays for the next step.
template <class FindEnd>
void ScriptedPeer::Impl::consume(FindEnd find_end) {
  Connection& c = connection();
  for (;;) {
    if (const std::optional<std::size_t> end = find_end(c.inbox)) {
      c.inbox.erase(0, *end);
      return;
    }
    if (!receive_more()) throw ScriptAbort{Abort::client_closed, {}};
  }
}

void ScriptedPeer::Impl::read_until_client_closes() {
  Connection& c = connection();
  while (receive_more()) c.inbox.clear();  // recorded already; no step will consume it
  record_event("client-closed");
  conn_.reset();
}

// Reads the client's next bytes into the inbox and records them; false once it has closed.
bool ScriptedPeer::Impl::receive_more() {
  Connection& c = connection();
  const std::string data = c.ssl ? read_tls(c) : read_socket(c);
  if (data.empty()) return false;
  record_received(data);
  c.inbox += data;
  return true;
}

// Raw bytes from the socket; empty once the client has closed (or reset) the connection.
std::string ScriptedPeer::Impl::read_socket(Connection& c) {
  std::array<char, kChunk> buffer{};
  for (;;) {
    const ssize_t n = ::recv(c.fd.get(), buffer.data(), buffer.size(), 0);
    if (n >= 0) return std::string(buffer.data(), static_cast<std::size_t>(n));
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(c.fd.get(), POLLIN);
    } else if (errno == ECONNRESET) {
      return {};
    } else if (errno != EINTR) {
      throw_io_error("recv", errno);
    }
  }
}

// Decrypted application data; empty once the client has closed the connection.
std::string ScriptedPeer::Impl::read_tls(Connection& c) {
  std::array<char, kChunk> buffer{};
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(c.ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) return std::string(buffer.data(), static_cast<std::size_t>(n));
    switch (SSL_get_error(c.ssl.get(), n)) {
      case SSL_ERROR_WANT_READ:
        flush_tls(c);  // e.g. a KeyUpdate answer
        if (!feed_tls(c)) return {};
        break;
      case SSL_ERROR_ZERO_RETURN:
        answer_close_notify(c);
        return {};
      default:
        throw ScriptAbort{Abort::io_error, "TLS: " + openssl_reason()};
    }
  }
}

// Moves the next bytes from the socket into the TLS session; false once the client has closed.
bool ScriptedPeer::Impl::feed_tls(Connection& c) {
  const std::string raw = read_socket(c);
  if (raw.empty()) return false;
  BIO_write(SSL_get_rbio(c.ssl.get()), raw.data(), static_cast<int>(raw.size()));
  return true;
}

// --- Writing -----------------------------------------------------------------------------

void ScriptedPeer::Impl::send_bytes(std::string_view bytes) {
  Connection& c = connection();
  if (!c.ssl) {
    write_socket(c.fd.get(), bytes);
    return;
  }
  if (bytes.empty()) return;  // SSL_write treats 0 bytes as an error
  ERR_clear_error();
  if (SSL_write(c.ssl.get(), bytes.data(), static_cast<int>(bytes.size())) <= 0) {
    throw ScriptAbort{Abort::io_error, "TLS: " + openssl_reason()};
  }
  flush_tls(c);
}

void ScriptedPeer::Impl::send_trickle(std::string_view bytes, std::chrono::milliseconds gap) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) pause(gap);
    send_bytes(bytes.substr(i, 1));
  }
}

void ScriptedPeer::Impl::write_socket(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(fd, POLLOUT);
    } else if (errno == EPIPE || errno == ECONNRESET) {
      throw ScriptAbort{Abort::client_closed, {}};
    } else if (errno != EINTR) {
      throw_io_error("send", errno);
    }
  }
}

// Sends whatever the TLS session has produced (records, alerts) to the socket.
void ScriptedPeer::Impl::flush_tls(Connection& c) {
  BIO* out = SSL_get_wbio(c.ssl.get());
  std::array<char, kChunk> buffer{};
  while (BIO_ctrl_pending(out) > 0) {
    const int n = BIO_read(out, buffer.data(), static_cast<int>(buffer.size()));
    if (n <= 0) break;
    write_socket(c.fd.get(), std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

// --- Bounded waiting ---------------------------------------------------------------------

// Waits until fd (ignored if negative) is ready for `events`: true; or until `until`: false.
// Throws if the owner asks the thread to stop.
bool ScriptedPeer::Impl::wait_ready(int fd, short events, Clock::time_point until) {
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= until) return false;
    const auto timeout = std::chrono::ceil<std::chrono::milliseconds>(until - now);
    std::array<pollfd, 2> fds{{{wake_read_.get(), POLLIN, 0}, {fd, events, 0}}};
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) throw_io_error("poll", errno);
    if (fds[0].revents != 0) throw ScriptAbort{Abort::stopped, {}};
    if (fds[1].revents != 0) return true;  // error and hang-up too: the next call reports them
  }
}

void ScriptedPeer::Impl::wait_for(int fd, short events) {
  if (!wait_ready(fd, events, deadline_)) throw ScriptAbort{Abort::timed_out, {}};
}

void ScriptedPeer::Impl::pause(std::chrono::milliseconds duration) {
  const Clock::time_point until = Clock::now() + duration;
  wait_ready(-1, 0, std::min(until, deadline_));
  if (until > deadline_) throw ScriptAbort{Abort::timed_out, {}};
}

// --- ScriptedPeer ------------------------------------------------------------------------

ScriptedPeer::ScriptedPeer(std::vector<Step> script, PeerTls tls, TlsIdentity id,
                           std::chrono::milliseconds time_limit, const std::string& address)
    : impl_(std::make_unique<Impl>(std::move(script), tls, id, time_limit, address)) {}

ScriptedPeer::~ScriptedPeer() = default;

std::uint16_t ScriptedPeer::port() const { return impl_->port(); }
void ScriptedPeer::wait() { impl_->join(); }
std::string ScriptedPeer::received() const { return impl_->received(); }
std::vector<std::string> ScriptedPeer::events() const { return impl_->events(); }

std::vector<std::string> ScriptedPeer::server_names() const { return impl_->server_names(); }
bool ScriptedPeer::script_completed() const { return impl_->script_completed(); }

std::vector<std::string> ScriptedPeer::received_lines() const {
  const std::string all = received();
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = all.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(all.substr(start, end - start));
  }
  if (start < all.size()) lines.push_back(all.substr(start));
  return lines;
}

}  // namespace testsupport
