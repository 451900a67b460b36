#pragma once
// One client connection: the TCP socket, TLS on it (implicit or after STARTTLS / STLS), the
// input and output buffers and the idle deadline. Used from the server's thread only.
//
// Pipelining: replies are queued and written when the session needs more input (fill() flushes
// before it reads), so a batch of pipelined commands gets its replies in one write, in order.
// Idle time-out: every completed read or write moves the deadline; watchdog() closes the socket
// when it passes, which ends whatever the session was waiting for.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

namespace flowhost::sandbox {

class Channel {
 public:
  Channel(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
          std::chrono::seconds idle_timeout);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  const std::string& peer() const noexcept { return peer_; }  // "127.0.0.1:40000"
  const std::string& peer_ip() const noexcept { return peer_ip_; }
  bool tls() const noexcept { return tls_; }
  bool closed() const noexcept { return closed_; }
  bool timed_out() const noexcept { return timed_out_; }
  const std::string& error() const noexcept { return error_; }  // the last I/O error

  // Octets received and not yet consumed: buffered, or already waiting in the socket.
  std::size_t unread() const noexcept;
  std::string tls_description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"

  void close() noexcept;
  boost::asio::awaitable<void> watchdog();  // co_spawn once; ends when the channel closes

  // The server side of a TLS handshake on this socket; false (and closed) on failure.
  boost::asio::awaitable<bool> handshake();

  // The STARTTLS / STLS turn: `ready_line` goes out, then the handshake. Whatever the client
  // sent after the command and before the handshake went in plaintext and could be an injection
  // (CVE-2011-0411 and its kind): it is counted before the reply leaves (after it, a fast
  // client's ClientHello may already be waiting), never read as a command, and the connection
  // is closed. `pipelined` > 0 tells that case from a failed handshake.
  struct Upgrade {
    bool ok = false;
    std::size_t pipelined = 0;
  };
  boost::asio::awaitable<Upgrade> upgrade(std::string_view ready_line);

  void queue(std::string_view bytes) { out_.append(bytes); }
  boost::asio::awaitable<bool> flush();

  enum class Line { ok, closed, too_long, bare_lf, bad_octet };
  // The next line without its CRLF. too_long: more than `max` octets (CRLF included); the rest
  // of that line is skipped. bare_lf: a line ended by LF alone. bad_octet: a CR or NUL inside.
  boost::asio::awaitable<Line> read_line(std::string& line, std::size_t max);

  std::string_view input() const noexcept { return std::string_view(in_).substr(in_pos_); }
  void consume(std::size_t n) noexcept { in_pos_ += n; }
  boost::asio::awaitable<bool> fill();  // flush, then read more input; false: closed

 private:
  void touch() noexcept { deadline_ = std::chrono::steady_clock::now() + idle_timeout_; }
  void fail(const boost::system::error_code& ec);

  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::steady_timer timer_;
  std::chrono::seconds idle_timeout_;
  std::chrono::steady_clock::time_point deadline_;
  std::string peer_, peer_ip_, error_;
  bool tls_ = false, closed_ = false, timed_out_ = false;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
};

}  // namespace flowhost::sandbox
