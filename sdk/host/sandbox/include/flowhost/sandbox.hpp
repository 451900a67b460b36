#pragma once
// The sandbox: a local capture mail server for designing and testing flows (in the manner of
// Mailpit or smtp4dev). It listens on loopback only, accepts every message (with or without
// SMTP AUTH), stores each one as an .eml file with a JSON sidecar, and serves the captured mail
// over POP3 so POP before SMTP can be tried. It never delivers anything.
//
//   SMTP   plaintext with STARTTLS, and implicit TLS (smtps); EHLO/HELO, PIPELINING, 8BITMIME,
//          SMTPUTF8, SIZE, ENHANCEDSTATUSCODES, CHUNKING (BDAT), AUTH PLAIN / LOGIN / CRAM-MD5.
//          A recipient fail-permanent@... gets 550 5.1.1, fail-temporary@... gets 451 4.3.0.
//   POP3   plaintext with STLS, and implicit TLS (pop3s); USER/PASS, APOP; a read-only maildrop
//          of the captured mail (DELE answers +OK, files are never deleted).
//   TLS    a CA and a server certificate (EC P-256; localhost, 127.0.0.1, ::1) generated under
//          data_dir/tls/ on first start and reused afterwards: trust ca_file() once.
//
// Everything runs on one thread of the server's own; start() and stop() may be called from any
// thread (not from the log function, which runs on the server's thread).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace flowhost::sandbox {

struct Options {
  std::filesystem::path data_dir;     // mail/ and tls/ go under it (created if missing)
  std::string address = "127.0.0.1";  // loopback only ("localhost", 127.x.y.z, ::1)
  std::uint16_t smtp_port = 0, smtps_port = 0, pop3_port = 0, pop3s_port = 0;  // 0: ephemeral
  std::map<std::string, std::string> users = {{"sandbox", "sandbox"}};         // user -> password
  std::chrono::seconds pop_window{60};  // POP before SMTP: how long a POP3 login counts
  // One line per connection or event; never a password or an AUTH payload. Called on the
  // server's thread; empty: no logging.
  std::function<void(std::string_view)> log;

  // Hard limits.
  std::chrono::seconds idle_timeout{300};   // no byte moved for this long: closed
  std::size_t max_message_size = 52428800;  // SIZE, and 552 5.3.4 above it
  std::size_t max_recipients = 100;         // 452 4.5.3 above it
  std::size_t max_connections = 64;         // SMTP and POP3 together; 421 / -ERR above it
};

struct Ports {
  std::uint16_t smtp, smtps, pop3, pop3s;
};

class Server {
 public:
  explicit Server(Options options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // stop()

  // Creates the directories and the certificates (or reuses them), binds the four listeners and
  // starts the server's thread. Throws std::runtime_error with a clear message (not a loopback
  // address, port in use, unwritable data directory, ...); then nothing is left running.
  void start();

  Ports ports() const;                     // the bound ports (after start)
  std::filesystem::path mail_dir() const;  // data_dir/mail: <stamp>-<seq>.eml + .json, latest
  std::filesystem::path ca_file() const;   // data_dir/tls/ca.pem: the CA clients should trust

  // Closes the listeners and every connection and joins the thread; bounded (about two seconds
  // at most). Idempotent and safe to call from several threads at once.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowhost::sandbox
