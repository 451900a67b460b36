// SMTP AUTH on the wire: PLAIN, LOGIN, CRAM-MD5, failures, and secrets kept out of results.

#include <doctest/doctest.h>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"

using namespace peertest;
using Lines = std::vector<std::string>;

namespace {

constexpr std::string_view password = "Tr0ub4dor&3 x";

smtp::SessionOptions auth_options(const ScriptedPeer& peer, smtp::sasl::Mechanism mechanism,
                                  std::string user = "alice") {
  auto options = options_for(peer);
  options.credentials = smtp::Credentials{mechanism, std::move(user), std::string(password)};
  return options;
}

}  // namespace

TEST_CASE("AUTH PLAIN sends the initial response with AUTH") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH PLAIN LOGIN CRAM-MD5"}),
                     expect_line(), send("235 2.7.0 accepted")});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::plain),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.ok());
  // base64("\0alice\0Tr0ub4dor&3 x")
  CHECK(peer.received_lines() ==
        Lines{"EHLO client.test", "AUTH PLAIN AGFsaWNlAFRyMHViNGRvciYzIHg="});
  CHECK(result.transcript.find("AUTH PLAIN <redacted>") != std::string::npos);
  CHECK(result.transcript.find("AGFsaWNl") == std::string::npos);
}

TEST_CASE("AUTH LOGIN answers the two prompts in order") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH=LOGIN"}), expect_line(),
                     send("334 VXNlcm5hbWU6"), expect_line(), send("334 UGFzc3dvcmQ6"),
                     expect_line(), send("235 ok")});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::login),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.ok());
  CHECK(peer.received_lines() ==
        Lines{"EHLO client.test", "AUTH LOGIN", "YWxpY2U=", "VHIwdWI0ZG9yJjMgeA=="});
  CHECK(result.transcript.find("YWxpY2U=") == std::string::npos);
  CHECK(result.transcript.find("VHIwdWI0ZG9yJjMgeA==") == std::string::npos);
}

TEST_CASE("AUTH CRAM-MD5 answers the RFC 2195 challenge") {
  // RFC 2195's example: tim / tanstaaftanstaaf.
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH CRAM-MD5"}), expect_line(),
                     send("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
                     expect_line(), send("235 ok")});
  auto options = options_for(peer);
  options.credentials =
      smtp::Credentials{smtp::sasl::Mechanism::cram_md5, "tim", "tanstaaftanstaaf"};
  const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });
  CHECK(result.ok());
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "AUTH CRAM-MD5",
                                       "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"});
}

TEST_CASE("a wrong password is FAILED with the server's reply and no secret") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH PLAIN"}), expect_line(),
                     send("535 5.7.8 Error: authentication failed")});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::plain),
                               [](smtp::Session& s) { return send_text(s, "x\r\n"); });
  CHECK(result.error == smtp::errc::auth_failed);
  CHECK(result.status == smtp::Status::failed);
  CHECK(result.describe().find("535 5.7.8") != std::string::npos);
  CHECK(result.describe().find("SMTP Password") != std::string::npos);
  CHECK(result.describe().find(password) == std::string::npos);
  CHECK(result.transcript.find(password) == std::string::npos);
  REQUIRE(result.recipients.size() == 1);
  CHECK(result.recipients[0].status == smtp::Status::failed);
}

TEST_CASE("a temporary authentication failure is RETRY") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH PLAIN"}), expect_line(),
                     send("454 4.7.0 temporary authentication failure")});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::plain),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::auth_temporary_failure);
  CHECK(result.status == smtp::Status::retry);
}

TEST_CASE("a mechanism the server does not offer is named with what it offers") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH PLAIN LOGIN"})});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::cram_md5),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::auth_mechanism_not_offered);
  CHECK(result.describe().find("configured CRAM-MD5, the server offers PLAIN LOGIN") !=
        std::string::npos);
}

TEST_CASE("no AUTH offered at all") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::plain),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::auth_not_offered);
  CHECK(result.status == smtp::Status::failed);
}

TEST_CASE("CR or LF in the user name is refused before anything is sent") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH LOGIN"})});
  const auto result =
      exchange(peer, auth_options(peer, smtp::sasl::Mechanism::login, "alice\r\nMAIL FROM:<x@y>"),
               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::invalid_credentials);
  CHECK(peer.received_lines() == Lines{"EHLO client.test"});
}

TEST_CASE("a broken exchange (unexpected challenge) is a protocol error") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH PLAIN"}), expect_line(),
                     send("334 bm90IGV4cGVjdGVk")});
  const auto result = exchange(peer, auth_options(peer, smtp::sasl::Mechanism::plain),
                               [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::auth_protocol_error);
}
