// The session core against a real Postfix (and Dovecot for SASL): every TLS and AUTH mode, read
// back from what Postfix delivered.

#include <doctest/doctest.h>

#include "mail_servers.hpp"
#include "smtp/error.hpp"
#include "smtp/session.hpp"

using servers::MailServers;

namespace {

const std::string recipient = "bob@example.test";

std::string message(const std::string& id, const std::string& subject, const std::string& body) {
  return "From: Alice <alice@example.test>\r\n"
         "To: Bob <bob@example.test>\r\n"
         "Subject: " +
         subject +
         "\r\n"
         "Message-ID: " +
         id +
         "\r\n"
         "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
         "\r\n" +
         body;
}

// Sends `bytes` from alice to `to` and returns what Postfix delivered to the first recipient.
std::optional<servers::Delivery> send_and_fetch(smtp::Session& session, const std::string& id,
                                                const std::string& bytes,
                                                std::vector<std::string> to = {recipient}) {
  smtp::BufferBody body(bytes);
  const auto first = to.front();
  const auto result = session.send({"alice@example.test", std::move(to)}, body);
  INFO(result.describe());
  INFO(result.transcript);
  REQUIRE(result.ok());
  return MailServers::get().wait_for(id, first);
}

void check_delivered_exactly(smtp::Session& session, const std::string& test) {
  const auto id = servers::unique_id(test);
  const auto sent =
      message(id, test, "Hello Bob,\r\n.a line with a leading dot\r\n..two\r\nbye\r\n");
  const auto delivered = send_and_fetch(session, id, sent);
  REQUIRE(delivered);
  CHECK(delivered->message == sent);
  CHECK(delivered->sender == "alice@example.test");
  CHECK(delivered->recipient == recipient);
}

}  // namespace

TEST_CASE("every TLS mode delivers byte for byte") {
  const auto& s = MailServers::get();
  struct Mode {
    const char* port;
    smtp::TlsMode tls;
  };
  for (const auto mode :
       {Mode{"plain", smtp::TlsMode::none}, Mode{"starttls", smtp::TlsMode::starttls},
        Mode{"smtps", smtp::TlsMode::implicit}, Mode{"nochunking", smtp::TlsMode::none},
        Mode{"nopipelining", smtp::TlsMode::none}}) {
    CAPTURE(mode.port);
    smtp::Session session(s.options(mode.port, mode.tls));
    check_delivered_exactly(session, std::string("mode-") + mode.port);
    session.close();
  }
}

TEST_CASE("TLS verifies the certificate by host name and by IP address") {
  const auto& s = MailServers::get();
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    CAPTURE(host);
    smtp::Session session(s.options("starttls", smtp::TlsMode::starttls, host));
    const auto result = session.open();
    CHECK_MESSAGE(result.ok(), result.describe());
    session.close();
  }
  SUBCASE("without the harness CA the certificate is not trusted") {
    auto options = s.options("smtps", smtp::TlsMode::implicit, "localhost");
    options.ca_file.clear();
    smtp::Session session(options);
    CHECK(session.open().error == smtp::errc::certificate_untrusted);
  }
}

TEST_CASE("wrong TLS settings fail with the setting to change") {
  const auto& s = MailServers::get();
  SUBCASE("STARTTLS required on a port that does not offer it") {
    smtp::Session session(s.options("plain", smtp::TlsMode::starttls));
    const auto result = session.open();
    CHECK(result.error == smtp::errc::starttls_not_offered);
    CHECK(result.status == smtp::Status::failed);
  }
  SUBCASE("implicit TLS on a plaintext port") {
    smtp::Session session(s.options("plain", smtp::TlsMode::implicit));
    const auto result = session.open();
    CHECK(result.error == smtp::errc::tls_peer_not_tls);
    CHECK(result.describe().find("Use STARTTLS") != std::string::npos);
  }
}

TEST_CASE("SMTP AUTH through Dovecot: PLAIN, LOGIN and CRAM-MD5 in every TLS mode") {
  const auto& s = MailServers::get();
  struct Mode {
    const char* port;
    smtp::TlsMode tls;
    smtp::sasl::Mechanism mechanism;
  };
  using smtp::sasl::Mechanism;
  for (const auto mode : {Mode{"auth_plain", smtp::TlsMode::none, Mechanism::plain},
                          Mode{"auth_plain", smtp::TlsMode::none, Mechanism::login},
                          Mode{"auth_plain", smtp::TlsMode::none, Mechanism::cram_md5},
                          Mode{"auth_starttls", smtp::TlsMode::starttls, Mechanism::plain},
                          Mode{"auth_starttls", smtp::TlsMode::starttls, Mechanism::login},
                          Mode{"auth_starttls", smtp::TlsMode::starttls, Mechanism::cram_md5},
                          Mode{"auth_smtps", smtp::TlsMode::implicit, Mechanism::plain},
                          Mode{"auth_smtps", smtp::TlsMode::implicit, Mechanism::login},
                          Mode{"auth_smtps", smtp::TlsMode::implicit, Mechanism::cram_md5}}) {
    CAPTURE(mode.port);
    CAPTURE(smtp::sasl::name(mode.mechanism));
    auto options = s.options(mode.port, mode.tls);
    options.credentials = smtp::Credentials{mode.mechanism, "alice", s.password("alice")};
    smtp::Session session(options);
    check_delivered_exactly(session, std::string("auth-") + mode.port);
    session.close();
  }
}

TEST_CASE("a wrong password is FAILED, names the setting, and holds no secret") {
  const auto& s = MailServers::get();
  for (const auto mechanism : {smtp::sasl::Mechanism::plain, smtp::sasl::Mechanism::login,
                               smtp::sasl::Mechanism::cram_md5}) {
    CAPTURE(smtp::sasl::name(mechanism));
    auto options = s.options("auth_smtps", smtp::TlsMode::implicit);
    options.credentials = smtp::Credentials{mechanism, "alice", "wrong password 123"};
    smtp::Session session(options);
    smtp::BufferBody body(message(servers::unique_id("wrong-password"), "x", "x\r\n"));
    const auto result = session.send({"alice@example.test", {recipient}}, body);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.error == smtp::errc::auth_failed);
    CHECK(result.reply->code == 535);
    CHECK(result.describe().find("wrong password") == std::string::npos);
    CHECK(result.transcript.find("wrong password") == std::string::npos);
  }
}

TEST_CASE("a server that requires AUTH refuses an unauthenticated sender's recipients") {
  const auto& s = MailServers::get();
  smtp::Session session(s.options("auth_required", smtp::TlsMode::none));
  smtp::BufferBody body(message(servers::unique_id("unauthenticated"), "x", "x\r\n"));
  const auto result = session.send({"alice@example.test", {recipient}}, body);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.error == smtp::errc::all_recipients_rejected);
  CHECK(result.recipients[0].reply->is_permanent());
}

TEST_CASE("refused recipients: permanent and transient, beside an accepted one") {
  const auto& s = MailServers::get();
  for (const auto port : {"plain", "nochunking", "nopipelining"}) {
    CAPTURE(port);
    smtp::Session session(s.options(port, smtp::TlsMode::none));
    const auto id = servers::unique_id("refused");
    smtp::BufferBody body(message(id, "refused", "x\r\n"));
    const auto result = session.send(
        {"alice@example.test", {"reject@example.test", recipient, "tempfail@example.test"}}, body);
    INFO(result.transcript);
    CHECK(result.status == smtp::Status::ok);
    REQUIRE(result.recipients.size() == 3);
    CHECK(result.recipients[0].status == smtp::Status::failed);
    CHECK(result.recipients[0].reply->klass() == 5);
    CHECK(result.recipients[1].status == smtp::Status::ok);
    CHECK(result.recipients[2].status == smtp::Status::retry);
    CHECK(result.recipients[2].reply->klass() == 4);
    CHECK(s.wait_for(id, recipient));

    smtp::BufferBody again(message(servers::unique_id("all-refused"), "x", "x\r\n"));
    const auto none = session.send({"alice@example.test", {"tempfail@example.test"}}, again);
    CHECK(none.status == smtp::Status::retry);
    CHECK(none.error == smtp::errc::all_recipients_rejected);
    session.close();
  }
}

TEST_CASE("one session carries many messages") {
  const auto& s = MailServers::get();
  for (const auto port : {"plain", "nochunking", "nopipelining"}) {
    CAPTURE(port);
    smtp::Session session(s.options(port, smtp::TlsMode::none));
    for (int i = 0; i < 5; ++i) check_delivered_exactly(session, std::string("reuse-") + port);
    session.close();
  }
}

TEST_CASE("smuggling sequences and bare line endings arrive as harmless CRLF lines") {
  const auto& s = MailServers::get();
  for (const auto port : {"plain", "nochunking"}) {
    CAPTURE(port);
    smtp::Session session(s.options(port, smtp::TlsMode::none));
    const auto id = servers::unique_id("smuggling");
    const std::string body =
        "a\n.\nMAIL FROM:<evil@example.test>\r\nb\r.\rc\r\n.\nd\n.\r\ne\r\n.\r\n..\r\nend";
    const auto delivered = send_and_fetch(session, id, message(id, "smuggling", body));
    REQUIRE(delivered);
    CHECK(delivered->message ==
          message(id, "smuggling",
                  "a\r\n.\r\nMAIL FROM:<evil@example.test>\r\nb\r\n.\r\nc\r\n.\r\nd\r\n.\r\ne\r\n"
                  ".\r\n..\r\nend\r\n"));
    session.close();
  }
}

TEST_CASE("large messages stream in chunks (BDAT) and through DATA, byte for byte") {
  const auto& s = MailServers::get();
  std::string body;
  for (int i = 0; body.size() < 3'000'000; ++i) {
    body += "line " + std::to_string(i) + " of a large message, with a dot next:\r\n.\r\n";
  }
  struct Mode {
    const char* port;
    smtp::TlsMode tls;
  };
  for (const auto mode :
       {Mode{"plain", smtp::TlsMode::none}, Mode{"nochunking", smtp::TlsMode::none},
        Mode{"nopipelining", smtp::TlsMode::none}, Mode{"starttls", smtp::TlsMode::starttls}}) {
    CAPTURE(mode.port);
    auto options = s.options(mode.port, mode.tls);
    options.chunk_size = 64 * 1024;
    smtp::Session session(options);
    const auto id = servers::unique_id("large");
    const auto sent = message(id, "large", body);
    const auto delivered = send_and_fetch(session, id, sent);
    REQUIRE(delivered);
    CHECK(delivered->message.size() == sent.size());
    CHECK(delivered->message == sent);
    session.close();
  }
}

TEST_CASE("UTF-8 addresses and 8-bit bodies use SMTPUTF8 and 8BITMIME") {
  const auto& s = MailServers::get();
  smtp::Session session(s.options("plain", smtp::TlsMode::none));
  const auto id = servers::unique_id("utf8");
  const auto sent = message(id, "=?UTF-8?Q?caf=C3=A9?=", "Caf\xc3\xa9 \xe2\x98\x95\r\n");
  smtp::BufferBody body(sent);
  const auto result =
      session.send({"j\xc3\xb6rg@example.test", {recipient}}, body, {smtp::BodyClass::eight_bit});
  INFO(result.transcript);
  REQUIRE(result.ok());
  CHECK(result.transcript.find("BODY=8BITMIME SMTPUTF8") != std::string::npos);
  const auto delivered = s.wait_for(id, recipient);
  REQUIRE(delivered);
  CHECK(delivered->message == sent);
  CHECK(delivered->sender == "j\xc3\xb6rg@example.test");
}
