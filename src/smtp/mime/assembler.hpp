#pragma once
// The inside of MessageBuilder::build(): validation (validate.cpp) and assembly
// (assembler.cpp). Everything that can fail happens before any attachment stream moves out of
// the builder, so a refused build() leaves the builder as it was.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/mime/charset.hpp"
#include "smtp/mime/header.hpp"
#include "smtp/mime/message_builder.hpp"
#include "smtp/mime/transfer_encoding.hpp"

namespace smtp::mime {

class Assembler {
 public:
  Assembler(MessageBuilder& builder, const BuildOptions& options);
  BuildResult run();

 private:
  using Mailbox = MessageBuilder::Mailbox;

  struct TextPart {
    std::string content_type;  // "text/plain; charset=UTF-8" as header segments
    TransferEncoding encoding = TransferEncoding::seven_bit;
    std::string payload;  // encoded, CRLF line breaks
  };

  // validate.cpp
  bool validate();
  bool check_address(const std::string& label, std::string_view address, bool allow_empty);
  bool check_mailbox(const std::string& label, const Mailbox& mailbox);
  bool check_headers();
  bool check_bodies();
  bool check_attachments();
  bool fail(std::error_code ec, std::string detail);

  // assembler.cpp
  bool draw_tokens();
  bool draw_token(std::string& token);
  bool write_headers(std::string& out);
  bool address_field(std::string_view name, const std::vector<Mailbox>& list, std::string& out);
  bool field(std::string_view name, const Segments& segments, std::string& out);
  bool prepare_text(std::string_view label, std::string_view subtype, std::string_view utf8,
                    TextPart& part);
  bool convert_lines(std::string_view label, std::string_view text, std::string& out);
  bool attachment_headers(std::size_t index, std::string& out);
  bool open_streams(std::vector<AttachmentStream>& streams);
  std::string text_entity(const TextPart& part);
  std::string body_entity(const std::vector<TextPart>& parts);
  std::vector<BodyPiece> assemble(std::string headers, const std::vector<TextPart>& texts,
                                  const std::vector<std::string>& attachment_heads,
                                  std::vector<AttachmentStream> streams);
  smtp::Envelope envelope() const;

  MessageBuilder& b_;
  const BuildOptions& options_;
  Converter converter_;
  BuildResult result_;
  std::string message_id_;
  std::string mixed_boundary_;
  std::string alternative_boundary_;
  bool utf8_headers_ = false;
};

}  // namespace smtp::mime
