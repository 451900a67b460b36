#include "result_json.hpp"

#include <boost/json.hpp>
#include <cstddef>

namespace smtpplugin {
namespace {

namespace json = boost::json;

json::object reply_json(const smtp::Reply& reply, const json::storage_ptr& storage) {
  json::object o(3, storage);
  o["code"] = reply.code;
  if (reply.enhanced) o["enhanced"] = reply.enhanced->to_string();
  std::string text;
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    if (i > 0) text += '\n';
    text += smtp::escape_text(reply.lines[i]);
  }
  o["text"] = text;
  return o;
}

struct Step {
  const char* name;
  smtp::Session::Stage stage;  // reached when this step has passed
};

std::vector<Step> steps_for(const smtp::SessionOptions& options) {
  using Stage = smtp::Session::Stage;
  std::vector<Step> steps;
  if (options.pop_before_smtp) steps.push_back({"POP3 login", Stage::pop3_login});
  steps.push_back({"connect", Stage::connected});
  if (options.tls == smtp::TlsMode::implicit) steps.push_back({"TLS", Stage::tls});
  steps.push_back({"greeting", Stage::greeted});
  steps.push_back({"EHLO", Stage::ehlo});
  if (options.tls == smtp::TlsMode::starttls) steps.push_back({"STARTTLS", Stage::tls});
  if (options.credentials) steps.push_back({"authentication", Stage::authenticated});
  steps.push_back({"QUIT", Stage::quit});
  return steps;
}

}  // namespace

std::string result_json(const smtp::Result& result, std::string_view message_id) {
  // Every send returns one: its nodes come from a buffer on the stack (and from the heap only
  // past it), freed at once, instead of an allocation per node.
  alignas(std::max_align_t) unsigned char buffer[8192];
  json::monotonic_resource resource(buffer, sizeof buffer);
  const json::storage_ptr storage(&resource);
  json::object o(8, storage);
  o["status"] = smtp::to_string(result.status);
  o["message_id"] = message_id;
  o["message"] = result.describe();
  if (result.error) o["error"] = result.error.message();
  if (result.reply) o["reply"] = reply_json(*result.reply, storage);
  json::array recipients(storage);
  recipients.reserve(result.recipients.size());
  for (const auto& r : result.recipients) {
    json::object ro(3, storage);
    ro["address"] = r.address;
    ro["status"] = smtp::to_string(r.status);
    if (r.reply) ro["reply"] = reply_json(*r.reply, storage);
    recipients.push_back(std::move(ro));
  }
  o["recipients"] = std::move(recipients);
  o["transcript"] = result.transcript;
  return json::serialize(o);
}

std::string input_error_json(std::string_view message) {
  json::object o;
  o["status"] = "FAILED";
  o["message"] = std::string("FAILED: ") + std::string(message);
  o["error"] = message;
  o["recipients"] = json::array();
  return json::serialize(o);
}

std::string test_report_json(const smtp::SessionOptions& options, smtp::Session::Stage reached,
                             const smtp::Result& result) {
  const auto steps = steps_for(options);
  // Position of the last step passed: the stages follow the order of the steps.
  std::ptrdiff_t passed = -1;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].stage == reached) passed = static_cast<std::ptrdiff_t>(i);
  }
  if (result.ok()) passed = static_cast<std::ptrdiff_t>(steps.size()) - 1;
  json::array list;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto index = static_cast<std::ptrdiff_t>(i);
    if (index > passed + 1) break;
    json::object s;
    s["step"] = steps[i].name;
    s["ok"] = index <= passed;
    if (index == passed + 1) s["detail"] = result.describe();
    list.push_back(std::move(s));
  }
  json::object o;
  o["ok"] = result.ok();
  o["status"] = smtp::to_string(result.status);
  o["message"] =
      result.ok() ? std::string("every step passed; no mail was sent") : result.describe();
  o["steps"] = std::move(list);
  o["transcript"] = result.transcript;
  return json::serialize(o);
}

}  // namespace smtpplugin
