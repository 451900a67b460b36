// Passwords never cross a plaintext channel to a server that is not on loopback.
//
// These tests need a server address that is local but not a loopback address, so CTest runs
// them in a network namespace of their own (see tests/CMakeLists.txt) where 198.18.0.1 (the
// RFC 2544 benchmarking range) is assigned to that namespace's lo. No traffic leaves it.

#include <doctest/doctest.h>

#include <cstdlib>

#include "smtp/error.hpp"
#include "smtp/session.hpp"
#include "support/scripted_peer.hpp"

using namespace testsupport;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

namespace {

std::string server_address() {
  const char* address = std::getenv("SMTP_TEST_NONLOOPBACK_ADDRESS");
  REQUIRE_MESSAGE(address != nullptr, "run through CTest: it sets up the network namespace");
  return address;
}

ScriptedPeer peer_at(std::vector<Step> script) {
  return ScriptedPeer(std::move(script), PeerTls::none, TlsIdentity::trusted_leaf,
                      ScriptedPeer::kDefaultTimeLimit, server_address());
}

smtp::Result open_with(ScriptedPeer& peer, smtp::sasl::Mechanism mechanism,
                       smtp::PlaintextAuth plaintext = smtp::PlaintextAuth::refuse) {
  smtp::SessionOptions options;
  options.host = server_address();
  options.port = peer.port();
  options.timeout = 5s;
  options.client_name = "client.test";
  options.credentials = smtp::Credentials{mechanism, "alice", "secret"};
  options.plaintext_auth = plaintext;
  smtp::Result result;
  {
    smtp::Session session(options);
    result = session.open();
  }
  peer.wait();
  return result;
}

Step greeting() { return send("220 mx.test ESMTP"); }
Step ehlo_with_auth() { return send("250-mx.test\r\n250 AUTH PLAIN LOGIN CRAM-MD5"); }

}  // namespace

TEST_CASE("PLAIN and LOGIN are refused over plaintext to a server off loopback") {
  for (const auto mechanism : {smtp::sasl::Mechanism::plain, smtp::sasl::Mechanism::login}) {
    CAPTURE(smtp::sasl::name(mechanism));
    auto peer = peer_at({greeting(), expect_line(), ehlo_with_auth()});
    const auto result = open_with(peer, mechanism);
    CHECK(result.error == smtp::errc::auth_plaintext_refused);
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.describe().find("STARTTLS") != std::string::npos);
    CHECK(peer.received_lines() == Lines{"EHLO client.test"});
  }
}

TEST_CASE("CRAM-MD5 sends no password, so it may go over plaintext") {
  auto peer = peer_at({greeting(), expect_line(), ehlo_with_auth(), expect_line(),
                       send("334 PDEyMzQ1QG14LnRlc3Q+"), expect_line(), send("235 ok")});
  const auto result = open_with(peer, smtp::sasl::Mechanism::cram_md5);
  CHECK(result.ok());
  CHECK(peer.received_lines().at(1) == "AUTH CRAM-MD5");
}

TEST_CASE("a definition that explicitly allows plaintext authentication gets it") {
  auto peer = peer_at({greeting(), expect_line(), ehlo_with_auth(), expect_line(), send("235 ok")});
  const auto result = open_with(peer, smtp::sasl::Mechanism::plain, smtp::PlaintextAuth::allow);
  CHECK(result.ok());
  CHECK(peer.received_lines().at(1).starts_with("AUTH PLAIN "));
}
