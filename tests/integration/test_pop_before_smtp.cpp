// POP before SMTP against Dovecot (POP3, STLS, POP3S, APOP, USER/PASS) and a Postfix port that
// takes mail only from a client that logged into POP3 within a minute.

#include <doctest/doctest.h>

#include "mail_servers.hpp"
#include "smtp/error.hpp"
#include "smtp/session.hpp"

using servers::MailServers;

namespace {

const std::string recipient = "bob@example.test";

smtp::SessionOptions pop_before_smtp(const std::string& pop_port, smtp::TlsMode pop_tls,
                                     smtp::Apop apop, std::string password = {}) {
  const auto& s = MailServers::get();
  auto options = s.options("pop_before_smtp", smtp::TlsMode::none);
  smtp::Pop3Options pop;
  pop.host = pop_tls == smtp::TlsMode::none ? "127.0.0.1" : "localhost";
  pop.port = s.pop3_port(pop_port);
  pop.tls = pop_tls;
  pop.ca_file = s.ca_file();
  pop.timeout = options.timeout;
  pop.username = "alice";
  pop.password = password.empty() ? s.password("alice") : password;
  pop.apop = apop;
  options.pop_before_smtp = smtp::PopBeforeSmtp{pop, std::chrono::milliseconds(5)};
  return options;
}

smtp::Result send_marked(smtp::Session& session, const std::string& id) {
  smtp::BufferBody body("Message-ID: " + id + "\r\nSubject: pop before smtp\r\n\r\nhi\r\n");
  return session.send({"alice@example.test", {recipient}}, body);
}

}  // namespace

TEST_CASE("without a POP3 login the port refuses the recipient") {
  const auto& s = MailServers::get();
  s.forget_pop3_logins();
  smtp::Session session(s.options("pop_before_smtp", smtp::TlsMode::none));
  const auto result = send_marked(session, servers::unique_id("no-pop"));
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.error == smtp::errc::all_recipients_rejected);
  CHECK(result.describe().find("POP before SMTP") != std::string::npos);
}

TEST_CASE("after a POP3 login in every mode the mail is accepted and delivered") {
  struct Mode {
    const char* port;
    smtp::TlsMode tls;
    smtp::Apop apop;
  };
  for (const auto mode : {Mode{"pop3", smtp::TlsMode::none, smtp::Apop::yes},
                          Mode{"pop3", smtp::TlsMode::none, smtp::Apop::no},
                          Mode{"pop3", smtp::TlsMode::starttls, smtp::Apop::no},
                          Mode{"pop3", smtp::TlsMode::starttls, smtp::Apop::yes},
                          Mode{"pop3s", smtp::TlsMode::implicit, smtp::Apop::no},
                          Mode{"pop3s", smtp::TlsMode::implicit, smtp::Apop::yes}}) {
    CAPTURE(mode.port);
    CAPTURE(static_cast<int>(mode.tls));
    CAPTURE(mode.apop == smtp::Apop::yes);
    const auto& s = MailServers::get();
    s.forget_pop3_logins();
    smtp::Session session(pop_before_smtp(mode.port, mode.tls, mode.apop));
    const auto id = servers::unique_id("pop-before-smtp");
    const auto result = send_marked(session, id);
    INFO(result.transcript);
    REQUIRE(result.ok());
    CHECK(s.wait_for(id, recipient));
    session.close();
  }
}

TEST_CASE("a wrong POP3 password fails the send without an SMTP connection") {
  const auto& s = MailServers::get();
  s.forget_pop3_logins();
  for (const auto apop : {smtp::Apop::yes, smtp::Apop::no}) {
    smtp::Session session(pop_before_smtp("pop3", smtp::TlsMode::none, apop, "not the password"));
    const auto result = send_marked(session, servers::unique_id("pop-wrong"));
    CHECK(result.error == smtp::errc::pop3_login_failed);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.describe().find("not the password") == std::string::npos);
    CHECK(result.transcript.find("not the password") == std::string::npos);
    CHECK(result.transcript.find("port " + std::to_string(s.smtp_port("pop_before_smtp"))) ==
          std::string::npos);
  }
}
