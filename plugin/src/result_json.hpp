#pragma once
// The documents the plugin hands the host: send results and connection test reports.

#include <string>
#include <string_view>

#include "smtp/result.hpp"
#include "smtp/session.hpp"

namespace smtpplugin {

std::string result_json(const smtp::Result& result, std::string_view message_id);

// A refusal before anything was sent (bad message input).
std::string input_error_json(std::string_view message);

// The steps a connection test goes through for `options`, with the ones reached marked passed
// and the next one failed (when the result is a failure).
std::string test_report_json(const smtp::SessionOptions& options, smtp::Session::Stage reached,
                             const smtp::Result& result);

}  // namespace smtpplugin
