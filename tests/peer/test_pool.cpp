// The session pool on the wire: reuse, round trips per message, definitions kept apart, dead
// sessions replaced, limits.

#include <doctest/doctest.h>

#include <algorithm>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"
#include "smtp/pool.hpp"

using namespace peertest;
using Lines = std::vector<std::string>;

namespace {

const std::string kilobyte_body = [] {
  std::string body = "Subject: 1 KB\r\n\r\n";
  while (body.size() < 1024)
    body += "0123456789abcdef0123456789abcdef0123456789abcdef012345678\r\n";
  body.resize(1022);
  return body + "\r\n";
}();

smtp::Result pool_send(smtp::SessionPool& pool, const smtp::SessionOptions& definition,
                       std::string_view body = "x\r\n",
                       std::vector<std::string> to = {"bob@example.test"}) {
  smtp::BufferBody source{std::string(body)};
  return pool.send(definition, {"alice@example.test", std::move(to)}, source);
}

// The replies of one pipelined transaction without CHUNKING, after its DATA.
std::vector<Step> data_transaction() {
  return {expect_lines(3), send("250 ok\r\n250 ok\r\n354 go"), expect_data(), send("250 queued")};
}

}  // namespace

TEST_CASE("a reused session costs one round trip per 1 KB message with PIPELINING and CHUNKING") {
  struct Server {
    const char* name;
    std::initializer_list<std::string_view> keywords;
    std::vector<Step> transaction;
    std::uint64_t round_trips;
  };
  const Server servers[] = {
      {"PIPELINING + CHUNKING",
       {"PIPELINING", "CHUNKING"},
       {expect_lines(3), expect_bytes(1024), send("250 ok\r\n250 ok\r\n250 queued")},
       1},
      {"PIPELINING", {"PIPELINING"}, data_transaction(), 2},
      {"neither",
       {},
       {expect_line(), send("250 ok"), expect_line(), send("250 ok"), expect_line(), send("354 go"),
        expect_data(), send("250 queued")},
       4},
  };
  for (const auto& server : servers) {
    CAPTURE(server.name);
    std::vector<Step> script{greeting(), expect_line(), ehlo_reply(server.keywords)};
    for (int i = 0; i < 3; ++i) {
      script.insert(script.end(), server.transaction.begin(), server.transaction.end());
    }
    ScriptedPeer peer(script);
    std::vector<std::uint64_t> costs;
    exchange(peer, options_for(peer), [&](smtp::Session& session) {
      REQUIRE(session.open().ok());
      for (int i = 0; i < 3; ++i) {
        const auto before = session.round_trips();
        smtp::BufferBody body(kilobyte_body);
        REQUIRE(session.send({"alice@example.test", {"bob@example.test"}}, body).ok());
        costs.push_back(session.round_trips() - before);
      }
      return 0;
    });
    CHECK(costs == std::vector<std::uint64_t>(3, server.round_trips));
  }
}

TEST_CASE("the pool reuses a session for the same definition") {
  std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
  for (int i = 0; i < 3; ++i) {
    const auto t = data_transaction();
    script.insert(script.end(), t.begin(), t.end());
  }
  script.push_back(expect_line());
  script.push_back(send("221 bye"));
  ScriptedPeer peer(script);
  {
    smtp::SessionPool pool;
    const auto definition = options_for(peer);
    for (int i = 0; i < 3; ++i) CHECK(pool_send(pool, definition).ok());
    const auto stats = pool.stats();
    CHECK(stats.sessions_opened == 1);
    CHECK(stats.sessions_reused == 2);
    CHECK(stats.idle == 1);
  }  // the pool says QUIT
  peer.wait();
  CHECK(peer.script_completed());
  CHECK(peer.received_lines().back() == "QUIT");
}

TEST_CASE("a session opened for one user is never used for another") {
  ScriptedPeer peer(
      {greeting(), expect_line(), ehlo_reply({"PIPELINING", "AUTH PLAIN"}), expect_line(),
       send("235 ok"),  // alice
       expect_lines(3), send("250 ok\r\n250 ok\r\n354 go"), expect_data(), send("250 queued"),
       accept_next(),  // bob gets a connection of his own
       greeting(), expect_line(), ehlo_reply({"PIPELINING", "AUTH PLAIN"}), expect_line(),
       send("235 ok"), expect_lines(3), send("250 ok\r\n250 ok\r\n354 go"), expect_data(),
       send("250 queued")});
  auto alice = options_for(peer);
  alice.credentials = smtp::Credentials{smtp::sasl::Mechanism::plain, "alice", "a-secret"};
  auto bob = alice;
  bob.credentials->username = "bob";
  {
    smtp::SessionPool pool;
    CHECK(pool_send(pool, alice).ok());
    CHECK(pool_send(pool, bob).ok());
    CHECK(pool.stats().sessions_opened == 2);
    CHECK(pool.stats().sessions_reused == 0);
    pool.retire(alice);  // alice's idle session closes now (its QUIT is not scripted: the peer
    pool.retire(bob);    // has moved on), and so does bob's
  }
  peer.wait();
  const auto lines = peer.received_lines();
  CHECK(lines[1] == "AUTH PLAIN AGFsaWNlAGEtc2VjcmV0");  // \0alice\0a-secret
  CHECK(std::count(lines.begin(), lines.end(), "AUTH PLAIN AGJvYgBhLXNlY3JldA==") == 1);
}

TEST_CASE("a reused session the server has closed is replaced before the message starts") {
  std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
  const auto t = data_transaction();
  script.insert(script.end(), t.begin(), t.end());
  script.push_back(send("421 4.4.2 idle too long, closing"));
  script.push_back(accept_next());
  script.insert(script.end(), {greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
  script.insert(script.end(), t.begin(), t.end());
  ScriptedPeer peer(script);
  {
    smtp::SessionPool pool;
    const auto definition = options_for(peer);
    CHECK(pool_send(pool, definition).ok());
    const auto second = pool_send(pool, definition, "second\r\n");
    CHECK(second.ok());
    CHECK(pool.stats().sessions_opened == 2);
    CHECK(pool.stats().retries == 0);  // caught by the probe: nothing was sent on the dead one
    pool.retire(definition);
  }
  peer.wait();
  CHECK(peer.script_completed());
}

TEST_CASE("a 421 to a reused session's first command retries once on a fresh session") {
  std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
  const auto t = data_transaction();
  script.insert(script.end(), t.begin(), t.end());
  script.insert(script.end(), {expect_lines(3), send("421 4.3.2 shutting down"), accept_next(),
                               greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
  script.insert(script.end(), t.begin(), t.end());
  ScriptedPeer peer(script);
  smtp::Result second;
  {
    smtp::SessionPool pool;
    const auto definition = options_for(peer);
    CHECK(pool_send(pool, definition).ok());
    second = pool_send(pool, definition, "second\r\n");
    CHECK(pool.stats().retries == 1);
    pool.retire(definition);
  }
  peer.wait();
  CHECK(second.ok());
  CHECK(second.transcript.find("retried on a fresh session") != std::string::npos);
  const auto lines = peer.received_lines();
  CHECK(std::count(lines.begin(), lines.end(), "second") == 1);  // the body went once
}

TEST_CASE("limits: messages per session, idle time-out, NOOP after idle") {
  SUBCASE("after the maximum number of messages the session says QUIT") {
    std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
    const auto t = data_transaction();
    script.insert(script.end(), t.begin(), t.end());
    script.insert(script.end(), {expect_line(), send("221 bye"), accept_next(), greeting(),
                                 expect_line(), ehlo_reply({"PIPELINING"})});
    script.insert(script.end(), t.begin(), t.end());
    ScriptedPeer peer(script);
    {
      smtp::SessionPool pool({.max_messages_per_session = 1});
      const auto definition = options_for(peer);
      CHECK(pool_send(pool, definition).ok());
      CHECK(pool_send(pool, definition).ok());
      CHECK(pool.stats().sessions_opened == 2);
      pool.retire(definition);
    }
    peer.wait();
    CHECK(peer.script_completed());
  }
  SUBCASE("an idle session past its time-out says QUIT before the next send opens another") {
    std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
    const auto t = data_transaction();
    script.insert(script.end(), t.begin(), t.end());
    script.insert(script.end(), {expect_line(), send("221 bye"), accept_next(), greeting(),
                                 expect_line(), ehlo_reply({"PIPELINING"})});
    script.insert(script.end(), t.begin(), t.end());
    ScriptedPeer peer(script);
    {
      smtp::SessionPool pool({.idle_timeout = std::chrono::milliseconds(0)});
      const auto definition = options_for(peer);
      CHECK(pool_send(pool, definition).ok());
      CHECK(pool_send(pool, definition).ok());
      pool.retire(definition);
    }
    peer.wait();
    CHECK(peer.script_completed());
  }
  SUBCASE("a session idle past noop_after_idle is checked with NOOP") {
    std::vector<Step> script{greeting(), expect_line(), ehlo_reply({"PIPELINING"})};
    const auto t = data_transaction();
    script.insert(script.end(), t.begin(), t.end());
    script.insert(script.end(), {expect_line(), send("250 2.0.0 ok")});
    script.insert(script.end(), t.begin(), t.end());
    ScriptedPeer peer(script);
    {
      smtp::SessionPool pool({.noop_after_idle = std::chrono::milliseconds(0)});
      const auto definition = options_for(peer);
      CHECK(pool_send(pool, definition).ok());
      CHECK(pool_send(pool, definition).ok());
      pool.retire(definition);
    }
    peer.wait();
    const auto lines = peer.received_lines();
    CHECK(std::find(lines.begin(), lines.end(), "NOOP") != lines.end());
  }
}

TEST_CASE("definition keys differ whenever anything that defines a session differs") {
  smtp::SessionOptions base;
  base.host = "mx.example.test";
  base.credentials = smtp::Credentials{smtp::sasl::Mechanism::plain, "alice", "pw"};
  auto changed = [&](auto mutate) {
    auto other = base;
    mutate(other);
    return smtp::definition_key(other) != smtp::definition_key(base);
  };
  CHECK(changed([](auto& o) { o.host = "mx2.example.test"; }));
  CHECK(changed([](auto& o) { o.port = 587; }));
  CHECK(changed([](auto& o) { o.tls = smtp::TlsMode::starttls; }));
  CHECK(changed([](auto& o) { o.ca_file = "/ca.pem"; }));
  CHECK(changed([](auto& o) { o.pin_sha256 = "x"; }));
  CHECK(changed([](auto& o) { o.credentials->username = "bob"; }));
  CHECK(changed([](auto& o) { o.credentials->password = "pw2"; }));
  CHECK(changed([](auto& o) { o.credentials.reset(); }));
  CHECK(changed([](auto& o) { o.pop_before_smtp = smtp::PopBeforeSmtp{}; }));
  // Length prefixes: moving a character from one field to the next changes the key.
  CHECK(changed([](auto& o) {
    o.credentials->username = "alicep";
    o.credentials->password = "w";
  }));
}
