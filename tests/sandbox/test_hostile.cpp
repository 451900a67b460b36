// The sandbox against hostile or broken clients, over plain sockets: strict line handling,
// STARTTLS/STLS with pipelined plaintext, BDAT whose sizes lie, limits (recipients, size,
// connections, errors, idle time) and a prompt, bounded stop().

#include <doctest/doctest.h>

#include <boost/json/src.hpp>  // Boost.JSON compiled into this test only (never in the library)

#include "sandbox_test_support.hpp"

using namespace sandbox_test;
using namespace std::string_view_literals;

namespace {

boost::json::object sidecar(const fs::path& eml) {
  fs::path json = eml;
  json.replace_extension(".json");
  return boost::json::parse(read_file(json)).as_object();
}

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool no_temp_files(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (starts(it->path().filename().string(), ".tmp")) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a bare LF in a command line gets 500 and the session goes on") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  c.send("EHLO test.example\n");
  CHECK(starts(c.reply(), "500 5.5.2 Bare LF"));
  c.send("NOOP\r\n");
  CHECK(starts(c.reply(), "250 2.0.0"));
  c.send("NO\0OP\r\n"sv);
  CHECK(starts(c.reply(), "500 5.5.2 CR or NUL"));
  c.send("NO\rOP\r\n");
  CHECK(starts(c.reply(), "500 5.5.2 CR or NUL"));
  CHECK(sb.log.contains("bare LF"));
}

TEST_CASE("command lines: 4096 octets pass, longer ones get 500 and are skipped whole") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  c.send("NOOP " + std::string(4096 - 7, 'x') + "\r\n");  // exactly 4096 with CRLF
  CHECK(starts(c.reply(), "250 2.0.0"));
  c.send("NOOP " + std::string(4096 - 6, 'x') + "\r\n");  // 4097
  CHECK(starts(c.reply(), "500 5.5.2 Line too long"));
  // a huge line, sent in pieces: one 500 for all of it, then the next command works
  c.send(std::string(100000, 'y'));
  c.send(std::string(100000, 'z') + "\r\nNOOP\r\n");
  CHECK(starts(c.reply(), "500 5.5.2 Line too long"));
  CHECK(starts(c.reply(), "250 2.0.0"));
}

TEST_CASE("STARTTLS with plaintext pipelined after it: 220, then closed, nothing executed") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  c.send("STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n");
  CHECK(starts(c.reply(), "220 2.0.0"));
  CHECK(c.until_closed() == "");  // no 250 for the injected command; closed
  CHECK(eventually([&] { return sb.log.contains("protocol violation"); }));
}

TEST_CASE("STLS with plaintext pipelined after it: +OK, then closed") {
  Sandbox sb;
  Client c(sb.ports.pop3);
  REQUIRE(starts(c.reply(), "+OK sandbox POP3 ready <"));
  c.send("STLS\r\nUSER sandbox\r\n");
  CHECK(starts(c.reply(), "+OK Begin TLS"));
  CHECK(c.until_closed() == "");
  CHECK(eventually([&] { return sb.log.contains("pipelined after STLS"); }));
}

TEST_CASE("STARTTLS needs EHLO and takes no argument") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  c.send("STARTTLS\r\n");
  CHECK(starts(c.reply(), "503 5.5.1"));
  c.send("EHLO x\r\n");
  CHECK(starts(c.replies(1), "250-"));
  c.send("STARTTLS now\r\n");
  CHECK(starts(c.reply(), "501 5.5.4"));
}

TEST_CASE("pipelining: a batch of commands gets its replies in order") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  c.send(
      "EHLO test.example\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n"
      "RCPT TO:<fail-temporary@example.test>\r\nDATA\r\n");
  const std::string ehlo = c.reply();
  CHECK(ehlo.find("250-PIPELINING") != std::string::npos);
  CHECK(starts(c.reply(), "250 2.1.0"));
  CHECK(starts(c.reply(), "250 2.1.5"));
  CHECK(starts(c.reply(), "451 4.3.0"));
  CHECK(starts(c.reply(), "354 "));
  c.send("Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  CHECK(starts(c.reply(), "250 2.0.0 OK: captured as "));
  CHECK(starts(c.reply(), "221 2.0.0"));
  CHECK(c.until_closed() == "");
  const auto files = eml_files(sb.server.mail_dir());
  REQUIRE(files.size() == 1);
  CHECK(read_file(files[0]) == "Subject: p\r\n\r\nbody\r\n");
  CHECK(sidecar(files[0])["recipients"].as_array().size() == 1);
}

TEST_CASE("DATA: a bare-LF dot does not end the message (one message, exact bytes)") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
  CHECK(c.replies(3).find("354 ") != std::string::npos);
  c.send(
      "one\n.\nMAIL FROM:<smuggled@example.test>\r\n"
      "two\r\n.\nthree\r\n..four\r\n.\r\n");
  CHECK(starts(c.reply(), "250 2.0.0 OK"));
  c.send("NOOP\r\n");
  CHECK(starts(c.reply(), "250 2.0.0"));
  const auto files = eml_files(sb.server.mail_dir());
  REQUIRE(files.size() == 1);
  CHECK(read_file(files[0]) ==
        "one\n.\nMAIL FROM:<smuggled@example.test>\r\ntwo\r\n\nthree\r\n.four\r\n");
}

TEST_CASE("BDAT whose size lies") {
  Sandbox sb([](flowhost::sandbox::Options& o) {
    o.idle_timeout = std::chrono::seconds(1);
    o.max_message_size = 1000;
  });
  const fs::path mail = sb.server.mail_dir();

  SUBCASE("more octets than announced: the rest is read as commands") {
    Client c(sb.ports.smtp);
    REQUIRE(starts(greet(c), "250"));
    c.send(
        "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 5 LAST\r\n"
        "hello world\r\nNOOP\r\n");
    CHECK(starts(c.reply(), "250 2.1.0"));
    CHECK(starts(c.reply(), "250 2.1.5"));
    CHECK(starts(c.reply(), "250 2.0.0 OK: captured as "));
    CHECK(starts(c.reply(), "500 5.5.2"));  // " world"
    CHECK(starts(c.reply(), "250 2.0.0"));  // NOOP: still in step
    const auto files = eml_files(mail);
    REQUIRE(files.size() == 1);
    CHECK(read_file(files[0]) == "hello");
    CHECK(sidecar(files[0])["transfer"] == "BDAT");
  }
  SUBCASE("fewer octets than announced: waits for them, then the idle time-out closes") {
    Client c(sb.ports.smtp);
    REQUIRE(starts(greet(c), "250"));
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 100 LAST\r\nshort");
    CHECK(starts(c.reply(), "250 2.1.0"));
    CHECK(starts(c.reply(), "250 2.1.5"));
    CHECK(c.until_closed(5000ms) == "");
    CHECK(eml_files(mail).empty());
    CHECK(eventually([&] { return no_temp_files(mail); }));
  }
  SUBCASE("a size that is not a number, or overflows: 501 and closed") {
    for (const char* bad : {"BDAT 12abc\r\n", "BDAT 99999999999999999999999\r\n", "BDAT\r\n",
                            "BDAT -1\r\n", "BDAT 5 FIRST\r\n"}) {
      CAPTURE(bad);
      Client c(sb.ports.smtp);
      REQUIRE(starts(greet(c), "250"));
      c.send(bad);
      CHECK(starts(c.reply(), "501 5.5.4"));
      CHECK(c.until_closed() == "");
    }
  }
  SUBCASE("over the size limit: read and dropped (552); far over it: 552 and closed") {
    Client c(sb.ports.smtp);
    REQUIRE(starts(greet(c), "250"));
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 600\r\n" +
           std::string(600, 'a') + "BDAT 600 LAST\r\n" + std::string(600, 'b') + "NOOP\r\n");
    CHECK(starts(c.reply(), "250 2.1.0"));
    CHECK(starts(c.reply(), "250 2.1.5"));
    CHECK(starts(c.reply(), "250 2.0.0 600 octets"));
    CHECK(starts(c.reply(), "552 5.3.4"));
    CHECK(starts(c.reply(), "250 2.0.0"));  // the 600 'b' were consumed: NOOP is a command
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 5000 LAST\r\n");
    CHECK(c.replies(2).find("250 2.1.5") != std::string::npos);
    CHECK(starts(c.reply(), "552 5.3.4"));
    CHECK(c.until_closed() == "");
    CHECK(eml_files(mail).empty());
  }
  SUBCASE("BDAT without a transaction: the chunk is still consumed") {
    Client c(sb.ports.smtp);
    REQUIRE(starts(greet(c), "250"));
    c.send("BDAT 6\r\nNOOP\r\nNOOP\r\n");
    CHECK(starts(c.reply(), "503 5.5.1"));
    CHECK(starts(c.reply(), "250 2.0.0"));
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nBDAT 1 LAST\r\n");
    CHECK(c.replies(3).find("354 ") != std::string::npos);
    c.send("x\r\n.\r\n");
    CHECK(starts(c.reply(), "250 2.0.0 OK"));
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 1\r\nxDATA\r\n");
    CHECK(c.replies(3).find("250 2.0.0 1 octets") != std::string::npos);
    CHECK(starts(c.reply(), "503 5.5.1 DATA is not allowed after BDAT"));
  }
}

TEST_CASE("101 recipients: the 101st gets 452 4.5.3, the message keeps 100") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  std::string batch = "MAIL FROM:<a@example.test>\r\n";
  for (int i = 1; i <= 101; ++i) batch += "RCPT TO:<r" + std::to_string(i) + "@example.test>\r\n";
  batch += "DATA\r\n";
  c.send(batch);
  CHECK(starts(c.reply(), "250 2.1.0"));
  for (int i = 1; i <= 100; ++i) REQUIRE(starts(c.reply(), "250 2.1.5"));
  CHECK(starts(c.reply(), "452 4.5.3"));
  CHECK(starts(c.reply(), "354 "));
  c.send("Subject: many\r\n\r\nx\r\n.\r\n");
  CHECK(starts(c.reply(), "250 2.0.0 OK"));
  const auto files = eml_files(sb.server.mail_dir());
  REQUIRE(files.size() == 1);
  const auto recipients = sidecar(files[0])["recipients"].as_array();
  CHECK(recipients.size() == 100);
  CHECK(recipients.back() == "r100@example.test");
}

TEST_CASE("message size: SIZE= over the limit, DATA over it, far over it") {
  Sandbox sb([](flowhost::sandbox::Options& o) { o.max_message_size = 1000; });
  Client c(sb.ports.smtp);
  const std::string ehlo = greet(c);
  CHECK(ehlo.find("250-SIZE 1000\r\n") != std::string::npos);
  c.send("MAIL FROM:<a@example.test> SIZE=1001\r\n");
  CHECK(starts(c.reply(), "552 5.3.4"));
  c.send("MAIL FROM:<a@example.test> SIZE=1000\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
  CHECK(c.replies(3).find("354 ") != std::string::npos);
  c.send(std::string(1500, 'x') + "\r\n.\r\nNOOP\r\n");
  CHECK(starts(c.reply(), "552 5.3.4"));
  CHECK(starts(c.reply(), "250 2.0.0"));  // the session goes on
  c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
  CHECK(c.replies(3).find("354 ") != std::string::npos);
  c.send(std::string(3000, 'x'));
  CHECK(starts(c.reply(), "552 5.3.4"));
  CHECK(c.until_closed() == "");
  CHECK(eml_files(sb.server.mail_dir()).empty());
  CHECK(no_temp_files(sb.server.mail_dir()));
}

TEST_CASE("envelope rules: EHLO first, nested MAIL, RCPT first, addresses, parameters") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  c.send("MAIL FROM:<a@example.test>\r\n");
  CHECK(starts(c.reply(), "503 5.5.1"));
  c.send("EHLO x\r\n");
  c.reply();
  c.send("RCPT TO:<b@example.test>\r\n");
  CHECK(starts(c.reply(), "503 5.5.1"));
  c.send("DATA\r\n");
  CHECK(starts(c.reply(), "503 5.5.1"));
  c.send("MAIL FROM:a@example.test\r\n");
  CHECK(starts(c.reply(), "501 5.5.4"));
  c.send("MAIL FROM:<j\xc3\xb6rg@example.test>\r\n");
  CHECK(starts(c.reply(), "553 5.6.7"));
  c.send("MAIL FROM:<a@example.test> RET=FULL\r\n");
  CHECK(starts(c.reply(), "555 5.5.4"));
  c.send("MAIL FROM:<a@example.test> BODY=BINARYMIME\r\n");
  CHECK(starts(c.reply(), "555 5.5.4"));
  // (ten errors would close the session: go on in a fresh one)
  Client d(sb.ports.smtp);
  REQUIRE(starts(greet(d), "250"));
  d.send("MAIL FROM:<> BODY=8BITMIME\r\n");
  CHECK(starts(d.reply(), "250 2.1.0"));
  d.send("MAIL FROM:<a@example.test>\r\n");
  CHECK(starts(d.reply(), "503 5.5.1 Nested"));
  d.send("RCPT TO:<>\r\n");
  CHECK(starts(d.reply(), "501 5.1.3"));
  d.send("RCPT TO:<b@example.test> NOTIFY=NEVER\r\n");
  CHECK(starts(d.reply(), "555 5.5.4"));
  d.send("RCPT TO:<nodomain>\r\n");
  CHECK(starts(d.reply(), "501 5.1.3"));
  d.send("RCPT TO:<Fail-Permanent@example.test>\r\n");
  CHECK(starts(d.reply(), "550 5.1.1"));
  d.send("DATA\r\n");
  CHECK(starts(d.reply(), "554 5.5.1"));
  d.send("RSET\r\nVRFY x\r\nEXPN x\r\nHELP\r\nQUIT\r\n");
  CHECK(starts(d.reply(), "250 2.0.0"));
  CHECK(starts(d.reply(), "252 "));
  CHECK(starts(d.reply(), "502 5.5.1"));
  CHECK(starts(d.reply(), "214 "));
  CHECK(starts(d.reply(), "221 2.0.0"));
  CHECK(d.until_closed() == "");
}

TEST_CASE("AUTH: bad input, cancel, and the log never holds a password or a payload") {
  Sandbox sb([](flowhost::sandbox::Options& o) { o.users = {{"flow", "s3cret-pw"}}; });
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  c.send("AUTH PLAIN !!!!\r\n");
  CHECK(starts(c.reply(), "501 5.5.2"));
  c.send("AUTH PLAIN\r\n");
  CHECK(starts(c.reply(), "334 "));
  c.send("*\r\n");
  CHECK(starts(c.reply(), "501 5.7.0"));
  c.send("AUTH XOAUTH2 abc\r\n");
  CHECK(starts(c.reply(), "504 5.5.4"));
  c.send("AUTH CRAM-MD5 abc\r\n");
  CHECK(starts(c.reply(), "501 5.5.2"));
  // wrong password (base64 of "\0flow\0s3cret-px"), then the right one
  c.send("AUTH PLAIN AGZsb3cAczNjcmV0LXB4\r\n");
  CHECK(starts(c.reply(), "535 5.7.8"));
  c.send("AUTH PLAIN AGZsb3cAczNjcmV0LXB3\r\n");  // "\0flow\0s3cret-pw"
  CHECK(starts(c.reply(), "235 2.7.0"));
  c.send("AUTH PLAIN AGZsb3cAczNjcmV0LXB3\r\n");
  CHECK(starts(c.reply(), "503 5.5.1 Already"));
  c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
  CHECK(c.replies(3).find("354 ") != std::string::npos);
  c.send("x\r\n.\r\nQUIT\r\n");
  CHECK(starts(c.reply(), "250 2.0.0"));
  CHECK(c.until_closed().find("221") != std::string::npos);
  const auto files = eml_files(sb.server.mail_dir());
  REQUIRE(files.size() == 1);
  CHECK(sidecar(files[0])["auth_user"] == "flow");
  CHECK(eventually([&] { return sb.log.contains("disconnect"); }));
  const std::string log = sb.log.all();
  INFO(log);
  CHECK(log.find("authenticated as flow") != std::string::npos);
  CHECK(log.find("s3cret") == std::string::npos);
  CHECK(log.find("AGZsb3c") == std::string::npos);
  CHECK(log.find("czNjcmV0") == std::string::npos);
}

TEST_CASE("ten bad commands close the connection with 421") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(greet(c), "250"));
  std::string batch;
  for (int i = 0; i < 12; ++i) batch += "BOGUS\r\n";
  c.send(batch);
  for (int i = 0; i < 10; ++i) REQUIRE(starts(c.reply(), "500 5.5.2"));
  CHECK(starts(c.reply(), "421 4.7.0"));
  CHECK(c.until_closed() == "");
}

TEST_CASE("connections are bounded: the one over the limit gets 421 (SMTP) or -ERR (POP3)") {
  Sandbox sb([](flowhost::sandbox::Options& o) { o.max_connections = 2; });
  auto first = std::make_unique<Client>(sb.ports.smtp);
  Client second(sb.ports.pop3);
  REQUIRE(starts(first->reply(), "220 "));
  REQUIRE(starts(second.reply(), "+OK"));
  {
    Client third(sb.ports.smtp);
    CHECK(starts(third.reply(), "421 4.7.0"));
    CHECK(third.until_closed() == "");
    Client fourth(sb.ports.pop3);
    CHECK(starts(fourth.reply(), "-ERR [SYS/TEMP]"));
  }
  first.reset();  // a slot frees up once the server has seen the close
  CHECK(eventually([&] {
    Client again(sb.ports.smtp);
    return starts(again.reply(), "220 ");
  }));
}

TEST_CASE("an idle client is closed after the idle time-out") {
  Sandbox sb([](flowhost::sandbox::Options& o) { o.idle_timeout = std::chrono::seconds(1); });
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.until_closed(5000ms) == "");
  CHECK(std::chrono::steady_clock::now() - start >= 500ms);
  CHECK(eventually([&] { return sb.log.contains("idle time-out"); }));
  // a TLS client that never starts its handshake is bound by the same deadline
  Client silent(sb.ports.smtps);
  CHECK(silent.until_closed(5000ms) == "");
}

TEST_CASE("stop() returns promptly with silent clients connected, and closes them") {
  Sandbox sb;
  Client smtp(sb.ports.smtp);
  Client smtps(sb.ports.smtps);  // never starts TLS
  Client pop3(sb.ports.pop3);
  Client pop3s(sb.ports.pop3s);
  REQUIRE(starts(smtp.reply(), "220 "));
  REQUIRE(starts(pop3.reply(), "+OK"));
  REQUIRE(eventually([&] {
    const auto lines = sb.log.lines();
    return std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
             return line.find(" connect from ") != std::string::npos;
           }) == 4;
  }));
  const auto start = std::chrono::steady_clock::now();
  sb.server.stop();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 1000ms);
  CHECK(smtp.until_closed(2000ms) == "");
  CHECK(smtps.until_closed(2000ms) == "");
  CHECK(pop3.until_closed(2000ms) == "");
  CHECK(pop3s.until_closed(2000ms) == "");
  sb.server.stop();  // idempotent
}

TEST_CASE("stop() from several threads at once") {
  Sandbox sb;
  Client c(sb.ports.smtp);
  REQUIRE(starts(c.reply(), "220 "));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { sb.server.stop(); });
  for (auto& t : threads) t.join();
  CHECK(c.until_closed(2000ms) == "");
}

TEST_CASE("POP3: commands need a login, bad message numbers, line rules") {
  Sandbox sb;
  Client c(sb.ports.pop3);
  REQUIRE(starts(c.reply(), "+OK sandbox POP3 ready <"));
  c.send(
      "STAT\r\nPASS x\r\nUSER sandbox\r\nPASS sandbox\r\nSTAT\r\nRETR 1\r\nRETR x\r\n"
      "TOP 1\r\nLIST 0\r\nNOOP\nNOOP\r\nUSER again\r\nQUIT\r\n");
  CHECK(starts(c.reply(), "-ERR Not logged in"));
  CHECK(starts(c.reply(), "-ERR USER first"));
  CHECK(starts(c.reply(), "+OK"));
  CHECK(starts(c.reply(), "+OK 0 message(s)"));
  CHECK(starts(c.reply(), "+OK 0 0"));
  CHECK(starts(c.reply(), "-ERR No such message"));
  CHECK(starts(c.reply(), "-ERR No such message"));
  CHECK(starts(c.reply(), "-ERR Syntax: TOP"));
  CHECK(starts(c.reply(), "-ERR No such message"));
  CHECK(starts(c.reply(), "-ERR Bare LF"));
  CHECK(starts(c.reply(), "+OK"));
  CHECK(starts(c.reply(), "-ERR Already logged in"));
  CHECK(starts(c.reply(), "+OK sandbox POP3 signing off"));
  CHECK(c.until_closed() == "");
}

TEST_CASE("POP3 RETR: a message with bare LF and dot lines comes back CRLF and dot-stuffed") {
  Sandbox sb;
  {
    Client c(sb.ports.smtp);
    REQUIRE(starts(greet(c), "250"));
    c.send(
        "MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 14 LAST\r\n"
        "A: 1\n\n.dot\nend");
    CHECK(c.replies(3).find("250 2.0.0 OK") != std::string::npos);
  }
  Client p(sb.ports.pop3);
  REQUIRE(starts(p.reply(), "+OK"));
  p.send("USER sandbox\r\nPASS sandbox\r\nLIST\r\nRETR 1\r\n");
  CHECK(starts(p.reply(), "+OK"));
  CHECK(starts(p.reply(), "+OK 1 message(s) (19 octets)"));
  // multi-line answers: read until the terminator
  std::string rest = p.until_closed(1000ms);
  CHECK(rest ==
        "+OK Scan listing follows\r\n1 19\r\n.\r\n"
        "+OK 19 octets\r\nA: 1\r\n\r\n..dot\r\nend\r\n.\r\n<open>");
}
