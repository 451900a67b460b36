#pragma once
// The one property table of the SMTP connection. The JSON Schema (schema.cpp), the validation
// (validation.cpp), the mapping to the core's options (definition.cpp) and the C property list
// (generate_schema) are all read off this table; nothing else spells a default.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace smtpplugin {

// One identifier per property, in table (and inspector) order.
enum class Id {
  name,
  host,
  ssl,
  starttls,
  port,
  authentication,
  timeout,
  dynamic,
  pop3_server,
  pop3_ssl,
  pop3_starttls,
  pop3_port,
  user,
  password,
  apop,
  interval,
  smtp_username,
  smtp_password,
  auth_type,
  ca_file,
  pin_sha256,
  allow_plaintext_auth,
};

inline constexpr std::size_t property_count =
    static_cast<std::size_t>(Id::allow_plaintext_auth) + 1;

enum class Type { string, integer, boolean };

// The inspector's sections; all but `basic` and `security` are shown for one authentication.
enum class Section { basic, pop_before_smtp, smtp_auth, security };

enum class Secret { no, yes };  // a password: writeOnly, no default, never echoed

enum class Required {
  no,
  always,      // the property must be present and non-empty
  in_section,  // ... whenever its section applies
};

// What validation checks beyond type, choices and range.
enum class Format {
  text,        // free text (no CR, LF or NUL in names and credentials)
  host,        // a DNS name or an IP literal
  secret,      // a password, or a reference to one: env:NAME, file:PATH
  pin_sha256,  // sha256//BASE64, BASE64 (44 characters) or 64 hex digits
  path,        // a file name
};

// The stored values of the closed sets, for code that acts on them (the table uses them too).
namespace values {
inline constexpr std::string_view smtp = "smtp";  // ssl: no TLS; authentication: SMTP AUTH
inline constexpr std::string_view smtps = "smtps";
inline constexpr std::string_view pop3 = "pop3";
inline constexpr std::string_view pops = "pops";
inline constexpr std::string_view no_starttls = "default";
inline constexpr std::string_view starttls = "starttls";
inline constexpr std::string_view pop_before_smtp = "pop-before-smtp";
inline constexpr std::string_view none = "none";
inline constexpr std::string_view plain = "plain";
inline constexpr std::string_view cram_md5 = "cram-md5";
inline constexpr std::string_view login = "login";
}  // namespace values

using Value = std::variant<std::monostate, std::string_view, std::int64_t, bool>;

// One value of a closed set: the stored value, the spec's label and its description.
struct Choice {
  Value value;
  std::string_view title;
  std::string_view description;
};

struct SectionInfo {
  Section section;
  std::string_view id;           // "x-section" in the schema
  std::string_view title;        // the spec's heading
  std::string_view short_title;  // qualifies a label in messages: "Use STARTTLS (POP before SMTP)"
  std::string_view description = {};
  std::string_view shown_for = {};  // the `authentication` value that shows it; empty: always
};

struct Property {
  Id id;
  std::string_view name;         // the stored name (hosts, connections and flows use it)
  std::string_view title;        // the spec's property name
  std::string_view description;  // the spec's text
  Type type;
  Section section;
  Value default_value = {};  // monostate: none
  std::span<const Choice> choices = {};
  std::int64_t minimum = 0;  // integers only
  std::int64_t maximum = 0;
  Required required = Required::no;
  Format format = Format::text;
  Secret secret = Secret::no;
  std::string_view unit = {};  // "s", "ms"
};

std::span<const Property> properties();
std::span<const SectionInfo> sections();

const Property& property(Id id);
const Property* find_property(std::string_view name);
const SectionInfo& section(Section section);

// The property's label in messages: its title, qualified by its section when another property
// has the same title ("Use STARTTLS (POP before SMTP)").
std::string label(const Property& property);

// "Yes [smtps]": a choice's label with its stored value, for messages.
std::string choice_label(Id id, const Value& value);

// The default of a property, typed; std::nullopt when the table has none of that type.
std::optional<std::string_view> default_string(Id id);
std::optional<std::int64_t> default_integer(Id id);
std::optional<bool> default_boolean(Id id);

}  // namespace smtpplugin
