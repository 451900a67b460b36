// Pipelining across messages on the wire: a session given waiting messages writes the next
// message's envelope in the flight that ends the current one (DATA), or whole small messages
// back to back (BDAT), and each message still gets its own result, in order.

#include <doctest/doctest.h>

#include <deque>
#include <list>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"

using namespace peertest;

namespace {

// A message waiting for the session, as a pool's sender would hold it.
struct Waiting {
  Waiting(std::string to, std::string text)
      : envelope{"alice@example.test", {std::move(to)}}, body(std::move(text)) {}
  smtp::Envelope envelope;
  smtp::BufferBody body;
  smtp::MessageTraits traits;
  smtp::Session::Queued queued{&envelope, &body, &traits};
};

// The messages a test lines up, handed out in order; settled ones are kept for inspection.
struct Line final : smtp::Session::Queue {
  std::list<Waiting> messages;  // stable addresses
  std::deque<smtp::Session::Queued*> waiting;
  std::vector<std::pair<smtp::Session::Queued*, smtp::Result>> settled;

  Waiting& add(std::string to, std::string body) {
    auto& m = messages.emplace_back(std::move(to), std::move(body));
    waiting.push_back(&m.queued);
    return m;
  }
  smtp::Session::Queued* take() override {
    if (waiting.empty()) return nullptr;
    auto* next = waiting.front();
    waiting.pop_front();
    return next;
  }
  void settle(smtp::Session::Queued& message, smtp::Result result) override {
    settled.emplace_back(&message, std::move(result));
  }
};

}  // namespace

TEST_CASE(
    "with PIPELINING the next message's envelope rides with the end of data: one round trip each") {
  // The peer answers only once the whole flight is in: a client that waited for the 250 to
  // its end of data before MAIL would stall here and fail.
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                     send("250 ok\r\n250 ok\r\n354 go"), expect_data(), expect_lines(3),
                     send("250 2.0.0 queued as A\r\n250 ok\r\n250 ok\r\n354 go"), expect_data(),
                     expect_lines(3), send("250 2.0.0 queued as B\r\n250 ok\r\n250 ok\r\n354 go"),
                     expect_data(), send("250 2.0.0 queued as C")});
  Line line;
  auto& second = line.add("carol@example.test", "second\r\n");
  auto& third = line.add("dave@example.test", "third\r\n");
  std::vector<smtp::Result> results;
  std::vector<std::uint64_t> round_trips;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    auto before = session.round_trips();
    smtp::BufferBody first("first\r\n");
    results.push_back(session.send({"alice@example.test", {"bob@example.test"}}, first, {}, &line));
    round_trips.push_back(session.round_trips() - before);
    REQUIRE(session.next_taken() == &second.queued);
    before = session.round_trips();
    results.push_back(session.resume(second.queued, &line));
    round_trips.push_back(session.round_trips() - before);
    REQUIRE(session.next_taken() == &third.queued);
    before = session.round_trips();
    results.push_back(session.resume(third.queued, &line));
    round_trips.push_back(session.round_trips() - before);
    CHECK(session.next_taken() == nullptr);
    return 0;
  });
  CHECK(peer.script_completed());
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.ok());
  CHECK(results[1].reply->display().find("queued as B") != std::string::npos);
  CHECK(results[2].reply->display().find("queued as C") != std::string::npos);
  CHECK(round_trips == std::vector<std::uint64_t>{2, 1, 1});
  // Each message's transcript holds its own commands, though another message's turn wrote them.
  CHECK(results[1].transcript.find("C: RCPT TO:<carol@example.test>") != std::string::npos);
  CHECK(results[2].transcript.find("C: RCPT TO:<dave@example.test>") != std::string::npos);
  CHECK(results[1].transcript.find("dave@") == std::string::npos);
  CHECK(results[0].transcript.find("carol@") == std::string::npos);
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
        "first\r\n.\r\n"
        "MAIL FROM:<alice@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n"
        "second\r\n.\r\n"
        "MAIL FROM:<alice@example.test>\r\nRCPT TO:<dave@example.test>\r\nDATA\r\n"
        "third\r\n.\r\n");
}

TEST_CASE("with CHUNKING small messages go back to back in one flight, each behind RSET") {
  const std::string first = "first\r\n";
  const std::string second_body = "second\r\n";
  const std::string third_body = "third!\r\n";
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING", "CHUNKING"}),
                     expect_lines(3), expect_bytes(first.size()), expect_lines(4),
                     expect_bytes(second_body.size()), expect_lines(4),
                     expect_bytes(third_body.size()),
                     send("250 ok\r\n250 ok\r\n250 queued as A\r\n"
                          "250 reset\r\n250 ok\r\n250 ok\r\n250 queued as B\r\n"
                          "250 reset\r\n250 ok\r\n250 ok\r\n250 queued as C")});
  Line line;
  auto& second = line.add("carol@example.test", second_body);
  auto& third = line.add("dave@example.test", third_body);
  std::vector<smtp::Result> results;
  std::uint64_t round_trips = 0;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    const auto before = session.round_trips();
    smtp::BufferBody body(first);
    results.push_back(session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line));
    REQUIRE(session.next_taken() == &second.queued);
    results.push_back(session.resume(second.queued, &line));
    REQUIRE(session.next_taken() == &third.queued);
    results.push_back(session.resume(third.queued, &line));
    round_trips = session.round_trips() - before;
    return 0;
  });
  CHECK(peer.script_completed());
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.ok());
  CHECK(results[2].reply->display().find("queued as C") != std::string::npos);
  CHECK(round_trips == 1);  // three messages, one round trip
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nBDAT 7 LAST\r\n" +
            first +
            "RSET\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<carol@example.test>\r\n"
            "BDAT 8 LAST\r\n" +
            second_body +
            "RSET\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<dave@example.test>\r\n"
            "BDAT 8 LAST\r\n" +
            third_body);
}

TEST_CASE("a message refused before the wire is settled alone; the ones around it go on") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                     send("250 ok\r\n250 ok\r\n354 go"), expect_data(), expect_lines(3),
                     send("250 queued\r\n250 ok\r\n250 ok\r\n354 go"), expect_data(),
                     send("250 queued")});
  Line line;
  auto& bad = line.add("bob@exa mple.test", "bad\r\n");
  auto& good = line.add("carol@example.test", "good\r\n");
  std::vector<smtp::Result> results;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    smtp::BufferBody body("first\r\n");
    results.push_back(session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line));
    REQUIRE(session.next_taken() == &good.queued);
    results.push_back(session.resume(good.queued, &line));
    return 0;
  });
  CHECK(peer.script_completed());
  REQUIRE(results.size() == 2);
  CHECK(results[0].ok());
  CHECK(results[1].ok());
  REQUIRE(line.settled.size() == 1);
  CHECK(line.settled[0].first == &bad.queued);
  CHECK(line.settled[0].second.status == smtp::Status::failed);
  CHECK(line.settled[0].second.detail.find("recipient <bob@exa mple.test>") != std::string::npos);
  CHECK(peer.received().find("exa mple") == std::string::npos);
}

TEST_CASE("a failed message does not fail the one pipelined behind it") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                     send("250 ok\r\n250 ok\r\n354 go"), expect_data(), expect_lines(3),
                     send("554 5.7.1 spam\r\n250 ok\r\n250 ok\r\n354 go"), expect_data(),
                     send("250 queued")});
  Line line;
  auto& second = line.add("carol@example.test", "second\r\n");
  std::vector<smtp::Result> results;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    smtp::BufferBody body("first\r\n");
    results.push_back(session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line));
    REQUIRE(session.next_taken() == &second.queued);
    results.push_back(session.resume(second.queued, &line));
    return 0;
  });
  CHECK(peer.script_completed());
  REQUIRE(results.size() == 2);
  CHECK(results[0].status == smtp::Status::failed);
  CHECK(results[0].error == smtp::errc::message_rejected);
  CHECK(results[1].ok());
}

TEST_CASE(
    "a connection lost after a flight: the current message is UNCERTAIN, the taken one RETRY") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                     send("250 ok\r\n250 ok\r\n354 go"), expect_data(), expect_lines(3),
                     close_connection()});
  Line line;
  auto& second = line.add("carol@example.test", "second\r\n");
  smtp::Result first_result;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    smtp::BufferBody body("first\r\n");
    first_result = session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line);
    CHECK(session.next_taken() == nullptr);  // settled, not handed over
    return 0;
  });
  CHECK(first_result.status == smtp::Status::uncertain);
  REQUIRE(line.settled.size() == 1);
  CHECK(line.settled[0].first == &second.queued);
  const auto& lost = line.settled[0].second;
  CHECK(lost.status == smtp::Status::retry);  // its end of data was never sent
  CHECK(lost.error == smtp::errc::connection_lost);
  CHECK(lost.detail.find("pipelined behind another message") != std::string::npos);
  CHECK(lost.transcript.find("C: RCPT TO:<carol@example.test>") != std::string::npos);
}

TEST_CASE("with CHUNKING a connection lost after back-to-back messages leaves each UNCERTAIN") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING", "CHUNKING"}),
                     expect_lines(3), expect_bytes(7), expect_lines(4), expect_bytes(8),
                     close_connection()});
  Line line;
  line.add("carol@example.test", "second\r\n");
  smtp::Result first_result;
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    smtp::BufferBody body("first\r\n");
    first_result = session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line);
    return 0;
  });
  CHECK(first_result.status == smtp::Status::uncertain);
  REQUIRE(line.settled.size() == 1);
  CHECK(line.settled[0].second.status == smtp::Status::uncertain);  // its BDAT LAST went out
}

TEST_CASE("without PIPELINING a session takes nothing from the queue") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({}), expect_line(), send("250 ok"),
                     expect_line(), send("250 ok"), expect_line(), send("354 go"), expect_data(),
                     send("250 queued")});
  Line line;
  line.add("carol@example.test", "second\r\n");
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    smtp::BufferBody body("first\r\n");
    CHECK(session.send({"alice@example.test", {"bob@example.test"}}, body, {}, &line).ok());
    CHECK(session.next_taken() == nullptr);
    return 0;
  });
  CHECK(line.waiting.size() == 1);
  CHECK(line.settled.empty());
}
