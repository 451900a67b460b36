// Secrets in stored connections: which properties are secret, masking for display, and
// resolving references at use time.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "host/store_test_support.hpp"
#include "store.hpp"

namespace json = boost::json;
using flowhost::mask_secrets;
using flowhost::resolve_secrets;
using store_test::ScopedEnv;
using store_test::TempDir;

namespace {

const std::set<std::string> secrets = {"password", "smtp_password"};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("secret_property_names: the schema's writeOnly properties") {
  CHECK(flowhost::secret_property_names(R"({"properties": {
      "host": {"type": "string"},
      "password": {"type": "string", "writeOnly": true},
      "token": {"writeOnly": false},
      "odd": {"writeOnly": "true"},
      "smtp_password": {"type": "string", "writeOnly": true}}})") == secrets);
  CHECK(flowhost::secret_property_names("{}").empty());
  CHECK(flowhost::secret_property_names(R"({"properties": []})").empty());
  CHECK_THROWS_AS(flowhost::secret_property_names("{oops"), std::invalid_argument);
}

TEST_CASE("secret_property_names: the SMTP plugin's schema marks both passwords") {
  const std::string schema = store_test::read_file(SMTP_SCHEMA_FILE);
  CHECK(flowhost::secret_property_names(schema) == secrets);
}

TEST_CASE("mask_secrets: literals masked, references shown, nothing else changed") {
  const std::string properties = R"({"host": "mail.example.com", "port": 587,
      "smtp_username": "alice", "smtp_password": "hunter2", "password": "env:POP_PASSWORD",
      "dynamic": true, "user": "password"})";
  const std::string masked = mask_secrets(properties, secrets);
  CHECK_FALSE(contains(masked, "hunter2"));
  const json::value want = json::parse(R"({"host": "mail.example.com", "port": 587,
      "smtp_username": "alice", "smtp_password": "********", "password": "env:POP_PASSWORD",
      "dynamic": true, "user": "password"})");
  CHECK(json::parse(masked) == want);
  // Same order too.
  CHECK(masked == json::serialize(want));
}

TEST_CASE("mask_secrets: every kind of secret value") {
  const auto masked = [](const std::string& value) {
    return json::parse(mask_secrets(R"({"smtp_password": )" + value + "}", secrets))
        .at("smtp_password");
  };
  CHECK(masked(R"("file:/run/secrets/smtp")") == json::value("file:/run/secrets/smtp"));
  CHECK(masked(R"("env:SMTP_PASSWORD")") == json::value("env:SMTP_PASSWORD"));
  CHECK(masked(R"("env:")") == json::value("********"));  // names nothing: not a reference
  CHECK(masked(R"("file:")") == json::value("********"));
  CHECK(masked(R"("ENV:X")") == json::value("********"));
  CHECK(masked(R"("vault:x")") == json::value("********"));
  CHECK(masked("123456") == json::value("********"));  // a password YAML typed as a number
  CHECK(masked("true") == json::value("********"));
  CHECK(masked(R"(["a"])") == json::value("********"));
  CHECK(masked("null").is_null());  // nothing set: nothing to hide
  CHECK(masked(R"("")") == json::value(""));
  CHECK(mask_secrets("{}", secrets) == "{}");
  CHECK(mask_secrets(R"({"smtp_password": "x"})", {}) == R"({"smtp_password":"x"})");
  CHECK_THROWS_AS(mask_secrets("[]", secrets), std::invalid_argument);
  CHECK_THROWS_AS(mask_secrets("{oops", secrets), std::invalid_argument);
}

TEST_CASE("is_secret_reference") {
  CHECK(flowhost::is_secret_reference("env:X"));
  CHECK(flowhost::is_secret_reference("file:/x"));
  CHECK(flowhost::is_secret_reference("file:relative"));
  CHECK_FALSE(flowhost::is_secret_reference("env:"));
  CHECK_FALSE(flowhost::is_secret_reference("file:"));
  CHECK_FALSE(flowhost::is_secret_reference("hunter2"));
  CHECK_FALSE(flowhost::is_secret_reference(" env:X"));
}

TEST_CASE("resolve_secrets: env: and file: references of secret properties") {
  TempDir dir;
  store_test::write_file(dir / "pop", "pop-secret\n");
  const ScopedEnv env("FLOWHOST_TEST_SMTP_PASSWORD", "smtp-secret");
  const std::string resolved = resolve_secrets(
      R"({"host": "env:NOT_A_SECRET", "smtp_password": "env:FLOWHOST_TEST_SMTP_PASSWORD",
          "password": "file:)" +
          (dir / "pop").string() + R"(", "port": 25})",
      secrets);
  CHECK(json::parse(resolved) == json::parse(R"({"host": "env:NOT_A_SECRET",
      "smtp_password": "smtp-secret", "password": "pop-secret", "port": 25})"));

  // Literals, empty values and non-strings are kept.
  CHECK(json::parse(resolve_secrets(R"({"smtp_password": "hunter2", "password": "", "x": null})",
                                    secrets)) ==
        json::parse(R"({"smtp_password": "hunter2", "password": "", "x": null})"));
}

TEST_CASE("resolve_secrets: an unresolvable reference names the property, never a secret") {
  const ScopedEnv unset("FLOWHOST_TEST_UNSET", std::nullopt);
  try {
    resolve_secrets(R"({"password": "hunter2",
                        "smtp_password": "env:FLOWHOST_TEST_UNSET"})",
                    secrets);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(contains(message, "\"smtp_password\""));
    CHECK(contains(message, "FLOWHOST_TEST_UNSET"));
    CHECK_FALSE(contains(message, "hunter2"));
  }
  CHECK_THROWS_AS(resolve_secrets(R"({"password": "file:/nonexistent/flowhost/secret"})", secrets),
                  std::runtime_error);
}

TEST_CASE("resolve_secrets: a custom resolver") {
  const flowplugin::SecretResolver vault = [](std::string_view reference, std::string& value,
                                              std::string& error) {
    if (!reference.starts_with("vault:")) return FP_UNSUPPORTED;
    if (reference == "vault:missing") {
      error = "no such vault entry";
      return FP_FAILED;
    }
    value = "from-vault";
    return FP_OK;
  };
  CHECK(json::parse(resolve_secrets(R"({"smtp_password": "vault:smtp", "password": "literal"})",
                                    secrets, vault)) ==
        json::parse(R"({"smtp_password": "from-vault", "password": "literal"})"));
  try {
    resolve_secrets(R"({"password": "vault:missing"})", secrets, vault);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "property \"password\": no such vault entry");
  }
}
