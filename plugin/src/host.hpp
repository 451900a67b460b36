#pragma once
// The host's services as the plugin uses them: the core's log routed to the host's log, and
// secret references resolved by the host.

#include <optional>
#include <string>
#include <string_view>

#include "flowplugin/plugin.h"

namespace smtpplugin {

// Routes the session core's log (already redacted and escaped) to `host` from now on.
void route_log_to(const fp_host* host);

// Resolves "env:NAME" / "file:PATH" through the host. Returns the secret, or nothing with a
// reason in `error` (which never holds the secret).
std::optional<std::string> resolve_secret(const fp_host* host, std::string_view reference,
                                          std::string& error);

}  // namespace smtpplugin
