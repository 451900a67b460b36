// The sandbox server: four listeners on one io_context run by one thread of the server's own.
// Every connection is a Channel (socket, TLS, buffers, idle deadline) kept in a registry, so
// stop() can close them all; a session coroutine and a watchdog coroutine share it.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "channel.hpp"
#include "context.hpp"
#include "flowhost/sandbox.hpp"
#include "mail_store.hpp"
#include "pki.hpp"

namespace flowhost::sandbox {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds stop_bound{2};

enum class Kind { smtp, smtps, pop3, pop3s };

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::smtp:
      return "smtp";
    case Kind::smtps:
      return "smtps";
    case Kind::pop3:
      return "pop3";
    case Kind::pop3s:
      return "pop3s";
  }
  return "?";
}

asio::ip::address loopback_address(const std::string& text) {
  error_code ec;
  asio::ip::address address = asio::ip::make_address(text == "localhost" ? "127.0.0.1" : text, ec);
  if (ec) {
    throw std::runtime_error("sandbox: \"" + text +
                             "\" is not an IP address; the sandbox listens on a loopback address "
                             "(127.0.0.1, ::1 or localhost)");
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  if (!address.is_loopback()) {
    throw std::runtime_error("sandbox: " + text +
                             " is not a loopback address; the sandbox is for local testing and "
                             "listens on loopback only (127.0.0.1, ::1 or localhost)");
  }
  return address;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(endpoint.port());
}

awaitable<void> watch(std::shared_ptr<Channel> channel) { co_await channel->watchdog(); }

}  // namespace

class Server::Impl {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)),
        mail_dir_(options_.data_dir / "mail"),
        tls_dir_(options_.data_dir / "tls") {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { stop(); }

  void start();
  void stop();
  Ports ports() const {
    const std::lock_guard lock(mutex_);
    return ports_;
  }
  fs::path mail_dir() const { return mail_dir_; }
  fs::path ca_file() const { return pki::paths(tls_dir_).ca_cert; }

 private:
  void log(std::string_view line) const noexcept {
    if (!options_.log) return;
    try {
      options_.log(line);
    } catch (...) {
    }
  }
  void listen(const asio::ip::address& address, std::uint16_t port, Kind kind);
  awaitable<void> accept_loop(tcp::acceptor& acceptor, Kind kind);
  awaitable<void> session(std::uint64_t id, std::shared_ptr<Channel> channel, Kind kind);
  void refuse(tcp::socket& socket, Kind kind);
  void close_everything();

  const Options options_;
  const fs::path mail_dir_, tls_dir_;

  mutable std::mutex mutex_;  // started_, stopped_, ports_
  bool started_ = false, stopped_ = false;
  Ports ports_{};

  // Used on the server's thread once it runs. Declared before io_: destroyed after it, so a
  // coroutine frame destroyed with io_ still finds them.
  std::unique_ptr<MailStore> store_;
  PopLogins pop_logins_;
  std::unique_ptr<Context> context_;
  std::optional<asio::ssl::context> tls_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Channel>> channels_;
  std::uint64_t next_id_ = 0;
  bool closing_ = false;

  asio::io_context io_{1};
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;  // destroyed before io_
  std::thread thread_;
  std::promise<void> finished_;
};

void Server::Impl::listen(const asio::ip::address& address, std::uint16_t port, Kind kind) {
  const tcp::endpoint endpoint(address, port);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string hint;
    if (ec == asio::error::address_in_use) {
      hint = " (another program is using this port: choose another one, or 0 for any free port)";
    } else if (ec == asio::error::access_denied) {
      hint = " (ports below 1024 need privileges: choose a port above 1024)";
    }
    throw std::runtime_error("sandbox: cannot listen for " + std::string(kind_name(kind)) + " on " +
                             endpoint_text(endpoint) + ": " + ec.message() + hint);
  }
  const std::uint16_t bound = acceptor->local_endpoint(ec).port();
  switch (kind) {
    case Kind::smtp:
      ports_.smtp = bound;
      break;
    case Kind::smtps:
      ports_.smtps = bound;
      break;
    case Kind::pop3:
      ports_.pop3 = bound;
      break;
    case Kind::pop3s:
      ports_.pop3s = bound;
      break;
  }
  acceptors_.push_back(std::move(acceptor));
}

void Server::Impl::start() {
  const std::lock_guard lock(mutex_);
  if (started_ || stopped_) throw std::runtime_error("sandbox: start() may be called only once");
  if (options_.data_dir.empty()) throw std::runtime_error("sandbox: no data directory given");
  const asio::ip::address address = loopback_address(options_.address);
  try {
    const pki::Outcome pki = pki::ensure(tls_dir_);
    if (pki.new_ca) {
      log("generated a new CA (" + pki.reason + "): clients must trust " + ca_file().string());
    } else if (pki.new_server) {
      log("renewed the server certificate (" + pki.reason + ")");
    }
    tls_.emplace(asio::ssl::context::tls_server);
    pki::configure(tls_->native_handle(), tls_dir_);
    store_ = std::make_unique<MailStore>(mail_dir_);
    context_ = std::make_unique<Context>(Context{options_, *store_, pop_logins_});

    listen(address, options_.smtp_port, Kind::smtp);
    listen(address, options_.smtps_port, Kind::smtps);
    listen(address, options_.pop3_port, Kind::pop3);
    listen(address, options_.pop3s_port, Kind::pop3s);
  } catch (const std::exception& e) {
    acceptors_.clear();
    context_.reset();
    store_.reset();
    tls_.reset();
    ports_ = {};
    const std::string message = e.what();
    throw std::runtime_error(message.starts_with("sandbox") ? message : "sandbox: " + message);
  }

  static constexpr Kind kinds[] = {Kind::smtp, Kind::smtps, Kind::pop3, Kind::pop3s};
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    asio::co_spawn(io_, accept_loop(*acceptors_[i], kinds[i]), asio::detached);
  }
  const std::string host = endpoint_text(tcp::endpoint(address, 0));
  const std::string at = host.substr(0, host.size() - 1);  // "127.0.0.1:"
  log("SMTP " + at + std::to_string(ports_.smtp) + " (STARTTLS), SMTPS " + at +
      std::to_string(ports_.smtps) + ", POP3 " + at + std::to_string(ports_.pop3) +
      " (STLS), POP3S " + at + std::to_string(ports_.pop3s) + "; mail is captured in " +
      mail_dir_.string() + "; CA certificate " + ca_file().string());
  thread_ = std::thread([this] {
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        log(std::string("internal error: ") + e.what());
      }
    }
    finished_.set_value();
  });
  started_ = true;
}

void Server::Impl::close_everything() {
  closing_ = true;
  error_code ignored;
  for (auto& acceptor : acceptors_) acceptor->close(ignored);
  for (auto& [id, weak] : channels_) {
    if (const auto channel = weak.lock()) channel->close();
  }
}

void Server::Impl::stop() {
  const std::lock_guard lock(mutex_);
  if (!started_ || stopped_) {
    stopped_ = true;
    return;
  }
  stopped_ = true;
  asio::post(io_, [this] { close_everything(); });
  // Closing ends every wait at once; the sessions then return and run() runs out of work. If
  // something still runs after the bound, the loop is stopped (leftover coroutine frames are
  // destroyed with io_).
  if (finished_.get_future().wait_for(stop_bound) != std::future_status::ready) {
    io_.stop();
  }
  thread_.join();
  log("stopped");
}

awaitable<void> Server::Impl::accept_loop(tcp::acceptor& acceptor, Kind kind) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(nothrow);
    if (closing_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of file descriptors: wait a little rather than spin
      log(std::string("accept failed on ") + kind_name(kind) + ": " + ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(nothrow);
      if (closing_) co_return;
      continue;
    }
    if (channels_.size() >= options_.max_connections) {
      refuse(socket, kind);
      continue;
    }
    const std::uint64_t id = ++next_id_;
    auto channel = std::make_shared<Channel>(std::move(socket), *tls_, options_.idle_timeout);
    channels_.emplace(id, channel);
    asio::co_spawn(io_, watch(channel), asio::detached);
    asio::co_spawn(io_, session(id, std::move(channel), kind), asio::detached);
  }
}

awaitable<void> Server::Impl::session(std::uint64_t id, std::shared_ptr<Channel> channel,
                                      Kind kind) {
  struct Unregister {
    Impl* impl;
    std::uint64_t id;
    Channel* channel;
    ~Unregister() {
      channel->close();
      impl->channels_.erase(id);
    }
  } unregister{this, id, channel.get()};
  const std::string tag = std::string(kind_name(kind)) + "#" + std::to_string(id);
  try {
    if (kind == Kind::smtp || kind == Kind::smtps) {
      co_await run_smtp(*context_, channel, tag, kind == Kind::smtps);
    } else {
      co_await run_pop3(*context_, channel, tag, kind == Kind::pop3s);
    }
  } catch (const std::exception& e) {
    log(tag + " internal error: " + e.what());
  }
}

void Server::Impl::refuse(tcp::socket& socket, Kind kind) {
  error_code ignored;
  const auto peer = socket.remote_endpoint(ignored);
  if (kind == Kind::smtp || kind == Kind::pop3) {  // a plaintext port: say why, if it fits
    const std::string_view reply =
        kind == Kind::smtp ? "421 4.7.0 localhost Too many connections, try again later\r\n"
                           : "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(reply), ignored);
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  log(std::string("refused a ") + kind_name(kind) + " connection from " + endpoint_text(peer) +
      ": " + std::to_string(options_.max_connections) + " connections are open (the limit)");
}

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
void Server::start() { impl_->start(); }
Ports Server::ports() const { return impl_->ports(); }
fs::path Server::mail_dir() const { return impl_->mail_dir(); }
fs::path Server::ca_file() const { return impl_->ca_file(); }
void Server::stop() { impl_->stop(); }

}  // namespace flowhost::sandbox
