// The host side of the contract, header-only: loads a plugin file, checks its entry (struct
// size, ABI major), initialises it with the host services (log lines to a std::function,
// secrets from "env:NAME" and "file:PATH"), hands out its factories and, at the end, calls
// deinit and unloads it. POSIX (dlopen); link ${CMAKE_DL_LIBS}.
//
//   flowplugin::Plugin plugin("plugins/libsmtp_connection.so", {.log = print_line});
//   flowplugin::ConnectionFactory smtp = plugin.connection_factory("connection.smtp/1");
//   flowplugin::Connection connection = smtp.create(properties_json);  // throws Error
//   std::string report = smtp.test(connection);
#ifndef FLOWPLUGIN_HOST_HPP
#define FLOWPLUGIN_HOST_HPP

#include <dlfcn.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "flowplugin/plugin.h"
#include "flowplugin/plugin.hpp"

namespace flowplugin {

// A log line from the plugin. Called from any thread, concurrently: the function must be
// thread-safe. What it throws is dropped.
using LogFunction = std::function<void(fp_log_level level, std::string_view message)>;

// Resolves a secret reference into `value`: FP_OK, FP_UNSUPPORTED for an unknown scheme,
// FP_FAILED with a message in `error` (never containing the secret). Called from any thread.
using SecretResolver =
    std::function<fp_status(std::string_view reference, std::string& value, std::string& error)>;

// The default resolver: "env:NAME" reads the environment variable NAME (set, possibly empty);
// "file:PATH" reads the file's bytes, less one trailing "\n" or "\r\n" (as secret files are
// usually written). The error names the reference, never a secret; an unknown scheme is not
// echoed, in case a secret was given where a reference belongs.
inline fp_status resolve_secret_reference(std::string_view reference, std::string& value,
                                          std::string& error) {
  constexpr std::string_view env = "env:";
  constexpr std::string_view file = "file:";
  if (reference.starts_with(env)) {
    const std::string name(reference.substr(env.size()));
    if (name.empty()) {
      error = "secret reference \"env:\" names no environment variable";
      return FP_FAILED;
    }
    const char* found = std::getenv(name.c_str());
    if (found == nullptr) {
      error = "secret reference \"env:" + name + "\": the environment variable is not set";
      return FP_FAILED;
    }
    value = found;
    return FP_OK;
  }
  if (reference.starts_with(file)) {
    const std::string path(reference.substr(file.size()));
    std::ifstream in(path, std::ios::binary);
    std::ostringstream contents;
    if (!path.empty() && in) contents << in.rdbuf();
    if (path.empty() || !in || in.bad()) {
      error = "secret reference \"file:" + path + "\": the file cannot be read";
      return FP_FAILED;
    }
    value = std::move(contents).str();
    if (value.ends_with("\r\n")) {
      value.resize(value.size() - 2);
    } else if (value.ends_with('\n')) {
      value.pop_back();
    }
    return FP_OK;
  }
  error = "unknown secret reference scheme (expected env:NAME or file:PATH)";
  return FP_UNSUPPORTED;
}

// What the host tells the plugin about itself, and where the plugin's calls go.
struct HostOptions {
  std::string host_name = "flowplugin host";
  LogFunction log{};                // null: log lines are dropped
  SecretResolver resolve_secret{};  // null: resolve_secret_reference
  // The ABI this host implements: leave as is, except to test version negotiation.
  std::uint16_t abi_major = FP_ABI_MAJOR;
  std::uint16_t abi_minor = FP_ABI_MINOR;
};

namespace detail {

// Every library this process has initialised and not yet unloaded: init runs once per load.
inline std::mutex& loaded_mutex() {
  static std::mutex mutex;
  return mutex;
}
inline std::set<void*>& loaded_handles() {
  static std::set<void*> handles;
  return handles;
}

inline void wipe(std::string& secret) noexcept {
  volatile char* bytes = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = 0;
  secret.clear();
}

// One loaded library. The fp_host lives here, so it stays valid until deinit has returned.
struct LoadedLibrary {
  std::filesystem::path file;
  HostOptions options;
  void* handle = nullptr;
  bool registered = false;
  const fp_plugin_entry* entry = nullptr;
  fp_host host{};
  bool initialised = false;
  // While init runs, the last warning or error the plugin logs: init has no error sink.
  std::mutex init_mutex;
  bool in_init = false;
  std::string init_message;

  LoadedLibrary() = default;
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;

  ~LoadedLibrary() {
    if (initialised) entry->deinit();
    if (registered) {
      const std::lock_guard lock(loaded_mutex());
      loaded_handles().erase(handle);
    }
    if (handle != nullptr) ::dlclose(handle);
  }

  static void log(void* context, fp_log_level level, fp_string message) noexcept {
    auto* self = static_cast<LoadedLibrary*>(context);
    try {
      if (level >= FP_LOG_WARN) {
        const std::lock_guard lock(self->init_mutex);
        if (self->in_init) self->init_message.assign(view(message));
      }
      if (self->options.log) self->options.log(level, view(message));
    } catch (...) {
      // A log line is never worth failing the plugin's work.
    }
  }

  static fp_status resolve_secret(void* context, fp_string reference, const fp_sink* value,
                                  const fp_sink* error) noexcept {
    auto* self = static_cast<LoadedLibrary*>(context);
    std::string secret;
    std::string message;
    fp_status status = FP_FAILED;
    try {
      status = self->options.resolve_secret
                   ? self->options.resolve_secret(view(reference), secret, message)
                   : resolve_secret_reference(view(reference), secret, message);
    } catch (const std::exception& e) {
      status = FP_FAILED;
      message = std::string("resolving a secret failed: ") + e.what();
    } catch (...) {
      status = FP_FAILED;
      message = "resolving a secret failed";
    }
    if (status == FP_OK) {
      write(value, secret);
    } else {
      write(error, message);
    }
    wipe(secret);
    return status;
  }
};

inline std::string abi_text(std::uint16_t major, std::uint16_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace detail

// A loaded, initialised plugin. The constructor loads and initialises, or throws Error:
// FP_FAILED when the file cannot be loaded, FP_UNSUPPORTED when it is not a plugin of this
// ABI major (older and newer minors load), FP_REFUSED when this process has it loaded already,
// or the status init returned. The destructor calls deinit and unloads the library: destroy
// every Connection and drop every factory first. [main-thread] for construction and
// destruction; factories are [thread-safe]. Movable, not copyable.
class Plugin {
 public:
  explicit Plugin(const std::filesystem::path& file, HostOptions options = {})
      : library_(std::make_unique<detail::LoadedLibrary>()) {
    detail::LoadedLibrary& lib = *library_;
    lib.file = file;
    lib.options = std::move(options);
    const std::string name = file.string();

    ::dlerror();
    lib.handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib.handle == nullptr) {
      const char* why = ::dlerror();
      throw Error(FP_FAILED, "cannot load " + name + ": " + (why ? why : "dlopen failed"));
    }
    {
      const std::lock_guard lock(detail::loaded_mutex());
      if (!detail::loaded_handles().insert(lib.handle).second) {
        throw Error(FP_REFUSED, "cannot load " + name +
                                    ": this process has it loaded already (share that Plugin)");
      }
      lib.registered = true;
    }

    lib.entry = static_cast<const fp_plugin_entry*>(::dlsym(lib.handle, FP_ENTRY_SYMBOL));
    if (lib.entry == nullptr) {
      throw Error(FP_UNSUPPORTED,
                  name + " is not a flow plugin: it exports no " FP_ENTRY_SYMBOL " symbol");
    }
    const fp_plugin_entry* entry = lib.entry;
    if (!has_field(entry, &fp_plugin_entry::abi_minor)) {
      throw Error(FP_UNSUPPORTED, "cannot load " + name + ": its entry is " +
                                      std::to_string(entry->struct_size) +
                                      " bytes, too short to hold an ABI version");
    }
    const std::string host_abi = detail::abi_text(lib.options.abi_major, lib.options.abi_minor);
    const std::string plugin_abi = detail::abi_text(entry->abi_major, entry->abi_minor);
    if (entry->abi_major != lib.options.abi_major) {
      throw Error(FP_UNSUPPORTED, "cannot load " + name + ": it implements plugin ABI " +
                                      plugin_abi + " and this host implements ABI " + host_abi +
                                      "; a different major version cannot load");
    }
    if (!has_field(entry, &fp_plugin_entry::get_factory) || entry->init == nullptr ||
        entry->deinit == nullptr || entry->get_factory == nullptr) {
      throw Error(FP_UNSUPPORTED, "cannot load " + name + ": its entry (" +
                                      std::to_string(entry->struct_size) + " bytes, ABI " +
                                      plugin_abi + ") lacks init, deinit or get_factory");
    }

    fp_host& host = lib.host;
    host = sized<fp_host>();
    host.abi_major = lib.options.abi_major;
    host.abi_minor = lib.options.abi_minor;
    host.host_name = to_fp(lib.options.host_name);
    host.context = &lib;
    host.log = &detail::LoadedLibrary::log;
    host.resolve_secret = &detail::LoadedLibrary::resolve_secret;

    set_in_init(true);
    const fp_status status = entry->init(&host);
    set_in_init(false);
    if (status != FP_OK) {
      std::string message = "cannot load " + name + " (" + std::string(id()) + " " +
                            std::string(version()) + ", ABI " + plugin_abi +
                            "): its init refused this host (ABI " + host_abi + ") with " +
                            status_name(status);
      if (!lib.init_message.empty()) message += ": " + lib.init_message;
      throw Error(status, message);
    }
    lib.initialised = true;
  }

  Plugin(Plugin&&) noexcept = default;
  Plugin& operator=(Plugin&&) noexcept = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  ~Plugin() = default;

  const std::filesystem::path& file() const noexcept { return library_->file; }
  const fp_plugin_entry& entry() const noexcept { return *library_->entry; }
  std::string_view id() const noexcept {
    return has_field(library_->entry, &fp_plugin_entry::plugin_id)
               ? view(library_->entry->plugin_id)
               : std::string_view{};
  }
  std::string_view version() const noexcept {
    return has_field(library_->entry, &fp_plugin_entry::plugin_version)
               ? view(library_->entry->plugin_version)
               : std::string_view{};
  }
  std::uint16_t abi_major() const noexcept { return library_->entry->abi_major; }
  std::uint16_t abi_minor() const noexcept { return library_->entry->abi_minor; }

  // A factory by id and revision ("connection.smtp/1"); null when the plugin does not know it.
  // [thread-safe]
  const void* factory(std::string_view id) const noexcept {
    return library_->entry->get_factory(to_fp(id));
  }

  // A connection factory ("connection.<type>/<revision>"); null when the plugin does not know
  // it. Error FP_UNSUPPORTED for an id of another kind. [thread-safe]
  ConnectionFactory connection_factory(std::string_view id) const {
    if (!id.starts_with("connection.")) {
      throw Error(FP_UNSUPPORTED, "\"" + std::string(id) +
                                      "\" is not a connection factory id "
                                      "(connection.<type>/<revision>)");
    }
    return ConnectionFactory(static_cast<const fp_connection_factory*>(factory(id)));
  }

 private:
  void set_in_init(bool value) {
    const std::lock_guard lock(library_->init_mutex);
    library_->in_init = value;
  }

  std::unique_ptr<detail::LoadedLibrary> library_;
};

}  // namespace flowplugin

#endif  // FLOWPLUGIN_HOST_HPP
