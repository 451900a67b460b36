#pragma once
// Builds a MIME message (RFC 5322, 2045-2049, 2047, 2231) and gives it as a smtp::BodySource
// that streams: attachments are read from their streams only as the message is read.
//
//   auto built = smtp::mime::MessageBuilder()
//                    .from("alice@example.test", "Alice")
//                    .to("bob@example.test", "Bob")
//                    .bcc("audit@example.test")
//                    .subject("Report")
//                    .text("Hello Bob,\n...")
//                    .attach("report.pdf", "application/pdf",
//                            [] { return std::make_unique<smtp::FileBody>("report.pdf"); })
//                    .build();
//   if (!built.ok()) return fail(built.describe());
//   session.send(built.message.envelope, *built.message.body, built.message.traits);
//
// Every byte is 7-bit: text goes 7bit, quoted-printable or base64 (the shortest readable
// choice), attachments base64; non-ASCII header text is RFC 2047-encoded, file names RFC 2231
// and RFC 2047. Only a non-ASCII address needs RFC 6532 (traits.utf8_headers, so SMTPUTF8).
// Bcc addresses go into the envelope only, never into a header. Nothing is repaired: CR, LF or
// NUL in any header text, invalid UTF-8, a bad address or a character the charset cannot hold
// is refused with an error naming the field.
//
// A ready-made message needs no builder: smtp::BufferBody (bytes) or smtp::FileBody (a file)
// sends it as it is; see raw_message.hpp for its Message-ID and traits.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "smtp/message.hpp"
#include "smtp/mime/charset.hpp"
#include "smtp/mime/mime_body.hpp"

namespace smtp::mime {

struct BuildOptions {
  // The Date header's time ...
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  // ... and zone (nullopt: the local zone at `now`).
  std::optional<std::chrono::minutes> utc_offset;
  // Called once for the Message-ID and once per MIME boundary; each call must give a fresh
  // token of 1 to 64 ASCII letters and digits. Empty: 128 bits from std::random_device, hex.
  std::function<std::string()> random_token;
  // The Message-ID's right-hand side. Empty: the domain of the From address.
  std::string message_id_domain;
  // Octets of an attachment read (and held) at a time.
  std::size_t attachment_read_size = std::size_t{48} * 1024;
};

struct BuiltMessage {
  std::unique_ptr<MessageBody> body;  // the message, headers included
  smtp::Envelope envelope;            // From (or envelope_from); To + Cc + Bcc, de-duplicated
  std::string message_id;             // "<token@domain>", as in the Message-ID header
  smtp::MessageTraits traits;         // seven_bit; utf8_headers only for non-ASCII addresses
};

struct BuildResult {
  std::error_code error;  // smtp::errc::invalid_address / no_recipients, or a mime::errc
  std::string detail;     // names the field: "To[2] <bob@>: the domain ... is not valid"
  BuiltMessage message;   // set when ok()

  bool ok() const { return !error; }
  // "<what is wrong>: <detail>", for a user.
  std::string describe() const;
};

class MessageBuilder {
 public:
  MessageBuilder& from(std::string address, std::string display_name = {});
  // MAIL FROM when it is not the From address (a bounce address; "" for the null path).
  MessageBuilder& envelope_from(std::string address);
  MessageBuilder& to(std::string address, std::string display_name = {});
  MessageBuilder& cc(std::string address, std::string display_name = {});
  // Envelope only: a Bcc address never appears in the message.
  MessageBuilder& bcc(std::string address);
  MessageBuilder& reply_to(std::string address, std::string display_name = {});
  MessageBuilder& subject(std::string text);
  // Text and/or HTML, UTF-8 with any line breaks (sent as CRLF). Both: multipart/alternative.
  MessageBuilder& text(std::string body);
  MessageBuilder& html(std::string body);
  // The charset of the text, the HTML and the encoded words (UTF-8 by default).
  MessageBuilder& charset(Charset charset);
  // An extra header: the name is RFC 5322 ftext and not one the builder writes (From, To, Cc,
  // Bcc, Reply-To, Subject, Date, Message-ID, MIME-Version, Content-*); the value is UTF-8
  // without CR, LF or NUL, encoded as unstructured text when it is not ASCII.
  MessageBuilder& header(std::string name, std::string value);
  // An attachment (multipart/mixed), always base64. A stream can be read once; a factory is
  // called at build() and again for each MessageBody::rewind(), so the message can be resent.
  MessageBuilder& attach(std::string file_name, std::string content_type,
                         std::unique_ptr<smtp::BodySource> source);
  MessageBuilder& attach(std::string file_name, std::string content_type, SourceFactory open);

  // Validates everything and builds the message. Streams given to attach() move into the
  // result, so a second build() refuses them (errc::attachment_missing).
  BuildResult build(const BuildOptions& options = {});

 private:
  struct Mailbox {
    std::string address;
    std::string display_name;
  };
  struct Header {
    std::string name;
    std::string value;
  };
  struct Attachment {
    std::string file_name;
    std::string content_type;
    std::unique_ptr<smtp::BodySource> source;
    SourceFactory open;
  };
  friend class Assembler;

  std::optional<Mailbox> from_;
  std::optional<std::string> envelope_from_;
  std::vector<Mailbox> to_, cc_, reply_to_;
  std::vector<std::string> bcc_;
  std::optional<std::string> subject_;
  std::optional<std::string> text_, html_;
  Charset charset_ = Charset::utf8;
  std::vector<Header> headers_;
  std::vector<Attachment> attachments_;
};

}  // namespace smtp::mime
