#pragma once
// A scripted SMTP peer for tests: a loopback TCP server that plays a transcript and records
// the exact bytes the client sent, in the spirit of curl's test servers.
//
//   testsupport::ScriptedPeer peer({
//       send("220 mx.test ESMTP"),
//       expect_line(),                       // EHLO
//       send("250-mx.test\r\n250 PIPELINING"),
//       expect_lines(3),                     // MAIL, RCPT, DATA (may arrive in one write)
//       send("250 ok\r\n250 ok\r\n354 go"),
//       expect_data(),
//       send("250 queued"),
//   });
//   ... run the client against 127.0.0.1:peer.port() and let it close the connection ...
//   peer.wait();
//   CHECK(peer.script_completed());
//   CHECK(peer.received_lines() == std::vector<std::string>{"EHLO ...", ...});
//
// The peer is independent of the code under test: POSIX sockets, poll and OpenSSL (memory
// BIOs, so every socket write uses MSG_NOSIGNAL and SIGPIPE cannot kill the test process),
// one thread per peer. Every wait is bounded by the peer's time limit (30 s by default,
// counted from construction), so a broken test fails instead of hanging CI.
//
// Events (events()), in the order they happened:
//   "tls-handshake-ok"
//   "tls-handshake-failed: <reason>"  OpenSSL's reason ("tlsv1 alert unknown ca" when the
//                                     client rejects the certificate), "timeout", or
//                                     "connection closed by the client"; ends the script
//   "plaintext-after-starttls"        the client sent bytes after the STARTTLS command that
//                                     are not a TLS ClientHello; the handshake then fails
//   "tls-close-notify"                the client sent a TLS close_notify (the peer answers it)
//   "client-closed"                   the client closed where that is expected: after the
//                                     last step, or during hang()
//   "client-closed at step N (kind)"  the client closed before the script was done; stops it
//   "timeout at step N (kind)"        the time limit ran out; also "timeout before the first
//                                     step" (no connection came) and "timeout after the
//                                     script" (the client did not close)
//   "io-error at step N (kind): ..."  an unexpected socket or TLS error
//   "no-connection at step N (kind)"  a step after close_connection() without accept_next()
// N is the 0-based index of the step in the script; kind is the helper's name
// ("expect_line", ...).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "test_pki.hpp"

namespace testsupport {

enum class StepKind {
  send,
  send_raw,
  send_trickle,
  expect_line,
  expect_lines,
  expect_data,
  expect_bytes,
  start_tls,
  wait_ms,
  hang,
  close_connection,
  accept_next,
};

// One step of a script; build it with the helpers below.
struct Step {
  StepKind kind;
  std::string bytes{};                   // send*: what to send
  std::size_t count = 0;                 // expect_lines: lines; expect_bytes: bytes
  std::chrono::milliseconds duration{};  // send_trickle: gap between bytes; wait_ms: pause
  TlsIdentity identity = TlsIdentity::trusted_leaf;  // start_tls
};

// Sends text + "\r\n"; text may contain "\r\n" for a multi-line reply ("250-a\r\n250 b").
Step send(std::string text);
// Sends the bytes exactly (injection tests, bare LF, missing CRLF, oversized lines).
Step send_raw(std::string bytes);
// Sends the bytes one at a time, pausing `gap` between them (deadline tests).
Step send_trickle(std::string bytes, std::chrono::milliseconds gap);
// Reads one CRLF-terminated line.
Step expect_line();
Step expect_lines(int n);
// Reads a DATA body up to and including the "\r\n.\r\n" terminator (or a lone ".\r\n" for an
// empty body).
Step expect_data();
// Reads exactly n bytes (a BDAT chunk).
Step expect_bytes(std::size_t n);
// Server-side TLS handshake on the current connection. Bytes the client sent after the
// STARTTLS command (already read, or arriving before its ClientHello) are never fed to TLS:
// the peer records "plaintext-after-starttls" and fails the handshake. A failed handshake
// ends the script.
Step start_tls(TlsIdentity id = TlsIdentity::trusted_leaf);
// Pauses the peer (tests themselves never sleep).
Step wait_ms(int ms);
// Stops answering: keeps the connection open and records what the client sends until it
// closes (event "client-closed") or the time limit runs out.
Step hang();
// Closes the connection now, without a TLS close_notify (a lost connection).
Step close_connection();
// Closes the current connection the same way and accepts the next one (reconnect tests).
// Bytes the client sent that no step read are recorded only if the peer happened to read
// them already: script them with expect_* steps.
Step accept_next();

enum class PeerTls { none, implicit };  // implicit: TLS handshake right after each accept (smtps)

class ScriptedPeer {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeLimit{30'000};

  // Listens on `address` (ephemeral port) before returning, then plays the script on a
  // thread: accept, [TLS handshake,] the steps, then read until the client closes.
  // `address` is the IPv4 address to listen on (a non-loopback one for tests that run in a
  // network namespace of their own).
  explicit ScriptedPeer(std::vector<Step> script, PeerTls tls = PeerTls::none,
                        TlsIdentity id = TlsIdentity::trusted_leaf,
                        std::chrono::milliseconds time_limit = kDefaultTimeLimit,
                        const std::string& address = "127.0.0.1");
  ~ScriptedPeer();  // stops the thread at once, closes the sockets
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  std::uint16_t port() const;

  // Waits until the script has run and the client has closed the connection (or the script
  // stopped early, or the time limit ran out). Close the client before calling it.
  void wait();

  // Every byte the client sent, in order: plaintext and decrypted TLS application data,
  // across all connections. Complete once wait() has returned.
  std::string received() const;
  // received() split on CRLF; a final piece without CRLF is kept as the last line.
  std::vector<std::string> received_lines() const;
  std::vector<std::string> events() const;
  // The server name (SNI) the client sent in each successful TLS handshake, "" where it sent
  // none.
  std::vector<std::string> server_names() const;
  // Every step ran (whatever happened after the last one).
  bool script_completed() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace testsupport
