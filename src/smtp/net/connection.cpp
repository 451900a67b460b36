#include "smtp/net/connection.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <limits>

#include "smtp/error.hpp"
#include "smtp/net/tls.hpp"
#include "smtp/net/tls_context_impl.hpp"

namespace smtp::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using boost::system::error_code;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_size = 16 * 1024;

// Like asio::transfer_all, but with no 64 KiB cap on each write: a 256 KiB body chunk goes to
// the kernel in one call where the socket takes it, not in four.
std::size_t all_at_once(const error_code& ec, std::size_t /*written*/) {
  return ec ? 0 : std::numeric_limits<std::size_t>::max();
}

std::string address_literal(const asio::ip::address& address) {
  if (address.is_v6()) return "[IPv6:" + address.to_string() + "]";
  return "[" + address.to_string() + "]";
}

bool is_loopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

}  // namespace

Connection::Connection(asio::io_context& io, Endpoint endpoint, Transcript& transcript,
                       std::shared_ptr<TlsClientContext> tls_context)
    : io_(io),
      endpoint_(std::move(endpoint)),
      transcript_(transcript),
      tls_context_(std::move(tls_context)),
      socket_(io),
      resolver_(io),
      timer_(io) {}

Connection::~Connection() { close(); }

// Every wait gets its own absolute deadline; a stale timer completion (one that fired just as
// the operation finished) is recognised by its generation and ignored. Nested waits share the
// outermost deadline.
void Connection::arm() {
  if (armed_++ > 0) return;
  timed_out_ = false;
  const auto generation = ++deadline_generation_;
  timer_.expires_after(endpoint_.timeout);
  timer_.async_wait([this, generation](error_code ec) {
    if (ec || generation != deadline_generation_) return;
    timed_out_ = true;
    error_code ignored;
    resolver_.cancel();
    socket_.cancel(ignored);
  });
}

void Connection::disarm() {
  if (--armed_ > 0) return;
  ++deadline_generation_;
  timer_.cancel();
}

std::error_code Connection::io_error(const error_code& ec) {
  if (timed_out_) return errc::timeout;
  detail_ = ec.message();
  return errc::connection_lost;
}

awaitable<std::error_code> Connection::connect() {
  const auto where = endpoint_.host + ":" + std::to_string(endpoint_.port);
  const Deadline deadline(*this);
  error_code ec;
  tcp::endpoint peer;
  const auto address = asio::ip::make_address(endpoint_.host, ec);
  if (!ec) {
    peer = tcp::endpoint(address, endpoint_.port);
    std::tie(ec) = co_await socket_.async_connect(peer, nothrow);
  } else {
    auto [rec, endpoints] =
        co_await resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port), nothrow);
    if (rec) {
      detail_ = where + ": " + rec.message();
      co_return timed_out_ ? errc::timeout : errc::resolve_failed;
    }
    std::tie(ec, peer) = co_await asio::async_connect(socket_, endpoints, nothrow);
  }
  if (ec) {
    detail_ = where + ": " + ec.message();
    co_return timed_out_ ? errc::timeout : errc::connect_failed;
  }
  socket_.set_option(tcp::no_delay(true), ec);
  peer_loopback_ = is_loopback(peer.address());
  local_literal_ = address_literal(socket_.local_endpoint(ec).address());
  transcript_.note("connected to " + peer.address().to_string() + " port " +
                   std::to_string(peer.port()));
  co_return std::error_code{};
}

awaitable<std::error_code> Connection::start_tls() {
  if (!tls_context_) {
    std::error_code ec;
    tls_context_ = TlsClientContext::create(endpoint_.ca_file, ec);
    if (ec) {
      detail_ = endpoint_.ca_file;
      co_return ec;
    }
  }
  auto& context = tls_context_->impl();
  tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, context.context);
  SSL* ssl = tls_->native_handle();
  if (auto ec = configure_connection(ssl, endpoint_.host)) co_return ec;
  context.offer_session(ssl);
  error_code ec;
  {
    const Deadline deadline(*this);
    std::tie(ec) = co_await tls_->async_handshake(ssl::stream_base::client, nothrow);
  }
  if (ec) {
    if (timed_out_) co_return errc::timeout;
    co_return classify_handshake_error(ec, ssl, detail_);
  }
  if (!endpoint_.pin_sha256.empty()) {
    const auto pin = parse_pin(endpoint_.pin_sha256);
    if (!pin) co_return errc::invalid_pin;
    if (auto e = check_pin(ssl, *pin, detail_)) co_return e;
  }
  const bool resumed = SSL_session_reused(ssl) == 1;
  if (resumed) ++context.resumed;
  transcript_.note(std::string("TLS established: ") + SSL_get_version(ssl) + " " +
                   SSL_get_cipher_name(ssl) + (resumed ? " (session resumed)" : ""));
  co_return std::error_code{};
}

awaitable<std::error_code> Connection::write(std::string_view bytes) {
  const asio::const_buffer buffer = asio::buffer(bytes);
  co_return co_await write(std::span(&buffer, 1));
}

awaitable<std::error_code> Connection::write(std::span<const asio::const_buffer> buffers) {
  const Deadline deadline(*this);
  auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, buffers, all_at_once, nothrow)
                      : co_await asio::async_write(socket_, buffers, all_at_once, nothrow);
  co_return ec ? io_error(ec) : std::error_code{};
}

awaitable<std::error_code> Connection::read_some() {
  if (inbox_capacity_ - inbox_end_ < read_size) {
    // Room for a full read: the unread bytes move to the front, into a larger buffer if a
    // reply in progress needs one (the reply parser bounds how large).
    const auto unread_size = inbox_end_ - inbox_pos_;
    if (unread_size + read_size > inbox_capacity_) {
      const auto capacity = std::max(unread_size + read_size, 2 * inbox_capacity_);
      auto larger = std::make_unique_for_overwrite<char[]>(capacity);
      if (unread_size > 0) std::memcpy(larger.get(), inbox_.get() + inbox_pos_, unread_size);
      inbox_ = std::move(larger);
      inbox_capacity_ = capacity;
    } else if (unread_size > 0) {
      std::memmove(inbox_.get(), inbox_.get() + inbox_pos_, unread_size);
    }
    inbox_pos_ = 0;
    inbox_end_ = unread_size;
  }
  auto buffer = asio::buffer(inbox_.get() + inbox_end_, read_size);
  auto [ec, n] = tls_ ? co_await tls_->async_read_some(buffer, nothrow)
                      : co_await socket_.async_read_some(buffer, nothrow);
  inbox_end_ += n;
  co_return ec ? io_error(ec) : std::error_code{};
}

void Connection::consume(std::size_t n) {
  inbox_pos_ += n;
  if (inbox_pos_ == inbox_end_) inbox_pos_ = inbox_end_ = 0;
}

bool Connection::peer_gone() {
  if (!socket_.is_open()) return true;
  if (inbox_pos_ != inbox_end_) return true;
  char byte = 0;
  const auto n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: the server closed; > 0: it said something unasked (421, TLS alert); EAGAIN: all quiet.
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

void Connection::close() {
  error_code ignored;
  tls_.reset();
  socket_.close(ignored);
  inbox_pos_ = inbox_end_ = 0;
}

}  // namespace smtp::net
