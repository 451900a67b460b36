#include "connection.hpp"

#include "result_json.hpp"
#include "send_request.hpp"
#include "smtp/session.hpp"

namespace smtpplugin {

SmtpConnection::SmtpConnection(std::shared_ptr<const Definition> definition,
                               smtp::SessionPool& pool)
    : definition_(std::move(definition)), pool_(pool) {}

std::shared_ptr<const Definition> SmtpConnection::definition() const {
  const std::lock_guard lock(mutex_);
  return definition_;
}

bool SmtpConnection::test(std::string& report_json) {
  const auto current = definition();
  smtp::Session session(current->session);  // a session of its own: the pool's stay untouched
  const auto result = session.open();
  session.close();
  const auto reached = session.stage();
  report_json = test_report_json(current->session, reached, result);
  return result.ok();
}

fp_status SmtpConnection::send(const fp_send_request& request, std::string& result_json_out) {
  std::string error;
  auto outgoing = make_outgoing(request, error);
  if (!outgoing) {
    result_json_out = input_error_json(error);
    return FP_INVALID;
  }
  const auto current = definition();  // this send finishes on this definition, whatever happens
  const auto result =
      pool_.send(current->session, outgoing->envelope, *outgoing->body, outgoing->traits);
  result_json_out = result_json(result, outgoing->message_id);
  return result.ok() ? FP_OK : FP_FAILED;
}

fp_status SmtpConnection::replace(std::shared_ptr<const Definition> replacement) {
  std::shared_ptr<const Definition> old;
  {
    const std::lock_guard lock(mutex_);
    if (!definition_->dynamic) return FP_REFUSED;
    old = std::exchange(definition_, std::move(replacement));
  }
  // The old definition's sessions are never used for the new one (their keys differ); its idle
  // sessions close now, busy ones when their message is done.
  if (smtp::definition_key(old->session) != smtp::definition_key(definition()->session)) {
    pool_.retire(old->session);
  }
  return FP_OK;
}

}  // namespace smtpplugin
