// The connection store: put/get/resolve/list/remove, the user-wins rule, file modes, atomic
// replacement, names that would escape the store, malformed files.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "host/store_test_support.hpp"
#include "store.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using flowhost::ConnectionStore;
using flowhost::Scope;
using flowhost::StoredConnection;
using store_test::mode_of;
using store_test::names_in;
using store_test::read_file;
using store_test::TempDir;
using store_test::write_file;

namespace {

StoredConnection connection(const std::string& name, Scope scope, const std::string& user,
                            const std::string& properties_json) {
  StoredConnection c;
  c.name = name;
  c.scope = scope;
  c.user = user;
  c.type = "smtp";
  c.properties_json = properties_json;
  return c;
}

StoredConnection system_connection(const std::string& name, const std::string& host) {
  return connection(name, Scope::system, "", R"({"host": ")" + host + R"("})");
}

StoredConnection user_connection(const std::string& user, const std::string& name,
                                 const std::string& host) {
  return connection(name, Scope::user, user, R"({"host": ")" + host + R"("})");
}

std::string host_of(const StoredConnection& c) {
  return std::string(json::parse(c.properties_json).at("host").as_string());
}

std::string invalid_argument_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("no std::invalid_argument");
  return {};
}

std::string runtime_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    FAIL("std::invalid_argument: " << e.what());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  FAIL("no std::runtime_error");
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("put then get: the file's layout and content, types kept") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  const fs::path file = store.put(connection(
      "mail", Scope::system, "",
      R"({"host": "mail.example.com", "port": 587, "starttls": "starttls", "dynamic": true,
          "user": "0123", "pin": "25", "smtp_password": "env:SMTP_PASSWORD"})"));
  CHECK(file == dir / "data/connections/system/mail.yaml");
  CHECK(read_file(file) ==
        "# written by flowhost\n"
        "type: smtp\n"
        "name: mail\n"
        "properties:\n"
        "  host: mail.example.com\n"
        "  port: 587\n"
        "  starttls: starttls\n"
        "  dynamic: true\n"
        "  user: \"0123\"\n"
        "  pin: \"25\"\n"
        "  smtp_password: env:SMTP_PASSWORD\n");

  const auto got = store.get(Scope::system, "", "mail");
  REQUIRE(got);
  CHECK(got->name == "mail");
  CHECK(got->scope == Scope::system);
  CHECK(got->user.empty());
  CHECK(got->type == "smtp");
  CHECK(got->file == file);
  CHECK(got->warnings.empty());
  const json::value properties = json::parse(got->properties_json);
  CHECK(properties == json::parse(R"({"host": "mail.example.com", "port": 587,
      "starttls": "starttls", "dynamic": true, "user": "0123", "pin": "25",
      "smtp_password": "env:SMTP_PASSWORD"})"));
  CHECK(properties.at("port").is_int64());
  CHECK(properties.at("dynamic").is_bool());
  CHECK(properties.at("user").is_string());

  store.put(user_connection("alice", "mail", "alice.example.com"));
  CHECK(fs::exists(dir / "data/connections/users/alice/mail.yaml"));
  const auto own = store.get(Scope::user, "alice", "mail");
  REQUIRE(own);
  CHECK(own->user == "alice");
  CHECK(own->scope == Scope::user);
  CHECK(host_of(*own) == "alice.example.com");

  CHECK_FALSE(store.get(Scope::system, "", "other"));
  CHECK_FALSE(store.get(Scope::user, "bob", "mail"));
  CHECK_FALSE(ConnectionStore(dir / "absent").get(Scope::system, "", "mail"));
  CHECK(ConnectionStore(dir / "absent").list(std::nullopt, "alice").empty());
  CHECK_FALSE(fs::exists(dir / "absent"));  // reading creates nothing
}

TEST_CASE("put replaces, empty properties are {}, a relative data directory is made absolute") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "one.example.com"));
  store.put(system_connection("mail", "two.example.com"));
  CHECK(host_of(*store.get(Scope::system, "", "mail")) == "two.example.com");

  store.put(connection("bare", Scope::system, "", "{}"));
  CHECK(contains(read_file(dir / "data/connections/system/bare.yaml"), "properties: {}\n"));
  CHECK(store.get(Scope::system, "", "bare")->properties_json == "{}");

  CHECK(ConnectionStore("relative/dir").data_dir().is_absolute());
}

TEST_CASE("files are 0600 and directories 0700, whatever the umask") {
  TempDir dir;
  const mode_t old_mask = ::umask(0);  // the loosest: nothing is taken away
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "a.example.com"));
  store.put(user_connection("alice", "mail", "b.example.com"));
  ::umask(old_mask);

  CHECK(mode_of(dir / "data") == 0700);
  CHECK(mode_of(dir / "data/connections") == 0700);
  CHECK(mode_of(dir / "data/connections/system") == 0700);
  CHECK(mode_of(dir / "data/connections/users") == 0700);
  CHECK(mode_of(dir / "data/connections/users/alice") == 0700);
  CHECK(mode_of(dir / "data/connections/system/mail.yaml") == 0600);
  CHECK(mode_of(dir / "data/connections/users/alice/mail.yaml") == 0600);

  // Replacing a file someone loosened writes a 0600 one.
  fs::permissions(dir / "data/connections/system/mail.yaml", fs::perms(0644));
  store.put(system_connection("mail", "c.example.com"));
  CHECK(mode_of(dir / "data/connections/system/mail.yaml") == 0600);

  // An existing data directory is used as it is.
  fs::create_directories(dir / "shared");
  fs::permissions(dir / "shared", fs::perms(0755));
  ConnectionStore(dir / "shared").put(system_connection("mail", "a.example.com"));
  CHECK(mode_of(dir / "shared") == 0755);
  CHECK(mode_of(dir / "shared/connections") == 0700);
}

TEST_CASE("resolve: a user's own connection wins over the system one of the same name") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "production.example.com"));
  store.put(system_connection("alerts", "alerts.example.com"));
  store.put(user_connection("alice", "mail", "test.example.com"));
  store.put(user_connection("alice", "private", "private.example.com"));

  const auto alice = store.resolve("mail", "alice");
  REQUIRE(alice);
  CHECK(alice->scope == Scope::user);
  CHECK(host_of(*alice) == "test.example.com");

  const auto bob = store.resolve("mail", "bob");  // no connections of his own
  REQUIRE(bob);
  CHECK(bob->scope == Scope::system);
  CHECK(host_of(*bob) == "production.example.com");

  CHECK(host_of(*store.resolve("mail", "")) == "production.example.com");
  CHECK(host_of(*store.resolve("alerts", "alice")) == "alerts.example.com");
  CHECK(host_of(*store.resolve("private", "alice")) == "private.example.com");
  CHECK_FALSE(store.resolve("private", "bob"));
  CHECK_FALSE(store.resolve("private", ""));
  CHECK_FALSE(store.resolve("nothing", "alice"));

  // Once alice removes hers, she sees the system's again.
  CHECK(store.remove(Scope::user, "alice", "mail"));
  CHECK(store.resolve("mail", "alice")->scope == Scope::system);
}

TEST_CASE("resolve never falls back to the system connection past a broken user one") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "production.example.com"));
  store.put(user_connection("alice", "mail", "test.example.com"));
  write_file(dir / "data/connections/users/alice/mail.yaml", "type: smtp\nproperties: [\n");
  CHECK(contains(runtime_error_of([&] { store.resolve("mail", "alice"); }), "alice/mail.yaml"));
}

TEST_CASE("list: system and own, sorted, shadowing marked, scopes filtered") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "production.example.com"));
  store.put(system_connection("alerts", "alerts.example.com"));
  store.put(system_connection("zeta", "zeta.example.com"));
  store.put(user_connection("alice", "mail", "test.example.com"));
  store.put(user_connection("alice", "beta", "beta.example.com"));
  store.put(user_connection("bob", "bobs", "bob.example.com"));

  const auto all = store.list(std::nullopt, "alice");
  REQUIRE(all.size() == 5);
  CHECK(all[0].name == "alerts");
  CHECK(all[1].name == "beta");
  CHECK(all[2].name == "mail");
  CHECK(all[2].scope == Scope::user);  // the one that wins first
  CHECK(all[2].shadows_system);
  CHECK_FALSE(all[2].shadowed);
  CHECK(all[3].name == "mail");
  CHECK(all[3].scope == Scope::system);
  CHECK(all[3].shadowed);
  CHECK_FALSE(all[3].shadows_system);
  CHECK(all[4].name == "zeta");
  for (const auto& c : all) {
    CHECK(c.error.empty());
    CHECK(c.type == "smtp");
    CHECK(c.warnings.empty());
    if (c.name != "mail") CHECK_FALSE((c.shadowed || c.shadows_system));
  }
  CHECK(all[1].user == "alice");
  CHECK(all[0].user.empty());

  const auto system = store.list(Scope::system, "alice");
  REQUIRE(system.size() == 3);
  CHECK(system[1].name == "mail");
  CHECK(system[1].shadowed);

  const auto own = store.list(Scope::user, "alice");
  REQUIRE(own.size() == 2);
  CHECK(own[0].name == "beta");
  CHECK(own[1].name == "mail");
  CHECK(own[1].shadows_system);

  const auto anonymous = store.list(std::nullopt, "");
  REQUIRE(anonymous.size() == 3);
  for (const auto& c : anonymous) CHECK(c.scope == Scope::system);
  CHECK_FALSE(anonymous[1].shadowed);

  const auto bob = store.list(std::nullopt, "bob");
  REQUIRE(bob.size() == 4);
  CHECK(bob[1].name == "bobs");

  CHECK(contains(invalid_argument_of([&] { store.list(Scope::user, ""); }), "user name"));
}

TEST_CASE("list skips temporary and stray files, flags loose modes, reports broken files") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("good", "a.example.com"));
  store.put(system_connection("loose", "b.example.com"));
  const fs::path system_dir = dir / "data/connections/system";
  fs::permissions(system_dir / "loose.yaml", fs::perms(0644));
  write_file(system_dir / ".good.yaml.tmp-abc123", "type: smtp\n");  // a crashed writer's
  write_file(system_dir / "notes.txt", "not a connection\n");
  write_file(system_dir / "bad name.yaml", "type: smtp\n");
  write_file(system_dir / "broken.yaml", "type: smtp\nproperties: {host: [\n");
  fs::create_symlink(system_dir / "good.yaml", system_dir / "linked.yaml");

  const auto all = store.list(std::nullopt, "");
  REQUIRE(all.size() == 4);
  CHECK(all[0].name == "broken");
  CHECK(contains(all[0].error, (system_dir / "broken.yaml").string()));
  CHECK(contains(all[0].error, "malformed YAML"));
  CHECK(all[0].type.empty());
  CHECK(all[1].name == "good");
  CHECK(all[1].error.empty());
  CHECK(all[1].warnings.empty());
  CHECK(all[2].name == "linked");
  CHECK(contains(all[2].error, "symbolic link"));
  CHECK(all[3].name == "loose");
  CHECK(all[3].error.empty());
  REQUIRE(all[3].warnings.size() == 1);
  CHECK(contains(all[3].warnings[0], "0644"));
  CHECK(contains(all[3].warnings[0], "looser than 0600"));
  CHECK(host_of(all[3]) == "b.example.com");  // still read

  // get reads a loose file too, with the same warning.
  const auto loose = store.get(Scope::system, "", "loose");
  REQUIRE(loose);
  CHECK(loose->warnings.size() == 1);
}

TEST_CASE("remove") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "a.example.com"));
  store.put(user_connection("alice", "mail", "b.example.com"));
  CHECK(store.remove(Scope::user, "alice", "mail"));
  CHECK_FALSE(store.remove(Scope::user, "alice", "mail"));
  CHECK_FALSE(fs::exists(dir / "data/connections/users/alice/mail.yaml"));
  CHECK(store.get(Scope::system, "", "mail"));
  CHECK(store.remove(Scope::system, "", "mail"));
  CHECK(store.list(std::nullopt, "alice").empty());
  CHECK_FALSE(ConnectionStore(dir / "absent").remove(Scope::system, "", "mail"));
}

TEST_CASE("atomic replacement: temporary file and rename, nothing left behind") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "old.example.com"));
  const fs::path file = dir / "data/connections/system/mail.yaml";
  const std::string old_text = read_file(file);

  // A reader that opened the old file keeps reading the whole old file: the new content went
  // to another inode that replaced the name, never into the file being read.
  std::ifstream reader(file, std::ios::binary);
  struct stat before {};
  REQUIRE(::stat(file.c_str(), &before) == 0);
  store.put(system_connection("mail", "new.example.com"));
  struct stat after {};
  REQUIRE(::stat(file.c_str(), &after) == 0);
  CHECK(before.st_ino != after.st_ino);
  std::ostringstream seen;
  seen << reader.rdbuf();
  CHECK(seen.str() == old_text);
  CHECK(contains(read_file(file), "new.example.com"));

  CHECK(names_in(file.parent_path()) == std::vector<std::string>{"mail.yaml"});
}

TEST_CASE("atomic replacement: concurrent readers see a whole old or a whole new file") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  // Two versions of different sizes, so a torn read would be visible.
  const std::string long_host(3000, 'x');
  store.put(system_connection("mail", "short.example.com"));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    const ConnectionStore mine(dir / "data");
    while (!done.load()) {
      try {
        const auto c = mine.get(Scope::system, "", "mail");
        const std::string host = c ? host_of(*c) : "";
        if (host != "short.example.com" && host != long_host) ++torn;
      } catch (const std::exception&) {
        ++torn;
      }
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) {
    store.put(system_connection("mail", i % 2 ? "short.example.com" : long_host));
  }
  done = true;
  reader.join();
  CHECK(reads.load() > 0);
  CHECK(torn.load() == 0);
  CHECK(names_in(dir / "data/connections/system") == std::vector<std::string>{"mail.yaml"});
}

TEST_CASE("write_file_atomically removes its temporary file when it fails") {
  TempDir dir;
  fs::create_directories(dir / "target/occupied");  // rename cannot replace a directory
  write_file(dir / "target/occupied/keep", "x");
  CHECK_THROWS_AS(flowhost::write_file_atomically(dir / "target/occupied", "text"),
                  std::system_error);
  CHECK(names_in(dir / "target") == std::vector<std::string>{"occupied"});

  flowhost::write_file_atomically(dir / "target/plain.txt", "hello", 0640);
  CHECK(read_file(dir / "target/plain.txt") == "hello");
  CHECK(mode_of(dir / "target/plain.txt") == 0640);
}

TEST_CASE("names that could leave the store are refused, with a clear message") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "a.example.com"));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"../x", "'/'"},
      {"a/b", "'/'"},
      {"..", "starts with '.'"},
      {".", "starts with '.'"},
      {".hidden", "starts with '.'"},
      {std::string(65, 'a'), "65 characters"},
      {std::string("a\0b", 3), "NUL"},
      {"", "empty"},
      {"-dash", "starts with '-'"},
      {"_under", "starts with '_'"},
      {"a b", "not allowed"},
      {"a\\b", "not allowed"},
      {"caf\xc3\xa9", "not allowed"},
      {"mail/../../../etc", "'/'"},
      {"/etc/passwd", "'/'"},
      {"a\nb", "not allowed"},
  };
  for (const auto& [name, why] : bad) {
    CAPTURE(name);
    const std::string message =
        invalid_argument_of([&] { store.put(system_connection(name, "x.example.com")); });
    CHECK(contains(message, "invalid connection name"));
    CHECK(contains(message, why));
    CHECK(contains(message, "1 to 64 letters"));
    CHECK_THROWS_AS(store.get(Scope::system, "", name), std::invalid_argument);
    CHECK_THROWS_AS(store.resolve(name, "alice"), std::invalid_argument);
    CHECK_THROWS_AS(store.remove(Scope::system, "", name), std::invalid_argument);
    // As a user name too.
    const std::string as_user =
        invalid_argument_of([&] { store.put(user_connection(name, "mail", "x.example.com")); });
    CHECK(contains(as_user, name.empty() ? "user name" : "invalid user name"));
    CHECK_THROWS_AS(store.get(Scope::user, name, "mail"), std::invalid_argument);
    CHECK_THROWS_AS(store.list(std::nullopt, name.empty() ? "." : name), std::invalid_argument);
    CHECK_THROWS_AS(store.remove(Scope::user, name, "mail"), std::invalid_argument);
  }
  // Control characters are escaped in the message.
  CHECK(
      contains(invalid_argument_of([&] { store.get(Scope::system, "", "a\nb"); }), "\"a\\x0ab\""));
  // Nothing was written anywhere but the one good connection.
  CHECK(names_in(dir.path()) == std::vector<std::string>{"data"});
  CHECK(names_in(dir / "data/connections") == std::vector<std::string>{"system"});
  CHECK(names_in(dir / "data/connections/system") == std::vector<std::string>{"mail.yaml"});

  // The longest name, and every allowed character.
  const std::string longest(64, 'b');
  store.put(system_connection(longest, "x.example.com"));
  store.put(system_connection("A.z_0-9", "x.example.com"));
  CHECK(store.get(Scope::system, "", longest));
  CHECK(store.get(Scope::system, "", "A.z_0-9"));
  CHECK(flowhost::is_valid_name("a.."));
  CHECK_FALSE(flowhost::is_valid_name("..a"));

  // A type is a name too.
  StoredConnection bad_type = system_connection("typed", "x.example.com");
  bad_type.type = "../smtp";
  CHECK(contains(invalid_argument_of([&] { store.put(bad_type); }), "connection type"));
  CHECK_THROWS_AS(store.put(user_connection("", "mail", "x")), std::invalid_argument);
}

TEST_CASE("a symbolic link leading out of the store is refused (defence in depth)") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(user_connection("alice", "mail", "a.example.com"));
  fs::create_directories(dir / "elsewhere");
  write_file(dir / "elsewhere/mail.yaml", "type: smtp\nproperties: {host: evil.example.com}\n");
  fs::create_directory_symlink(dir / "elsewhere", dir / "data/connections/users/mallory");

  CHECK(contains(runtime_error_of([&] { store.get(Scope::user, "mallory", "mail"); }),
                 "outside the connection store"));
  CHECK(contains(
      runtime_error_of([&] { store.put(user_connection("mallory", "x", "b.example.com")); }),
      "outside the connection store"));
  CHECK_THROWS_AS(store.list(std::nullopt, "mallory"), std::runtime_error);
  CHECK_THROWS_AS(store.resolve("mail", "mallory"), std::runtime_error);
  CHECK_THROWS_AS(store.remove(Scope::user, "mallory", "mail"), std::runtime_error);
  CHECK(names_in(dir / "elsewhere") == std::vector<std::string>{"mail.yaml"});

  // A connection file that is a link (even to a file inside the store) is not followed.
  const fs::path alice = dir / "data/connections/users/alice";
  fs::create_symlink(alice / "mail.yaml", alice / "copy.yaml");
  CHECK(contains(runtime_error_of([&] { store.get(Scope::user, "alice", "copy"); }),
                 "symbolic link"));
  fs::create_symlink(dir / "elsewhere/mail.yaml", alice / "out.yaml");
  CHECK_THROWS_AS(store.get(Scope::user, "alice", "out"), std::runtime_error);
}

TEST_CASE("a malformed connection file: the error names the file") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "a.example.com"));
  const fs::path file = dir / "data/connections/system/mail.yaml";
  auto error_for = [&](const std::string& text) {
    write_file(file, text);
    return runtime_error_of([&] { store.get(Scope::system, "", "mail"); });
  };

  const std::string malformed = error_for("type: smtp\nproperties:\n  host: [a\n  port: 25\n");
  CHECK(contains(malformed, file.string() + ":"));
  CHECK(contains(malformed, "malformed YAML"));

  CHECK(contains(error_for("- a\n- b\n"), file.string()));
  CHECK(contains(error_for("properties: {}\n"), "`type`"));
  CHECK(contains(error_for("type: [smtp]\n"), "`type`"));
  CHECK(contains(error_for("type: smtp\nproperties: [a]\n"), "`properties` is not a mapping"));
  const std::string bad_value = error_for("type: smtp\nproperties:\n  port: !!float 25\n");
  CHECK(contains(bad_value, file.string()));
  CHECK(contains(bad_value, "properties.port"));
  const std::string duplicate = error_for("type: smtp\nproperties:\n  a: 1\n  a: 2\n");
  CHECK(contains(duplicate, "properties.a"));

  CHECK(contains(error_for("type: smtp\n---\ntype: other\n"), "2 YAML documents"));

  // Absent and empty properties are an empty set.
  write_file(file, "type: smtp\n");
  CHECK(store.get(Scope::system, "", "mail")->properties_json == "{}");
  write_file(file, "type: smtp\nproperties:\n");
  CHECK(store.get(Scope::system, "", "mail")->properties_json == "{}");
}

TEST_CASE("hand-written files: a differing name and unknown keys are warnings") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  store.put(system_connection("mail", "a.example.com"));
  const fs::path file = dir / "data/connections/system/mail.yaml";
  write_file(file, "type: smtp\nname: other\ncomment: hi\nproperties:\n  port: 25\n");
  fs::permissions(file, fs::perms(0600));
  const auto c = store.get(Scope::system, "", "mail");
  REQUIRE(c);
  CHECK(c->name == "mail");
  REQUIRE(c->warnings.size() == 2);
  CHECK(contains(c->warnings[0], "name: other"));
  CHECK(contains(c->warnings[1], "comment"));
  CHECK(json::parse(c->properties_json) == json::parse(R"({"port": 25})"));
}

TEST_CASE("put refuses properties that are not a JSON object of supported values") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  CHECK(
      contains(invalid_argument_of([&] { store.put(connection("a", Scope::system, "", "{oops")); }),
               "not valid JSON"));
  CHECK(contains(invalid_argument_of([&] { store.put(connection("a", Scope::system, "", "[1]")); }),
                 "not a JSON object"));
  CHECK(contains(invalid_argument_of(
                     [&] { store.put(connection("a", Scope::system, "", R"({"timeout": 1.5})")); }),
                 "properties.timeout"));
  CHECK_FALSE(fs::exists(dir / "data"));
}

TEST_CASE("awkward property values survive the store") {
  TempDir dir;
  ConnectionStore store(dir / "data");
  const std::string properties =
      R"({"smtp_password": "p@ss: #w0rd\n'\"", "user": "", "pop3_server": null,
          "smtp_username": "true", "note": "日本語", "port": 25, "x": "- [a]",
          "y": "18446744073709551616", "z": 18446744073709551615})";
  store.put(connection("mail", Scope::system, "", properties));
  CHECK(json::parse(store.get(Scope::system, "", "mail")->properties_json) ==
        json::parse(properties));
}

TEST_CASE("default_data_dir: FLOWHOST_DATA, then XDG_DATA_HOME, then ~/.local/share") {
  using store_test::ScopedEnv;
  {
    const ScopedEnv data("FLOWHOST_DATA", "/srv/flowhost");
    const ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    CHECK(ConnectionStore::default_data_dir() == "/srv/flowhost");
  }
  {
    const ScopedEnv data("FLOWHOST_DATA", std::nullopt);
    const ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    CHECK(ConnectionStore::default_data_dir() == "/xdg/flowhost");
  }
  {
    const ScopedEnv data("FLOWHOST_DATA", "");
    const ScopedEnv xdg("XDG_DATA_HOME", "relative");  // ignored, as the XDG spec says
    const ScopedEnv home("HOME", "/home/alice");
    CHECK(ConnectionStore::default_data_dir() == "/home/alice/.local/share/flowhost");
  }
  {
    const ScopedEnv data("FLOWHOST_DATA", std::nullopt);
    const ScopedEnv xdg("XDG_DATA_HOME", std::nullopt);
    const ScopedEnv home("HOME", std::nullopt);  // then the password database
    const fs::path found = ConnectionStore::default_data_dir();
    CHECK(found.is_absolute());
    CHECK(found.filename() == "flowhost");
  }
}

TEST_CASE("scope names") {
  CHECK(flowhost::scope_name(Scope::system) == "system");
  CHECK(flowhost::scope_name(Scope::user) == "user");
  CHECK(flowhost::parse_scope("system") == Scope::system);
  CHECK(flowhost::parse_scope("user") == Scope::user);
  CHECK_FALSE(flowhost::parse_scope("System"));
  CHECK_FALSE(flowhost::parse_scope(""));
}
