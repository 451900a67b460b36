#pragma once
// The core's logger. Hosts may replace it (the plugin routes it to the host's log). Nothing the
// core logs holds a secret; server text is escaped before it is logged.

#include <memory>

namespace spdlog {
class logger;
}

namespace smtp {

// The logger the core writes to (by default a logger named "smtp" that writes to stderr at
// warning level and above).
std::shared_ptr<spdlog::logger> logger();

void set_logger(std::shared_ptr<spdlog::logger> logger);

}  // namespace smtp
