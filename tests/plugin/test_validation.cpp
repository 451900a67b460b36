// Validation of a property set: every rule's path, severity and message; no I/O.

#include <doctest/doctest.h>

#include "plugin_support.hpp"
#include "validation.hpp"

using namespace plugintest;
using smtpplugin::Problem;
using smtpplugin::Severity;
using smtpplugin::validate;

TEST_CASE("validation: the base property sets of each authentication are clean") {
  check_clean(validate(props(none_base)));
  check_clean(validate(props(smtp_base)));
  check_clean(validate(props(pop_base)));
}

TEST_CASE("validation: the host is required, non-empty, and a host name or IP address") {
  check_problem(validate(without(none_base, "host")), "/host", Severity::error, "Host is required");
  check_problem(validate(with(none_base, {{"host", ""}})), "/host", Severity::error,
                "Host must not be empty");
  check_problem(validate(with(none_base, {{"host", "mail example.com"}})), "/host", Severity::error,
                "is not a host name or an IP address");
  check_problem(validate(with(none_base, {{"host", "[::1]"}})), "/host", Severity::error,
                "without brackets");
  check_problem(validate(with(none_base, {{"host", "-bad.example"}})), "/host", Severity::error,
                "not a host name");
  for (const char* host : {"mail.example.com", "mail.example.com.", "192.0.2.1", "2001:db8::1",
                           "localhost", "smtp_relay.internal"}) {
    INFO(host);
    check_clean(validate(with(none_base, {{"host", host}})));
  }
}

TEST_CASE("validation: ports, timeout and interval are range-checked") {
  for (const std::int64_t port : {0, -1, 65536}) {
    check_problem(validate(with(none_base, {{"port", port}})), "/port", Severity::error,
                  "Port must be between 1 and 65535");
    check_problem(validate(with(pop_base, {{"pop3_port", port}})), "/pop3_port", Severity::error,
                  "POP3 Port must be between 1 and 65535");
  }
  check_clean(validate(with(none_base, {{"port", 2525}})));
  check_problem(validate(with(none_base, {{"timeout", 0}})), "/timeout", Severity::error,
                "Timeout must be between 1 and 86400 s");
  check_clean(validate(with(none_base, {{"timeout", 1}})));
  check_problem(validate(with(pop_base, {{"interval", -1}})), "/interval", Severity::error,
                "Interval Time must be between 0 and 3600000 ms");
  check_clean(validate(with(pop_base, {{"interval", 0}})));
  check_problem(validate(with(none_base, {{"port", 18446744073709551615ull}})), "/port",
                Severity::error, "between 1 and 65535");
}

TEST_CASE("validation: wrong types are errors that name the setting and the expected type") {
  check_problem(validate(with(none_base, {{"port", "25"}})), "/port", Severity::error,
                "Port must be a whole number, not a string");
  check_problem(validate(with(none_base, {{"port", 25.5}})), "/port", Severity::error,
                "Port must be a whole number, not a number");
  check_clean(validate(with(none_base, {{"port", 25.0}})));  // JSON Schema's integer too
  check_problem(validate(with(none_base, {{"dynamic", "true"}})), "/dynamic", Severity::error,
                "Dynamic must be true or false, not a string");
  check_problem(validate(with(none_base, {{"host", 5}})), "/host", Severity::error,
                "Host must be a string, not a number");
  check_problem(validate(with(none_base, {{"ssl", nullptr}})), "/ssl", Severity::error,
                "Use SMTP over SSL must be a string, not null");
  check_problem(validate(with(pop_base, {{"apop", boost::json::array{}}})), "/apop",
                Severity::error, "Use APOP must be true or false, not a list");
  const auto problems = validate(with(pop_base, {{"password", 987654321}}));
  check_problem(problems, "/password", Severity::error, "Password must be a string");
  CHECK(problems.front().message.find("987654321") == std::string::npos);
}

TEST_CASE("validation: unknown properties are errors, with a hint for a wrong case") {
  check_problem(validate(with(none_base, {{"hots", "x"}})), "/hots", Severity::error,
                "Unknown property \"hots\"");
  check_problem(validate(with(none_base, {{"Port", 25}})), "/Port", Severity::error,
                "Did you mean \"port\"?");
  check_problem(validate(with(none_base, {{"a/b~c", 1}})), "/a~1b~0c", Severity::error,
                "Unknown property \"a/b~c\"");
}

TEST_CASE("validation: unknown values of a closed set list the known ones by their labels") {
  check_problem(validate(with(none_base, {{"ssl", "tls"}})), "/ssl", Severity::error,
                "Use SMTP over SSL: \"tls\" is not one of No [smtp], Yes [smtps].");
  check_problem(validate(with(none_base, {{"authentication", "SMTP"}})), "/authentication",
                Severity::error, "case-sensitive: did you mean \"smtp\"?");
  check_problem(validate(with(pop_base, {{"pop3_starttls", "yes"}})), "/pop3_starttls",
                Severity::error, "Use STARTTLS (POP before SMTP): \"yes\" is not one of");
  check_problem(validate(with(smtp_base, {{"auth_type", "xoauth2"}})), "/auth_type",
                Severity::error, "Plain [plain], CRAM-MD5 [cram-md5], LOGIN [login]");
}

TEST_CASE("validation: POP before SMTP needs a POP3 server and a user, even by default") {
  const auto problems = validate(props(R"({"host": "mail.example.com"})"));
  check_problem(problems, "/pop3_server", Severity::error,
                "POP3 Server is required when Authentication is POP before SMTP "
                "[pop-before-smtp]");
  check_problem(problems, "/user", Severity::error, "User is required when Authentication");
  check_problem(validate(with(pop_base, {{"pop3_server", ""}})), "/pop3_server", Severity::error,
                "POP3 Server is required");
  check_problem(validate(without(pop_base, "password")), "/password", Severity::warning,
                "Password is not set");
}

TEST_CASE("validation: SMTP Authentication needs an SMTP username") {
  check_problem(validate(without(smtp_base, "smtp_username")), "/smtp_username", Severity::error,
                "SMTP Username is required when Authentication is SMTP Authentication [smtp]");
  check_problem(validate(without(smtp_base, "smtp_password")), "/smtp_password", Severity::warning,
                "SMTP Password is not set");
  check_no_problem_at(validate(without(smtp_base, "smtp_username")), "/pop3_server");
}

TEST_CASE("validation: settings of the section that does not apply are noted as ignored") {
  check_problem(validate(with(smtp_base, {{"pop3_server", "pop.example.com"}})), "/pop3_server",
                Severity::note, "POP3 Server is ignored: Authentication is SMTP Authentication");
  check_problem(validate(with(none_base, {{"smtp_username", "bob"}})), "/smtp_username",
                Severity::note, "is ignored: Authentication is None [none]");
  check_clean(validate(with(none_base, {{"auth_type", "login"}})));  // a choice left as is
}

TEST_CASE("validation: SMTP TLS and port mismatches are warnings") {
  check_problem(validate(with(none_base, {{"port", 465}})), "/port", Severity::warning,
                "Port 465 is for SMTP over TLS/SSL from the first byte, but Use SMTP over SSL is "
                "No [smtp]");
  check_problem(validate(with(smtp_base, {{"port", 465}})), "/port", Severity::warning,
                "but Use STARTTLS is Yes [starttls]");
  check_problem(validate(with(none_base, {{"ssl", "smtps"}, {"port", 587}})), "/port",
                Severity::warning, "Port 587 expects a plaintext greeting (and STARTTLS)");
  check_problem(validate(with(none_base, {{"ssl", "smtps"}})), "/port", Severity::warning,
                "Port 25 expects a plaintext greeting");
  check_clean(validate(with(none_base, {{"ssl", "smtps"}, {"port", 465}})));
  check_clean(validate(with(none_base, {{"ssl", "smtps"}, {"starttls", "starttls"}})));
}

TEST_CASE("validation: POP3 TLS and port mismatches are warnings, under POP before SMTP only") {
  check_problem(validate(with(pop_base, {{"pop3_ssl", "pop3"}, {"apop", true}})), "/pop3_port",
                Severity::warning, "POP3 Port 995 is for POP over TLS/SSL from the first byte");
  check_problem(validate(with(pop_base, {{"pop3_ssl", "pop3"}, {"pop3_starttls", "starttls"}})),
                "/pop3_port", Severity::warning, "Use STARTTLS (POP before SMTP) is Yes");
  check_problem(validate(with(pop_base, {{"pop3_port", 110}})), "/pop3_port", Severity::warning,
                "POP3 Port 110 expects a plaintext greeting");
  check_clean(validate(with(smtp_base, {{"pop3_port", 110}, {"pop3_ssl", "pops"}})));
}

TEST_CASE("validation: PLAIN and LOGIN without TLS off loopback are errors") {
  const auto plain = with(smtp_base, {{"port", 25}, {"starttls", "default"}});
  const auto problems = validate(plain);
  check_problem(problems, "/auth_type", Severity::error,
                "Authentication Type is Plain [plain], which sends the SMTP password in clear");
  CHECK(problems.front().message.find("s3cret") == std::string::npos);
  auto login = plain;
  login["auth_type"] = "login";
  check_problem(validate(login), "/auth_type", Severity::error, "LOGIN [login], which sends");
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "LOCALHOST"}) {
    INFO(host);
    auto local = plain;
    local["host"] = host;
    check_clean(validate(local));
  }
  auto allowed = plain;
  allowed["allow_plaintext_auth"] = true;
  check_problem(validate(allowed), "/auth_type", Severity::warning,
                "(Allow Passwords in Clear is true)");
  auto implicit = plain;
  implicit["ssl"] = "smtps";
  implicit["port"] = 465;
  check_clean(validate(implicit));
}

TEST_CASE("validation: POP3 USER/PASS without TLS off loopback is an error") {
  const auto clear = with(pop_base, {{"pop3_ssl", "pop3"}, {"pop3_port", 110}});
  check_problem(validate(clear), "/apop", Severity::error,
                "Use APOP is false, which sends the POP3 password with USER/PASS in clear");
  auto stls = clear;
  stls["pop3_starttls"] = "starttls";
  check_clean(validate(stls));
  auto local = clear;
  local["pop3_server"] = "127.0.0.1";
  check_clean(validate(local));
  auto smtp_local = clear;  // what matters is where the POP3 password goes
  smtp_local["host"] = "localhost";
  check_problem(validate(smtp_local), "/apop", Severity::error, "in clear");
  auto allowed = clear;
  allowed["allow_plaintext_auth"] = true;
  check_problem(validate(allowed), "/apop", Severity::warning, "in clear");
}

TEST_CASE("validation: APOP and CRAM-MD5 are noted as MD5-based") {
  check_problem(validate(with(pop_base, {{"apop", true}})), "/apop", Severity::note,
                "APOP sends no password, but it is MD5-based");
  check_problem(validate(with(smtp_base, {{"auth_type", "cram-md5"}})), "/auth_type",
                Severity::note, "CRAM-MD5 sends no password, but it is MD5-based");
  // CRAM-MD5 without TLS sends no password: a note, not the plaintext error.
  check_problem(validate(with(smtp_base, {{"auth_type", "cram-md5"}, {"starttls", "default"}})),
                "/auth_type", Severity::note, "MD5-based");
}

TEST_CASE("validation: a pin must be a SHA-256 in base64 or hex") {
  const char* hex = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef";
  const char* b64 = "KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXww=";
  const auto tls = with(none_base, {{"ssl", "smtps"}, {"port", 465}});
  for (const std::string& pin : {std::string(hex), std::string(b64), "sha256//" + std::string(b64),
                                 "sha256//" + std::string(hex)}) {
    INFO(pin);
    auto o = tls;
    o["pin_sha256"] = pin;
    check_clean(validate(o));
  }
  for (const char* pin : {"abc", "KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXw=",
                          "KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXwx=", "sha256:abc",
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"}) {
    INFO(pin);
    auto o = tls;
    o["pin_sha256"] = pin;
    check_problem(validate(o), "/pin_sha256", Severity::error,
                  "Public Key Pin (SHA-256) must be sha256// followed by");
  }
}

TEST_CASE("validation: a pin or CA file without any TLS is unused") {
  check_problem(validate(with(none_base, {{"pin_sha256", std::string(64, 'a')}})), "/pin_sha256",
                Severity::warning, "is not used");
  check_problem(validate(with(none_base, {{"ca_file", "/etc/ssl/extra.pem"}})), "/ca_file",
                Severity::warning, "CA File is not used");
  // POP3S counts: the CA file applies to the POP3 server too.
  check_clean(validate(with(pop_base, {{"ca_file", "/etc/ssl/extra.pem"}})));
  check_clean(validate(with(smtp_base, {{"ca_file", "/etc/ssl/extra.pem"}})));
}

TEST_CASE("validation: secrets and user names with line breaks, and empty references") {
  auto problems = validate(with(smtp_base, {{"smtp_password", "pass\r\nQUIT"}}));
  check_problem(problems, "/smtp_password", Severity::error,
                "SMTP Password must not contain line breaks");
  CHECK(problems.front().message.find("QUIT") == std::string::npos);
  check_problem(validate(with(smtp_base, {{"smtp_username", std::string("al\0ce", 5)}})),
                "/smtp_username", Severity::error, "must not contain line breaks or NUL");
  check_problem(validate(with(pop_base, {{"password", "env:"}})), "/password", Severity::error,
                "names no environment variable");
  check_problem(validate(with(pop_base, {{"password", "file:"}})), "/password", Severity::error,
                "names no file");
  check_clean(validate(with(pop_base, {{"password", "env:POP_PASSWORD"}})));
}

TEST_CASE("validation: text that is not a JSON object is one problem for the whole set") {
  auto problems = validate(std::string_view("{\"host\": "));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path.empty());
  CHECK(problems[0].severity == Severity::error);
  CHECK(problems[0].message.find("not valid JSON") != std::string::npos);
  problems = validate(std::string_view("[1, 2]"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "The properties must be a JSON object, not a list.");
  check_clean(validate(std::string_view(smtp_base)));
}

TEST_CASE("validation: problems as the C ABI's JSON array") {
  const std::vector<Problem> problems{{"/port", Severity::warning, "Port \"465\" ..."},
                                      {"", Severity::note, "n"}};
  CHECK(smtpplugin::problems_to_json(problems) ==
        R"([{"path":"/port","severity":"warning","message":"Port \"465\" ..."},)"
        R"({"path":"","severity":"note","message":"n"}])");
  CHECK(smtpplugin::problems_to_json({}) == "[]");
  CHECK(smtpplugin::has_errors(validate(without(none_base, "host"))));
  CHECK_FALSE(smtpplugin::has_errors(problems));
}

TEST_CASE("validation: values echoed in messages are escaped and cut") {
  const auto problems = validate(with(none_base, {{"ssl", std::string(100, 'x') + "\n"}}));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message.find('\n') == std::string::npos);
  CHECK(problems[0].message.find(std::string(41, 'x')) == std::string::npos);
}
