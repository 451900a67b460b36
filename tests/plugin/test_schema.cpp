// The generated JSON Schema: every table property with its spec label, default, values and
// section; secrets write-only; the committed file is the generated one; examples are clean.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "definition.hpp"
#include "plugin_support.hpp"
#include "properties.hpp"
#include "schema.hpp"

using namespace plugintest;
namespace json = boost::json;

namespace {

json::value to_json(const smtpplugin::Value& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) return json::string(*s);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return nullptr;
}

const json::object& property_schema(const json::object& schema, std::string_view name) {
  return schema.at("properties").as_object().at(name).as_object();
}

}  // namespace

TEST_CASE("schema: the committed schemas/smtp.schema.json is the generated one") {
  std::ifstream in(SMTP_SCHEMA_FILE, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(text.str() == smtpplugin::schema_json());
  CHECK(json::parse(text.str()) == json::value(smtpplugin::schema()));
}

TEST_CASE("schema: a closed 2020-12 object schema that requires the host") {
  const auto schema = smtpplugin::schema();
  CHECK(schema.at("$schema") == "https://json-schema.org/draft/2020-12/schema");
  CHECK(schema.at("type") == "object");
  CHECK(schema.at("title") == "SMTP");
  CHECK(schema.at("additionalProperties") == false);
  CHECK(schema.at("required") == json::array{"host"});
}

TEST_CASE("schema: every table property, in table order, with the spec's label and text") {
  const auto schema = smtpplugin::schema();
  const auto& properties = schema.at("properties").as_object();
  REQUIRE(properties.size() == smtpplugin::properties().size());
  auto it = properties.begin();
  for (const auto& p : smtpplugin::properties()) {
    INFO(p.name);
    CHECK(it->key() == p.name);
    const auto& s = it->value().as_object();
    CHECK(s.at("title").as_string() == p.title);
    CHECK(s.at("description").as_string() == p.description);
    CHECK(s.at("x-section").as_string() == smtpplugin::section(p.section).id);
    if (p.default_value.index() == 0) {
      CHECK_FALSE(s.contains("default"));
    } else {
      CHECK(s.at("default") == to_json(p.default_value));
    }
    if (p.type == smtpplugin::Type::integer) {
      CHECK(s.at("type") == "integer");
      CHECK(s.at("minimum") == p.minimum);
      CHECK(s.at("maximum") == p.maximum);
    }
    if (!p.choices.empty()) {
      const auto& one_of = s.at("oneOf").as_array();
      REQUIRE(one_of.size() == p.choices.size());
      for (std::size_t i = 0; i < one_of.size(); ++i) {
        CHECK(one_of[i].at("const") == to_json(p.choices[i].value));
        CHECK(one_of[i].at("title").as_string() == p.choices[i].title);
        CHECK(one_of[i].at("description").as_string() == p.choices[i].description);
      }
    }
    ++it;
  }
}

TEST_CASE("schema: the spec's defaults and value tags") {
  const auto schema = smtpplugin::schema();
  const auto def = [&](std::string_view name) {
    return property_schema(schema, name).at("default");
  };
  CHECK(def("ssl") == "smtp");
  CHECK(def("starttls") == "default");
  CHECK(def("port") == 25);
  CHECK(def("authentication") == "pop-before-smtp");
  CHECK(def("timeout") == 60);
  CHECK(def("dynamic") == false);
  CHECK(def("pop3_ssl") == "pop3");
  CHECK(def("pop3_starttls") == "default");
  CHECK(def("pop3_port") == 110);
  CHECK(def("apop") == true);
  CHECK(def("interval") == 5);
  CHECK(def("auth_type") == "plain");
  CHECK(def("allow_plaintext_auth") == false);
  const auto& ssl = property_schema(schema, "ssl").at("oneOf").as_array();
  CHECK(ssl[0] == json::parse(R"({"const": "smtp", "title": "No",
                                  "description": "Connect without TLS/SSL (default)."})"));
  CHECK(property_schema(schema, "interval").at("title") == "Interval Time");
  CHECK(property_schema(schema, "timeout").at("x-unit") == "s");
  CHECK(property_schema(schema, "interval").at("x-unit") == "ms");
}

TEST_CASE("schema: passwords are write-only and have no default") {
  const auto schema = smtpplugin::schema();
  for (const auto* name : {"password", "smtp_password"}) {
    INFO(name);
    const auto& s = property_schema(schema, name);
    CHECK(s.at("writeOnly") == true);
    CHECK_FALSE(s.contains("default"));
  }
  int write_only = 0;
  for (const auto& [name, s] : schema.at("properties").as_object()) {
    write_only += s.as_object().contains("writeOnly") ? 1 : 0;
  }
  CHECK(write_only == 2);
}

TEST_CASE("schema: each authentication's section is annotated and required by if/then") {
  const auto schema = smtpplugin::schema();
  const json::object pop_when{{"authentication", "pop-before-smtp"}};
  const json::object smtp_when{{"authentication", "smtp"}};
  for (const auto* name : {"pop3_server", "pop3_ssl", "pop3_starttls", "pop3_port", "user",
                           "password", "apop", "interval"}) {
    INFO(name);
    CHECK(property_schema(schema, name).at("x-section") == "pop-before-smtp");
    CHECK(property_schema(schema, name).at("x-visible-when") == pop_when);
  }
  for (const auto* name : {"smtp_username", "smtp_password", "auth_type"}) {
    INFO(name);
    CHECK(property_schema(schema, name).at("x-section") == "smtp-auth");
    CHECK(property_schema(schema, name).at("x-visible-when") == smtp_when);
  }
  for (const auto* name : {"host", "ca_file", "allow_plaintext_auth"}) {
    CHECK_FALSE(property_schema(schema, name).contains("x-visible-when"));
  }
  const auto& sections = schema.at("x-sections").as_array();
  REQUIRE(sections.size() == 4);
  CHECK(sections[1].at("title") == "Options for POP-before-SMTP Authentication");
  CHECK(sections[2].at("x-visible-when") == smtp_when);

  const auto& all_of = schema.at("allOf").as_array();
  REQUIRE(all_of.size() == 2);
  // POP before SMTP is the default: it applies when authentication is absent too.
  CHECK(all_of[0] == json::parse(R"({
      "if": {"properties": {"authentication": {"const": "pop-before-smtp"}}},
      "then": {"required": ["pop3_server", "user"],
               "properties": {"pop3_server": {"minLength": 1}, "user": {"minLength": 1}}}})"));
  CHECK(all_of[1] == json::parse(R"({
      "if": {"properties": {"authentication": {"const": "smtp"}}, "required": ["authentication"]},
      "then": {"required": ["smtp_username"],
               "properties": {"smtp_username": {"minLength": 1}}}})"));
}

TEST_CASE("schema: every example validates without a problem and makes a definition") {
  const auto schema = smtpplugin::schema();
  const auto& examples = schema.at("examples").as_array();
  CHECK(examples.size() >= 3);
  const smtpplugin::SecretResolver resolve = [](std::string_view, std::string&) {
    return std::optional<std::string>("resolved");
  };
  for (const auto& example : examples) {
    INFO(json::serialize(example));
    check_clean(smtpplugin::validate(example.as_object()));
    std::vector<smtpplugin::Problem> problems;
    CHECK(smtpplugin::make_definition(example.as_object(), resolve, problems).has_value());
  }
}
