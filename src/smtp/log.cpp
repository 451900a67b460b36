#include "smtp/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <atomic>

namespace smtp {
namespace {

std::shared_ptr<spdlog::logger> make_default() {
  auto log =
      std::make_shared<spdlog::logger>("smtp", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  log->set_level(spdlog::level::warn);
  return log;
}

std::atomic<std::shared_ptr<spdlog::logger>>& current() {
  static std::atomic<std::shared_ptr<spdlog::logger>> instance{make_default()};
  return instance;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() { return current().load(); }

void set_logger(std::shared_ptr<spdlog::logger> log) {
  current().store(log ? std::move(log) : make_default());
}

}  // namespace smtp
