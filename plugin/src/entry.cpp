// The plugin's C face: the one exported entry struct and the SMTP connection factory. Every
// function here is noexcept; exceptions become FP_INTERNAL with a message.

#include <openssl/crypto.h>

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "connection.hpp"
#include "definition.hpp"
#include "flowplugin/plugin.hpp"
#include "host.hpp"
#include "schema.hpp"
#include "smtp/log.hpp"
#include "smtp/pool.hpp"
#include "smtp/protocol/reply.hpp"
#include "validation.hpp"

struct fp_connection {
  smtpplugin::SmtpConnection impl;
};

namespace {

using namespace smtpplugin;

constexpr std::string_view plugin_id = "smtp-connection";
constexpr std::string_view plugin_version = "0.1.0";
constexpr std::string_view factory_id = "connection.smtp/1";

// Set by init(), cleared by deinit(); both on the host's main thread. A copy, zero-filled past
// the host's struct_size, so services an older host lacks read as null.
fp_host host_services{};
const fp_host* host = nullptr;
std::unique_ptr<smtp::SessionPool> pool;

// Operators may cap the sessions one connection definition opens at once (servers that allow
// few connections per account): SMTP_PLUGIN_MAX_SESSIONS, 1 to 256; senders beyond it queue,
// and their messages are pipelined on the busy sessions.
smtp::PoolLimits pool_limits_from_environment() {
  smtp::PoolLimits limits;
  const char* text = std::getenv("SMTP_PLUGIN_MAX_SESSIONS");
  if (text == nullptr || *text == '\0') return limits;
  const std::string_view value(text);
  std::size_t sessions = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), sessions);
  if (ec != std::errc{} || end != value.data() + value.size() || sessions < 1 || sessions > 256) {
    smtp::logger()->warn(
        "SMTP_PLUGIN_MAX_SESSIONS must be a whole number from 1 to 256, not \"{}\": using {}",
        smtp::escape_text(value.substr(0, 32)), limits.max_sessions_per_definition);
    return limits;
  }
  limits.max_sessions_per_definition = sessions;
  return limits;
}

fp_string view(std::string_view s) { return fp_string{s.data(), s.size()}; }
std::string_view view(fp_string s) { return std::string_view(s.data, s.size); }

void write(const fp_sink* sink, std::string_view text) {
  if (sink != nullptr && sink->write != nullptr) sink->write(sink->context, view(text));
}

// The document a sink gets when a call fails inside the plugin: of the kind the call promises.
enum class Document { problems, report };

std::string internal_error(Document kind, std::string_view what) {
  const std::string message = "internal error: " + std::string(what);
  if (kind == Document::problems) return problems_to_json({{"", Severity::error, message}});
  boost::json::object o;
  o["ok"] = false;
  o["status"] = "FAILED";
  o["message"] = message;
  return boost::json::serialize(o);
}

template <class F>
fp_status guarded(Document kind, const fp_sink* sink, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    write(sink, internal_error(kind, e.what()));
  } catch (...) {
    write(sink, internal_error(kind, "unknown exception"));
  }
  return FP_INTERNAL;
}

const std::string& schema_text() {
  static const std::string text = schema_json();
  return text;
}

SecretResolver host_secrets() {
  return [](std::string_view reference, std::string& error) {
    return resolve_secret(host, reference, error);
  };
}

// Parses and validates a property set into a definition, or writes the problems.
std::shared_ptr<const Definition> definition_from(fp_string properties_json,
                                                  const fp_sink* problems_sink,
                                                  std::vector<Problem>& problems) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(view(properties_json), ec);
  std::optional<Definition> definition;
  if (!ec && doc.is_object()) {
    definition = make_definition(doc.as_object(), host_secrets(), problems);  // validates too
  } else {
    problems = validate(view(properties_json));  // says what is wrong with the text
  }
  if (!definition) {
    write(problems_sink, problems_to_json(problems));
    return nullptr;
  }
  return std::make_shared<const Definition>(std::move(*definition));
}

fp_status factory_validate(fp_string properties_json, const fp_sink* problems) noexcept {
  return guarded(Document::problems, problems, [&] {
    const auto found = validate(view(properties_json));
    write(problems, problems_to_json(found));
    return has_errors(found) ? FP_INVALID : FP_OK;
  });
}

fp_status factory_create(fp_string properties_json, const fp_sink* problems,
                         fp_connection** out) noexcept {
  return guarded(Document::problems, problems, [&] {
    *out = nullptr;
    std::vector<Problem> found;
    auto definition = definition_from(properties_json, problems, found);
    if (!definition) return FP_INVALID;
    *out = new fp_connection{SmtpConnection(std::move(definition), *pool)};
    return FP_OK;
  });
}

fp_status factory_test(fp_connection* connection, const fp_sink* report) noexcept {
  return guarded(Document::report, report, [&] {
    std::string text;
    const bool ok = connection->impl.test(text);
    write(report, text);
    return ok ? FP_OK : FP_FAILED;
  });
}

fp_status factory_send(fp_connection* connection, const fp_send_request* request,
                       const fp_sink* result) noexcept {
  return guarded(Document::report, result, [&] {
    std::string text;
    const auto status = connection->impl.send(*request, text);
    write(result, text);
    return status;
  });
}

fp_status factory_replace(fp_connection* connection, fp_string properties_json,
                          const fp_sink* problems) noexcept {
  return guarded(Document::problems, problems, [&] {
    if (!connection->impl.definition()->dynamic) {
      write(problems, problems_to_json({{"/dynamic", Severity::error,
                                         "this connection's 'Dynamic' setting is false: a "
                                         "DynamicConnection cannot replace its definition"}}));
      return FP_REFUSED;
    }
    std::vector<Problem> found;
    auto definition = definition_from(properties_json, problems, found);
    if (!definition) return FP_INVALID;
    const auto status = connection->impl.replace(std::move(definition));
    write(problems, problems_to_json(found));
    return status;
  });
}

void factory_destroy(fp_connection* connection) noexcept { delete connection; }

const fp_connection_factory& factory() {
  static const fp_connection_factory instance{
      sizeof(fp_connection_factory),
      view("smtp"),
      view("SMTP"),
      view(schema_text()),
      &factory_validate,
      &factory_create,
      &factory_test,
      &factory_send,
      &factory_replace,
      &factory_destroy,
  };
  return instance;
}

fp_status plugin_init(const fp_host* h) noexcept {
  try {
    if (h == nullptr || h->abi_major != FP_ABI_MAJOR) return FP_UNSUPPORTED;
#if defined(__SANITIZE_THREAD__)
    // OpenSSL lives inside this library and registers its clean-up with atexit(), which glibc
    // ties to this library and runs at dlclose(). ThreadSanitizer's atexit() does not: it would
    // run the handler at exit, in unloaded code. Under TSan, register none.
    if (OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) != 1) return FP_INTERNAL;
#endif
    host_services = flowplugin::copy_known(h);
    host = &host_services;
    route_log_to(host);
    pool = std::make_unique<smtp::SessionPool>(pool_limits_from_environment());
    (void)schema_text();
    return FP_OK;
  } catch (...) {
    return FP_INTERNAL;
  }
}

void plugin_deinit() noexcept {
  try {
    pool.reset();  // says QUIT on idle sessions
    route_log_to(nullptr);
    host = nullptr;
  } catch (...) {
  }
}

const void* plugin_get_factory(fp_string id) noexcept {
  if (view(id) == factory_id) return &factory();
  return nullptr;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const fp_plugin_entry flow_plugin_entry{
    sizeof(fp_plugin_entry), FP_ABI_MAJOR, FP_ABI_MINOR,   view(plugin_id),
    view(plugin_version),    &plugin_init, &plugin_deinit, &plugin_get_factory,
};
