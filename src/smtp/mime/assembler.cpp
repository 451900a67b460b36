// MessageBuilder::build(), part two: the headers, the text parts and the MIME structure.
//
//   text only / HTML only      one text entity
//   text and HTML              multipart/alternative (text first: the last part is preferred)
//   with attachments           multipart/mixed: the above first, then each attachment
//
// Delimiters follow RFC 2046 5.1.1: the CRLF before "--boundary" belongs to the delimiter, so
// a part's content ends where its last line ends. Boundaries are "=_" and a random token:
// quoted-printable and base64 output can never contain "=_", and a 7bit text that happens to
// contain a boundary is sent quoted-printable instead.

#include "smtp/mime/assembler.hpp"

#include <cstdio>
#include <random>

#include "smtp/mime/error.hpp"
#include "smtp/protocol/address.hpp"
#include "smtp/protocol/reply.hpp"

namespace smtp::mime {
namespace {

constexpr std::size_t max_token = 64;

// 128 bits from std::random_device, as 32 hex digits.
std::string random_hex128() {
  std::random_device device;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(device()));
    out += word;
  }
  return out;
}

bool is_token(std::string_view token) {
  if (token.empty() || token.size() > max_token) return false;
  for (const char c : token) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) return false;
  }
  return true;
}

// Text with any line breaks (CRLF, LF, CR) to CRLF, the canonical form of text (RFC 2046 4.1.1).
std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string encode(TransferEncoding encoding, std::string_view text) {
  switch (encoding) {
    case TransferEncoding::seven_bit:
      return std::string(text);
    case TransferEncoding::quoted_printable:
      return encode_quoted_printable(text);
    case TransferEncoding::base64:
      return encode_base64(text);
  }
  return encode_base64(text);
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Addresses that reach the same mailbox: the local part is case-sensitive, the domain not.
std::string dedupe_key(std::string_view address) {
  const auto at = address.rfind('@');
  return std::string(address.substr(0, at)) + ascii_lower(address.substr(at));
}

}  // namespace

Assembler::Assembler(MessageBuilder& builder, const BuildOptions& options)
    : b_(builder), options_(options), converter_(builder.charset_) {}

bool Assembler::draw_token(std::string& token) {
  token = options_.random_token ? options_.random_token() : random_hex128();
  if (!is_token(token)) {
    return fail(errc::random_invalid,
                "BuildOptions::random_token gave '" + escape_text(token) + "'");
  }
  return true;
}

bool Assembler::draw_tokens() {
  const auto& from = b_.from_->address;
  std::string domain = options_.message_id_domain.empty() ? from.substr(from.rfind('@') + 1)
                                                          : options_.message_id_domain;
  if (!is_valid_domain(domain)) {
    return fail(errc::header_invalid,
                "BuildOptions::message_id_domain '" + escape_text(domain) + "' is not a domain");
  }
  utf8_headers_ = utf8_headers_ || !is_ascii(domain);
  std::string token;
  if (!draw_token(token)) return false;
  message_id_ = "<" + token + "@" + domain + ">";
  if (!b_.attachments_.empty()) {
    if (!draw_token(token)) return false;
    mixed_boundary_ = "=_" + token;
  }
  if (b_.text_ && b_.html_) {
    if (!draw_token(token)) return false;
    alternative_boundary_ = "=_" + token;
    if (alternative_boundary_ == mixed_boundary_) {
      return fail(errc::random_invalid, "BuildOptions::random_token gave the same token twice");
    }
  }
  return true;
}

bool Assembler::field(std::string_view name, const Segments& segments, std::string& out) {
  if (auto ec = fold_field(name, segments, out)) {
    return fail(ec, "header '" + std::string(name) + "'");
  }
  return true;
}

bool Assembler::address_field(std::string_view name, const std::vector<Mailbox>& list,
                              std::string& out) {
  if (list.empty()) return true;
  Segments segments;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string detail;
    if (auto ec = mailbox_segments(name, list[i].address, list[i].display_name, converter_,
                                   segments, detail)) {
      const auto label = name == "From" ? std::string(name)
                                        : std::string(name) + "[" + std::to_string(i + 1) + "]";
      return fail(ec, label + " display name: " + detail);
    }
    if (i + 1 < list.size()) segments.back() += ',';
  }
  return field(name, segments, out);
}

bool Assembler::write_headers(std::string& out) {
  const auto offset = options_.utc_offset.value_or(local_utc_offset(options_.now));
  std::string detail;
  if (!field("Date", {" " + format_date(options_.now, offset)}, out) ||
      !address_field("From", {*b_.from_}, out) || !address_field("Reply-To", b_.reply_to_, out) ||
      !address_field("To", b_.to_, out) || !address_field("Cc", b_.cc_, out)) {
    return false;
  }
  if (b_.subject_ && !b_.subject_->empty()) {
    Segments segments;
    if (auto ec = unstructured_segments("Subject", *b_.subject_, converter_, segments, detail)) {
      return fail(ec, "Subject: " + detail);
    }
    if (!field("Subject", segments, out)) return false;
  }
  if (!field("Message-ID", {" " + message_id_}, out)) return false;
  out += "MIME-Version: 1.0\r\n";
  for (const auto& h : b_.headers_) {
    Segments segments;
    if (auto ec = unstructured_segments(h.name, h.value, converter_, segments, detail)) {
      return fail(ec, "header '" + h.name + "': " + detail);
    }
    if (!field(h.name, segments, out)) return false;
  }
  return true;
}

// ISO-2022-JP line by line, so every line starts and ends in ASCII (RFC 1468).
bool Assembler::convert_lines(std::string_view label, std::string_view text, std::string& out) {
  std::size_t start = 0;
  for (std::size_t line = 1; start <= text.size(); ++line) {
    auto end = text.find("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string detail;
    if (auto ec = converter_.convert(text.substr(start, end - start), out, detail)) {
      return fail(ec, std::string(label) + ", line " + std::to_string(line) + ": " + detail);
    }
    if (end == text.size()) break;
    out += "\r\n";
    start = end + 2;
  }
  return true;
}

bool Assembler::prepare_text(std::string_view label, std::string_view subtype,
                             std::string_view utf8, TextPart& part) {
  const auto text = to_crlf(utf8);
  std::string converted;
  if (converter_.charset() == Charset::utf8) {
    converted = text;
    part.encoding = choose_text_encoding(converted);
  } else {
    if (!convert_lines(label, text, converted)) return false;
    // ISO-2022-JP is 7-bit by design; only a line over 998 octets needs an encoding.
    part.encoding = lines_within(converted, max_line_length) ? TransferEncoding::seven_bit
                                                             : TransferEncoding::base64;
  }
  const bool collides =
      (!mixed_boundary_.empty() && converted.find(mixed_boundary_) != std::string::npos) ||
      (!alternative_boundary_.empty() &&
       converted.find(alternative_boundary_) != std::string::npos);
  if (part.encoding == TransferEncoding::seven_bit && collides) {
    part.encoding = TransferEncoding::quoted_printable;
  }
  part.content_type = "text/" + std::string(subtype);
  part.payload = encode(part.encoding, converted);
  return true;
}

std::string Assembler::text_entity(const TextPart& part) {
  std::string out;
  const std::string charset(charset_name(converter_.charset()));
  fold_field("Content-Type", {" " + part.content_type + ";", " charset=" + charset}, out);
  fold_field("Content-Transfer-Encoding",
             {" " + std::string(transfer_encoding_name(part.encoding))}, out);
  out += "\r\n";
  out += part.payload;
  return out;
}

std::string Assembler::body_entity(const std::vector<TextPart>& parts) {
  if (parts.size() == 1) return text_entity(parts.front());
  const auto& boundary = alternative_boundary_;
  std::string out;
  fold_field("Content-Type", {" multipart/alternative;", " boundary=\"" + boundary + "\""}, out);
  out += "\r\n--" + boundary + "\r\n" + text_entity(parts[0]);
  out += "\r\n--" + boundary + "\r\n" + text_entity(parts[1]);
  out += "\r\n--" + boundary + "--";
  return out;
}

bool Assembler::attachment_headers(std::size_t index, std::string& out) {
  const auto& a = b_.attachments_[index];
  const auto label = "attachment " + std::to_string(index + 1) + " file name";
  std::vector<Segments> name_param;
  std::vector<Segments> filename_params;
  std::string detail;
  // Content-Type's name= is what older clients read; Content-Disposition's filename and
  // filename* (RFC 2231) what newer ones do.
  if (auto ec = file_name_params("name", a.file_name, converter_, false, name_param, detail)) {
    return fail(ec, label + ": " + detail);
  }
  if (auto ec =
          file_name_params("filename", a.file_name, converter_, true, filename_params, detail)) {
    return fail(ec, label + ": " + detail);
  }
  Segments type = {" " + a.content_type};
  append_params(type, name_param);
  Segments disposition = {" attachment"};
  append_params(disposition, filename_params);
  return field("Content-Type", type, out) && field("Content-Disposition", disposition, out) &&
         field("Content-Transfer-Encoding", {" base64"}, out);
}

// Factories are called only here, after everything else succeeded; streams given as they are
// move out of the builder last, when nothing can fail any more.
bool Assembler::open_streams(std::vector<AttachmentStream>& streams) {
  for (std::size_t i = 0; i < b_.attachments_.size(); ++i) {
    auto& a = b_.attachments_[i];
    AttachmentStream stream;
    stream.name = a.file_name;
    stream.factory = a.open;
    if (a.open) {
      stream.source = a.open();
      if (!stream.source) {
        return fail(errc::attachment_missing, "attachment " + std::to_string(i + 1) + " ('" +
                                                  escape_text(a.file_name) +
                                                  "'): its factory gave no stream");
      }
    }
    streams.push_back(std::move(stream));
  }
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto& a = b_.attachments_[i];
    if (!a.open) streams[i].source = std::move(a.source);
    streams[i].size = streams[i].source->size();
  }
  return true;
}

std::vector<BodyPiece> Assembler::assemble(std::string headers, const std::vector<TextPart>& texts,
                                           const std::vector<std::string>& attachment_heads,
                                           std::vector<AttachmentStream> streams) {
  std::vector<BodyPiece> pieces;
  pieces.reserve(streams.size() + 1);  // `out` stays valid as pieces are added
  auto& out = pieces.emplace_back().bytes;
  out = std::move(headers);
  if (streams.empty()) {
    out += body_entity(texts);
    if (!out.ends_with("\r\n")) out += "\r\n";
    return pieces;
  }
  const auto& boundary = mixed_boundary_;
  fold_field("Content-Type", {" multipart/mixed;", " boundary=\"" + boundary + "\""}, out);
  out += "\r\n--" + boundary + "\r\n";
  if (!texts.empty()) out += body_entity(texts) + "\r\n--" + boundary + "\r\n";
  // Each attachment's stream follows its headers; the next piece starts with the delimiter.
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto& piece = i == 0 ? pieces.back() : pieces.emplace_back();
    if (i > 0) piece.bytes = "\r\n--" + boundary + "\r\n";
    piece.bytes += attachment_heads[i] + "\r\n";
    piece.attachment = std::move(streams[i]);
  }
  pieces.emplace_back().bytes = "\r\n--" + boundary + "--\r\n";
  return pieces;
}

smtp::Envelope Assembler::envelope() const {
  smtp::Envelope envelope;
  envelope.from = b_.envelope_from_.value_or(b_.from_->address);
  std::vector<std::string> seen;
  auto add = [&](const std::string& address) {
    const auto key = dedupe_key(address);
    for (const auto& s : seen) {
      if (s == key) return;
    }
    seen.push_back(key);
    envelope.recipients.push_back(address);
  };
  for (const auto& m : b_.to_) add(m.address);
  for (const auto& m : b_.cc_) add(m.address);
  for (const auto& a : b_.bcc_) add(a);
  return envelope;
}

BuildResult Assembler::run() {
  if (!validate()) return std::move(result_);
  if (converter_.status()) {
    fail(converter_.status(), std::string(charset_name(converter_.charset())));
    return std::move(result_);
  }
  std::string headers;
  std::vector<TextPart> texts;
  if (!draw_tokens() || !write_headers(headers)) return std::move(result_);
  if (b_.text_ || (!b_.html_ && b_.attachments_.empty())) {
    texts.emplace_back();
    if (!prepare_text("the text body", "plain", b_.text_.value_or(""), texts.back())) {
      return std::move(result_);
    }
  }
  if (b_.html_) {
    texts.emplace_back();
    if (!prepare_text("the HTML body", "html", *b_.html_, texts.back())) return std::move(result_);
  }
  std::vector<std::string> heads(b_.attachments_.size());
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (!attachment_headers(i, heads[i])) return std::move(result_);
  }
  std::vector<AttachmentStream> streams;
  if (!open_streams(streams)) return std::move(result_);

  auto& message = result_.message;
  message.body =
      std::make_unique<MessageBody>(assemble(std::move(headers), texts, heads, std::move(streams)),
                                    options_.attachment_read_size);
  message.envelope = envelope();
  message.message_id = message_id_;
  message.traits.body_class = smtp::BodyClass::seven_bit;
  message.traits.utf8_headers = utf8_headers_ ? smtp::Utf8Headers::yes : smtp::Utf8Headers::no;
  return std::move(result_);
}

}  // namespace smtp::mime
