// The host-side loader (sdk/include/flowplugin/host.hpp) against the small fake plugins of
// fake_plugin.cpp: entry checks, version negotiation, host services, factories, and the wrapper
// driving a plugin through the C ABI.

#include <doctest/doctest.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "abi/abi_support.hpp"
#include "flowplugin/host.hpp"

namespace {

// Log lines the plugin sent, with their levels.
struct Log {
  std::mutex mutex;
  std::vector<std::pair<fp_log_level, std::string>> lines;

  flowplugin::LogFunction function() {
    return [this](fp_log_level level, std::string_view message) {
      const std::lock_guard lock(mutex);
      lines.emplace_back(level, std::string(message));
    };
  }
  bool contains(std::string_view text) {
    const std::lock_guard lock(mutex);
    for (const auto& [level, line] : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

// The Error a load throws; fails the test when it does not throw.
flowplugin::Error load_error(const char* file, flowplugin::HostOptions options = {}) {
  try {
    flowplugin::Plugin plugin(file, std::move(options));
  } catch (const flowplugin::Error& e) {
    return e;
  }
  FAIL("loading " << file << " must fail");
  return flowplugin::Error(FP_OK, "");
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

TEST_CASE("loader: a newer minor loads - init gets the host's name, ABI and services") {
  Log log;
  {
    flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD, {.host_name = "abi tests", .log = log.function()});
    CHECK(plugin.id() == "fake");
    CHECK(plugin.version() == "9.9.9");
    CHECK(plugin.abi_major() == FP_ABI_MAJOR);
    CHECK(plugin.abi_minor() == FP_ABI_MINOR + 3);
    CHECK(plugin.entry().struct_size > sizeof(fp_plugin_entry));  // it has a field we lack
    CHECK(log.contains("fake: init by abi tests (ABI 1.0)"));
  }
  // deinit ran before the library went, with the host still valid for its log line.
  CHECK(log.contains("fake: deinit, live connections: 0"));
}

TEST_CASE("loader: hosts with an older or a newer minor both initialise the plugin") {
  for (const std::uint16_t minor : {std::uint16_t{0}, std::uint16_t{FP_ABI_MINOR + 5}}) {
    Log log;
    flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD, {.log = log.function(), .abi_minor = minor});
    CHECK(log.contains("(ABI 1." + std::to_string(minor) + ")"));
  }
}

TEST_CASE("loader: a plugin of another ABI major is refused before init, clearly") {
  Log log;
  const auto e = load_error(FAKE_PLUGIN_MAJOR2, {.log = log.function()});
  CHECK(e.status() == FP_UNSUPPORTED);
  const std::string message = e.what();
  INFO(message);
  CHECK(contains(message, FAKE_PLUGIN_MAJOR2));
  CHECK(contains(message, "implements plugin ABI 2.0"));
  CHECK(contains(message, "this host implements ABI 1."));
  CHECK(contains(message, "a different major version cannot load"));
  CHECK(log.lines.empty());  // init never ran
}

TEST_CASE("loader: a host of another ABI major is refused by the loader") {
  const auto e = load_error(FAKE_PLUGIN_GOOD, {.abi_major = FP_ABI_MAJOR + 1});
  CHECK(e.status() == FP_UNSUPPORTED);
  INFO(e.what());
  CHECK(contains(e.what(), "implements plugin ABI 1.3 and this host implements ABI 2.0"));
}

TEST_CASE("loader: init's refusal is an Error with the status and the plugin's last words") {
  const auto e = load_error(FAKE_PLUGIN_GOOD, {.host_name = "refuse me"});
  CHECK(e.status() == FP_FAILED);
  INFO(e.what());
  CHECK(contains(e.what(), "its init refused this host (ABI 1.0) with FP_FAILED"));
  CHECK(contains(e.what(), "fake: I refuse hosts named 'refuse me'"));
}

TEST_CASE("loader: not a plugin, a short entry, a missing file") {
  auto e = load_error(FAKE_PLUGIN_NO_ENTRY);
  CHECK(e.status() == FP_UNSUPPORTED);
  CHECK(contains(e.what(), "is not a flow plugin: it exports no flow_plugin_entry symbol"));

  // The entry's pointers are there, but its struct_size does not cover them.
  e = load_error(FAKE_PLUGIN_SHORT_ENTRY);
  CHECK(e.status() == FP_UNSUPPORTED);
  CHECK(contains(e.what(), "lacks init, deinit or get_factory"));

  e = load_error("/nonexistent/libnothing.so");
  CHECK(e.status() == FP_FAILED);
  CHECK(contains(e.what(), "cannot load /nonexistent/libnothing.so"));
}

TEST_CASE("loader: a library is initialised once per process - after unloading it loads again") {
  {
    flowplugin::Plugin first(FAKE_PLUGIN_GOOD);
    const auto e = load_error(FAKE_PLUGIN_GOOD);
    CHECK(e.status() == FP_REFUSED);
    CHECK(contains(e.what(), "loaded already"));
    // The refused second load did not unload or deinit the first.
    CHECK(first.connection_factory("connection.fake/1"));
  }
  flowplugin::Plugin again(FAKE_PLUGIN_GOOD);
  CHECK(again.id() == "fake");
}

TEST_CASE("loader: a moved Plugin keeps the library - only the last owner unloads it") {
  Log log;
  flowplugin::Plugin moved(FAKE_PLUGIN_GOOD, {.log = log.function()});
  {
    const flowplugin::Plugin owner = std::move(moved);
    CHECK(owner.connection_factory("connection.fake/1"));
    CHECK_FALSE(log.contains("deinit"));
  }
  CHECK(log.contains("deinit"));
}

TEST_CASE("loader: factories by id - an unknown id is null - another kind is refused") {
  const flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD);
  CHECK(plugin.factory("connection.fake/1") != nullptr);
  CHECK(plugin.factory("connection.fake/2") == nullptr);
  CHECK(plugin.factory("") == nullptr);
  CHECK_FALSE(plugin.connection_factory("connection.nothing/1"));
  CHECK_THROWS_AS((void)plugin.connection_factory("trigger.fake/1"), flowplugin::Error);

  const auto fake = plugin.connection_factory("connection.fake/1");
  REQUIRE(fake);
  CHECK(fake.type_id() == "fake");
  CHECK(fake.display_name() == "Fake");
  CHECK(fake.schema_json() == "{}");
}

TEST_CASE("secrets: env:NAME and file:PATH resolve - the rest fails without echoing") {
  std::string value;
  std::string error;
  ::setenv("FLOWPLUGIN_ABI_TEST_SECRET", "from the environment", 1);
  CHECK(flowplugin::resolve_secret_reference("env:FLOWPLUGIN_ABI_TEST_SECRET", value, error) ==
        FP_OK);
  CHECK(value == "from the environment");

  ::unsetenv("FLOWPLUGIN_ABI_TEST_UNSET");
  CHECK(flowplugin::resolve_secret_reference("env:FLOWPLUGIN_ABI_TEST_UNSET", value, error) ==
        FP_FAILED);
  CHECK(contains(error, "FLOWPLUGIN_ABI_TEST_UNSET"));
  CHECK(flowplugin::resolve_secret_reference("env:", value, error) == FP_FAILED);

  const auto path =
      std::filesystem::temp_directory_path() / ("flowplugin-secret-" + std::to_string(::getpid()));
  { std::ofstream(path, std::ios::binary) << "from a file\n"; }
  CHECK(flowplugin::resolve_secret_reference("file:" + path.string(), value, error) == FP_OK);
  CHECK(value == "from a file");  // one trailing newline dropped
  { std::ofstream(path, std::ios::binary) << "two\r\n\r\n"; }
  CHECK(flowplugin::resolve_secret_reference("file:" + path.string(), value, error) == FP_OK);
  CHECK(value == "two\r\n");
  std::filesystem::remove(path);
  CHECK(flowplugin::resolve_secret_reference("file:" + path.string(), value, error) == FP_FAILED);
  CHECK(contains(error, path.string()));
  CHECK(flowplugin::resolve_secret_reference("file:", value, error) == FP_FAILED);

  // A literal password where a reference belongs: unsupported, and not repeated.
  CHECK(flowplugin::resolve_secret_reference("hunter2", value, error) == FP_UNSUPPORTED);
  CHECK_FALSE(contains(error, "hunter2"));
}

TEST_CASE("secrets: the plugin resolves through the host: default, custom, failing") {
  ::setenv("FLOWPLUGIN_ABI_TEST_SECRET", "s3cret", 1);
  {
    const flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD);
    const auto fake = plugin.connection_factory("connection.fake/1");
    const auto connection =
        fake.create(R"({"host":"h","password":"env:FLOWPLUGIN_ABI_TEST_SECRET"})");
    const auto report = abi::parse(fake.test(connection));
    CHECK(report.at("secret").as_string() == "s3cret");

    try {
      (void)fake.create(R"({"host":"h","password":"env:FLOWPLUGIN_ABI_TEST_UNSET"})");
      FAIL("must throw");
    } catch (const flowplugin::Error& e) {
      CHECK(e.status() == FP_INVALID);
      CHECK(abi::has_problem(abi::parse(e.what()), "/password", "error"));
      CHECK(contains(e.what(), "FLOWPLUGIN_ABI_TEST_UNSET"));
    }
  }
  {
    const flowplugin::Plugin plugin(
        FAKE_PLUGIN_GOOD,
        {.resolve_secret = [](std::string_view reference, std::string& value, std::string&) {
          value = "custom:" + std::string(reference);
          return FP_OK;
        }});
    const auto fake = plugin.connection_factory("connection.fake/1");
    const auto connection = fake.create(R"({"host":"h","password":"vault:x"})");
    CHECK(abi::parse(fake.test(connection)).at("secret").as_string() == "custom:vault:x");
  }
  {
    // A resolver that throws: the plugin sees FP_FAILED and a message, nothing crosses.
    const flowplugin::Plugin plugin(
        FAKE_PLUGIN_GOOD,
        {.resolve_secret = [](std::string_view, std::string&, std::string&) -> fp_status {
          throw std::runtime_error("vault unreachable");
        }});
    const auto fake = plugin.connection_factory("connection.fake/1");
    try {
      (void)fake.create(R"({"host":"h","password":"vault:x"})");
      FAIL("must throw");
    } catch (const flowplugin::Error& e) {
      CHECK(e.status() == FP_INVALID);
      CHECK(contains(e.what(), "vault unreachable"));
    }
  }
}

TEST_CASE("log: a throwing log function does not break the plugin") {
  const flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD, {.log = [](fp_log_level, std::string_view) {
                                    throw std::runtime_error("no log");
                                  }});
  CHECK(plugin.connection_factory("connection.fake/1"));
}

TEST_CASE("wrapper through the ABI: validate, create, test, replace, destroy") {
  Log log;
  {
    const flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD, {.log = log.function()});
    const auto fake = plugin.connection_factory("connection.fake/1");

    auto [status, problems] = fake.validate(R"({"name":"x"})");
    CHECK(status == FP_INVALID);
    CHECK(abi::has_problem(abi::parse(problems), "/host", "error"));
    std::tie(status, problems) = fake.validate(R"({"host":"h"})");
    CHECK(status == FP_OK);
    CHECK(problems == "[]");

    try {
      (void)fake.create(R"({"name":"x"})");
      FAIL("must throw");
    } catch (const flowplugin::Error& e) {
      CHECK(e.status() == FP_INVALID);
      CHECK(abi::has_problem(abi::parse(e.what()), "/host", "error"));
    }

    // An exception inside the plugin comes back as FP_INTERNAL and its message.
    try {
      (void)fake.create(R"({"host":"h","throw":1})");
      FAIL("must throw");
    } catch (const flowplugin::Error& e) {
      CHECK(e.status() == FP_INTERNAL);
      CHECK(std::string(e.what()) == "fake create threw");
    }
    try {
      (void)fake.create(R"({"host":"h","throw_error":1})");
      FAIL("must throw");
    } catch (const flowplugin::Error& e) {
      CHECK(e.status() == FP_REFUSED);
    }

    const auto fixed = fake.create(R"({"host":"h"})");
    CHECK(fake.replace_definition(fixed, R"({"host":"other"})").first == FP_REFUSED);

    const auto dynamic = fake.create(R"({"host":"h","dynamic":true})");
    CHECK(fake.replace_definition(dynamic, R"({"nohost":1})").first == FP_INVALID);
    CHECK(fake.replace_definition(dynamic, R"({"host":"other","dynamic":true})").first == FP_OK);

    const auto report = abi::parse(fake.test(dynamic));
    CHECK(report.at("ok").as_bool());

    // A connection of another factory is refused by the wrapper, not passed to the plugin.
    auto other = flowplugin::sized<fp_connection_factory>();
    const flowplugin::Connection foreign(&other, nullptr);
    CHECK_THROWS_AS((void)fake.test(foreign), flowplugin::Error);
  }
  CHECK(log.contains("fake: deinit, live connections: 0"));  // every Connection destroyed
}

TEST_CASE("wrapper through the ABI: send hands attachments and a raw message as streams") {
  const flowplugin::Plugin plugin(FAKE_PLUGIN_GOOD);
  const auto fake = plugin.connection_factory("connection.fake/1");
  const auto connection = fake.create(R"({"host":"h"})");

  const auto path = std::filesystem::temp_directory_path() /
                    ("flowplugin-attachment-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path, std::ios::binary) << "file content";
  std::istringstream in("istream content");

  std::vector<flowplugin::Attachment> attachments;
  attachments.push_back({"a.txt", "text/plain", flowplugin::Stream::from_string("string content")});
  attachments.push_back({"b.txt", "text/plain", flowplugin::Stream::from_file(path)});
  attachments.push_back(
      {"c.bin", "application/octet-stream", flowplugin::Stream::from_istream(in)});
  const auto raw = flowplugin::Stream::from_string("Subject: raw\r\n\r\nbody\r\n");

  const auto [status, result_json] = fake.send(connection, R"({"m":1})", attachments, &raw);
  std::filesystem::remove(path);
  CHECK(status == FP_OK);
  INFO(result_json);
  const auto result = abi::parse(result_json).as_object();
  CHECK(result.at("message").as_string() == R"({"m":1})");
  const auto& parts = result.at("attachments").as_array();
  REQUIRE(parts.size() == 3);
  const std::array<std::string_view, 3> contents{"string content", "file content",
                                                 "istream content"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& part = parts[i].as_object();
    CHECK(part.at("content").as_string() == contents[i]);
    CHECK(part.at("size").as_int64() == static_cast<std::int64_t>(contents[i].size()));
    CHECK(part.at("rewound").as_bool());
    CHECK(part.at("same_after_rewind").as_bool());
  }
  CHECK(parts[0].at("file_name").as_string() == "a.txt");
  CHECK(parts[2].at("content_type").as_string() == "application/octet-stream");
  CHECK(result.at("raw").as_string() == "Subject: raw\r\n\r\nbody\r\n");
}
