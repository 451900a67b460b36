// The conversation record (security rule 8): AUTH secrets redacted, bodies by size only, server
// text escaped, and the record bounded.

#include <doctest/doctest.h>

#include <string>

#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/transcript.hpp"
#include "unit_support.hpp"

using smtp::Redaction;
using smtp::Reply;
using smtp::Transcript;

namespace {
constexpr std::string_view marker = "[transcript truncated]\n";
}

TEST_CASE("transcript: client lines are recorded one per line, prefixed C:") {
  Transcript t;
  t.client("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  CHECK(t.text() == "C: MAIL FROM:<a@example.com>\nC: RCPT TO:<b@example.com>\nC: DATA\n");
}

TEST_CASE("transcript: a client line without CRLF is still recorded") {
  Transcript t;
  t.client("QUIT");
  CHECK(t.text() == "C: QUIT\n");
}

TEST_CASE("transcript: control bytes in client lines are escaped") {
  Transcript t;
  t.client("EHLO a\x1b[0m\r\n");
  CHECK(t.text() == "C: EHLO a\\x1b[0m\n");
}

TEST_CASE("transcript: AUTH with an initial response keeps the verb and mechanism only") {
  Transcript t;
  t.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", Redaction::after_verb);
  CHECK(t.text() == "C: AUTH PLAIN <redacted>\n");
  CHECK(t.text().find("AGFsaWNl") == std::string::npos);
}

TEST_CASE("transcript: AUTH without an initial response is recorded as it is") {
  Transcript t;
  t.client("AUTH LOGIN\r\n", Redaction::after_verb);
  CHECK(t.text() == "C: AUTH LOGIN\n");
}

TEST_CASE("transcript: SASL responses are redacted whole") {
  Transcript t;
  t.client("YWxpY2U=\r\n", Redaction::whole_line);
  t.client("c2VjcmV0\r\n", Redaction::whole_line);
  CHECK(t.text() == "C: <redacted>\nC: <redacted>\n");
  CHECK(t.text().find("c2VjcmV0") == std::string::npos);
}

TEST_CASE("transcript: message data is recorded by size only") {
  Transcript t;
  t.client_body(1234);
  CHECK(t.text() == "C: <message data: 1234 octets>\n");
}

TEST_CASE("transcript: server replies are recorded line by line with their separators") {
  Transcript t;
  t.server(Reply{250, {"mail.example.com", "PIPELINING", "SIZE 1000"}, {}});
  CHECK(t.text() == "S: 250-mail.example.com\nS: 250-PIPELINING\nS: 250 SIZE 1000\n");
}

TEST_CASE("transcript: server text is escaped") {
  Transcript t;
  t.server(Reply{550, {"evil\x1b[31m\r\nC: AUTH PLAIN forged\\"}, {}});
  CHECK(t.text() == "S: 550 evil\\x1b[31m\\x0d\\x0aC: AUTH PLAIN forged\\\\\n");
  // The forged client line stays inside the server's line.
  CHECK(t.text().find("\nC: ") == std::string::npos);
}

TEST_CASE("transcript: notes are escaped and prefixed with '*'") {
  Transcript t;
  t.note("TLS established\n* fake");
  CHECK(t.text() == "* TLS established\\x0a* fake\n");
}

TEST_CASE("transcript: a whole session reads in order") {
  Transcript t;
  t.server(Reply{220, {"mail.example.com ESMTP"}, {}});
  t.client("EHLO client\r\n");
  t.server(Reply{250, {"mail.example.com", "AUTH PLAIN"}, {}});
  t.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", Redaction::after_verb);
  t.server(Reply{235, {"2.7.0 Authentication successful"}, {}});
  t.client("DATA\r\n");
  t.server(Reply{354, {"End data with <CR><LF>.<CR><LF>"}, {}});
  t.client_body(42);
  t.server(Reply{250, {"2.0.0 Ok: queued as ABC"}, {}});
  CHECK(t.text() ==
        "S: 220 mail.example.com ESMTP\n"
        "C: EHLO client\n"
        "S: 250-mail.example.com\n"
        "S: 250 AUTH PLAIN\n"
        "C: AUTH PLAIN <redacted>\n"
        "S: 235 2.7.0 Authentication successful\n"
        "C: DATA\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "C: <message data: 42 octets>\n"
        "S: 250 2.0.0 Ok: queued as ABC\n");
}

TEST_CASE("transcript: the record is bounded and says it was truncated, once") {
  Transcript t(100);
  for (int i = 0; i < 50; ++i) t.client("NOOP\r\n");
  const auto& text = t.text();
  CHECK(text.size() <= 100 + marker.size());
  CHECK(unit::count_of(text, marker) == 1);
  CHECK(text.ends_with(marker));
  CHECK(text.starts_with("C: NOOP\nC: NOOP\n"));
}

TEST_CASE("transcript: a huge server reply cannot grow the record past its bound") {
  Transcript t(1024);
  Reply reply{250, {}, {}};
  for (int i = 0; i < 1000; ++i) reply.lines.push_back(std::string(100, 'x'));
  t.server(reply);
  t.client_body(5);
  t.note("after");
  CHECK(t.text().size() <= 1024 + marker.size());
  CHECK(t.text().ends_with(marker));
}

TEST_CASE("transcript: take() returns the record and starts a new, untruncated one") {
  Transcript t(40);
  for (int i = 0; i < 10; ++i) t.client("NOOP\r\n");
  const auto first = t.take();
  CHECK(first.ends_with(marker));
  CHECK(t.text().empty());
  t.client("QUIT\r\n");
  CHECK(t.text() == "C: QUIT\n");
}
