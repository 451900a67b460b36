// Lost connections, deadlines and hostile replies: what the caller is told, and when a retry
// could deliver twice.

#include <doctest/doctest.h>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"

using namespace peertest;

namespace {

smtp::SessionOptions quick(const ScriptedPeer& peer) {
  auto options = options_for(peer);
  options.timeout = 300ms;
  return options;
}

std::vector<Step> up_to_data() {
  return {greeting(),
          expect_line(),
          ehlo_reply({"PIPELINING"}),
          expect_lines(3),
          send("250 ok\r\n250 ok\r\n354 go"),
          expect_data()};
}

}  // namespace

TEST_CASE("a connection lost after the end of data is UNCERTAIN") {
  auto script = up_to_data();
  script.push_back(close_connection());
  ScriptedPeer peer(script);
  const auto result =
      exchange(peer, options_for(peer), [](smtp::Session& s) { return send_text(s, "x\r\n"); });
  CHECK(result.status == smtp::Status::uncertain);
  CHECK(result.error == smtp::errc::connection_lost);
}

TEST_CASE("no reply to the end of data within the time-out is UNCERTAIN") {
  auto script = up_to_data();
  script.push_back(hang());
  ScriptedPeer peer(script);
  const auto result =
      exchange(peer, quick(peer), [](smtp::Session& s) { return send_text(s, "x\r\n"); });
  CHECK(result.status == smtp::Status::uncertain);
  CHECK(result.error == smtp::errc::timeout);
}

TEST_CASE("a connection lost before the end of data is RETRY, and the session is broken") {
  ScriptedPeer peer(
      {greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3), close_connection()});
  smtp::Result result;
  bool broken = false;
  exchange(peer, options_for(peer), [&](smtp::Session& s) {
    result = send_text(s, "x\r\n");
    broken = s.broken();
    return 0;
  });
  CHECK(result.status == smtp::Status::retry);
  CHECK(result.error == smtp::errc::connection_lost);
  CHECK(broken);
}

TEST_CASE("a server that never greets times out") {
  ScriptedPeer peer({hang()});
  const auto result = exchange(peer, quick(peer), [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::timeout);
  CHECK(result.status == smtp::Status::retry);
  CHECK(result.describe().find("Timeout") != std::string::npos);
}

TEST_CASE("a trickled reply cannot extend the deadline") {
  // 40 bytes, one every 20 ms: 800 ms in all, each byte well within a 300 ms time-out.
  ScriptedPeer peer({send_trickle("220 mx.test ESMTP ready and trickling..\r\n", 20ms), hang()});
  const auto result = exchange(peer, quick(peer), [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::timeout);
}

TEST_CASE("nobody listening is a connect failure naming host and port") {
  std::uint16_t port = 0;
  {
    ScriptedPeer closed({});
    port = closed.port();
  }
  smtp::SessionOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  smtp::Session session(options);
  const auto result = session.open();
  CHECK(result.error == smtp::errc::connect_failed);
  CHECK(result.status == smtp::Status::retry);
  CHECK(result.describe().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("a greeting that refuses service") {
  ScriptedPeer peer({send("554 5.3.2 no service for you")});
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) { return s.open(); });
  CHECK(result.error == smtp::errc::greeting_rejected);
  CHECK(result.status == smtp::Status::failed);
}

TEST_CASE("421 at any point is RETRY and ends the session") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                     send("421 4.3.2 shutting down")});
  smtp::Result result;
  bool broken = false;
  exchange(peer, options_for(peer), [&](smtp::Session& s) {
    result = send_text(s, "x\r\n");
    broken = s.broken();
    return 0;
  });
  CHECK(result.error == smtp::errc::server_closing);
  CHECK(result.status == smtp::Status::retry);
  CHECK(broken);
}

TEST_CASE("hostile replies end the session with a protocol error") {
  struct Case {
    const char* name;
    std::string bytes;
    smtp::errc error;
  };
  const Case cases[] = {
      {"bare LF", "220 hi\n", smtp::errc::reply_malformed},
      {"NUL in text", std::string("220 h\0i\r\n", 9), smtp::errc::reply_malformed},
      {"terminal escape in text", "220 \x1b[2J\r\n", smtp::errc::reply_malformed},
      {"mixed codes", "220-a\r\n250 b\r\n", smtp::errc::reply_malformed},
      {"endless line", std::string(5000, 'x'), smtp::errc::reply_line_too_long},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ScriptedPeer peer({send_raw(c.bytes), hang()});
    const auto result = exchange(peer, quick(peer), [](smtp::Session& s) { return s.open(); });
    CHECK(result.error == c.error);
    CHECK(result.status == smtp::Status::retry);
  }
}

TEST_CASE("server text is escaped in results") {
  // U+202E RIGHT-TO-LEFT OVERRIDE: valid UTF-8 in a reply, but it must not reach a terminal raw.
  ScriptedPeer peer({send("554 5.3.2 \xe2\x80\xae gone")});
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) { return s.open(); });
  CHECK(result.describe().find("554 5.3.2 \\xe2\\x80\\xae gone") != std::string::npos);
  CHECK(result.describe().find('\xe2') == std::string::npos);
  CHECK(result.transcript.find('\xe2') == std::string::npos);
}
