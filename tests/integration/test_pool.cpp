// The session pool against real Postfix: many threads through one definition, every message
// delivered exactly once; TLS sessions resumed across the pool's sessions; round trips.

#include <doctest/doctest.h>

#include <thread>

#include "mail_servers.hpp"
#include "smtp/pool.hpp"
#include "smtp/session.hpp"

using servers::MailServers;

namespace {

const std::string recipient = "bob@example.test";

std::string message(const std::string& id) {
  return "Message-ID: " + id + "\r\nSubject: pooled\r\n\r\n" + std::string(900, 'p') + "\r\n";
}

// Sends one message for each id through the pool, the ids split evenly among `threads` threads
// sending at once; results[n] is the result of the message holding ids[n].
std::vector<smtp::Result> send_from_threads(smtp::SessionPool& pool,
                                            const smtp::SessionOptions& definition,
                                            const std::vector<std::string>& ids, int threads) {
  const auto per_thread = ids.size() / static_cast<std::size_t>(threads);
  std::vector<smtp::Result> results(ids.size());
  std::vector<std::jthread> senders;
  for (std::size_t t = 0; t < static_cast<std::size_t>(threads); ++t) {
    senders.emplace_back([&, t] {
      for (std::size_t i = 0; i < per_thread; ++i) {
        const auto n = t * per_thread + i;
        smtp::BufferBody body(message(ids[n]));
        results[n] = pool.send(definition, {"alice@example.test", {recipient}}, body);
      }
    });
  }
  senders.clear();  // joins
  return results;
}

}  // namespace

TEST_CASE("many threads send through one pooled definition, each message arrives exactly once") {
  const auto& s = MailServers::get();
  constexpr int threads = 8;
  constexpr int per_thread = 12;
  smtp::SessionPool pool({.max_sessions_per_definition = 4});
  const auto definition = s.options("starttls", smtp::TlsMode::starttls, "localhost");
  std::vector<std::string> ids(threads * per_thread);
  for (auto& id : ids) id = servers::unique_id("pooled");
  const auto results = send_from_threads(pool, definition, ids, threads);
  for (const auto& r : results) CHECK_MESSAGE(r.ok(), r.describe());
  const auto stats = pool.stats();
  CHECK(stats.messages == ids.size());
  CHECK(stats.sessions_opened <= 4);
  CHECK(stats.in_use == 0);

  for (const auto& id : ids) REQUIRE(s.wait_for(id, recipient));
  for (const auto& id : ids) CHECK_MESSAGE(s.deliveries(id, recipient).size() == 1, id);
}

TEST_CASE("the pool's sessions to one server resume each other's TLS sessions") {
  const auto& s = MailServers::get();
  smtp::SessionPool pool({.max_messages_per_session = 1});  // a new connection per message
  const auto definition = s.options("smtps", smtp::TlsMode::implicit, "localhost");
  std::vector<smtp::Result> results;
  for (int i = 0; i < 3; ++i) {
    smtp::BufferBody body(message(servers::unique_id("resume")));
    results.push_back(pool.send(definition, {"alice@example.test", {recipient}}, body));
    REQUIRE(results.back().ok());
  }
  CHECK(pool.stats().sessions_opened == 3);
  CHECK(results[0].transcript.find("(session resumed)") == std::string::npos);
  CHECK(results[1].transcript.find("(session resumed)") != std::string::npos);
  CHECK(results[2].transcript.find("(session resumed)") != std::string::npos);
}

TEST_CASE("round trips per 1 KB message on a reused session, counted against Postfix") {
  const auto& s = MailServers::get();
  struct Port {
    const char* name;
    std::uint64_t round_trips;
  };
  for (const auto port : {Port{"plain", 1}, Port{"nochunking", 2}, Port{"nopipelining", 4}}) {
    CAPTURE(port.name);
    smtp::Session session(s.options(port.name, smtp::TlsMode::none));
    REQUIRE(session.open().ok());
    for (int i = 0; i < 3; ++i) {
      const auto before = session.round_trips();
      smtp::BufferBody body(message(servers::unique_id("rtt")));
      REQUIRE(session.send({"alice@example.test", {recipient}}, body).ok());
      CHECK(session.round_trips() - before == port.round_trips);
    }
    session.close();
  }
}

TEST_CASE(
    "senders beyond the session cap queue and ride the busy session's flights, each delivered "
    "once") {
  const auto& s = MailServers::get();
  for (const auto* port : {"plain", "nochunking"}) {  // BDAT back to back; DATA behind the dot
    CAPTURE(port);
    constexpr int threads = 6;
    constexpr int per_thread = 8;
    smtp::SessionPool pool({.max_sessions_per_definition = 1});
    const auto definition = s.options(port, smtp::TlsMode::none);
    std::vector<std::string> ids(threads * per_thread);
    for (auto& id : ids) id = servers::unique_id("pipelined");
    const auto results = send_from_threads(pool, definition, ids, threads);
    for (const auto& r : results) CHECK_MESSAGE(r.ok(), r.describe());
    const auto stats = pool.stats();
    CHECK(stats.sessions_opened == 1);
    CHECK(stats.pipelined > 0);
    CHECK(stats.in_use == 0);
    for (const auto& id : ids) REQUIRE(s.wait_for(id, recipient));
    for (const auto& id : ids) CHECK_MESSAGE(s.deliveries(id, recipient).size() == 1, id);
  }
}
