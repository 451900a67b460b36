// YAML <-> JSON for property sets, and `key=value` pairs from the command line.
//
// Properties cross the plugin ABI as JSON; the host stores and reads them as YAML. The typing
// rules are the same everywhere (YAML files, flows, `key=value` pairs):
//
//   plain (unquoted) scalar                     JSON
//   -?(0|[1-9][0-9]*) that fits 64 bits         integer            port: 25, port=25
//   true True TRUE false False FALSE            boolean            dynamic: true
//   ~ null Null NULL, or nothing at all         null               (YAML: `key:`)
//   anything else                               string             host: mail.example.com
//
//   A quoted scalar ("25", '25'), a block scalar (|, >) or one tagged !!str is always a string.
//   A leading zero keeps a number a string (0123 stays "0123": nothing is lost), and so do
//   fractions and exponents (1.5), YAML 1.1's yes/no/on/off, and numbers beyond 64 bits. The
//   core tags !!int, !!bool, !!null and !!str are honoured; any other tag is an error.
//
// Mappings become objects (keys are text; a duplicate key is an error) and sequences arrays.
// Errors are std::invalid_argument naming the key path ("properties.port: ..."); malformed YAML
// text names the source and the line.
#ifndef FLOWHOST_YAML_JSON_HPP
#define FLOWHOST_YAML_JSON_HPP

#include <yaml-cpp/yaml.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace flowhost {

// A plain (unquoted) scalar's JSON value, by the rules above.
boost::json::value typed_scalar(std::string_view plain);

// The one document of a YAML text (a null node if it is empty). YAML::Exception when it is
// malformed, std::invalid_argument when it holds more than one document (yaml-cpp's Load
// would silently ignore the rest).
YAML::Node load_one_document(const std::string& yaml_text);

// A YAML node (any kind) as a JSON value. `where` names the node in errors.
boost::json::value yaml_to_json_value(const YAML::Node& node, std::string_view where = "value");

// The same, serialised: `properties` of a flow step, for instance.
std::string yaml_to_json(const YAML::Node& node);

// YAML text holding one mapping (an empty document is an empty mapping) as a JSON object's
// text. `source` (a file name, "standard input") names the text in errors, with the line.
std::string yaml_text_to_json(std::string_view yaml_text, std::string_view source);

// A JSON object as a block mapping, one key a line, in the object's order, nested objects and
// arrays indented. Strings that would read back as another type ("25", "true", "", "null") are
// quoted, so yaml_text_to_json gives back the same object. Numbers with a fraction or exponent
// are refused (std::invalid_argument): property sets hold strings, integers and booleans.
void emit_json(YAML::Emitter& out, const boost::json::value& value, std::string_view where);
std::string json_to_yaml(std::string_view json_object_text);

// `key=value` pairs (flowhost connection add NAME host=mail.example.com port=25) as a JSON
// object's text. The value is typed like a plain YAML scalar (port=25 is an integer,
// dynamic=true a boolean); one in double or single quotes is a string (user="0123"), with YAML's
// quoting rules ("a\"b", 'it''s'); `key=` is the empty string. The key is everything before the
// first '=' and must not be empty; a key given twice is an error (std::invalid_argument).
std::string key_values_to_json(const std::vector<std::string>& pairs);

}  // namespace flowhost

#endif  // FLOWHOST_YAML_JSON_HPP
