#include "schema.hpp"

#include <variant>

#include "properties.hpp"

namespace smtpplugin {
namespace {

namespace json = boost::json;

// Example property sets, each valid without any problem (a test checks it).
constexpr std::string_view examples_json = R"json([
  {"name": "Office (POP before SMTP)", "host": "mail.example.com", "starttls": "starttls",
   "port": 587, "authentication": "pop-before-smtp", "pop3_server": "pop.example.com",
   "pop3_ssl": "pops", "pop3_port": 995, "user": "alice", "password": "env:POP3_PASSWORD",
   "apop": false, "interval": 500},
  {"name": "Submission (SMTP AUTH)", "host": "smtp.example.com", "starttls": "starttls",
   "port": 587, "authentication": "smtp", "smtp_username": "alice@example.com",
   "smtp_password": "file:/run/secrets/smtp_password", "auth_type": "login", "timeout": 30},
  {"name": "Relay (implicit TLS, pinned)", "host": "relay.example.net", "ssl": "smtps",
   "port": 465, "authentication": "none", "dynamic": true,
   "pin_sha256": "sha256//KIwfuXWmX7QnG16P8aZDmhiZ/kM8z6DsUrlsRr2hXww="}
])json";

json::value to_json(const Value& value) {
  return std::visit(
      [](const auto& v) -> json::value {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          return json::string(v);
        } else {
          return v;
        }
      },
      value);
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::string:
      return "string";
    case Type::integer:
      return "integer";
    case Type::boolean:
      return "boolean";
  }
  return "string";
}

// {"authentication": "smtp"}: when an inspector shows the section.
json::object visible_when(std::string_view shown_for) {
  return {{property(Id::authentication).name, shown_for}};
}

json::object property_schema(const Property& p) {
  json::object o;
  o["title"] = p.title;
  o["description"] = p.description;
  o["type"] = type_name(p.type);
  if (p.default_value.index() != 0) o["default"] = to_json(p.default_value);
  if (!p.choices.empty()) {
    json::array one_of;
    for (const auto& c : p.choices) {
      one_of.push_back(json::object{
          {"const", to_json(c.value)}, {"title", c.title}, {"description", c.description}});
    }
    o["oneOf"] = std::move(one_of);
  }
  if (p.type == Type::integer) {
    o["minimum"] = p.minimum;
    o["maximum"] = p.maximum;
  }
  if (p.required == Required::always) o["minLength"] = 1;
  if (p.format == Format::pin_sha256) o["pattern"] = pin_sha256_pattern;
  if (p.secret == Secret::yes) o["writeOnly"] = true;
  if (!p.unit.empty()) o["x-unit"] = p.unit;
  const auto& s = section(p.section);
  o["x-section"] = s.id;
  if (!s.shown_for.empty()) o["x-visible-when"] = visible_when(s.shown_for);
  return o;
}

json::array sections_schema() {
  json::array out;
  for (const auto& s : sections()) {
    json::object o{{"id", s.id}, {"title", s.title}};
    if (!s.description.empty()) o["description"] = s.description;
    if (!s.shown_for.empty()) o["x-visible-when"] = visible_when(s.shown_for);
    out.push_back(std::move(o));
  }
  return out;
}

// One if/then per section shown for one authentication: its required properties, non-empty.
json::array conditions() {
  const auto& auth = property(Id::authentication);
  json::array all_of;
  for (const auto& s : sections()) {
    if (s.shown_for.empty()) continue;
    json::object when{{"properties", {{auth.name, {{"const", s.shown_for}}}}}};
    // An absent authentication takes the default, so only other values must be present.
    if (default_string(auth.id) != s.shown_for) when["required"] = json::array{auth.name};
    json::array required;
    json::object non_empty;
    for (const auto& p : properties()) {
      if (p.section != s.section || p.required != Required::in_section) continue;
      required.push_back(json::string(p.name));
      non_empty[p.name] = {{"minLength", 1}};
    }
    all_of.push_back(
        {{"if", std::move(when)},
         {"then", {{"required", std::move(required)}, {"properties", std::move(non_empty)}}}});
  }
  return all_of;
}

void pretty(std::string& out, const json::value& v, std::string& indent) {
  const auto open = [&](char c) {
    out += c;
    indent += "  ";
  };
  const auto close = [&](char c) {
    indent.resize(indent.size() - 2);
    out += '\n' + indent + c;
  };
  if (v.is_object() && !v.get_object().empty()) {
    open('{');
    const char* separator = "\n";
    for (const auto& [key, member] : v.get_object()) {
      out += separator + indent + json::serialize(json::string(key)) + ": ";
      pretty(out, member, indent);
      separator = ",\n";
    }
    close('}');
  } else if (v.is_array() && !v.get_array().empty()) {
    open('[');
    const char* separator = "\n";
    for (const auto& element : v.get_array()) {
      out += separator + indent;
      pretty(out, element, indent);
      separator = ",\n";
    }
    close(']');
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

json::object schema() {
  json::object properties_schema;
  json::array required;
  for (const auto& p : properties()) {
    properties_schema[p.name] = property_schema(p);
    if (p.required == Required::always) required.push_back(json::string(p.name));
  }
  return {
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"$id", "urn:flowplugin:connection.smtp:1"},
      {"$comment",
       "Generated from the property table in plugin/src/properties.cpp by generate_schema; do "
       "not edit. x-section, x-visible-when and x-unit are annotations for inspectors."},
      {"title", "SMTP"},
      {"description",
       "The properties of an SMTP connection: how to reach an SMTP server (host, TLS/SSL, port, "
       "authentication, time-out)."},
      {"type", "object"},
      {"x-sections", sections_schema()},
      {"properties", std::move(properties_schema)},
      {"required", std::move(required)},
      {"additionalProperties", false},
      {"allOf", conditions()},
      {"examples", json::parse(examples_json)},
  };
}

std::string schema_json() { return pretty_json(schema()); }

std::string pretty_json(const json::value& value) {
  std::string out;
  std::string indent;
  pretty(out, value, indent);
  out += '\n';
  return out;
}

}  // namespace smtpplugin
