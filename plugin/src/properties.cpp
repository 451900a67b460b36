#include "properties.hpp"

#include <array>
#include <stdexcept>

namespace smtpplugin {
namespace {

using namespace std::string_view_literals;
using std::int64_t;

constexpr int64_t max_port = 65535;
constexpr int64_t max_timeout_seconds =
    int64_t{24} * 60 * 60;  // beyond the spec: a day bounds any wait
constexpr int64_t max_interval_ms = int64_t{60} * 60 * 1000;  // beyond the spec: an hour

constexpr std::array ssl_choices{
    Choice{values::smtp, "No", "Connect without TLS/SSL (default)."},
    Choice{values::smtps, "Yes", "Connect to the server using TLS/SSL."},
};
constexpr std::array starttls_choices{
    Choice{values::no_starttls, "No", "Don't use the STARTTLS command (default)."},
    Choice{values::starttls, "Yes", "Use the STARTTLS command."},
};
constexpr std::array authentication_choices{
    Choice{values::pop_before_smtp, "POP before SMTP",
           "Perform POP-before-SMTP authentication (default)."},
    Choice{values::smtp, "SMTP Authentication", "Perform SMTP authentication."},
    Choice{values::none, "None", "Don't perform authentication."},
};
constexpr std::array dynamic_choices{
    Choice{false, "false", "Disable dynamic connections (default)."},
    Choice{true, "true", "Enable dynamic connections."},
};
constexpr std::array pop3_ssl_choices{
    Choice{values::pop3, "No", "Connect without TLS/SSL (default)."},
    Choice{values::pops, "Yes", "Connect to the server using TLS/SSL."},
};
constexpr std::array apop_choices{
    Choice{true, "true", "Use APOP (default)."},
    Choice{false, "false", "Don't use APOP."},
};
constexpr std::array auth_type_choices{
    Choice{values::plain, "Plain", "Use plaintext authentication (default)."},
    Choice{values::cram_md5, "CRAM-MD5", "Use CRAM-MD5 authentication."},
    Choice{values::login, "LOGIN",
           "Use LOGIN authentication (not on the vendor's page: some servers, such as Microsoft "
           "365, accept only LOGIN)."},
};
constexpr std::array plaintext_choices{
    Choice{false, "false", "Never send a password over an unencrypted connection (default)."},
    Choice{true, "true", "Allow sending a password over an unencrypted connection."},
};

constexpr std::string_view port_text =
    "Enter the port number of the SMTP server. The default is 25. If you connect with SMTP over "
    "TLS/SSL, you need to specify a dedicated port number, usually 465. Specify the port number "
    "you are actually using.";
constexpr std::string_view pop3_port_text =
    "Enter the port number of the POP3 server. The default is 110. If you connect with POP over "
    "TLS/SSL, you need to specify a dedicated port number, usually 995. Specify the port number "
    "you are actually using.";
constexpr std::string_view starttls_text =
    "Select whether to use the STARTTLS command when connecting over TLS/SSL.";

// clang-format off
constexpr std::array table{
  // --- Basic Settings ---------------------------------------------------------------------------
  Property{.id = Id::name, .name = "name", .title = "Connection Name",
           .description = "Enter a unique name.",
           .type = Type::string, .section = Section::basic},
  Property{.id = Id::host, .name = "host", .title = "Host",
           .description = "Enter the host name or IP address of the SMTP server.",
           .type = Type::string, .section = Section::basic,
           .required = Required::always, .format = Format::host},
  Property{.id = Id::ssl, .name = "ssl", .title = "Use SMTP over SSL",
           .description = "Select whether to use SMTP over TLS/SSL to encrypt communications.",
           .type = Type::string, .section = Section::basic,
           .default_value = values::smtp, .choices = ssl_choices},
  Property{.id = Id::starttls, .name = "starttls", .title = "Use STARTTLS",
           .description = starttls_text,
           .type = Type::string, .section = Section::basic,
           .default_value = values::no_starttls, .choices = starttls_choices},
  Property{.id = Id::port, .name = "port", .title = "Port",
           .description = port_text,
           .type = Type::integer, .section = Section::basic,
           .default_value = int64_t{25}, .minimum = 1, .maximum = max_port},
  Property{.id = Id::authentication, .name = "authentication", .title = "Authentication",
           .description = "To configure SMTP authentication, select the authentication type and "
                          "configure the additional options detailed in the corresponding "
                          "sections below.",
           .type = Type::string, .section = Section::basic,
           .default_value = values::pop_before_smtp, .choices = authentication_choices},
  Property{.id = Id::timeout, .name = "timeout", .title = "Timeout",
           .description = "Enter the time-out period in seconds in the case that the server does "
                          "not respond. The default is 60 seconds.",
           .type = Type::integer, .section = Section::basic,
           .default_value = int64_t{60}, .minimum = 1, .maximum = max_timeout_seconds,
           .unit = "s"},
  Property{.id = Id::dynamic, .name = "dynamic", .title = "Dynamic",
           .description = "Enable this option to use the DynamicConnection component to change "
                          "the connection definition while the flow is running.",
           .type = Type::boolean, .section = Section::basic,
           .default_value = false, .choices = dynamic_choices},
  // --- Options for POP-before-SMTP Authentication -----------------------------------------------
  Property{.id = Id::pop3_server, .name = "pop3_server", .title = "POP3 Server",
           .description = "Enter the host name or IP address of the POP3 server.",
           .type = Type::string, .section = Section::pop_before_smtp,
           .required = Required::in_section, .format = Format::host},
  Property{.id = Id::pop3_ssl, .name = "pop3_ssl", .title = "Use POP over SSL",
           .description = "Select whether to use POP with TLS/SSL encryption.",
           .type = Type::string, .section = Section::pop_before_smtp,
           .default_value = values::pop3, .choices = pop3_ssl_choices},
  Property{.id = Id::pop3_starttls, .name = "pop3_starttls", .title = "Use STARTTLS",
           .description = starttls_text,
           .type = Type::string, .section = Section::pop_before_smtp,
           .default_value = values::no_starttls, .choices = starttls_choices},
  Property{.id = Id::pop3_port, .name = "pop3_port", .title = "POP3 Port",
           .description = pop3_port_text,
           .type = Type::integer, .section = Section::pop_before_smtp,
           .default_value = int64_t{110}, .minimum = 1, .maximum = max_port},
  Property{.id = Id::user, .name = "user", .title = "User",
           .description = "Enter the username to authenticate with.",
           .type = Type::string, .section = Section::pop_before_smtp,
           .required = Required::in_section},
  Property{.id = Id::password, .name = "password", .title = "Password",
           .description = "Enter the password of the user.",
           .type = Type::string, .section = Section::pop_before_smtp,
           .format = Format::secret, .secret = Secret::yes},
  Property{.id = Id::apop, .name = "apop", .title = "Use APOP",
           .description = "Select whether to use APOP or not for the POP3 server authentication.",
           .type = Type::boolean, .section = Section::pop_before_smtp,
           .default_value = true, .choices = apop_choices},
  Property{.id = Id::interval, .name = "interval", .title = "Interval Time",
           .description = "Enter the milliseconds from the beginning of authentication on the "
                          "POP3 server until the SMTP server is available. The default is 5.",
           .type = Type::integer, .section = Section::pop_before_smtp,
           .default_value = int64_t{5}, .minimum = 0, .maximum = max_interval_ms, .unit = "ms"},
  // --- Options for SMTP Authentication ----------------------------------------------------------
  Property{.id = Id::smtp_username, .name = "smtp_username", .title = "SMTP Username",
           .description = "Enter the username to authenticate with.",
           .type = Type::string, .section = Section::smtp_auth,
           .required = Required::in_section},
  Property{.id = Id::smtp_password, .name = "smtp_password", .title = "SMTP Password",
           .description = "Enter the password of the SMTP user.",
           .type = Type::string, .section = Section::smtp_auth,
           .format = Format::secret, .secret = Secret::yes},
  Property{.id = Id::auth_type, .name = "auth_type", .title = "Authentication Type",
           .description = "Select the method to use to authenticate users to the SMTP server.",
           .type = Type::string, .section = Section::smtp_auth,
           .default_value = values::plain, .choices = auth_type_choices},
  // --- Security (beyond the spec) ---------------------------------------------------------------
  Property{.id = Id::ca_file, .name = "ca_file", .title = "CA File",
           .description = "A PEM file of extra CA certificates to trust, besides the system's "
                          "trust store, for the SMTP server and the POP3 server. Certificates "
                          "are always verified.",
           .type = Type::string, .section = Section::security, .format = Format::path},
  Property{.id = Id::pin_sha256, .name = "pin_sha256", .title = "Public Key Pin (SHA-256)",
           .description = "The SHA-256 digest of the server's public key, checked in addition "
                          "to the certificate: sha256// followed by 44 characters of base64, the "
                          "44 characters alone, or 64 hex digits. Applies to the SMTP server "
                          "and the POP3 server.",
           .type = Type::string, .section = Section::security, .format = Format::pin_sha256},
  Property{.id = Id::allow_plaintext_auth, .name = "allow_plaintext_auth",
           .title = "Allow Passwords in Clear",
           .description = "Whether PLAIN, LOGIN and POP3 USER/PASS may send a password over a "
                          "connection that is neither encrypted nor to a loopback address.",
           .type = Type::boolean, .section = Section::security,
           .default_value = false, .choices = plaintext_choices},
};
// clang-format on

constexpr std::array section_table{
    SectionInfo{.section = Section::basic,
                .id = "basic",
                .title = "Basic Settings",
                .short_title = "Basic Settings"},
    SectionInfo{.section = Section::pop_before_smtp,
                .id = "pop-before-smtp",
                .title = "Options for POP-before-SMTP Authentication",
                .short_title = "POP before SMTP",
                .description = "Select the POP-before-SMTP option in the Authentication menu to "
                               "enable the following options.",
                .shown_for = values::pop_before_smtp},
    SectionInfo{.section = Section::smtp_auth,
                .id = "smtp-auth",
                .title = "Options for SMTP Authentication",
                .short_title = "SMTP Authentication",
                .description = "Select the SMTP Authentication option in the Authentication menu "
                               "to enable the following options.",
                .shown_for = values::smtp},
    SectionInfo{.section = Section::security,
                .id = "security",
                .title = "Security",
                .short_title = "Security",
                .description = "Certificate trust and the plaintext-credential policy (not on "
                               "the vendor's page)."},
};

constexpr bool ids_match_positions() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (static_cast<std::size_t>(table[i].id) != i) return false;
  }
  for (std::size_t i = 0; i < section_table.size(); ++i) {
    if (static_cast<std::size_t>(section_table[i].section) != i) return false;
  }
  return true;
}
static_assert(ids_match_positions(), "the table's rows are in Id order");

constexpr bool defaults_are_valid() {
  for (const auto& p : table) {
    if (p.secret == Secret::yes && p.default_value.index() != 0) return false;
    if (p.type == Type::integer) {
      const auto* v = std::get_if<int64_t>(&p.default_value);
      if (v == nullptr || *v < p.minimum || *v > p.maximum) return false;
    }
    if (p.choices.empty()) continue;
    bool found = false;
    for (const auto& c : p.choices) found = found || c.value == p.default_value;
    if (!found) return false;
  }
  return true;
}
static_assert(defaults_are_valid(), "every default is one of its property's values");

}  // namespace

std::span<const Property> properties() { return table; }
std::span<const SectionInfo> sections() { return section_table; }

const Property& property(Id id) { return table[static_cast<std::size_t>(id)]; }

const Property* find_property(std::string_view name) {
  for (const auto& p : table) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const SectionInfo& section(Section s) { return section_table[static_cast<std::size_t>(s)]; }

std::string label(const Property& p) {
  for (const auto& other : table) {
    if (other.id != p.id && other.title == p.title && p.section != Section::basic) {
      return std::string(p.title) + " (" + std::string(section(p.section).short_title) + ")";
    }
  }
  return std::string(p.title);
}

std::string choice_label(Id id, const Value& value) {
  for (const auto& c : property(id).choices) {
    if (c.value != value) continue;
    std::string text(c.title);
    if (const auto* s = std::get_if<std::string_view>(&value)) {
      text += " [" + std::string(*s) + "]";
    }
    return text;
  }
  throw std::logic_error("choice_label: not a value of the property");
}

std::optional<std::string_view> default_string(Id id) {
  const auto* v = std::get_if<std::string_view>(&property(id).default_value);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::int64_t> default_integer(Id id) {
  const auto* v = std::get_if<int64_t>(&property(id).default_value);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<bool> default_boolean(Id id) {
  const auto* v = std::get_if<bool>(&property(id).default_value);
  return v ? std::optional(*v) : std::nullopt;
}

}  // namespace smtpplugin
