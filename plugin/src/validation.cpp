#include "validation.hpp"

#include <algorithm>

#include "properties.hpp"
#include "settings.hpp"
#include "smtp/net/tls.hpp"  // parse_pin: the engine's own reading of a pin
#include "text.hpp"
#include "validation_rules.hpp"

namespace smtpplugin {
namespace {

std::string_view kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "true or false";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::string:
      return "a string";
    case Type::integer:
      return "a whole number";
    case Type::boolean:
      return "true or false";
  }
  return "";
}

class PropertyChecker {
 public:
  explicit PropertyChecker(std::vector<Problem>& problems) : problems_(problems) {}

  // Returns false when the value is unusable (a problem was reported).
  bool check(const Property& p, const boost::json::value& v) {
    const bool typed = (p.type == Type::string && v.is_string()) ||
                       (p.type == Type::integer && as_integer(v)) ||
                       (p.type == Type::boolean && v.is_bool());
    if (!typed) {
      return error(p, label(p) + " must be " + std::string(type_name(p.type)) + ", not " +
                          std::string(kind_name(v)) + ".");
    }
    if (p.type == Type::integer) return check_range(p, *as_integer(v));
    if (p.type == Type::string) return check_string(p, v.get_string());
    return true;
  }

 private:
  bool error(const Property& p, std::string message) {
    problems_.push_back({pointer(p.id), Severity::error, std::move(message)});
    return false;
  }

  bool check_range(const Property& p, std::int64_t n) {
    if (n >= p.minimum && n <= p.maximum) return true;
    const std::string unit = p.unit.empty() ? "" : " " + std::string(p.unit);
    return error(p, label(p) + " must be between " + std::to_string(p.minimum) + " and " +
                        std::to_string(p.maximum) + unit + ".");
  }

  bool check_string(const Property& p, std::string_view s) {
    if (!p.choices.empty()) return check_choice(p, s);
    if (p.required == Required::always && s.empty()) {
      return error(p, label(p) + " must not be empty. " + std::string(p.description));
    }
    if (s.empty()) return true;  // an empty optional value means "not set"
    switch (p.format) {
      case Format::host:
        if (is_host_name_or_ip(s)) return true;
        return error(p, label(p) + " " + quoted(s) +
                            " is not a host name or an IP address (write IPv6 without brackets, "
                            "and international names in their xn-- form).");
      case Format::secret:
        return check_secret(p, s);
      case Format::pin_sha256:
        if (smtp::net::parse_pin(s)) return true;
        return error(p, label(p) +
                            " must be sha256// followed by the 44-character base64 of a SHA-256 "
                            "digest, those 44 characters alone, or 64 hex digits.");
      case Format::text:
      case Format::path:
        if (!has_line_break_or_nul(s)) return true;
        return error(p, label(p) + " must not contain line breaks or NUL characters.");
    }
    return true;
  }

  bool check_secret(const Property& p, std::string_view s) {
    if (has_line_break_or_nul(s)) {
      return error(p, label(p) + " must not contain line breaks or NUL characters.");
    }
    if (s == "env:") return error(p, label(p) + ": \"env:\" names no environment variable.");
    if (s == "file:") return error(p, label(p) + ": \"file:\" names no file.");
    return true;
  }

  bool check_choice(const Property& p, std::string_view s) {
    std::string known;
    std::string_view near;
    for (const auto& c : p.choices) {
      const auto value = std::get<std::string_view>(c.value);
      if (value == s) return true;
      if (iequals_ascii(value, s)) near = value;
      known += (known.empty() ? "" : ", ") + choice_label(p.id, c.value);
    }
    std::string message = label(p) + ": " + quoted(s) + " is not one of " + known + ".";
    if (!near.empty()) message += " Values are case-sensitive: did you mean " + quoted(near) + "?";
    return error(p, std::move(message));
  }

  std::vector<Problem>& problems_;
};

void check_unknown(const boost::json::object& properties, std::vector<Problem>& problems) {
  for (const auto& entry : properties) {
    const std::string_view key = entry.key();
    if (find_property(key) != nullptr) continue;
    std::string message =
        "Unknown property " + quoted(key) + ": the SMTP connection has no such setting.";
    for (const auto& p : smtpplugin::properties()) {
      if (iequals_ascii(p.name, key)) message += " Did you mean " + quoted(p.name) + "?";
    }
    problems.push_back({pointer(key), Severity::error, std::move(message)});
  }
}

}  // namespace

std::vector<Problem> validate(const boost::json::object& properties) {
  std::vector<Problem> problems;
  check_unknown(properties, problems);
  detail::Checked checked{Settings(properties), {}};
  PropertyChecker checker(problems);
  for (const auto& p : smtpplugin::properties()) {
    const auto* value = properties.if_contains(p.name);
    if (value == nullptr) {
      if (p.required == Required::always) {
        problems.push_back({pointer(p.id), Severity::error,
                            label(p) + " is required. " + std::string(p.description)});
      }
      continue;
    }
    if (!checker.check(p, *value)) checked.invalid.set(static_cast<std::size_t>(p.id));
  }
  detail::check_rules(checked, problems);
  return problems;
}

std::vector<Problem> validate(std::string_view properties_json) {
  boost::system::error_code ec;
  const auto document = boost::json::parse(properties_json, ec);
  if (ec) {
    return {{"", Severity::error, "The properties are not valid JSON: " + ec.message() + "."}};
  }
  if (!document.is_object()) {
    return {
        {"", Severity::error,
         "The properties must be a JSON object, not " + std::string(kind_name(document)) + "."}};
  }
  return validate(document.get_object());
}

bool has_errors(const std::vector<Problem>& problems) {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == Severity::error; });
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

std::string problems_to_json(const std::vector<Problem>& problems) {
  boost::json::array out;
  for (const auto& p : problems) {
    out.push_back(boost::json::object{
        {"path", p.path}, {"severity", to_string(p.severity)}, {"message", p.message}});
  }
  return boost::json::serialize(out);
}

}  // namespace smtpplugin
