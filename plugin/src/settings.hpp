#pragma once
// A property set read through the table: each value as stored, or the table's default when it
// is absent (or of the wrong type, which validation reports). Holds a reference to the object.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "properties.hpp"
#include "smtp/options.hpp"

namespace smtpplugin {

class Settings {
 public:
  explicit Settings(const boost::json::object& properties) : properties_(properties) {}

  bool present(Id id) const;
  std::string_view string(Id id) const;  // "" when absent without a default
  std::int64_t integer(Id id) const;
  bool boolean(Id id) const;

  smtp::TlsMode smtp_tls() const;
  smtp::TlsMode pop3_tls() const;

 private:
  const boost::json::value* find(Id id) const;
  const boost::json::object& properties_;
};

// A JSON value as a whole number (integral doubles too, as JSON Schema's "integer" allows).
std::optional<std::int64_t> as_integer(const boost::json::value& value);

// "/name", escaped as a JSON Pointer (RFC 6901).
std::string pointer(std::string_view name);
std::string pointer(Id id);

// localhost, 127.0.0.0/8, ::1 (and its IPv4-mapped form).
bool is_loopback(std::string_view host);

// A DNS name (ASCII, labels of letters, digits, '-' and '_') or an IPv4/IPv6 literal.
bool is_host_name_or_ip(std::string_view host);

// "env:NAME" or "file:PATH": resolved by the host at use time.
bool is_secret_reference(std::string_view value);

}  // namespace smtpplugin
