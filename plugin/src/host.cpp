#include "host.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "smtp/log.hpp"

namespace smtpplugin {
namespace {

fp_log_level to_host_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return FP_LOG_TRACE;
    case spdlog::level::debug:
      return FP_LOG_DEBUG;
    case spdlog::level::info:
      return FP_LOG_INFO;
    case spdlog::level::warn:
      return FP_LOG_WARN;
    default:
      return FP_LOG_ERROR;
  }
}

class HostSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit HostSink(const fp_host* host) : host_(host) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto text = msg.payload;
    host_->log(host_->context, to_host_level(msg.level), fp_string{text.data(), text.size()});
  }
  void flush_() override {}

 private:
  const fp_host* host_;
};

void append(void* context, fp_string text) {
  static_cast<std::string*>(context)->append(text.data, text.size);
}

}  // namespace

void route_log_to(const fp_host* host) {
  if (host == nullptr || host->log == nullptr) {
    smtp::set_logger(nullptr);
    return;
  }
  auto logger = std::make_shared<spdlog::logger>("smtp", std::make_shared<HostSink>(host));
  logger->set_level(spdlog::level::trace);  // the host filters
  smtp::set_logger(std::move(logger));
}

std::optional<std::string> resolve_secret(const fp_host* host, std::string_view reference,
                                          std::string& error) {
  if (host == nullptr || host->resolve_secret == nullptr) {
    error = "the host resolves no secret references";
    return std::nullopt;
  }
  std::string value;
  std::string reason;
  const fp_sink value_sink{sizeof(fp_sink), &value, &append};
  const fp_sink error_sink{sizeof(fp_sink), &reason, &append};
  const auto status = host->resolve_secret(
      host->context, fp_string{reference.data(), reference.size()}, &value_sink, &error_sink);
  if (status != FP_OK) {
    error = reason.empty() ? "the secret reference could not be resolved" : reason;
    return std::nullopt;
  }
  return value;
}

}  // namespace smtpplugin
