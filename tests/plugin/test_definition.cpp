// Property sets turned into the core's SessionOptions: defaults, every TLS and authentication
// combination, and secret references resolved without a secret in any problem.

#include <doctest/doctest.h>

#include <map>

#include "definition.hpp"
#include "plugin_support.hpp"

using namespace plugintest;
using namespace std::chrono_literals;
using smtp::TlsMode;
using smtpplugin::Definition;
using smtpplugin::make_definition;
using smtpplugin::Problem;
using smtpplugin::SecretResolver;
using smtpplugin::Severity;

namespace {

// A resolver over a fixed map of references; counts its calls.
struct FakeSecrets {
  std::map<std::string, std::string, std::less<>> secrets;
  int calls = 0;

  SecretResolver resolver() {
    return [this](std::string_view reference, std::string& error) -> std::optional<std::string> {
      ++calls;
      const auto it = secrets.find(reference);
      if (it == secrets.end()) {
        error = "not set in the environment";
        return std::nullopt;
      }
      return it->second;
    };
  }
};

Definition definition(const boost::json::object& properties, const SecretResolver& resolve = {}) {
  std::vector<Problem> problems;
  auto d = make_definition(properties, resolve, problems);
  INFO("problems: ", describe(problems));
  REQUIRE(d.has_value());
  return std::move(*d);
}

}  // namespace

TEST_CASE("definition: absent properties take the table's defaults") {
  const auto d = definition(props(none_base));
  CHECK(d.name.empty());
  CHECK_FALSE(d.dynamic);
  CHECK(d.session.host == "mail.example.com");
  CHECK(d.session.port == 25);
  CHECK(d.session.tls == TlsMode::none);
  CHECK(d.session.timeout == 60s);
  CHECK(d.session.ca_file.empty());
  CHECK(d.session.pin_sha256.empty());
  CHECK(d.session.plaintext_auth == smtp::PlaintextAuth::refuse);
  CHECK_FALSE(d.session.credentials.has_value());
  CHECK_FALSE(d.session.pop_before_smtp.has_value());
}

TEST_CASE("definition: POP before SMTP is the default authentication, with its defaults") {
  const auto d = definition(props(
      R"({"name": "office", "host": "mail.example.com", "pop3_server": "pop.example.com",
          "user": "alice", "password": "pw", "dynamic": true})"));
  CHECK(d.name == "office");
  CHECK(d.dynamic);
  CHECK_FALSE(d.session.credentials.has_value());
  REQUIRE(d.session.pop_before_smtp.has_value());
  const auto& pop = *d.session.pop_before_smtp;
  CHECK(pop.interval == 5ms);
  CHECK(pop.pop3.host == "pop.example.com");
  CHECK(pop.pop3.port == 110);
  CHECK(pop.pop3.tls == TlsMode::none);
  CHECK(pop.pop3.timeout == 60s);
  CHECK(pop.pop3.username == "alice");
  CHECK(pop.pop3.password == "pw");
  CHECK(pop.pop3.apop == smtp::Apop::yes);
  CHECK(pop.pop3.plaintext_auth == smtp::PlaintextAuth::refuse);
}

TEST_CASE("definition: Use SMTP over SSL and Use STARTTLS map to the TLS mode") {
  struct Case {
    const char* ssl;
    const char* starttls;
    int port;
    TlsMode expected;
  };
  for (const auto& c : {Case{"smtp", "default", 25, TlsMode::none},
                        Case{"smtps", "default", 465, TlsMode::implicit},
                        Case{"smtp", "starttls", 587, TlsMode::starttls},
                        Case{"smtps", "starttls", 587, TlsMode::starttls}}) {
    INFO(c.ssl, " + ", c.starttls);
    const auto d =
        definition(with(none_base, {{"ssl", c.ssl}, {"starttls", c.starttls}, {"port", c.port}}));
    CHECK(d.session.tls == c.expected);
    CHECK(d.session.port == c.port);
  }
}

TEST_CASE("definition: Use POP over SSL and its Use STARTTLS map to the POP3 TLS mode") {
  struct Case {
    const char* ssl;
    const char* starttls;
    int port;
    TlsMode expected;
  };
  for (const auto& c : {Case{"pop3", "default", 110, TlsMode::none},
                        Case{"pops", "default", 995, TlsMode::implicit},
                        Case{"pop3", "starttls", 110, TlsMode::starttls},
                        Case{"pops", "starttls", 110, TlsMode::starttls}}) {
    INFO(c.ssl, " + ", c.starttls);
    const auto d = definition(with(pop_base, {{"pop3_ssl", c.ssl},
                                              {"pop3_starttls", c.starttls},
                                              {"pop3_port", c.port},
                                              {"apop", true}}));
    REQUIRE(d.session.pop_before_smtp.has_value());
    CHECK(d.session.pop_before_smtp->pop3.tls == c.expected);
    CHECK(d.session.pop_before_smtp->pop3.port == c.port);
    CHECK(d.session.tls == TlsMode::none);  // the SMTP side is separate
  }
}

TEST_CASE("definition: SMTP Authentication becomes credentials with the SASL mechanism") {
  struct Case {
    const char* auth_type;
    smtp::sasl::Mechanism mechanism;
  };
  for (const auto& c :
       {Case{"plain", smtp::sasl::Mechanism::plain}, Case{"login", smtp::sasl::Mechanism::login},
        Case{"cram-md5", smtp::sasl::Mechanism::cram_md5}}) {
    INFO(c.auth_type);
    const auto d = definition(with(smtp_base, {{"auth_type", c.auth_type}}));
    REQUIRE(d.session.credentials.has_value());
    CHECK(d.session.credentials->mechanism == c.mechanism);
    CHECK(d.session.credentials->username == "alice");
    CHECK(d.session.credentials->password == "s3cret-smtp");
    CHECK_FALSE(d.session.pop_before_smtp.has_value());
  }
  CHECK(definition(without(smtp_base, "auth_type")).session.credentials->mechanism ==
        smtp::sasl::Mechanism::plain);
}

TEST_CASE("definition: POP before SMTP takes timeout, CA file, pin and policy from the set") {
  const auto pin = std::string(64, 'a');
  const auto d = definition(with(pop_base, {{"timeout", 7},
                                            {"interval", 250},
                                            {"ca_file", "/etc/ssl/extra.pem"},
                                            {"pin_sha256", pin},
                                            {"allow_plaintext_auth", true}}));
  CHECK(d.session.timeout == 7s);
  CHECK(d.session.ca_file == "/etc/ssl/extra.pem");
  CHECK(d.session.pin_sha256 == pin);
  CHECK(d.session.plaintext_auth == smtp::PlaintextAuth::allow);
  REQUIRE(d.session.pop_before_smtp.has_value());
  const auto& pop = *d.session.pop_before_smtp;
  CHECK(pop.interval == 250ms);
  CHECK(pop.pop3.timeout == 7s);
  CHECK(pop.pop3.ca_file == "/etc/ssl/extra.pem");
  CHECK(pop.pop3.pin_sha256 == pin);
  CHECK(pop.pop3.apop == smtp::Apop::no);
  CHECK(pop.pop3.plaintext_auth == smtp::PlaintextAuth::allow);
  CHECK(pop.pop3.password == "s3cret-pop");
}

TEST_CASE("definition: secret references are resolved through the host") {
  FakeSecrets host{{{"env:SMTP_PW", "from-env"}, {"file:/run/pop", "from-file"}}};
  auto d = definition(with(smtp_base, {{"smtp_password", "env:SMTP_PW"}}), host.resolver());
  CHECK(d.session.credentials->password == "from-env");
  d = definition(with(pop_base, {{"password", "file:/run/pop"}}), host.resolver());
  CHECK(d.session.pop_before_smtp->pop3.password == "from-file");
  CHECK(host.calls == 2);
  d = definition(props(smtp_base), host.resolver());  // a literal is used as is
  CHECK(d.session.credentials->password == "s3cret-smtp");
  CHECK(host.calls == 2);
}

TEST_CASE("definition: a reference that cannot be resolved is an error naming the property") {
  FakeSecrets host{{{"env:NEWLINE", "top-secret\n"}}};
  std::vector<Problem> problems;
  CHECK_FALSE(make_definition(with(smtp_base, {{"smtp_password", "env:MISSING"}}), host.resolver(),
                              problems));
  check_problem(problems, "/smtp_password", Severity::error,
                "SMTP Password: the secret reference \"env:MISSING\" could not be resolved: not "
                "set in the environment");

  problems.clear();
  CHECK_FALSE(
      make_definition(with(pop_base, {{"password", "env:NEWLINE"}}), host.resolver(), problems));
  check_problem(problems, "/password", Severity::error, "contains a line break or NUL");
  CHECK(describe(problems).find("top-secret") == std::string::npos);

  problems.clear();
  CHECK_FALSE(make_definition(with(pop_base, {{"password", "env:X"}}), {}, problems));
  check_problem(problems, "/password", Severity::error, "the host resolves no secrets");
}

TEST_CASE("definition: an invalid set gives no definition and resolves nothing") {
  FakeSecrets host{{{"env:SMTP_PW", "from-env"}}};
  std::vector<Problem> problems;
  const auto invalid = with(smtp_base, {{"smtp_password", "env:SMTP_PW"}, {"port", 0}});
  CHECK_FALSE(make_definition(invalid, host.resolver(), problems));
  check_problem(problems, "/port", Severity::error, "Port must be between");
  CHECK(host.calls == 0);
}

TEST_CASE("definition: warnings and notes are passed on with the definition") {
  std::vector<Problem> problems;
  const auto d =
      make_definition(with(smtp_base, {{"auth_type", "cram-md5"}}), SecretResolver{}, problems);
  CHECK(d.has_value());
  check_problem(problems, "/auth_type", Severity::note, "MD5-based");
}

TEST_CASE("definition: from JSON text, parse errors are reported like validate()") {
  std::vector<Problem> problems;
  CHECK(make_definition(std::string_view(none_base), SecretResolver{}, problems));
  CHECK(problems.empty());
  CHECK_FALSE(make_definition(std::string_view("not json"), SecretResolver{}, problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].path.empty());
}
