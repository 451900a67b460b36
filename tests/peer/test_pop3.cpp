// POP before SMTP on the wire: the POP3 login (APOP, USER/PASS, STLS), then the SMTP session.

#include <doctest/doctest.h>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"
#include "smtp/pop3.hpp"

using namespace peertest;
using Lines = std::vector<std::string>;

namespace {

// RFC 1939's APOP example.
constexpr std::string_view rfc_greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>";

smtp::Pop3Options pop3_options(const ScriptedPeer& pop, smtp::Apop apop, smtp::TlsMode tls = {}) {
  smtp::Pop3Options options;
  options.host = tls == smtp::TlsMode::none ? "127.0.0.1" : "localhost";
  options.port = pop.port();
  options.tls = tls;
  options.ca_file = test_pki().ca_file_path();
  options.timeout = 5s;
  options.username = "mrose";
  options.password = "tanstaaf";
  options.apop = apop;
  return options;
}

smtp::Result login(ScriptedPeer& pop, const smtp::Pop3Options& options) {
  auto result = smtp::pop3_login(options);
  pop.wait();
  return result;
}

}  // namespace

TEST_CASE("APOP sends the RFC 1939 digest, then QUIT") {
  ScriptedPeer pop({send(std::string(rfc_greeting)), expect_line(),
                    send("+OK maildrop has 1 message"), expect_line(), send("+OK bye")});
  const auto result = login(pop, pop3_options(pop, smtp::Apop::yes));
  CHECK(result.ok());
  CHECK(pop.received_lines() == Lines{"APOP mrose c4c9334bac560ecc979e58001b3e22fb", "QUIT"});
}

TEST_CASE("USER/PASS, with the password kept out of the transcript") {
  ScriptedPeer pop({send("+OK ready"), expect_line(), send("+OK"), expect_line(), send("+OK in"),
                    expect_line(), send("+OK bye")});
  const auto result = login(pop, pop3_options(pop, smtp::Apop::no));
  CHECK(result.ok());
  CHECK(pop.received_lines() == Lines{"USER mrose", "PASS tanstaaf", "QUIT"});
  CHECK(result.transcript.find("PASS <redacted>") != std::string::npos);
  CHECK(result.transcript.find("tanstaaf") == std::string::npos);
}

TEST_CASE("APOP without a timestamp in the greeting is a clear error, not a USER/PASS fallback") {
  ScriptedPeer pop({send("+OK POP3 ready")});
  const auto result = login(pop, pop3_options(pop, smtp::Apop::yes));
  CHECK(result.error == smtp::errc::pop3_apop_not_offered);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.describe().find("Use APOP") != std::string::npos);
  CHECK(pop.received().empty());
}

TEST_CASE("a refused POP3 login names the setting and the server's words, never the password") {
  ScriptedPeer pop(
      {send(std::string(rfc_greeting)), expect_line(), send("-ERR [AUTH] Authentication failed.")});
  const auto result = login(pop, pop3_options(pop, smtp::Apop::yes));
  CHECK(result.error == smtp::errc::pop3_login_failed);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.describe().find("'Password'") != std::string::npos);
  CHECK(result.describe().find("-ERR [AUTH] Authentication failed.") != std::string::npos);
  CHECK(result.describe().find("tanstaaf") == std::string::npos);
}

TEST_CASE("STLS: required, CAPA checked, and nothing read in plaintext after it") {
  SUBCASE("offered and used") {
    ScriptedPeer pop({send(std::string(rfc_greeting)), expect_line(),
                      send("+OK\r\nUSER\r\nSTLS\r\n."), expect_line(), send("+OK begin TLS"),
                      start_tls(), expect_line(), send("+OK in"), expect_line(), send("+OK bye")});
    const auto result = login(pop, pop3_options(pop, smtp::Apop::yes, smtp::TlsMode::starttls));
    CHECK(result.ok());
    CHECK(pop.received_lines() ==
          Lines{"CAPA", "STLS", "APOP mrose c4c9334bac560ecc979e58001b3e22fb", "QUIT"});
    CHECK(result.transcript.find("TLS established") != std::string::npos);
  }
  SUBCASE("not offered") {
    ScriptedPeer pop({send("+OK ready"), expect_line(), send("+OK\r\nUSER\r\n.")});
    const auto result = login(pop, pop3_options(pop, smtp::Apop::no, smtp::TlsMode::starttls));
    CHECK(result.error == smtp::errc::pop3_stls_not_offered);
    CHECK(result.status == smtp::Status::failed);
    CHECK(pop.received_lines() == Lines{"CAPA"});
  }
  SUBCASE("injected bytes after the STLS response") {
    ScriptedPeer pop({send("+OK ready"), expect_line(), send("+OK\r\nSTLS\r\n."), expect_line(),
                      send_raw("+OK begin TLS\r\n+OK logged in\r\n")});
    const auto result = login(pop, pop3_options(pop, smtp::Apop::no, smtp::TlsMode::starttls));
    CHECK(result.error == smtp::errc::pop3_stls_unexpected_data);
    CHECK(pop.received_lines() == Lines{"CAPA", "STLS"});
  }
}

TEST_CASE("POP3S: TLS from the first byte") {
  ScriptedPeer pop({send(std::string(rfc_greeting)), expect_line(), send("+OK in"), expect_line(),
                    send("+OK bye")},
                   PeerTls::implicit);
  const auto result = login(pop, pop3_options(pop, smtp::Apop::yes, smtp::TlsMode::implicit));
  CHECK(result.ok());
}

TEST_CASE("POP before SMTP: POP3 first, SMTP no earlier than the interval after it") {
  ScriptedPeer pop({send(std::string(rfc_greeting)), expect_line(), send("+OK in"), expect_line(),
                    send("+OK bye")});
  ScriptedPeer smtp_peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                          send("250 ok\r\n250 ok\r\n354 go"), expect_data(), send("250 queued")});
  auto options = options_for(smtp_peer);
  options.pop_before_smtp = smtp::PopBeforeSmtp{pop3_options(pop, smtp::Apop::yes), 300ms};
  const auto started = std::chrono::steady_clock::now();
  const auto result =
      exchange(smtp_peer, options, [](smtp::Session& s) { return send_text(s, "x\r\n"); });
  const auto elapsed = std::chrono::steady_clock::now() - started;
  pop.wait();

  CHECK(result.ok());
  CHECK(elapsed >= 300ms);  // a lower bound only: the interval must have been waited out
  CHECK(pop.received_lines().front().starts_with("APOP mrose "));
  CHECK(result.transcript.find("POP before SMTP") < result.transcript.find("S: 220 mx.test"));
}

TEST_CASE("POP before SMTP: a failed POP3 login means no SMTP connection") {
  ScriptedPeer pop({send(std::string(rfc_greeting)), expect_line(), send("-ERR wrong password")});
  ScriptedPeer smtp_peer({});
  auto options = options_for(smtp_peer);
  options.pop_before_smtp = smtp::PopBeforeSmtp{pop3_options(pop, smtp::Apop::yes), 5ms};
  smtp::Result result;
  {
    smtp::Session session(options);
    result = send_text(session, "x\r\n");
  }
  pop.wait();

  CHECK(result.error == smtp::errc::pop3_login_failed);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.recipients.at(0).status == smtp::Status::failed);
  CHECK(result.transcript.find("port " + std::to_string(smtp_peer.port())) == std::string::npos);
}
