// The MIME builder end to end: built messages (UTF-8 and ISO-2022-JP; text, HTML and two
// attachments, one with a Japanese file name) sent through smtp::Session to the real Postfix,
// then what Postfix delivered is decoded by Python's email package and checked: names,
// charsets, attachment bytes, and Bcc (a copy delivered, no trace in any header).

#include <doctest/doctest.h>

#include "mail_servers.hpp"
#include "mime/mime_support.hpp"
#include "mime/sample_message.hpp"
#include "smtp/session.hpp"

using servers::MailServers;
using smtp::mime::Charset;

namespace {

// Sends a built message; every recipient's delivered copy, in envelope order.
std::vector<servers::Delivery> send_and_collect(smtp::Session& session,
                                                smtp::mime::BuiltMessage& message) {
  const auto result = session.send(message.envelope, *message.body, message.traits);
  INFO(result.describe());
  INFO(result.transcript);
  REQUIRE(result.ok());
  std::vector<servers::Delivery> copies;
  for (const auto& recipient : message.envelope.recipients) {
    CAPTURE(recipient);
    auto delivered = MailServers::get().wait_for(message.message_id, recipient);
    REQUIRE(delivered);
    copies.push_back(std::move(*delivered));
  }
  return copies;
}

}  // namespace

TEST_CASE("MIME: built messages arrive through Postfix and decode back (UTF-8, ISO-2022-JP)") {
  const auto& servers = MailServers::get();
  const mime_test::Sample sample;
  struct Port {
    const char* name;  // plain: BDAT; nochunking: DATA with dot-stuffing
  };
  for (const auto port : {Port{"plain"}, Port{"nochunking"}}) {
    for (const auto charset : {Charset::utf8, Charset::iso_2022_jp}) {
      CAPTURE(port.name);
      CAPTURE(smtp::mime::charset_name(charset));
      auto builder = mime_test::sample_builder(sample, charset);
      auto built = builder.build();  // the real defaults: random Message-ID, now, local zone
      REQUIRE_MESSAGE(built.ok(), built.describe());
      auto& message = built.message;
      CHECK(message.envelope.recipients ==
            std::vector<std::string>{"bob@example.test", "hanako@example.test",
                                     "carol@example.test", "audit@example.test"});

      smtp::Session session(servers.options(port.name, smtp::TlsMode::none));
      const auto copies = send_and_collect(session, message);
      session.close();

      // Postfix delivers the bytes as built (the body rewinds from its factories).
      REQUIRE(message.body->rewind());
      const auto sent = mime_test::read_all(*message.body);
      for (const auto& copy : copies) {
        CHECK(copy.message == sent);
        CHECK(copy.sender == "alice@example.test");
      }
      // The Bcc recipient got a copy, and no copy shows the Bcc address.
      const auto& audit_copy = copies.back();
      CHECK(audit_copy.recipient == "audit@example.test");
      for (const auto& copy : copies) {
        CHECK(copy.message.find("audit@") == std::string::npos);
        CHECK(mime_test::header_section(copy.message).find("Bcc") == std::string::npos);
      }
      mime_test::check_sample(mime_test::parse_with_python(copies.front().message), sample, charset,
                              message.message_id);
      mime_test::check_sample(mime_test::parse_with_python(audit_copy.message), sample, charset,
                              message.message_id);
    }
  }
}

TEST_CASE("MIME: a 5 MB attachment of unknown size streams through the session") {
  constexpr std::uint64_t size = 5ull * 1024 * 1024 + 1;
  smtp::mime::MessageBuilder builder;
  builder.from("alice@example.test")
      .to("bob@example.test")
      .subject("large attachment")
      .text("see attached\n")
      .attach("large.bin", "application/octet-stream",
              std::make_unique<mime_test::PatternSource>(size));
  auto built = builder.build();
  REQUIRE(built.ok());
  smtp::Session session(MailServers::get().options("plain", smtp::TlsMode::none));
  const auto copies = send_and_collect(session, built.message);
  session.close();
  const auto parsed = mime_test::parse_with_python(copies.front().message);
  CHECK(mime_test::unexpected_defects(parsed).empty());
  const auto& parts = parsed.at("parts").as_array();
  REQUIRE(parts.size() == 2);
  const auto& attachment = parts[1].as_object();
  CHECK(mime_test::str(attachment.at("filename")) == "large.bin");
  CHECK(attachment.at("size").as_int64() == static_cast<std::int64_t>(size));
  CHECK(mime_test::str(attachment.at("sha256")) == mime_test::pattern_sha256(size));
}
