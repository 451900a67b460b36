// The built SMTP plugin ($SMTP_PLUGIN_PATH) as a host sees it, without any server: what the
// library exports and needs, how it loads and negotiates versions, its factory, its schema and
// its validation, all through sdk/ headers only.

#include <dlfcn.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "abi/abi_support.hpp"
#include "flowplugin/host.hpp"

namespace {

constexpr std::string_view smtp_factory_id = "connection.smtp/1";

struct Symbol {
  std::string name;
  char type;
};

// `nm -D --defined-only`: the defined symbols of the dynamic symbol table.
std::vector<Symbol> exported_symbols(const std::string& file) {
  int status = 0;
  const auto out = abi::run(
      std::string(FLOWPLUGIN_NM) + " -D --defined-only --format=posix '" + file + "'", status);
  REQUIRE_MESSAGE(status == 0, "nm failed on " << file);
  std::vector<Symbol> symbols;
  std::istringstream lines(out);
  std::string name;
  std::string type;
  std::string rest;
  while (lines >> name >> type) {
    std::getline(lines, rest);
    symbols.push_back({name, type.empty() ? '?' : type[0]});
  }
  return symbols;
}

// `readelf -d`: the NEEDED entries.
std::vector<std::string> needed_libraries(const std::string& file) {
  int status = 0;
  const auto out = abi::run(std::string(FLOWPLUGIN_READELF) + " -d --wide '" + file + "'", status);
  REQUIRE_MESSAGE(status == 0, "readelf failed on " << file);
  std::vector<std::string> needed;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("(NEEDED)") == std::string::npos) continue;
    const auto open = line.find('[');
    const auto close = line.find(']', open);
    if (open != std::string::npos && close != std::string::npos) {
      needed.push_back(line.substr(open + 1, close - open - 1));
    }
  }
  return needed;
}

bool starts_with_any(std::string_view name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}

std::string properties(std::string_view extra = {}) {
  std::string json = R"({"name":"abi","host":"127.0.0.1","port":2525,"authentication":"none")";
  if (!extra.empty()) json += "," + std::string(extra);
  return json + "}";
}

}  // namespace

TEST_CASE("smtp plugin: the only exported symbol is flow_plugin_entry") {
  const auto symbols = exported_symbols(abi::plugin_path());
  std::vector<std::string> unexpected;
  bool entry_found = false;
  std::ostringstream listing;
  for (const auto& symbol : symbols) {
    listing << symbol.name << " (" << symbol.type << ") ";
    if (symbol.name == "flow_plugin_entry") {
      entry_found = true;
      CHECK_MESSAGE((symbol.type == 'R' || symbol.type == 'D'),
                    "flow_plugin_entry is a data symbol, got type " << symbol.type);
    } else if (symbol.name != "_init" && symbol.name != "_fini") {
      unexpected.push_back(symbol.name + " (" + symbol.type + ")");
    }
  }
  MESSAGE("defined dynamic symbols: " << listing.str());
  CHECK(entry_found);
  CHECK_MESSAGE(
      unexpected.empty(), "unexpected exports: " << [&] {
        std::string all;
        for (const auto& name : unexpected) all += name + " ";
        return all;
      }());
}

TEST_CASE("smtp plugin: needs no shared library beyond the C/C++ runtime") {
  const auto needed = needed_libraries(abi::plugin_path());
  std::string listing;
  for (const auto& library : needed) listing += library + " ";
  MESSAGE("NEEDED: " << listing);
  for (const auto& library : needed) {
    INFO(library);
    CHECK_FALSE(starts_with_any(library, {"libboost", "libspdlog", "libfmt", "libyaml-cpp"}));
    if (starts_with_any(library, {"libssl", "libcrypto"})) {
      MESSAGE("the plugin needs " << library << " (OpenSSL linked dynamically)");
      continue;
    }
    const bool runtime =
        starts_with_any(library, {"libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux",
                                  "libpthread.so", "libdl.so", "librt.so"});
    const bool sanitizer = starts_with_any(library, {"libasan.so", "libubsan.so", "libtsan.so"});
    CHECK_MESSAGE((runtime || sanitizer), "unexpected dependency " << library);
  }
}

TEST_CASE("smtp plugin: the entry is found, sized and of this ABI major") {
  // A host of plugin.h alone: dlopen, dlsym, read the entry within its struct_size.
  void* handle = ::dlopen(abi::plugin_path().c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(handle != nullptr, ::dlerror());
  const auto* entry = static_cast<const fp_plugin_entry*>(::dlsym(handle, FP_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  CHECK(entry->struct_size >= sizeof(fp_plugin_entry));
  CHECK(entry->abi_major == FP_ABI_MAJOR);
  CHECK(entry->abi_minor >= 0);
  CHECK(flowplugin::view(entry->plugin_id) == "smtp-connection");
  CHECK_FALSE(flowplugin::view(entry->plugin_version).empty());
  CHECK((entry->init != nullptr));
  CHECK((entry->deinit != nullptr));
  CHECK((entry->get_factory != nullptr));
  ::dlclose(handle);
}

TEST_CASE("smtp plugin: hosts of an older and a newer minor initialise it") {
  for (const std::uint16_t minor : {std::uint16_t{0}, std::uint16_t{FP_ABI_MINOR + 5}}) {
    INFO("host ABI 1." << minor);
    const flowplugin::Plugin plugin(abi::plugin_path(), {.abi_minor = minor});
    CHECK(plugin.connection_factory(smtp_factory_id));
  }
}

TEST_CASE("smtp plugin: a host of another major is refused, by the loader and by init") {
  try {
    const flowplugin::Plugin plugin(abi::plugin_path(), {.abi_major = FP_ABI_MAJOR + 1});
    FAIL("a host of ABI 2 must not load an ABI 1 plugin");
  } catch (const flowplugin::Error& e) {
    CHECK(e.status() == FP_UNSUPPORTED);
    INFO(e.what());
    CHECK(std::string(e.what()).find("a different major version cannot load") != std::string::npos);
  }

  // A host that skips the check: the plugin's own init refuses it.
  void* handle = ::dlopen(abi::plugin_path().c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  const auto* entry = static_cast<const fp_plugin_entry*>(::dlsym(handle, FP_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  auto host = flowplugin::sized<fp_host>();
  host.abi_major = FP_ABI_MAJOR + 1;
  host.host_name = flowplugin::to_fp("abi test host 2.0");
  CHECK(entry->init(&host) == FP_UNSUPPORTED);
  ::dlclose(handle);  // init failed: no deinit
}

TEST_CASE("smtp plugin: a host struct from an older minor (without resolve_secret) works") {
  // The host says its struct ends before resolve_secret; the pointer there must never be used.
  static bool called = false;
  called = false;
  void* handle = ::dlopen(abi::plugin_path().c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  const auto* entry = static_cast<const fp_plugin_entry*>(::dlsym(handle, FP_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  auto host = flowplugin::sized<fp_host>();
  host.struct_size = offsetof(fp_host, resolve_secret);
  host.abi_major = FP_ABI_MAJOR;
  host.abi_minor = 0;
  host.host_name = flowplugin::to_fp("older host");
  host.log = [](void*, fp_log_level, fp_string) noexcept {};
  host.resolve_secret = [](void*, fp_string, const fp_sink*, const fp_sink*) noexcept {
    called = true;
    return FP_OK;
  };
  REQUIRE(entry->init(&host) == FP_OK);
  {
    const flowplugin::ConnectionFactory smtp(static_cast<const fp_connection_factory*>(
        entry->get_factory(flowplugin::to_fp(smtp_factory_id))));
    REQUIRE(smtp);
    // A secret reference needs the host's resolver, which this host does not have.
    fp_status status = FP_OK;
    std::string problems;
    try {
      (void)smtp.create(properties(
          R"("authentication":"smtp","smtp_username":"u","smtp_password":"env:ABI_TEST_UNUSED")"));
    } catch (const flowplugin::Error& e) {
      status = e.status();
      problems = e.what();
    }
    INFO("create without a resolver: " << problems);
    CHECK(status == FP_INVALID);
    CHECK_MESSAGE(!called, "the plugin called resolve_secret beyond the host's struct_size");
    // Literal credentials need no resolver.
    const auto connection = smtp.create(
        properties(R"("authentication":"smtp","smtp_username":"u","smtp_password":"p")"));
    CHECK(connection);
  }
  entry->deinit();
  ::dlclose(handle);
}

TEST_CASE("smtp plugin: a host struct from a newer minor (longer) works") {
  struct newer_host {
    fp_host known;
    void* (*future_service)(void*);
  };
  void* handle = ::dlopen(abi::plugin_path().c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  const auto* entry = static_cast<const fp_plugin_entry*>(::dlsym(handle, FP_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  newer_host host{};
  host.known = flowplugin::sized<fp_host>();
  host.known.struct_size = sizeof(newer_host);
  host.known.abi_major = FP_ABI_MAJOR;
  host.known.abi_minor = FP_ABI_MINOR + 5;
  host.known.host_name = flowplugin::to_fp("newer host");
  host.known.log = [](void*, fp_log_level, fp_string) noexcept {};
  host.known.resolve_secret = [](void*, fp_string, const fp_sink*, const fp_sink*) noexcept {
    return FP_UNSUPPORTED;
  };
  REQUIRE(entry->init(&host.known) == FP_OK);
  CHECK(entry->get_factory(flowplugin::to_fp(smtp_factory_id)) != nullptr);
  entry->deinit();
  ::dlclose(handle);
}

TEST_CASE("smtp plugin: factories by id") {
  const flowplugin::Plugin plugin(abi::plugin_path());
  CHECK(plugin.factory("connection.smtp/2") == nullptr);
  CHECK(plugin.factory("connection.smtp") == nullptr);
  CHECK(plugin.factory("connection.imap/1") == nullptr);
  CHECK(plugin.factory("") == nullptr);
  CHECK_FALSE(plugin.connection_factory("connection.nothing/1"));

  const auto smtp = plugin.connection_factory(smtp_factory_id);
  REQUIRE(smtp);
  CHECK(smtp.get()->struct_size >= sizeof(fp_connection_factory));
  CHECK(smtp.type_id() == "smtp");
  CHECK(smtp.display_name() == "SMTP");
}

TEST_CASE("smtp plugin: the schema is JSON Schema 2020-12 with every property") {
  const flowplugin::Plugin plugin(abi::plugin_path());
  const auto smtp = plugin.connection_factory(smtp_factory_id);
  REQUIRE(smtp);
  boost::json::value schema;
  REQUIRE_NOTHROW(schema = abi::parse(smtp.schema_json()));
  REQUIRE(schema.is_object());
  const auto* dialect = schema.as_object().if_contains("$schema");
  REQUIRE(dialect != nullptr);
  CHECK(dialect->as_string() == "https://json-schema.org/draft/2020-12/schema");
  const auto* properties = schema.as_object().if_contains("properties");
  REQUIRE(properties != nullptr);
  for (const char* name : {"name",          "host",
                           "ssl",           "starttls",
                           "port",          "authentication",
                           "timeout",       "dynamic",
                           "pop3_server",   "pop3_ssl",
                           "pop3_starttls", "pop3_port",
                           "user",          "password",
                           "apop",          "interval",
                           "smtp_username", "smtp_password",
                           "auth_type",     "ca_file",
                           "pin_sha256",    "allow_plaintext_auth"}) {
    INFO(name);
    CHECK(properties->as_object().contains(name));
  }
  // Secrets are write-only.
  for (const char* secret : {"password", "smtp_password"}) {
    INFO(secret);
    const auto* write_only = properties->at(secret).as_object().if_contains("writeOnly");
    CHECK((write_only != nullptr && write_only->is_bool() && write_only->as_bool()));
  }
}

TEST_CASE("smtp plugin: validate finds a missing host - a good set is FP_OK") {
  const flowplugin::Plugin plugin(abi::plugin_path());
  const auto smtp = plugin.connection_factory(smtp_factory_id);
  REQUIRE(smtp);

  auto [status, problems] = smtp.validate(R"({"name":"abi","port":25,"authentication":"none"})");
  CHECK(status == FP_INVALID);
  INFO(problems);
  CHECK(abi::has_problem(abi::parse(problems), "/host", "error"));

  std::tie(status, problems) = smtp.validate(properties());
  CHECK(status == FP_OK);
  CHECK(abi::parse(problems).is_array());

  // Not JSON at all: still a problems document and FP_INVALID, not a crash.
  std::tie(status, problems) = smtp.validate("{not json");
  CHECK(status == FP_INVALID);
  CHECK(abi::parse(problems).is_array());
}

TEST_CASE("smtp plugin: validate reports a bad port, a missing POP3 server, clear credentials") {
  const flowplugin::Plugin plugin(abi::plugin_path());
  const auto smtp = plugin.connection_factory(smtp_factory_id);
  REQUIRE(smtp);

  auto [status, problems] = smtp.validate(
      R"({"name":"abi","host":"mail.example.test","port":70000,"authentication":"none"})");
  CHECK(status == FP_INVALID);
  CHECK(abi::has_problem(abi::parse(problems), "/port", "error"));

  std::tie(status, problems) = smtp.validate(
      R"({"name":"abi","host":"mail.example.test","authentication":"pop-before-smtp","user":"u"})");
  CHECK(status == FP_INVALID);
  CHECK(abi::has_problem(abi::parse(problems), "/pop3_server", "error"));

  // CRAM-MD5 is MD5-based: a note, not an error.
  std::tie(status, problems) = smtp.validate(
      R"({"name":"abi","host":"mail.example.test","authentication":"smtp","smtp_username":"u",)"
      R"("smtp_password":"p","auth_type":"cram-md5"})");
  INFO(problems);
  CHECK(status == FP_OK);
  CHECK(abi::has_problem(abi::parse(problems), "/auth_type", "note"));
}

TEST_CASE("smtp plugin: create refuses an invalid set with its problems - destroy frees") {
  const flowplugin::Plugin plugin(abi::plugin_path());
  const auto smtp = plugin.connection_factory(smtp_factory_id);
  REQUIRE(smtp);
  try {
    (void)smtp.create(R"({"name":"abi"})");
    FAIL("create must refuse a set without a host");
  } catch (const flowplugin::Error& e) {
    CHECK(e.status() == FP_INVALID);
    CHECK(abi::has_problem(abi::parse(e.what()), "/host", "error"));
  }
  auto connection = smtp.create(properties());
  CHECK(connection);
  connection.reset();  // destroy, with no server ever contacted
  CHECK_FALSE(connection);
}
