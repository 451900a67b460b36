#pragma once
// How to reach and talk to one SMTP server: an immutable value; a changed definition is a new
// value (and, in a pool, new sessions).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/sasl.hpp"

namespace smtp {

enum class TlsMode {
  none,      // plaintext (the spec's smtp + default)
  implicit,  // TLS from the first byte (smtps, usually port 465)
  starttls,  // plaintext greeting, then STARTTLS, which is required
};

// Whether PLAIN / LOGIN may send a password over a connection that is neither encrypted nor on
// loopback.
enum class PlaintextAuth { refuse, allow };

struct Credentials {
  sasl::Mechanism mechanism = sasl::Mechanism::plain;
  std::string username;
  std::string password;
};

enum class Apop { no, yes };

struct Pop3Options {
  std::string host;
  std::uint16_t port = 110;
  TlsMode tls = TlsMode::none;  // implicit: POP3S (995); starttls: STLS, required
  std::string ca_file;
  std::string pin_sha256;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::string username;
  std::string password;
  Apop apop = Apop::yes;  // the spec's default
  PlaintextAuth plaintext_auth = PlaintextAuth::refuse;
};

// POP before SMTP: log into POP3 first, and start the SMTP session no earlier than `interval`
// after the POP3 authentication began (the spec's "Interval Time").
struct PopBeforeSmtp {
  Pop3Options pop3;
  std::chrono::milliseconds interval{5};
};

struct SessionOptions {
  std::string host;
  std::uint16_t port = 25;
  TlsMode tls = TlsMode::none;
  std::string ca_file;     // extra trusted CA certificates (PEM), besides the system store
  std::string pin_sha256;  // SHA-256 of the server's public key (base64 or hex); checked too
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // bounds every network wait
  std::optional<Credentials> credentials;                       // SMTP AUTH when set
  std::optional<PopBeforeSmtp> pop_before_smtp;
  PlaintextAuth plaintext_auth = PlaintextAuth::refuse;
  std::string client_name;  // EHLO argument; empty: the local address as an address literal
  ReplyLimits reply_limits;
  std::size_t chunk_size = std::size_t{256} * 1024;  // octets per BDAT chunk and per body read
};

}  // namespace smtp
