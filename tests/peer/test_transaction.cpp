// The mail transaction on the wire: pipelining, DATA and BDAT, per-recipient results.

#include <doctest/doctest.h>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"

using namespace peertest;
using Lines = std::vector<std::string>;

TEST_CASE("with PIPELINING, MAIL, RCPT and DATA go in one flight and the body is dot-stuffed") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "8BITMIME", "SIZE 1000000"}),
      expect_lines(4),
      send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go ahead"),
      expect_data(),
      send("250 2.0.0 queued as ABC"),
      expect_line(),
      send("221 bye"),
  });
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& session) {
    auto r = send_text(session, "Subject: hi\n\n.leading dot\nlast",
                       {"bob@example.test", "carol@example.test"});
    session.close();
    return r;
  });

  CHECK(result.status == smtp::Status::ok);
  CHECK_FALSE(result.error);
  REQUIRE(result.reply);
  CHECK(result.reply->code == 250);
  CHECK(result.reply->enhanced->to_string() == "2.0.0");
  REQUIRE(result.recipients.size() == 2);
  CHECK(result.recipients[0].status == smtp::Status::ok);
  CHECK(result.recipients[1].status == smtp::Status::ok);
  CHECK(peer.script_completed());
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test> SIZE=30\r\n"
        "RCPT TO:<bob@example.test>\r\n"
        "RCPT TO:<carol@example.test>\r\n"
        "DATA\r\n"
        "Subject: hi\r\n\r\n..leading dot\r\nlast\r\n.\r\n"
        "QUIT\r\n");
}

TEST_CASE("without PIPELINING every command waits for its reply") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"8BITMIME"}),
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("354 go ahead"),
      expect_data(),
      send("250 queued"),
  });
  const auto result =
      exchange(peer, options_for(peer), [](smtp::Session& s) { return send_text(s, "hello\r\n"); });

  CHECK(result.ok());
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                       "RCPT TO:<bob@example.test>", "DATA", "hello", "."});
}

TEST_CASE("with CHUNKING and PIPELINING a small message is one flight: MAIL, RCPT, BDAT LAST") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "CHUNKING"}),
      expect_lines(3),
      expect_bytes(13),
      send("250 ok\r\n250 ok\r\n250 2.0.0 queued"),
      expect_line(),
      send("221 bye"),
  });
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& session) {
    auto r = send_text(session, "hi\n.dot\nx");
    session.close();
    return r;
  });

  CHECK(result.ok());
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test>\r\n"
        "RCPT TO:<bob@example.test>\r\n"
        "BDAT 13 LAST\r\n"
        "hi\r\n.dot\r\nx\r\n"
        "QUIT\r\n");
}

TEST_CASE("a body larger than a chunk goes in BDAT chunks once a recipient is accepted") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "CHUNKING"}),
      expect_lines(2),
      send("250 ok\r\n250 ok"),
      expect_line(),
      expect_bytes(8),
      expect_line(),
      expect_bytes(8),
      expect_line(),
      expect_bytes(4),
      send("250 chunk 1\r\n250 chunk 2\r\n250 2.0.0 queued"),
  });
  auto options = options_for(peer);
  options.chunk_size = 8;
  const auto result =
      exchange(peer, options, [](smtp::Session& s) { return send_text(s, "0123456789abcdef01"); });

  CHECK(result.ok());
  CHECK(result.reply->display() == "250 2.0.0 queued");
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                       "RCPT TO:<bob@example.test>", "BDAT 8", "01234567BDAT 8",
                                       "89abcdefBDAT 4 LAST", "01"});
}

// The body's chunks go out as what the encoder wrote, the read buffer's unchanged bytes and the
// end of data: a CR ending one chunk, a dot or a bare LF starting the next must come out as if the
// body had been encoded whole.
TEST_CASE("a body over many chunks goes out as if encoded whole (DATA)") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING"}),
      expect_lines(3),
      send("250 ok\r\n250 ok\r\n354 go"),
      expect_data(),
      send("250 queued"),
  });
  auto options = options_for(peer);
  options.chunk_size = 8;  // "abcdefg\r" "\n.hidden" "\nline\rX\r" "\n"
  const auto result = exchange(peer, options, [](smtp::Session& s) {
    return send_text(s, "abcdefg\r\n.hidden\nline\rX\r\n");
  });

  CHECK(result.ok());
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test>\r\n"
        "RCPT TO:<bob@example.test>\r\n"
        "DATA\r\n"
        "abcdefg\r\n..hidden\r\nline\r\nX\r\n.\r\n");
}

TEST_CASE("a body over many chunks goes out as if encoded whole (BDAT)") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "CHUNKING"}),
      expect_lines(2),
      send("250 ok\r\n250 ok"),
      expect_line(),
      expect_bytes(7),
      expect_line(),
      expect_bytes(9),
      expect_line(),
      expect_bytes(9),
      expect_line(),
      expect_bytes(2),
      send("250 chunk 1\r\n250 chunk 2\r\n250 chunk 3\r\n250 2.0.0 queued"),
  });
  auto options = options_for(peer);
  options.chunk_size = 8;
  const auto result = exchange(peer, options, [](smtp::Session& s) {
    return send_text(s, "abcdefg\r\n.hidden\nline\rX\r\n");
  });

  CHECK(result.ok());
  CHECK(peer.received() ==
        "EHLO client.test\r\n"
        "MAIL FROM:<alice@example.test>\r\n"
        "RCPT TO:<bob@example.test>\r\n"
        "BDAT 7\r\nabcdefg"
        "BDAT 9\r\n\r\n.hidden"  // no dot-stuffing with BDAT
        "BDAT 9\r\n\r\nline\r\nX"
        "BDAT 2 LAST\r\n\r\n");
}

TEST_CASE("one refused recipient does not fail the others") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING"}),
      expect_lines(5),
      send("250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go"),
      expect_data(),
      send("250 queued"),
  });
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) {
    return send_text(s, "x\r\n", {"a@example.test", "nobody@example.test", "c@example.test"});
  });

  CHECK(result.status == smtp::Status::ok);
  REQUIRE(result.recipients.size() == 3);
  CHECK(result.recipients[0].status == smtp::Status::ok);
  CHECK(result.recipients[1].status == smtp::Status::failed);
  CHECK(result.recipients[1].reply->display() == "550 5.1.1 no such user");
  CHECK(result.recipients[2].status == smtp::Status::ok);
}

TEST_CASE("when every recipient is refused no body is sent") {
  SUBCASE("pipelined: DATA got 354 anyway, so the data is ended empty") {
    ScriptedPeer peer({
        greeting(),
        expect_line(),
        ehlo_reply({"PIPELINING"}),
        expect_lines(3),
        send("250 ok\r\n550 5.1.1 no such user\r\n354 go"),
        expect_line(),
        send("554 5.5.1 no valid recipients"),
    });
    const auto result = exchange(peer, options_for(peer),
                                 [](smtp::Session& s) { return send_text(s, "secret body\r\n"); });

    CHECK(result.status == smtp::Status::failed);
    CHECK(result.error == smtp::errc::all_recipients_rejected);
    CHECK(peer.received().find("secret body") == std::string::npos);
    CHECK(peer.received_lines().back() == ".");
  }
  SUBCASE("unpipelined: DATA is never sent, and a transient refusal means RETRY") {
    ScriptedPeer peer({
        greeting(),
        expect_line(),
        ehlo_reply({}),
        expect_line(),
        send("250 ok"),
        expect_line(),
        send("450 4.2.0 mailbox busy"),
    });
    const auto result = exchange(peer, options_for(peer),
                                 [](smtp::Session& s) { return send_text(s, "secret body\r\n"); });

    CHECK(result.status == smtp::Status::retry);
    CHECK(result.error == smtp::errc::all_recipients_rejected);
    CHECK(result.describe().find("450 4.2.0 mailbox busy") != std::string::npos);
    CHECK(peer.received_lines() == Lines{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                         "RCPT TO:<bob@example.test>"});
  }
  SUBCASE("CHUNKING: a large body waits for the recipients and is then not sent") {
    ScriptedPeer peer({
        greeting(),
        expect_line(),
        ehlo_reply({"PIPELINING", "CHUNKING"}),
        expect_lines(2),
        send("250 ok\r\n550 5.1.1 no such user"),
    });
    auto options = options_for(peer);
    options.chunk_size = 4;
    const auto result =
        exchange(peer, options, [](smtp::Session& s) { return send_text(s, "secret body\r\n"); });

    CHECK(result.error == smtp::errc::all_recipients_rejected);
    CHECK(peer.received().find("BDAT") == std::string::npos);
  }
}

TEST_CASE("the final reply decides the status: 4xx RETRY, 5xx FAILED") {
  for (const std::string final_reply : {"451 4.3.0 try later", "554 5.7.1 spam"}) {
    CAPTURE(final_reply);
    ScriptedPeer peer({
        greeting(),
        expect_line(),
        ehlo_reply({"PIPELINING"}),
        expect_lines(3),
        send("250 ok\r\n250 ok\r\n354 go"),
        expect_data(),
        send(final_reply),
    });
    const auto result =
        exchange(peer, options_for(peer), [](smtp::Session& s) { return send_text(s, "x\r\n"); });

    CHECK(result.error == smtp::errc::message_rejected);
    CHECK(result.status == (final_reply[0] == '4' ? smtp::Status::retry : smtp::Status::failed));
    CHECK(result.recipients[0].status == result.status);
    CHECK(result.reply->code == std::stoi(final_reply.substr(0, 3)));
  }
}

TEST_CASE("a refused sender fails the message and the session is reset before the next one") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING"}),
      expect_lines(3),
      send("553 5.1.8 sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT"),
      expect_lines(4),
      send("250 flushed\r\n250 ok\r\n250 ok\r\n354 go"),
      expect_data(),
      send("250 queued"),
  });
  const auto [refused, accepted] = exchange(peer, options_for(peer), [](smtp::Session& s) {
    auto first = send_text(s, "first\r\n");
    return std::pair(first, send_text(s, "second\r\n"));
  });

  CHECK(refused.status == smtp::Status::failed);
  CHECK(refused.error == smtp::errc::sender_rejected);
  CHECK(accepted.ok());
  CHECK(peer.received_lines() == Lines{"EHLO client.test", "MAIL FROM:<alice@example.test>",
                                       "RCPT TO:<bob@example.test>", "DATA", "RSET",
                                       "MAIL FROM:<alice@example.test>",
                                       "RCPT TO:<bob@example.test>", "DATA", "second", "."});
}

TEST_CASE("a reused session sends the next message in one round trip, without a new EHLO") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "CHUNKING"}),
      expect_lines(3),
      expect_bytes(3),
      send("250 ok\r\n250 ok\r\n250 queued 1"),
      expect_lines(3),
      expect_bytes(3),
      send("250 ok\r\n250 ok\r\n250 queued 2"),
  });
  const auto [first, second] = exchange(peer, options_for(peer), [](smtp::Session& s) {
    auto r = send_text(s, "1\r\n");
    return std::pair(r, send_text(s, "2\r\n"));
  });

  CHECK(first.ok());
  CHECK(second.ok());
  CHECK(second.reply->display() == "250 queued 2");
  CHECK(peer.received_lines().size() == 9);
}

TEST_CASE("bad input is refused before anything is sent, and the session stays usable") {
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> recipients;
    std::string from;
    smtp::errc error;
  };
  const Case cases[] = {
      {"CR LF in a recipient cannot smuggle a command",
       "x",
       {"bob@example.test>\r\nRCPT TO:<evil@example.test"},
       "alice@example.test",
       smtp::errc::invalid_address},
      {"a sender without @", "x", {"bob@example.test"}, "alice", smtp::errc::invalid_address},
      {"no recipients", "x", {}, "alice@example.test", smtp::errc::no_recipients},
      {"a NUL in the body",
       std::string("a\0b", 3),
       {"bob@example.test"},
       "alice@example.test",
       smtp::errc::body_contains_nul},
      {"a UTF-8 address without SMTPUTF8",
       "x",
       {"j\xc3\xb6rg@example.test"},
       "alice@example.test",
       smtp::errc::smtputf8_not_offered},
      {"8-bit content without 8BITMIME",
       "caf\xc3\xa9\r\n",
       {"bob@example.test"},
       "alice@example.test",
       smtp::errc::eightbitmime_not_offered},
  };
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    REQUIRE(session.open().ok());
    for (const auto& c : cases) {
      CAPTURE(c.name);
      const auto result = send_text(session, c.body, c.recipients, c.from);
      CHECK(result.error == c.error);
      CHECK(result.status == smtp::Status::failed);
      CHECK_FALSE(session.broken());
    }
    return 0;
  });
  CHECK(peer.received_lines() == Lines{"EHLO client.test"});
}

TEST_CASE("a refused address names itself in the result, escaped") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"})});
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) {
    return send_text(s, "x", {"bob@example.test"}, "al\x1b[31mice");
  });
  CHECK(result.describe().find("sender <al\\x1b[31mice>") != std::string::npos);
}

TEST_CASE("UTF-8 addresses and 8-bit bodies ask for SMTPUTF8 and BODY=8BITMIME") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      ehlo_reply({"PIPELINING", "8BITMIME", "SMTPUTF8"}),
      expect_lines(3),
      send("250 ok\r\n250 ok\r\n354 go"),
      expect_data(),
      send("250 queued"),
  });
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) {
    return send_text(s, "caf\xc3\xa9\r\n", {"j\xc3\xb6rg@example.test"});
  });

  CHECK(result.ok());
  CHECK(peer.received_lines()[1] == "MAIL FROM:<alice@example.test> BODY=8BITMIME SMTPUTF8");
}

TEST_CASE("a message over the server's SIZE limit is refused before sending") {
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING", "SIZE 10"})});
  const auto result = exchange(peer, options_for(peer), [](smtp::Session& s) {
    return send_text(s, "this body is longer than ten octets\r\n");
  });

  CHECK(result.error == smtp::errc::message_too_large);
  CHECK(result.status == smtp::Status::failed);
  CHECK(peer.received_lines() == Lines{"EHLO client.test"});
}

TEST_CASE("HELO is used only when EHLO is refused and nothing needs ESMTP") {
  ScriptedPeer peer({
      greeting(),
      expect_line(),
      send("502 5.5.2 EHLO not implemented"),
      expect_line(),
      send("250 mx.test"),
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("250 ok"),
      expect_line(),
      send("354 go"),
      expect_data(),
      send("250 queued"),
  });
  const auto result =
      exchange(peer, options_for(peer), [](smtp::Session& s) { return send_text(s, "x\r\n"); });

  CHECK(result.ok());
  CHECK(peer.received_lines()[0] == "EHLO client.test");
  CHECK(peer.received_lines()[1] == "HELO client.test");
}

TEST_CASE("a reply larger than one read (59 KB of EHLO lines) arrives whole, its keywords kept") {
  // 251 lines of up to 237 octets: over three times the connection's read size, so the unread
  // part of the reply moves and the read buffer grows while it comes in.
  std::string text = "250-mx.test greets client.test";
  for (int i = 0; i < 248; ++i)
    text += "\r\n250-X-FILLER-" + std::string(222, static_cast<char>('a' + i % 26));
  text += "\r\n250-PIPELINING\r\n250 SIZE 1000";
  REQUIRE(text.size() > 3 * 16 * 1024);
  ScriptedPeer peer({greeting(), expect_line(), send(text)});
  exchange(peer, options_for(peer), [&](smtp::Session& session) {
    const auto opened = session.open();
    CHECK_MESSAGE(opened.ok(), opened.describe());
    CHECK(session.capabilities().pipelining);
    CHECK(session.capabilities().size_limit == 1000u);
    return 0;
  });
}

TEST_CASE("8-bit bytes past the first chunk: declared ahead where offered, never sent undeclared") {
  // A body of three 64-octet chunks with an 8-bit byte in the last one.
  const std::string body = std::string(60, 'a') + "\r\n" + std::string(60, 'b') + "\r\n" +
                           std::string(30, 'c') + "\xc3\xa9" + std::string(28, 'c') + "\r\n";
  auto small_chunks = [](smtp::SessionOptions o) {
    o.chunk_size = 64;
    return o;
  };
  SUBCASE("the server offers 8BITMIME: MAIL FROM says BODY=8BITMIME before the byte is read") {
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING", "8BITMIME"}),
                       expect_lines(3), send("250 ok\r\n250 ok\r\n354 go"), expect_data(),
                       send("250 queued")});
    const auto result = exchange(peer, small_chunks(options_for(peer)),
                                 [&](smtp::Session& s) { return send_text(s, body); });
    CHECK(result.ok());
    CHECK(peer.received_lines()[1] == "MAIL FROM:<alice@example.test> BODY=8BITMIME");
  }
  SUBCASE("without 8BITMIME the message is abandoned before its end of data") {
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING"}), expect_lines(3),
                       send("250 ok\r\n250 ok\r\n354 go"), hang()});
    const auto result = exchange(peer, small_chunks(options_for(peer)),
                                 [&](smtp::Session& s) { return send_text(s, body); });
    CHECK(result.status == smtp::Status::failed);
    CHECK(result.error == smtp::errc::eightbitmime_not_offered);
    CHECK(result.detail.find("past the first 64 octets") != std::string::npos);
    CHECK(peer.received().find("\r\n.\r\n") == std::string::npos);  // no end of data
    CHECK(peer.received().find("\xc3\xa9") == std::string::npos);
  }
  SUBCASE("a body promised 7-bit that is not: abandoned, even where 8BITMIME is offered") {
    ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"PIPELINING", "8BITMIME"}),
                       expect_lines(3), send("250 ok\r\n250 ok\r\n354 go"), hang()});
    const auto result = exchange(peer, small_chunks(options_for(peer)), [&](smtp::Session& s) {
      smtp::BufferBody source(body);
      return s.send({"alice@example.test", {"bob@example.test"}}, source,
                    {.body_class = smtp::BodyClass::seven_bit});
    });
    CHECK(result.error == smtp::errc::body_not_seven_bit);
    CHECK(peer.received_lines()[1] == "MAIL FROM:<alice@example.test>");
    CHECK(peer.received().find("\r\n.\r\n") == std::string::npos);
  }
}
