// TLS on the wire: STARTTLS required, implicit TLS, certificate verification, pins.

#include <doctest/doctest.h>

#include <algorithm>

#include <openssl/ssl.h>
#include "peer_helpers.hpp"

#include "smtp/error.hpp"
#include "smtp/net/tls.hpp"

using namespace peertest;
using Lines = std::vector<std::string>;

namespace {

smtp::SessionOptions tls_options(const ScriptedPeer& peer, smtp::TlsMode mode,
                                 std::string host = "localhost") {
  auto options = options_for(peer);
  options.tls = mode;
  options.host = std::move(host);
  options.ca_file = test_pki().ca_file_path();
  return options;
}

bool has_event(const ScriptedPeer& peer, std::string_view prefix) {
  const auto events = peer.events();
  return std::any_of(events.begin(), events.end(),
                     [&](const std::string& e) { return e.starts_with(prefix); });
}

}  // namespace

TEST_CASE("STARTTLS: EHLO again after TLS, and only what was offered after TLS counts") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "CHUNKING", "STARTTLS"}),
      expect_line(),
      send("220 2.0.0 ready to start TLS"),
      start_tls(),
      expect_line(),
      ehlo_reply({"8BITMIME"}),  // no PIPELINING or CHUNKING any more
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("354 go"),
      expect_data(),
      send("250 queued"),
  });
  const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::starttls),
                               [](smtp::Session& s) { return send_text(s, "over tls\r\n"); });

  CHECK(result.ok());
  CHECK(has_event(peer, "tls-handshake-ok"));
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "STARTTLS", "EHLO client.test",
                                       "MAIL FROM:<alice@example.test>",
                                       "RCPT TO:<bob@example.test>", "DATA", "over tls", "."});
  CHECK(result.transcript.find("TLS established: TLSv1.3") != std::string::npos);
}

TEST_CASE("STARTTLS is required: no offer or a refusal ends the session, never plaintext mail") {
  SUBCASE("not offered") {
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
    const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::starttls),
                                 [](smtp::Session& s) { return send_text(s, "x\r\n"); });
    CHECK(result.error == smtp::errc::starttls_not_offered);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.describe().find("Use STARTTLS") != std::string::npos);
    CHECK(peer.received_lines() == Lines{"EHLO client.test"});
  }
  SUBCASE("refused") {
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"STARTTLS"}), expect_line(),
                       send("454 4.7.0 TLS not available")});
    const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::starttls),
                                 [](smtp::Session& s) { return send_text(s, "x\r\n"); });
    CHECK(result.error == smtp::errc::starttls_refused);
    CHECK(result.status == smtp::Status::retry);
    CHECK(result.describe().find("454 4.7.0 TLS not available") != std::string::npos);
    CHECK(peer.received_lines() == Lines{"EHLO client.test", "STARTTLS"});
  }
}

TEST_CASE("bytes sent with the STARTTLS reply (response injection) abort the session") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"STARTTLS"}),
      expect_line(),
      send_raw("220 ready\r\n250-mx.test\r\n250 AUTH PLAIN\r\n"),
  });
  const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::starttls),
                               [](smtp::Session& s) { return send_text(s, "x\r\n"); });
  CHECK(result.error == smtp::errc::starttls_unexpected_data);
  CHECK(result.status == smtp::Status::failed);
  CHECK_FALSE(has_event(peer, "tls-handshake"));
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "STARTTLS"});
}

TEST_CASE("implicit TLS verifies the certificate for a DNS name and for an IP literal") {
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    CAPTURE(host);
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                       send("250 ok\r\n250 ok\r\n354 go"), expect_data(), send("250 queued")},
                      PeerTls::implicit);
    const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::implicit, host),
                                 [](smtp::Session& s) { return send_text(s, "x\r\n"); });
    CHECK(result.ok());
    CHECK(has_event(peer, "tls-handshake-ok"));
    // SNI carries a DNS name, never an IP literal (RFC 6066 section 3).
    CHECK(peer.server_names() == Lines{host == "localhost" ? "localhost" : ""});
  }
}

TEST_CASE("the TLS policy: peer verification on, TLS 1.2 at least") {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  CHECK_FALSE(smtp::net::configure_context(ctx, ""));
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
  CHECK((SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) != 0);
  SSL_CTX_free(ctx);
}

TEST_CASE("a certificate that does not verify ends the session before any command") {
  SUBCASE("untrusted issuer") {
    ScriptedPeer peer({}, PeerTls::implicit, TlsIdentity::untrusted_self_signed);
    const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::implicit),
                                 [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == smtp::errc::certificate_untrusted);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.describe().find("self-signed") != std::string::npos);
    CHECK(peer.received().empty());
  }
  SUBCASE("trusted issuer, wrong name") {
    ScriptedPeer peer({}, PeerTls::implicit, TlsIdentity::wrong_name);
    const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::implicit),
                                 [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == smtp::errc::certificate_name_mismatch);
    CHECK(result.status == smtp::Status::failed);
  }
  SUBCASE("no extra CA: the system store does not know the test CA") {
    ScriptedPeer peer({}, PeerTls::implicit);
    auto options = tls_options(peer, smtp::TlsMode::implicit);
    options.ca_file.clear();
    const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == smtp::errc::certificate_untrusted);
  }
  SUBCASE("an unreadable CA file is named") {
    ScriptedPeer peer({});
    auto options = tls_options(peer, smtp::TlsMode::implicit);
    options.ca_file = "/nonexistent/ca.pem";
    const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == smtp::errc::ca_file_unreadable);
    CHECK(result.describe().find("/nonexistent/ca.pem") != std::string::npos);
  }
}

TEST_CASE("a public-key pin is checked after verification") {
  SUBCASE("matching pin, base64 and hex") {
    for (const auto& pin :
         {"sha256//" + test_pki().leaf_spki_sha256_base64(), test_pki().leaf_spki_sha256_hex()}) {
      ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({})}, PeerTls::implicit);
      auto options = tls_options(peer, smtp::TlsMode::implicit);
      options.pin_sha256 = pin;
      const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });
      CHECK(result.ok());
    }
  }
  SUBCASE("another key") {
    ScriptedPeer peer({}, PeerTls::implicit);
    auto options = tls_options(peer, smtp::TlsMode::implicit);
    options.pin_sha256 = test_pki().spki_sha256_base64(TlsIdentity::wrong_name);
    const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == smtp::errc::certificate_pin_mismatch);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.describe().find(test_pki().leaf_spki_sha256_base64()) != std::string::npos);
    CHECK(peer.received().empty());
  }
  SUBCASE("a malformed pin is refused before connecting") {
    smtp::SessionOptions options;
    options.host = "127.0.0.1";
    options.port = 9;  // nothing is contacted
    options.tls = smtp::TlsMode::implicit;
    options.pin_sha256 = "not-a-pin";
    smtp::Session session(options);
    const auto result = session.open();
    CHECK(result.error == smtp::errc::invalid_pin);
    CHECK(result.transcript.find("connected") == std::string::npos);
  }
}

TEST_CASE("implicit TLS against a plaintext port says which setting to change") {
  ScriptedPeer peer({greeting(), hang()});
  const auto result = exchange(peer, tls_options(peer, smtp::TlsMode::implicit),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::tls_peer_not_tls);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.describe().find("STARTTLS") != std::string::npos);
  CHECK(result.describe().find("port") != std::string::npos);
}
