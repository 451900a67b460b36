#include "smtp/mime/mime_body.hpp"

#include <algorithm>
#include <cstring>

#include "smtp/mime/error.hpp"

namespace smtp::mime {

MessageBody::MessageBody(std::vector<BodyPiece> pieces, std::size_t read_size)
    : pieces_(std::move(pieces)), read_size_(std::max<std::size_t>(read_size, 1)) {}

std::size_t MessageBody::read(std::span<char> buffer, std::error_code& ec) {
  std::size_t filled = 0;
  while (filled < buffer.size() && !error_) {
    if (pending_.empty()) {
      if (!refill()) break;
      continue;
    }
    const auto n = std::min(buffer.size() - filled, pending_.size());
    std::memcpy(buffer.data() + filled, pending_.data(), n);
    pending_.remove_prefix(n);
    filled += n;
  }
  if (error_) {
    ec = error_;
    return 0;
  }
  return filled;
}

std::optional<std::uint64_t> MessageBody::size() const {
  std::uint64_t total = 0;
  for (const auto& piece : pieces_) {
    total += piece.bytes.size();
    if (!piece.attachment) continue;
    if (!piece.attachment->size) return std::nullopt;
    total += Base64Encoder::encoded_size(*piece.attachment->size);
  }
  return total;
}

bool MessageBody::rewind() {
  // Check everything before changing anything, so a refused rewind leaves the body as it was.
  for (const auto& piece : pieces_) {
    const auto& a = piece.attachment;
    if (a && !a->factory && (a->touched || !a->source)) return false;
  }
  std::vector<std::unique_ptr<smtp::BodySource>> reopened(pieces_.size());
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    const auto& a = pieces_[i].attachment;
    if (!a || !a->factory || (a->source && !a->touched)) continue;
    reopened[i] = a->factory();
    if (!reopened[i]) return false;
  }
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    if (!reopened[i]) continue;
    auto& a = *pieces_[i].attachment;
    a.source = std::move(reopened[i]);
    a.size = a.source->size();
    a.touched = false;
  }
  piece_ = 0;
  stage_ = Stage::bytes;
  pending_ = {};
  encoder_ = Base64Encoder();
  attachment_bytes_ = 0;
  error_.clear();
  detail_.clear();
  return true;
}

bool MessageBody::fail(std::error_code ec, std::string detail) {
  error_ = ec;
  detail_ = std::move(detail);
  pending_ = {};
  return false;
}

void MessageBody::next_piece() {
  ++piece_;
  stage_ = Stage::bytes;
  attachment_bytes_ = 0;
  encoder_ = Base64Encoder();
}

// Makes `pending_` the next bytes to hand out (possibly none yet); false at the end or on error.
bool MessageBody::refill() {
  if (piece_ == pieces_.size()) return false;
  auto& piece = pieces_[piece_];
  if (stage_ == Stage::bytes) {
    stage_ = Stage::attachment;
    pending_ = piece.bytes;
    return true;
  }
  if (!piece.attachment) {
    next_piece();
    return true;
  }
  return read_attachment(*piece.attachment);
}

bool MessageBody::read_attachment(AttachmentStream& attachment) {
  const auto name = "attachment '" + attachment.name + "'";
  if (!attachment.source) {
    return fail(errc::attachment_missing, name + ": its stream was already used");
  }
  raw_.resize(read_size_);
  std::error_code ec;
  attachment.touched = true;
  const auto n = attachment.source->read(std::span<char>(raw_.data(), raw_.size()), ec);
  if (ec) return fail(errc::attachment_read_failed, name + ": " + ec.message());
  encoded_.clear();
  if (n > 0) {
    attachment_bytes_ += std::min(n, raw_.size());
    encoder_.write(std::string_view(raw_.data(), std::min(n, raw_.size())), encoded_);
  } else {
    encoder_.finish(encoded_);
    attachment.source.reset();  // done: close the file now, not with the message
  }
  if (attachment.size &&
      (attachment_bytes_ > *attachment.size || (n == 0 && attachment_bytes_ != *attachment.size))) {
    return fail(errc::attachment_read_failed,
                name + ": its stream gave " + std::to_string(attachment_bytes_) +
                    (n == 0 ? "" : " or more") + " octets but announced " +
                    std::to_string(*attachment.size));
  }
  if (n == 0) next_piece();
  pending_ = encoded_;
  return true;
}

}  // namespace smtp::mime
