// Small plugins for the loader's tests, written against the SDK alone (and using its
// plugin-author helpers: guarded, write, has_field, StreamReader). FAKE_VARIANT picks one:
//   1 good:        ABI 1.(minor+3) with a longer entry; factory "connection.fake/1"
//   2 major2:      an entry of ABI major 2
//   3 no_entry:    exports no flow_plugin_entry
//   4 short_entry: an entry too short to hold init
// The good one refuses a host whose major differs, or whose host_name is "refuse me" (logging
// why first: init has no error sink).

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "flowplugin/plugin.h"
#include "flowplugin/plugin.hpp"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using flowplugin::to_fp;
using flowplugin::view;
using flowplugin::write;

const fp_host* host = nullptr;
std::atomic<int> live_connections{0};

void log(fp_log_level level, std::string_view message) {
  if (flowplugin::has_field(host, &fp_host::log) && host->log != nullptr) {
    host->log(host->context, level, to_fp(message));
  }
}

// Just enough JSON for the tests: the string value of "key" in a flat object, if any.
std::string string_value(std::string_view json, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(quoted);
  if (at == std::string_view::npos) return {};
  const auto begin = at + quoted.size();
  return std::string(json.substr(begin, json.find('"', begin) - begin));
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\r') {
      out += c == '\n' ? "\\n" : "\\r";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

struct fp_connection {
  std::string properties;
  std::string secret;
};

namespace {

bool valid(std::string_view properties) { return properties.find("\"host\"") != properties.npos; }

constexpr std::string_view missing_host =
    R"([{"path":"/host","severity":"error","message":"host is required"}])";

fp_status fake_validate(fp_string properties, const fp_sink* problems) noexcept {
  return flowplugin::guarded(
      [&] {
        if (!valid(view(properties))) {
          write(problems, missing_host);
          return FP_INVALID;
        }
        write(problems, "[]");
        return FP_OK;
      },
      problems);
}

fp_status fake_create(fp_string properties, const fp_sink* problems, fp_connection** out) noexcept {
  return flowplugin::guarded(
      [&] {
        *out = nullptr;
        const std::string_view text = view(properties);
        if (text.find("\"throw\"") != text.npos) throw std::runtime_error("fake create threw");
        if (text.find("\"throw_error\"") != text.npos) {
          throw flowplugin::Error(FP_REFUSED, "fake create refused");
        }
        if (!valid(text)) {
          write(problems, missing_host);
          return FP_INVALID;
        }
        auto connection = std::make_unique<fp_connection>();
        connection->properties = text;
        const std::string reference = string_value(text, "password");
        if (!reference.empty()) {
          if (!flowplugin::has_field(host, &fp_host::resolve_secret) ||
              host->resolve_secret == nullptr) {
            throw flowplugin::Error(FP_UNSUPPORTED, "the host resolves no secrets");
          }
          std::string value;
          std::string error;
          const fp_sink value_sink = flowplugin::sink_to(value);
          const fp_sink error_sink = flowplugin::sink_to(error);
          const fp_status status =
              host->resolve_secret(host->context, to_fp(reference), &value_sink, &error_sink);
          if (status != FP_OK) {
            write(problems, "[{\"path\":\"/password\",\"severity\":\"error\",\"message\":" +
                                json_string(error) + "}]");
            return FP_INVALID;
          }
          connection->secret = value;
        }
        ++live_connections;
        *out = connection.release();
        return FP_OK;
      },
      problems);
}

fp_status fake_test(fp_connection* connection, const fp_sink* report) noexcept {
  return flowplugin::guarded(
      [&] {
        write(report, R"({"ok":true,"status":"OK","steps":[{"step":"connect","ok":true,)"
                      R"("detail":"fake"}],"secret":)" +
                          json_string(connection->secret) + "}");
        return FP_OK;
      },
      report);
}

// Echoes what it read: each attachment twice (before and after a rewind) and the raw message.
fp_status fake_send(fp_connection*, const fp_send_request* request,
                    const fp_sink* result) noexcept {
  return flowplugin::guarded(
      [&] {
        const fp_send_request copy = flowplugin::copy_known(request);
        std::string json = R"({"status":"OK","message":)" + json_string(view(copy.message_json)) +
                           R"(,"attachments":[)";
        for (std::size_t i = 0; i < copy.attachment_count; ++i) {
          const fp_attachment part = flowplugin::copy_known(copy.attachments[i]);
          const flowplugin::StreamReader reader(part.content);
          const std::string first = reader.read_all();
          const bool rewound = reader.rewind();
          const std::string second = rewound ? reader.read_all() : std::string();
          json += std::string(i == 0 ? "" : ",") +
                  "{\"file_name\":" + json_string(view(part.file_name)) +
                  ",\"content_type\":" + json_string(view(part.content_type)) +
                  ",\"size\":" + std::to_string(reader.size()) +
                  ",\"content\":" + json_string(first) +
                  ",\"rewound\":" + (rewound ? "true" : "false") +
                  ",\"same_after_rewind\":" + (first == second ? "true" : "false") + "}";
        }
        json += "]";
        if (copy.raw_message != nullptr) {
          json += ",\"raw\":" + json_string(flowplugin::StreamReader(copy.raw_message).read_all());
        }
        write(result, json + "}");
        return FP_OK;
      },
      result);
}

fp_status fake_replace(fp_connection* connection, fp_string properties,
                       const fp_sink* problems) noexcept {
  return flowplugin::guarded(
      [&] {
        if (connection->properties.find("\"dynamic\":true") == std::string::npos) {
          write(problems, R"([{"path":"/dynamic","severity":"error","message":"not dynamic"}])");
          return FP_REFUSED;
        }
        if (!valid(view(properties))) {
          write(problems, missing_host);
          return FP_INVALID;
        }
        connection->properties = view(properties);
        write(problems, "[]");
        return FP_OK;
      },
      problems);
}

void fake_destroy(fp_connection* connection) noexcept {
  delete connection;
  --live_connections;
}

const fp_connection_factory fake_factory{
    sizeof(fp_connection_factory),
    {"fake", 4},
    {"Fake", 4},
    {"{}", 2},
    &fake_validate,
    &fake_create,
    &fake_test,
    &fake_send,
    &fake_replace,
    &fake_destroy,
};

fp_status fake_init(const fp_host* h) noexcept {
  return flowplugin::guarded(
      [&] {
        host = h;
        if (h == nullptr || !flowplugin::has_field(h, &fp_host::abi_minor) ||
            h->abi_major != FP_ABI_MAJOR) {
          log(FP_LOG_ERROR, "fake: this plugin implements ABI major 1 only");
          host = nullptr;
          return FP_UNSUPPORTED;
        }
        if (view(h->host_name) == "refuse me") {
          log(FP_LOG_ERROR, "fake: I refuse hosts named 'refuse me'");
          host = nullptr;
          return FP_FAILED;
        }
        log(FP_LOG_INFO, "fake: init by " + std::string(view(h->host_name)) + " (ABI " +
                             std::to_string(h->abi_major) + "." + std::to_string(h->abi_minor) +
                             ")");
        return FP_OK;
      },
      nullptr);
}

void fake_deinit() noexcept {
  (void)flowplugin::guarded(
      [] {
        log(FP_LOG_INFO, "fake: deinit, live connections: " + std::to_string(live_connections));
        host = nullptr;
      },
      nullptr);
}

const void* fake_get_factory(fp_string id) noexcept {
  return view(id) == "connection.fake/1" ? &fake_factory : nullptr;
}

}  // namespace

// A newer minor's entry: the same fields, and one more at the end this host does not know.
struct newer_entry {
  fp_plugin_entry known;
  const void* (*future_field)(void);
};

#if FAKE_VARIANT == 1
FAKE_EXPORT const newer_entry flow_plugin_entry{{sizeof(newer_entry),
                                                 FP_ABI_MAJOR,
                                                 FP_ABI_MINOR + 3,
                                                 {"fake", 4},
                                                 {"9.9.9", 5},
                                                 &fake_init,
                                                 &fake_deinit,
                                                 &fake_get_factory},
                                                nullptr};
#elif FAKE_VARIANT == 2
FAKE_EXPORT const fp_plugin_entry flow_plugin_entry{sizeof(fp_plugin_entry),
                                                    FP_ABI_MAJOR + 1,
                                                    0,
                                                    {"fake", 4},
                                                    {"2.0.0", 5},
                                                    &fake_init,
                                                    &fake_deinit,
                                                    &fake_get_factory};
#elif FAKE_VARIANT == 3
FAKE_EXPORT const fp_plugin_entry not_the_entry{
    sizeof(fp_plugin_entry), FP_ABI_MAJOR, 0, {"fake", 4}, {"1.0.0", 5}, &fake_init, &fake_deinit,
    &fake_get_factory};
#elif FAKE_VARIANT == 4
// The pointers are there, but the declared size does not cover them: the host must not use them.
FAKE_EXPORT const fp_plugin_entry flow_plugin_entry{offsetof(fp_plugin_entry, init),
                                                    FP_ABI_MAJOR,
                                                    0,
                                                    {"fake", 4},
                                                    {"1.0.0", 5},
                                                    &fake_init,
                                                    &fake_deinit,
                                                    &fake_get_factory};
#else
#error "FAKE_VARIANT must be 1 to 4"
#endif
