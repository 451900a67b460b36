#include "channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace flowhost::sandbox {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_size = 64 * 1024;

}  // namespace

Channel::Channel(asio::ip::tcp::socket socket, asio::ssl::context& tls,
                 std::chrono::seconds idle_timeout)
    : stream_(std::move(socket), tls), timer_(stream_.get_executor()), idle_timeout_(idle_timeout) {
  error_code ec;
  const auto endpoint = stream_.next_layer().remote_endpoint(ec);
  if (!ec) {
    asio::ip::address address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    peer_ip_ = address.to_string();
    peer_ =
        (address.is_v6() ? "[" + peer_ip_ + "]" : peer_ip_) + ":" + std::to_string(endpoint.port());
  } else {
    peer_ip_ = peer_ = "unknown";
  }
  touch();
}

Channel::~Channel() { close(); }

void Channel::close() noexcept {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
  timer_.cancel();
}

std::size_t Channel::unread() const noexcept {
  error_code ec;
  const std::size_t waiting = closed_ ? 0 : stream_.next_layer().available(ec);
  return input().size() + (ec ? 0 : waiting);
}

std::string Channel::tls_description() const {
  if (!tls_) return "plaintext";
  SSL* ssl = const_cast<Channel*>(this)->stream_.native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

void Channel::fail(const error_code& ec) {
  if (error_.empty()) error_ = timed_out_ ? "idle time-out" : ec.message();
  close();
}

asio::awaitable<void> Channel::watchdog() {
  while (!closed_) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(nothrow);
    if (closed_) break;
    if (std::chrono::steady_clock::now() >= deadline_) {
      timed_out_ = true;
      error_ = "idle time-out";
      close();
    }
  }
}

asio::awaitable<Channel::Upgrade> Channel::upgrade(std::string_view ready_line) {
  Upgrade result;
  result.pipelined = unread();
  queue(ready_line);
  queue("\r\n");
  if (!co_await flush()) co_return result;
  if (result.pipelined > 0) {
    close();
    co_return result;
  }
  result.ok = co_await handshake();
  co_return result;
}

asio::awaitable<bool> Channel::handshake() {
  if (closed_) co_return false;
  touch();
  auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, nothrow);
  if (ec) {
    error_ = timed_out_ ? "idle time-out" : "TLS handshake failed: " + ec.message();
    close();
    co_return false;
  }
  tls_ = true;
  touch();
  co_return true;
}

asio::awaitable<bool> Channel::flush() {
  if (closed_) co_return false;
  if (out_.empty()) co_return true;
  std::string data;
  data.swap(out_);
  error_code ec;
  if (tls_) {
    std::tie(ec, std::ignore) = co_await asio::async_write(stream_, asio::buffer(data), nothrow);
  } else {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(stream_.next_layer(), asio::buffer(data), nothrow);
  }
  if (ec) {
    fail(ec);
    co_return false;
  }
  touch();
  co_return true;
}

asio::awaitable<bool> Channel::fill() {
  if (!co_await flush()) co_return false;
  if (in_pos_ > 0) {  // keep only the unread part
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  const std::size_t old_size = in_.size();
  in_.resize(old_size + read_size);
  error_code ec;
  std::size_t n = 0;
  auto buffer = asio::buffer(in_.data() + old_size, read_size);
  if (tls_) {
    std::tie(ec, n) = co_await stream_.async_read_some(buffer, nothrow);
  } else {
    std::tie(ec, n) = co_await stream_.next_layer().async_read_some(buffer, nothrow);
  }
  in_.resize(old_size + n);
  if (ec) {
    fail(ec);
    co_return false;
  }
  touch();
  co_return true;
}

asio::awaitable<Channel::Line> Channel::read_line(std::string& line, std::size_t max) {
  bool skipping = false;  // inside a line that was too long: drop it up to its LF
  for (;;) {
    const std::string_view data = input();
    const std::size_t lf = data.find('\n');
    if (lf == std::string_view::npos) {
      if (skipping || data.size() > max) {
        skipping = true;
        consume(data.size());
      }
      if (!co_await fill()) co_return Line::closed;
      continue;
    }
    consume(lf + 1);
    if (skipping || lf + 1 > max) co_return Line::too_long;
    if (lf == 0 || data[lf - 1] != '\r') {
      line.assign(data.substr(0, lf));
      co_return Line::bare_lf;
    }
    line.assign(data.substr(0, lf - 1));
    if (line.find_first_of(std::string_view("\r\0", 2)) != std::string::npos) {
      co_return Line::bad_octet;
    }
    co_return Line::ok;
  }
}

}  // namespace flowhost::sandbox
