#include "definition.hpp"

#include <chrono>

#include "properties.hpp"
#include "settings.hpp"
#include "text.hpp"

namespace smtpplugin {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

smtp::sasl::Mechanism mechanism(std::string_view auth_type) {
  if (auth_type == values::cram_md5) return smtp::sasl::Mechanism::cram_md5;
  if (auth_type == values::login) return smtp::sasl::Mechanism::login;
  return smtp::sasl::Mechanism::plain;
}

// A password as stored, or the secret its reference names. Never puts the secret in a problem.
class Secrets {
 public:
  Secrets(const Settings& settings, const SecretResolver& resolve, std::vector<Problem>& problems)
      : settings_(settings), resolve_(resolve), problems_(problems) {}

  std::string get(Id id) {
    const auto value = settings_.string(id);
    if (!is_secret_reference(value)) return std::string(value);
    const std::string prefix = label(property(id)) + ": the secret reference " + quoted(value);
    if (!resolve_) return fail(id, prefix + " cannot be resolved: the host resolves no secrets.");
    std::string error;
    auto secret = resolve_(value, error);
    if (!secret) {
      return fail(id,
                  prefix + " could not be resolved" + (error.empty() ? "" : ": " + error) + ".");
    }
    if (has_line_break_or_nul(*secret)) {
      return fail(id, prefix +
                          " names a secret that contains a line break or NUL character "
                          "(a file that ends with a newline?).");
    }
    return std::move(*secret);
  }

  bool failed() const { return failed_; }

 private:
  std::string fail(Id id, std::string message) {
    problems_.push_back({pointer(id), Severity::error, std::move(message)});
    failed_ = true;
    return {};
  }

  const Settings& settings_;
  const SecretResolver& resolve_;
  std::vector<Problem>& problems_;
  bool failed_ = false;
};

smtp::PlaintextAuth plaintext_auth(const Settings& s) {
  return s.boolean(Id::allow_plaintext_auth) ? smtp::PlaintextAuth::allow
                                             : smtp::PlaintextAuth::refuse;
}

smtp::PopBeforeSmtp pop_before_smtp(const Settings& s, Secrets& secrets) {
  smtp::PopBeforeSmtp pop;
  auto& o = pop.pop3;
  o.host = s.string(Id::pop3_server);
  o.port = static_cast<std::uint16_t>(s.integer(Id::pop3_port));
  o.tls = s.pop3_tls();
  o.ca_file = s.string(Id::ca_file);
  o.pin_sha256 = s.string(Id::pin_sha256);
  o.timeout = seconds(s.integer(Id::timeout));
  o.username = s.string(Id::user);
  o.password = secrets.get(Id::password);
  o.apop = s.boolean(Id::apop) ? smtp::Apop::yes : smtp::Apop::no;
  o.plaintext_auth = plaintext_auth(s);
  pop.interval = milliseconds(s.integer(Id::interval));
  return pop;
}

}  // namespace

std::optional<Definition> make_definition(const boost::json::object& properties,
                                          const SecretResolver& resolve,
                                          std::vector<Problem>& problems) {
  const auto found = validate(properties);
  problems.insert(problems.end(), found.begin(), found.end());
  if (has_errors(found)) return std::nullopt;

  const Settings s(properties);
  Secrets secrets(s, resolve, problems);
  Definition d;
  d.name = s.string(Id::name);
  d.dynamic = s.boolean(Id::dynamic);
  auto& o = d.session;
  o.host = s.string(Id::host);
  o.port = static_cast<std::uint16_t>(s.integer(Id::port));
  o.tls = s.smtp_tls();
  o.ca_file = s.string(Id::ca_file);
  o.pin_sha256 = s.string(Id::pin_sha256);
  o.timeout = seconds(s.integer(Id::timeout));
  o.plaintext_auth = plaintext_auth(s);
  const auto auth = s.string(Id::authentication);
  if (auth == values::smtp) {
    o.credentials =
        smtp::Credentials{mechanism(s.string(Id::auth_type)),
                          std::string(s.string(Id::smtp_username)), secrets.get(Id::smtp_password)};
  } else if (auth == values::pop_before_smtp) {
    o.pop_before_smtp = pop_before_smtp(s, secrets);
  }
  if (secrets.failed()) return std::nullopt;
  return d;
}

std::optional<Definition> make_definition(std::string_view properties_json,
                                          const SecretResolver& resolve,
                                          std::vector<Problem>& problems) {
  boost::system::error_code ec;
  const auto document = boost::json::parse(properties_json, ec);
  if (ec || !document.is_object()) {
    auto found = validate(properties_json);  // the same problem validate() reports
    problems.insert(problems.end(), found.begin(), found.end());
    return std::nullopt;
  }
  return make_definition(document.get_object(), resolve, problems);
}

}  // namespace smtpplugin
