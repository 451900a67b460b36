// MessageBuilder::build(), part one: every input is checked before anything is built, and the
// error names the field. Nothing is repaired.

#include <array>

#include "smtp/error.hpp"
#include "smtp/mime/assembler.hpp"
#include "smtp/mime/error.hpp"
#include "smtp/protocol/address.hpp"
#include "smtp/protocol/reply.hpp"  // escape_text: input shown in an error is escaped

namespace smtp::mime {
namespace {

// Longest extra header name: "Name: " and an encoded word must still fit a folded line.
constexpr std::size_t max_field_name = 76;

std::string label(std::string_view field, std::size_t index) {
  return std::string(field) + "[" + std::to_string(index + 1) + "]";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Headers the builder writes itself: a second copy would contradict it (or, for Bcc, leak).
bool is_reserved(std::string_view name) {
  static constexpr std::array<std::string_view, 9> reserved = {
      "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version"};
  const auto n = lower(name);
  for (const auto r : reserved) {
    if (n == r) return true;
  }
  return n.starts_with("content-");
}

// RFC 2045 token: printable ASCII except tspecials.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c <= 0x20 || c > 0x7e) return false;
    if (std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool is_mime_type(std::string_view type) {
  const auto slash = type.find('/');
  return slash != std::string_view::npos && is_token(type.substr(0, slash)) &&
         is_token(type.substr(slash + 1));
}

}  // namespace

bool Assembler::fail(std::error_code ec, std::string detail) {
  result_.error = ec;
  result_.detail = std::move(detail);
  return false;
}

bool Assembler::check_address(const std::string& label, std::string_view address,
                              bool allow_empty) {
  const auto check = smtp::check_address(address, allow_empty);
  if (!check) return fail(check.error, label + " <" + escape_text(address) + ">: " + check.reason);
  return true;
}

bool Assembler::check_mailbox(const std::string& label, const Mailbox& mailbox) {
  if (!check_address(label, mailbox.address, false)) return false;
  std::string why;
  if (auto ec = check_value(mailbox.display_name, why)) {
    return fail(ec, label + " display name " + why);
  }
  // A non-ASCII address cannot be encoded in a header: it goes raw (RFC 6532).
  utf8_headers_ = utf8_headers_ || !is_ascii(mailbox.address);
  return true;
}

bool Assembler::check_headers() {
  std::string why;
  if (b_.subject_ && check_value(*b_.subject_, why)) {
    return fail(errc::header_invalid, "Subject " + why);
  }
  for (const auto& h : b_.headers_) {
    const auto name = "header '" + escape_text(h.name) + "'";
    if (!is_field_name(h.name)) {
      return fail(errc::header_invalid, name + ": a name is printable ASCII without spaces or ':'");
    }
    if (h.name.size() > max_field_name) {
      return fail(errc::header_invalid, name + ": the name is longer than 76 characters");
    }
    if (is_reserved(h.name)) {
      return fail(errc::header_invalid,
                  name + ": the builder writes this header; use its own setter");
    }
    if (check_value(h.value, why)) return fail(errc::header_invalid, name + " value " + why);
  }
  return true;
}

bool Assembler::check_bodies() {
  if (b_.text_ && !is_valid_utf8(*b_.text_)) {
    return fail(errc::text_invalid, "the text body is not valid UTF-8");
  }
  if (b_.html_ && !is_valid_utf8(*b_.html_)) {
    return fail(errc::text_invalid, "the HTML body is not valid UTF-8");
  }
  return true;
}

bool Assembler::check_attachments() {
  for (std::size_t i = 0; i < b_.attachments_.size(); ++i) {
    const auto& a = b_.attachments_[i];
    const auto name = label("attachment", i);
    std::string why;
    if (a.file_name.empty())
      return fail(errc::file_name_invalid, name + ": the file name is empty");
    if (check_value(a.file_name, why)) {
      return fail(errc::file_name_invalid, name + ": the file name " + why);
    }
    const auto named = name + " ('" + escape_text(a.file_name) + "')";
    if (!is_mime_type(a.content_type)) {
      return fail(errc::content_type_invalid,
                  named + ": '" + escape_text(a.content_type) + "' is not type/subtype");
    }
    if (!a.source && !a.open) {
      return fail(errc::attachment_missing,
                  named + " has no stream (a stream goes into one build() only)");
    }
  }
  return true;
}

bool Assembler::validate() {
  if (!b_.from_) return fail(errc::sender_missing, "From is required");
  if (!check_mailbox("From", *b_.from_)) return false;
  if (b_.envelope_from_ && !check_address("envelope sender", *b_.envelope_from_, true)) {
    return false;
  }
  const std::pair<const char*, const std::vector<Mailbox>*> lists[] = {
      {"To", &b_.to_}, {"Cc", &b_.cc_}, {"Reply-To", &b_.reply_to_}};
  for (const auto& [field, list] : lists) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!check_mailbox(label(field, i), (*list)[i])) return false;
    }
  }
  for (std::size_t i = 0; i < b_.bcc_.size(); ++i) {
    if (!check_address(label("Bcc", i), b_.bcc_[i], false)) return false;
  }
  if (b_.to_.empty() && b_.cc_.empty() && b_.bcc_.empty()) {
    return fail(smtp::errc::no_recipients, "To, Cc and Bcc are all empty");
  }
  return check_headers() && check_bodies() && check_attachments();
}

}  // namespace smtp::mime
