#pragma once
// The JSON Schema (2020-12) of the SMTP connection's properties, generated from the property
// table: what schemas/smtp.schema.json holds and the factory's schema_json returns.

#include <boost/json.hpp>
#include <string>

namespace smtpplugin {

boost::json::object schema();

// The schema as committed (two-space indented, ending with a newline).
std::string schema_json();

// The pin_sha256 pattern the schema states; validation reads pins with the engine's parse_pin.
inline constexpr const char* pin_sha256_pattern =
    "^(sha256//)?([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=|[0-9A-Fa-f]{64})$";

// `value` as indented JSON text (object members in insertion order).
std::string pretty_json(const boost::json::value& value);

}  // namespace smtpplugin
