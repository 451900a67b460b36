#include "smtp/mime/message_builder.hpp"

#include "smtp/mime/assembler.hpp"

namespace smtp::mime {

MessageBuilder& MessageBuilder::from(std::string address, std::string display_name) {
  from_ = Mailbox{std::move(address), std::move(display_name)};
  return *this;
}

MessageBuilder& MessageBuilder::envelope_from(std::string address) {
  envelope_from_ = std::move(address);
  return *this;
}

MessageBuilder& MessageBuilder::to(std::string address, std::string display_name) {
  to_.push_back({std::move(address), std::move(display_name)});
  return *this;
}

MessageBuilder& MessageBuilder::cc(std::string address, std::string display_name) {
  cc_.push_back({std::move(address), std::move(display_name)});
  return *this;
}

MessageBuilder& MessageBuilder::bcc(std::string address) {
  bcc_.push_back(std::move(address));
  return *this;
}

MessageBuilder& MessageBuilder::reply_to(std::string address, std::string display_name) {
  reply_to_.push_back({std::move(address), std::move(display_name)});
  return *this;
}

MessageBuilder& MessageBuilder::subject(std::string text) {
  subject_ = std::move(text);
  return *this;
}

MessageBuilder& MessageBuilder::text(std::string body) {
  text_ = std::move(body);
  return *this;
}

MessageBuilder& MessageBuilder::html(std::string body) {
  html_ = std::move(body);
  return *this;
}

MessageBuilder& MessageBuilder::charset(Charset charset) {
  charset_ = charset;
  return *this;
}

MessageBuilder& MessageBuilder::header(std::string name, std::string value) {
  headers_.push_back({std::move(name), std::move(value)});
  return *this;
}

MessageBuilder& MessageBuilder::attach(std::string file_name, std::string content_type,
                                       std::unique_ptr<smtp::BodySource> source) {
  attachments_.push_back({std::move(file_name), std::move(content_type), std::move(source), {}});
  return *this;
}

MessageBuilder& MessageBuilder::attach(std::string file_name, std::string content_type,
                                       SourceFactory open) {
  attachments_.push_back({std::move(file_name), std::move(content_type), {}, std::move(open)});
  return *this;
}

BuildResult MessageBuilder::build(const BuildOptions& options) {
  return Assembler(*this, options).run();
}

std::string BuildResult::describe() const {
  if (!error) return "ok";
  return detail.empty() ? error.message() : error.message() + ": " + detail;
}

}  // namespace smtp::mime
