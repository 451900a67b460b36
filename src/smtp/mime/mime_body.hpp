#pragma once
// The built message as a smtp::BodySource: fixed bytes (headers, text parts, boundaries) held in
// memory, attachments read from their streams and base64-encoded only as the reader asks for
// more. At most one read of `read_size` octets of an attachment, and its encoding, is held at a
// time, whatever the attachment's size.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smtp/message.hpp"
#include "smtp/mime/transfer_encoding.hpp"

namespace smtp::mime {

// Opens an attachment's stream; called again for each rewind().
using SourceFactory = std::function<std::unique_ptr<smtp::BodySource>()>;

struct AttachmentStream {
  std::string name;                          // the file name, for error messages
  std::unique_ptr<smtp::BodySource> source;  // the stream being (or to be) read
  SourceFactory factory;                     // empty for a stream given as it is
  std::optional<std::uint64_t> size;         // what the stream announced, checked at its end
  bool touched = false;                      // read from since it was opened
};

// Fixed bytes, followed (optionally) by an attachment's base64 lines.
struct BodyPiece {
  std::string bytes;
  std::optional<AttachmentStream> attachment;
};

class MessageBody final : public smtp::BodySource {
 public:
  MessageBody(std::vector<BodyPiece> pieces, std::size_t read_size);

  // Fills `buffer`; 0 at the end. An attachment that fails, or whose length differs from the
  // size its stream announced, sets errc::attachment_read_failed (see error_detail()).
  std::size_t read(std::span<char> buffer, std::error_code& ec) override;

  // Known when every attachment's stream announced its size.
  std::optional<std::uint64_t> size() const override;

  // Starts again from the first byte (the same bytes, the same Message-ID), reopening each
  // attachment from its factory. False, changing nothing, when an attachment was given as a
  // stream that has been read from, or a factory gives no stream.
  bool rewind();

  // After a read error: which attachment, and why.
  const std::string& error_detail() const { return detail_; }

 private:
  enum class Stage { bytes, attachment };

  bool refill();
  bool read_attachment(AttachmentStream& attachment);
  bool fail(std::error_code ec, std::string detail);
  void next_piece();

  std::vector<BodyPiece> pieces_;
  std::size_t read_size_;
  std::size_t piece_ = 0;
  Stage stage_ = Stage::bytes;
  std::string_view pending_;  // what the next read() hands out first
  std::string raw_;           // one read of an attachment ...
  std::string encoded_;       // ... and its base64
  Base64Encoder encoder_;
  std::uint64_t attachment_bytes_ = 0;
  std::error_code error_;
  std::string detail_;
};

}  // namespace smtp::mime
