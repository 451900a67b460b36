#pragma once
// A live SMTP connection as a host holds it: an immutable definition that a DynamicConnection
// may replace, sending through the plugin's session pool.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "definition.hpp"
#include "flowplugin/plugin.h"
#include "smtp/pool.hpp"

namespace smtpplugin {

class SmtpConnection {
 public:
  SmtpConnection(std::shared_ptr<const Definition> definition, smtp::SessionPool& pool);

  // The real handshake, step by step, sending no mail. Returns the report (JSON) and whether
  // every step passed.
  bool test(std::string& report_json);

  // Sends one message; returns the status for the C ABI and the result document.
  fp_status send(const fp_send_request& request, std::string& result_json);

  // Validate-then-swap. Sends under way keep the definition they started with.
  fp_status replace(std::shared_ptr<const Definition> replacement);

  std::shared_ptr<const Definition> definition() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Definition> definition_;
  smtp::SessionPool& pool_;
};

}  // namespace smtpplugin
