#include "mail.hpp"

#include <boost/json.hpp>

namespace flowhost {
namespace json = boost::json;

int exit_code(const std::string& status_text) {
  if (status_text == "OK") return 0;
  if (status_text == "RETRY") return 3;
  if (status_text == "FAILED") return 4;
  if (status_text == "UNCERTAIN") return 5;
  return 2;
}

namespace {

json::object mailbox(const std::string& text) {
  json::object o;
  const auto open = text.rfind('<');
  const auto close = text.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    auto name = text.substr(0, open);
    while (!name.empty() && (name.back() == ' ' || name.back() == '"')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '"')) name.erase(0, 1);
    o["address"] = text.substr(open + 1, close - open - 1);
    if (!name.empty()) o["name"] = name;
  } else {
    o["address"] = text;
  }
  return o;
}

json::array mailboxes(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& item : list) out.push_back(mailbox(item));
  return out;
}

}  // namespace

std::string mailbox_json(const std::string& text) { return json::serialize(mailbox(text)); }

std::string message_json(const MailFields& f) {
  json::object o;
  o["from"] = mailbox(f.from);
  if (f.eml) {
    // A ready-made message: only the envelope travels beside it.
    json::array recipients;
    for (const auto* list : {&f.to, &f.cc, &f.bcc}) {
      for (const auto& r : *list) recipients.push_back(mailbox(r));
    }
    o["recipients"] = std::move(recipients);
    return json::serialize(o);
  }
  o["to"] = mailboxes(f.to);
  if (!f.cc.empty()) o["cc"] = mailboxes(f.cc);
  if (!f.bcc.empty()) o["bcc"] = mailboxes(f.bcc);
  if (!f.subject.empty()) o["subject"] = f.subject;
  if (!f.text.empty()) o["text"] = f.text;
  if (!f.html.empty()) o["html"] = f.html;
  if (!f.charset.empty()) o["charset"] = f.charset;
  if (!f.headers.empty()) {
    json::object headers;
    for (const auto& [name, value] : f.headers) headers[name] = value;
    o["headers"] = std::move(headers);
  }
  return json::serialize(o);
}

SendOutcome send_mail(const flowplugin::ConnectionFactory& factory,
                      const flowplugin::Connection& connection, const MailFields& fields) {
  SendOutcome outcome;
  std::vector<flowplugin::Attachment> attachments;
  try {
    for (const auto& a : fields.attachments) {
      attachments.push_back(
          {a.file.filename().string(), a.content_type, flowplugin::Stream::from_file(a.file)});
    }
  } catch (const std::exception& e) {
    outcome.status = FP_INVALID;
    outcome.status_text = "INVALID";
    outcome.message = e.what();
    return outcome;
  }
  std::optional<flowplugin::Stream> raw;
  if (fields.eml) raw = flowplugin::Stream::from_file(*fields.eml);
  auto [status, result] =
      factory.send(connection, message_json(fields), attachments, raw ? &*raw : nullptr);
  outcome.status = status;
  outcome.result_json = std::move(result);
  boost::system::error_code ec;
  const auto doc = json::parse(outcome.result_json, ec);
  if (!ec && doc.is_object()) {
    const auto& o = doc.as_object();
    if (const auto* s = o.if_contains("status"); s && s->is_string()) {
      outcome.status_text = std::string(s->as_string());
    }
    if (const auto* m = o.if_contains("message"); m && m->is_string()) {
      outcome.message = std::string(m->as_string());
    }
  }
  if (status == FP_INVALID) outcome.status_text = "INVALID";
  return outcome;
}

}  // namespace flowhost
