// The property table itself, and the generated C property list (compiled as C and as C++).

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "properties.hpp"
#include "smtp_properties.h"

extern "C" {
int smtp_properties_c_count(void);
const char* smtp_properties_c_name(int index);
int smtp_properties_c_is_secret(int index);
int smtp_properties_c_defaults_ok(void);
}

using smtpplugin::Id;

TEST_CASE("properties: the issue's names, in inspector order, each once") {
  const std::vector<std::string> expected{"name",          "host",
                                          "ssl",           "starttls",
                                          "port",          "authentication",
                                          "timeout",       "dynamic",
                                          "pop3_server",   "pop3_ssl",
                                          "pop3_starttls", "pop3_port",
                                          "user",          "password",
                                          "apop",          "interval",
                                          "smtp_username", "smtp_password",
                                          "auth_type",     "ca_file",
                                          "pin_sha256",    "allow_plaintext_auth"};
  std::vector<std::string> names;
  for (const auto& p : smtpplugin::properties()) names.emplace_back(p.name);
  CHECK(names == expected);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  CHECK(smtpplugin::properties().size() == smtpplugin::property_count);
  for (const auto& p : smtpplugin::properties()) {
    CHECK(&smtpplugin::property(p.id) == &p);
    CHECK(smtpplugin::find_property(p.name) == &p);
  }
  CHECK(smtpplugin::find_property("Host") == nullptr);
}

TEST_CASE("properties: typed defaults come from the table") {
  CHECK(smtpplugin::default_integer(Id::port) == 25);
  CHECK(smtpplugin::default_integer(Id::pop3_port) == 110);
  CHECK(smtpplugin::default_integer(Id::timeout) == 60);
  CHECK(smtpplugin::default_integer(Id::interval) == 5);
  CHECK(smtpplugin::default_string(Id::authentication) == "pop-before-smtp");
  CHECK(smtpplugin::default_boolean(Id::apop) == true);
  CHECK(smtpplugin::default_boolean(Id::dynamic) == false);
  CHECK_FALSE(smtpplugin::default_string(Id::host).has_value());
  CHECK_FALSE(smtpplugin::default_string(Id::password).has_value());
  CHECK_FALSE(smtpplugin::default_integer(Id::host).has_value());
}

TEST_CASE("properties: labels for messages are unambiguous") {
  CHECK(smtpplugin::label(smtpplugin::property(Id::starttls)) == "Use STARTTLS");
  CHECK(smtpplugin::label(smtpplugin::property(Id::pop3_starttls)) ==
        "Use STARTTLS (POP before SMTP)");
  std::set<std::string> labels;
  for (const auto& p : smtpplugin::properties()) labels.insert(smtpplugin::label(p));
  CHECK(labels.size() == smtpplugin::properties().size());
  CHECK(smtpplugin::choice_label(Id::ssl, std::string_view("smtps")) == "Yes [smtps]");
  CHECK(smtpplugin::choice_label(Id::apop, true) == "true");
  CHECK_THROWS(smtpplugin::choice_label(Id::ssl, std::string_view("tls")));
}

TEST_CASE("properties: the C property list matches the table") {
  REQUIRE(smtp_properties_c_count() == static_cast<int>(smtpplugin::properties().size()));
  CHECK(SMTP_PROPERTY_COUNT == smtpplugin::properties().size());
  for (const auto& p : smtpplugin::properties()) {
    const int i = static_cast<int>(p.id);
    CHECK(smtp_properties_c_name(i) == p.name);
    CHECK((smtp_properties_c_is_secret(i) == 1) == (p.secret == smtpplugin::Secret::yes));
  }
  CHECK(smtp_properties_c_defaults_ok() == 1);
  CHECK(std::string_view(SMTP_PROP_POP3_STARTTLS) == "pop3_starttls");
  CHECK(std::string_view(SMTP_VALUE_AUTH_TYPE_CRAM_MD5) == "cram-md5");
  CHECK(SMTP_DEFAULT_TIMEOUT == smtpplugin::default_integer(Id::timeout));
}
