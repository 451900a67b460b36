#include "send_request.hpp"

#include "flowplugin/plugin.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstddef>
#include <cstring>
#include <memory>

#include "smtp/mime/message_builder.hpp"
#include "smtp/mime/raw_message.hpp"

namespace smtpplugin {
namespace {

namespace json = boost::json;

// A host stream as the core's body source.
class HostStream final : public smtp::BodySource {
 public:
  explicit HostStream(const fp_stream* stream) : stream_(flowplugin::copy_known(stream)) {}

  std::size_t read(std::span<char> buffer, std::error_code& ec) override {
    const auto n = stream_.read(stream_.context, buffer.data(), buffer.size());
    if (n < 0) {
      ec = std::make_error_code(std::errc::io_error);
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  std::optional<std::uint64_t> size() const override {
    if (stream_.size < 0) return std::nullopt;
    return static_cast<std::uint64_t>(stream_.size);
  }
  bool rewind() override {
    return stream_.rewind != nullptr && stream_.rewind(stream_.context) == 0;
  }

 private:
  fp_stream stream_;
};

// A ready-made message: its first bytes were read ahead (to find its Message-ID), and are
// replayed before the rest of the stream.
class PrefixedStream final : public smtp::BodySource {
 public:
  PrefixedStream(std::string prefix, std::unique_ptr<HostStream> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}

  std::size_t read(std::span<char> buffer, std::error_code& ec) override {
    if (offset_ < prefix_.size()) {
      const auto n = std::min(buffer.size(), prefix_.size() - offset_);
      std::memcpy(buffer.data(), prefix_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    return rest_->read(buffer, ec);
  }
  std::optional<std::uint64_t> size() const override { return rest_->size(); }
  bool rewind() override {
    if (!rest_->rewind()) return false;
    // The prefix was read from the stream's start: skip it again.
    std::string skipped(prefix_.size(), '\0');
    std::size_t got = 0;
    std::error_code ec;
    while (got < skipped.size()) {
      const auto n = rest_->read(std::span<char>(skipped.data() + got, skipped.size() - got), ec);
      if (ec || n == 0) return false;
      got += n;
    }
    offset_ = 0;
    return skipped == prefix_;
  }

 private:
  std::string prefix_;
  std::size_t offset_ = 0;
  std::unique_ptr<HostStream> rest_;
};

constexpr std::size_t raw_prefix_size = 64 * 1024;  // enough for any sane header section

struct Mailbox {
  std::string address;
  std::string name;
};

// "alice@example.com" or {"address": "alice@example.com", "name": "Alice"}.
std::optional<Mailbox> mailbox(const json::value& v, const std::string& field, std::string& error) {
  if (v.is_string()) return Mailbox{std::string(v.as_string()), {}};
  if (v.is_object()) {
    const auto& o = v.as_object();
    const auto* address = o.if_contains("address");
    if (address != nullptr && address->is_string()) {
      const auto* name = o.if_contains("name");
      return Mailbox{std::string(address->as_string()),
                     name != nullptr && name->is_string() ? std::string(name->as_string()) : ""};
    }
  }
  error = field + ": expected an address string or {\"address\": ..., \"name\": ...}";
  return std::nullopt;
}

std::optional<std::vector<Mailbox>> mailboxes(const json::object& o, const char* field,
                                              std::string& error) {
  std::vector<Mailbox> out;
  const auto* v = o.if_contains(field);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    error = std::string(field) + ": expected a list of addresses";
    return std::nullopt;
  }
  std::size_t i = 0;
  for (const auto& item : v->as_array()) {
    auto m = mailbox(item, std::string(field) + "[" + std::to_string(i++) + "]", error);
    if (!m) return std::nullopt;
    out.push_back(std::move(*m));
  }
  return out;
}

std::optional<std::string> text_field(const json::object& o, const char* field,
                                      std::string& error) {
  const auto* v = o.if_contains(field);
  if (v == nullptr) return std::string();
  if (!v->is_string()) {
    error = std::string(field) + ": expected a string";
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<Outgoing> raw_outgoing(const json::object& o, const fp_stream* raw,
                                     std::string& error) {
  Outgoing out;
  const auto* from = o.if_contains("from");
  if (from == nullptr) {
    error = "from: the envelope sender is missing";
    return std::nullopt;
  }
  auto sender = mailbox(*from, "from", error);
  if (!sender) return std::nullopt;
  out.envelope.from = sender->address;
  auto recipients = mailboxes(o, "recipients", error);
  if (!recipients) return std::nullopt;
  for (auto& r : *recipients) out.envelope.recipients.push_back(std::move(r.address));

  auto stream = std::make_unique<HostStream>(raw);
  // Read into uninitialised memory (zero-filling 64 KiB for a 1 KB message would cost more
  // than the rest of its send), then kept at its real size.
  const auto scratch = std::make_unique_for_overwrite<char[]>(raw_prefix_size);
  std::size_t got = 0;
  std::error_code ec;
  while (got < raw_prefix_size) {
    const auto n = stream->read(std::span<char>(scratch.get() + got, raw_prefix_size - got), ec);
    if (ec) {
      error = "raw_message: the stream could not be read";
      return std::nullopt;
    }
    if (n == 0) break;
    got += n;
  }
  std::string prefix(scratch.get(), got);
  const auto info = smtp::mime::inspect_raw_message(prefix);
  out.message_id = info.message_id;
  out.traits = info.traits;
  // 7-bit so far, but the rest of a longer message is unread: the session checks it as it goes.
  if (got == raw_prefix_size && out.traits.body_class == smtp::BodyClass::seven_bit) {
    out.traits.body_class = smtp::BodyClass::unknown;
  }
  out.body = std::make_unique<PrefixedStream>(std::move(prefix), std::move(stream));
  return out;
}

std::optional<Outgoing> built_outgoing(const json::object& o, const fp_send_request& request,
                                       std::string& error) {
  smtp::mime::MessageBuilder builder;
  const auto* from = o.if_contains("from");
  if (from == nullptr) {
    error = "from: the sender is missing";
    return std::nullopt;
  }
  auto sender = mailbox(*from, "from", error);
  if (!sender) return std::nullopt;
  builder.from(sender->address, sender->name);
  using Builder = smtp::mime::MessageBuilder;
  using Add = void (*)(Builder&, Mailbox &&);
  static constexpr std::pair<const char*, Add> lists[] = {
      {"to", [](Builder& b, Mailbox&& m) { b.to(std::move(m.address), std::move(m.name)); }},
      {"cc", [](Builder& b, Mailbox&& m) { b.cc(std::move(m.address), std::move(m.name)); }},
      {"reply_to",
       [](Builder& b, Mailbox&& m) { b.reply_to(std::move(m.address), std::move(m.name)); }},
      {"bcc", [](Builder& b, Mailbox&& m) { b.bcc(std::move(m.address)); }},  // envelope only
  };
  for (const auto& [field, add] : lists) {
    auto list = mailboxes(o, field, error);
    if (!list) return std::nullopt;
    for (auto& m : *list) add(builder, std::move(m));
  }
  const auto subject = text_field(o, "subject", error);
  const auto text = text_field(o, "text", error);
  const auto html = text_field(o, "html", error);
  const auto charset = text_field(o, "charset", error);
  if (!subject || !text || !html || !charset) return std::nullopt;
  if (!subject->empty()) builder.subject(*subject);
  if (!text->empty()) builder.text(*text);
  if (!html->empty()) builder.html(*html);
  if (*charset == "iso-2022-jp" || *charset == "ISO-2022-JP") {
    builder.charset(smtp::mime::Charset::iso_2022_jp);
  } else if (!charset->empty() && *charset != "utf-8" && *charset != "UTF-8") {
    error = "charset: expected \"utf-8\" or \"iso-2022-jp\"";
    return std::nullopt;
  }
  if (const auto* headers = o.if_contains("headers")) {
    if (!headers->is_object()) {
      error = "headers: expected an object of name: value";
      return std::nullopt;
    }
    for (const auto& [name, value] : headers->as_object()) {
      if (!value.is_string()) {
        error = "headers." + std::string(name) + ": expected a string";
        return std::nullopt;
      }
      builder.header(std::string(name), std::string(value.as_string()));
    }
  }
  for (std::size_t i = 0; i < request.attachment_count; ++i) {
    const auto a = flowplugin::copy_known(request.attachments[i]);
    if (a.content == nullptr) {
      error = "attachments[" + std::to_string(i) + "]: no content stream";
      return std::nullopt;
    }
    builder.attach(std::string(a.file_name.data, a.file_name.size),
                   std::string(a.content_type.data, a.content_type.size),
                   std::make_unique<HostStream>(a.content));
  }
  auto built = builder.build();
  if (!built.ok()) {
    error = built.describe();
    return std::nullopt;
  }
  Outgoing out;
  out.envelope = std::move(built.message.envelope);
  out.body = std::move(built.message.body);
  out.traits = built.message.traits;
  out.message_id = std::move(built.message.message_id);
  return out;
}

}  // namespace

std::optional<Outgoing> make_outgoing(const fp_send_request& host_request, std::string& error) {
  // Fields a shorter (older) request lacks read as zero.
  const auto request = flowplugin::copy_known(&host_request);
  boost::system::error_code ec;
  // The parsed request lives only during this call: its nodes come from a stack buffer first.
  alignas(std::max_align_t) unsigned char buffer[4096];
  json::monotonic_resource resource(buffer, sizeof buffer);
  const auto doc =
      json::parse(flowplugin::view(request.message_json), ec, json::storage_ptr(&resource));
  if (ec || !doc.is_object()) {
    error = "the message is not a JSON object";
    return std::nullopt;
  }
  if (request.attachment_count > 0 && request.attachments == nullptr) {
    error = "attachments: the count is not zero but the list is missing";
    return std::nullopt;
  }
  if (request.raw_message != nullptr) {
    return raw_outgoing(doc.as_object(), request.raw_message, error);
  }
  return built_outgoing(doc.as_object(), request, error);
}

}  // namespace smtpplugin
