#include "validation_rules.hpp"

#include <string>

#include "text.hpp"

namespace smtpplugin::detail {
namespace {

using smtp::TlsMode;

std::string name(Id id) { return label(property(id)); }

// "Use SMTP over SSL is No [smtp]": a setting and its current value, for messages.
std::string setting_is(const Checked& c, Id id) {
  const Value value = property(id).type == Type::boolean ? Value{c.settings.boolean(id)}
                                                         : Value{c.settings.string(id)};
  return name(id) + " is " + choice_label(id, value);
}

std::string set_to(Id id, Value value) { return name(id) + " to " + choice_label(id, value); }

void add(std::vector<Problem>& problems, Id id, Severity severity, std::string message) {
  problems.push_back({pointer(id), severity, std::move(message)});
}

// Which authentication applies; empty when its value is invalid (already reported).
std::string_view authentication(const Checked& c) {
  return c.usable({Id::authentication}) ? c.settings.string(Id::authentication) : "";
}

// Required properties of the section that applies; free text set in a section that does not.
void check_sections(const Checked& c, std::vector<Problem>& problems) {
  const auto auth = authentication(c);
  if (auth.empty()) return;
  for (const auto& p : properties()) {
    const auto shown_for = section(p.section).shown_for;
    if (shown_for.empty() || !c.usable({p.id})) continue;
    const bool empty = c.settings.string(p.id).empty();
    if (shown_for != auth) {
      if (p.type == Type::string && p.choices.empty() && !empty) {
        add(problems, p.id, Severity::note,
            label(p) + " is ignored: " + setting_is(c, Id::authentication) + ".");
      }
    } else if (p.required == Required::in_section && empty) {
      add(problems, p.id, Severity::error,
          label(p) + " is required when " + setting_is(c, Id::authentication) + ". " +
              std::string(p.description));
    } else if (p.secret == Secret::yes && empty) {
      add(problems, p.id, Severity::warning,
          label(p) + " is not set: the login will use an empty password.");
    }
  }
}

// A protocol's well-known ports against its TLS mode.
struct PortRule {
  Id port, ssl, starttls;
  std::string_view protocol;       // "SMTP", "POP"
  std::int64_t implicit_port;      // TLS from the first byte
  std::int64_t plain_ports[2];     // a plaintext greeting (then STARTTLS)
  std::string_view plain_text;     // "25 or 587"
  std::string_view starttls_port;  // "587"
  std::string_view implicit_value;
};

void check_port(const Checked& c, const PortRule& r, TlsMode mode, std::vector<Problem>& problems) {
  if (!c.usable({r.port, r.ssl, r.starttls})) return;
  const auto port = c.settings.integer(r.port);
  const std::string head = name(r.port) + " " + std::to_string(port);
  if (port == r.implicit_port && mode == TlsMode::none) {
    add(problems, r.port, Severity::warning,
        head + " is for " + std::string(r.protocol) + " over TLS/SSL from the first byte, but " +
            setting_is(c, r.ssl) + ": the server will wait for a TLS handshake. Set " +
            set_to(r.ssl, r.implicit_value) + ", or use port " + std::string(r.plain_text) + ".");
  } else if (port == r.implicit_port && mode == TlsMode::starttls) {
    add(problems, r.port, Severity::warning,
        head + " is for " + std::string(r.protocol) + " over TLS/SSL from the first byte, but " +
            setting_is(c, r.starttls) + ": the server sends no plaintext greeting. Set " +
            set_to(r.ssl, r.implicit_value) + " and " + set_to(r.starttls, values::no_starttls) +
            ", or use port " + std::string(r.starttls_port) + ".");
  } else if ((port == r.plain_ports[0] || port == r.plain_ports[1]) && mode == TlsMode::implicit) {
    add(problems, r.port, Severity::warning,
        head + " expects a plaintext greeting (and STARTTLS), but " + setting_is(c, r.ssl) +
            " and " + setting_is(c, r.starttls) + ": the TLS handshake will fail. Set " +
            set_to(r.starttls, values::starttls) + ", or use port " +
            std::to_string(r.implicit_port) + ".");
  }
}

// A password about to cross an unencrypted connection: an error, a warning when allowed.
void check_plaintext(const Checked& c, Id id, std::string_view what, std::string_view host,
                     const std::string& fix, std::vector<Problem>& problems) {
  if (host.empty() || is_loopback(host) || !c.usable({Id::allow_plaintext_auth})) return;
  const std::string head = setting_is(c, id) + ", which sends " + std::string(what) +
                           " in clear: the connection to " + quoted(host) + " is not encrypted";
  if (c.settings.boolean(Id::allow_plaintext_auth)) {
    add(problems, id, Severity::warning,
        head + " (" + setting_is(c, Id::allow_plaintext_auth) + ").");
  } else {
    add(problems, id, Severity::error,
        head + ". " + fix + ", or set " + set_to(Id::allow_plaintext_auth, true) + ".");
  }
}

void check_smtp_auth(const Checked& c, std::vector<Problem>& problems) {
  if (!c.usable({Id::auth_type, Id::ssl, Id::starttls, Id::host})) return;
  const auto mechanism = c.settings.string(Id::auth_type);
  if (mechanism == values::cram_md5) {
    add(problems, Id::auth_type, Severity::note,
        "CRAM-MD5 sends no password, but it is MD5-based (weak by today's standards) and the "
        "server must keep the password in a recoverable form; over TLS, " +
            choice_label(Id::auth_type, values::plain) + " is preferred.");
  } else if (c.settings.smtp_tls() == TlsMode::none) {
    check_plaintext(c, Id::auth_type, "the SMTP password", c.settings.string(Id::host),
                    "Set " + set_to(Id::starttls, values::starttls) + " or " +
                        set_to(Id::ssl, values::smtps) + ", choose " +
                        choice_label(Id::auth_type, values::cram_md5),
                    problems);
  }
}

void check_pop3_auth(const Checked& c, std::vector<Problem>& problems) {
  if (!c.usable({Id::apop, Id::pop3_ssl, Id::pop3_starttls, Id::pop3_server})) return;
  if (c.settings.boolean(Id::apop)) {
    add(problems, Id::apop, Severity::note,
        "APOP sends no password, but it is MD5-based (weak by today's standards) and the "
        "server must keep the password in a recoverable form; over TLS, USER/PASS is preferred "
        "(set " +
            set_to(Id::apop, false) + ").");
  } else if (c.settings.pop3_tls() == TlsMode::none) {
    check_plaintext(
        c, Id::apop, "the POP3 password with USER/PASS", c.settings.string(Id::pop3_server),
        "Set " + set_to(Id::pop3_ssl, values::pops) + " or " +
            set_to(Id::pop3_starttls, values::starttls) + ", set " + set_to(Id::apop, true),
        problems);
  }
}

}  // namespace

void check_rules(const Checked& c, std::vector<Problem>& problems) {
  check_sections(c, problems);
  const auto auth = authentication(c);
  const bool pop = auth == values::pop_before_smtp;

  check_port(
      c,
      {Id::port, Id::ssl, Id::starttls, "SMTP", 465, {25, 587}, "25 or 587", "587", values::smtps},
      c.settings.smtp_tls(), problems);
  if (pop) {
    check_port(c,
               {Id::pop3_port,
                Id::pop3_ssl,
                Id::pop3_starttls,
                "POP",
                995,
                {110, 110},
                "110",
                "110",
                values::pops},
               c.settings.pop3_tls(), problems);
    check_pop3_auth(c, problems);
  }
  if (auth == values::smtp) check_smtp_auth(c, problems);

  if (!c.usable({Id::ssl, Id::starttls, Id::pop3_ssl, Id::pop3_starttls})) return;
  const bool any_tls =
      c.settings.smtp_tls() != TlsMode::none || (pop && c.settings.pop3_tls() != TlsMode::none);
  for (const Id id : {Id::ca_file, Id::pin_sha256}) {
    if (!any_tls && c.usable({id}) && !c.settings.string(id).empty()) {
      add(problems, id, Severity::warning,
          name(id) + " is not used: no connection of this definition uses TLS/SSL.");
    }
  }
}

}  // namespace smtpplugin::detail
