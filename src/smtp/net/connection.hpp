#pragma once
// One TCP connection, plain or TLS, with absolute deadlines: the transport under the SMTP
// session and the POP3 client. Internal to the engine (it exposes Boost.Asio).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include "smtp/protocol/transcript.hpp"
#include "smtp/tls_context.hpp"

namespace smtp::net {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{};
  std::string ca_file;
  std::string pin_sha256;
};

class Connection {
 public:
  Connection(boost::asio::io_context& io, Endpoint endpoint, Transcript& transcript,
             std::shared_ptr<TlsClientContext> tls_context = nullptr);
  ~Connection();

  boost::asio::awaitable<std::error_code> connect();
  // The TLS handshake (at once for implicit TLS, or after STARTTLS/STLS), then the pin check.
  boost::asio::awaitable<std::error_code> start_tls();
  boost::asio::awaitable<std::error_code> write(std::string_view bytes);
  // The buffers one after the other, in as few system calls as the socket allows.
  boost::asio::awaitable<std::error_code> write(std::span<const boost::asio::const_buffer> buffers);
  // Reads what has arrived (at least one byte) and appends it to inbox(). The caller holds a
  // Deadline around a whole reply, so trickled bytes cannot extend it.
  boost::asio::awaitable<std::error_code> read_some();

  // True when the server has closed or sent unsolicited bytes (a 421, a TLS alert): checked
  // without waiting before an idle connection is reused.
  bool peer_gone();
  void close();

  // Bytes read and not yet consumed; consume() drops them from the front.
  std::string_view unread() const {
    return std::string_view(inbox_.get() + inbox_pos_, inbox_end_ - inbox_pos_);
  }
  void consume(std::size_t n);

  bool is_open() const { return socket_.is_open(); }
  bool secure() const { return tls_ != nullptr; }
  bool peer_loopback() const { return peer_loopback_; }
  const std::string& local_address_literal() const { return local_literal_; }
  // Specifics of the last failure (the OS or TLS reason), for the user.
  const std::string& detail() const { return detail_; }

  // One absolute deadline around a wait made of several reads.
  class Deadline {
   public:
    explicit Deadline(Connection& c) : c_(c) { c_.arm(); }
    ~Deadline() { c_.disarm(); }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

   private:
    Connection& c_;
  };

 private:
  void arm();
  void disarm();
  std::error_code io_error(const boost::system::error_code& ec);

  boost::asio::io_context& io_;
  Endpoint endpoint_;
  Transcript& transcript_;
  std::shared_ptr<TlsClientContext> tls_context_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  // Bytes read: [inbox_pos_, inbox_end_) are unread. Allocated once, never zero-filled.
  std::unique_ptr<char[]> inbox_;
  std::size_t inbox_capacity_ = 0;
  std::size_t inbox_pos_ = 0;
  std::size_t inbox_end_ = 0;
  std::string local_literal_;
  std::string detail_;
  std::uint64_t deadline_generation_ = 0;
  int armed_ = 0;
  bool timed_out_ = false;
  bool peer_loopback_ = false;
};

}  // namespace smtp::net
