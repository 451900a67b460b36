#include "yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace flowhost {
namespace json = boost::json;

namespace {

constexpr std::string_view core_tag = "tag:yaml.org,2002:";

// Aliases can make a small document expand enormously (a "billion laughs"): the conversion
// stops well before that.
constexpr std::size_t max_nodes = 100'000;
constexpr std::size_t max_depth = 64;

bool is_decimal_integer(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with('-')) digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return digits.size() == 1 || digits.front() != '0';  // no leading zero: "0123" is text
}

// An integer's value, or null when it does not fit 64 bits (signed, or unsigned if positive).
std::optional<json::value> integer_value(std::string_view text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  std::int64_t signed_value = 0;
  if (const auto [end, error] = std::from_chars(first, last, signed_value);
      error == std::errc{} && end == last) {
    return json::value(signed_value);
  }
  std::uint64_t unsigned_value = 0;
  if (const auto [end, error] = std::from_chars(first, last, unsigned_value);
      error == std::errc{} && end == last) {
    return json::value(unsigned_value);
  }
  return std::nullopt;
}

std::optional<bool> boolean_value(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

bool is_null_text(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string path_of(std::string_view where, std::string_view key) {
  std::string path(where);
  path += '.';
  path += key;
  return path;
}

[[noreturn]] void fail(std::string_view where, const std::string& what) {
  throw std::invalid_argument(std::string(where) + ": " + what);
}

std::string describe_tag(const std::string& tag) {
  if (tag.starts_with(core_tag)) return "!!" + tag.substr(core_tag.size());
  return tag;
}

json::value scalar_value(const YAML::Node& node, std::string_view where) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  if (tag == "?") return typed_scalar(text);               // plain
  if (tag == "!") return json::value(json::string(text));  // quoted or block scalar
  if (tag.starts_with(core_tag)) {
    const std::string_view name = std::string_view(tag).substr(core_tag.size());
    if (name == "str") return json::value(json::string(text));
    if (name == "int") {
      if (is_decimal_integer(text)) {
        if (auto value = integer_value(text)) return *value;
      }
      fail(where, "the value is not a 64-bit decimal integer (tagged !!int)");
    }
    if (name == "bool") {
      if (const auto value = boolean_value(text)) return json::value(*value);
      fail(where, "the value is not true or false (tagged !!bool)");
    }
    if (name == "null") {
      if (is_null_text(text)) return json::value(nullptr);
      fail(where, "the value is not null (tagged !!null)");
    }
  }
  fail(where, "the tag " + describe_tag(tag) +
                  " is not supported (strings, integers, booleans and null only)");
}

json::value convert(const YAML::Node& node, std::string_view where, std::size_t depth,
                    std::size_t& nodes) {
  if (++nodes > max_nodes) fail(where, "the document has too many nodes (aliases expanded)");
  if (depth > max_depth) fail(where, "nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      if (node.Tag() == std::string(core_tag) + "str") return json::value(json::string());
      return json::value(nullptr);
    case YAML::NodeType::Scalar:
      return scalar_value(node, where);
    case YAML::NodeType::Sequence: {
      json::array array;
      std::size_t index = 0;
      for (const auto& item : node) {
        const std::string item_where = std::string(where) + "[" + std::to_string(index++) + "]";
        array.push_back(convert(item, item_where, depth + 1, nodes));
      }
      return json::value(std::move(array));
    }
    case YAML::NodeType::Map: {
      json::object object;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) fail(where, "a key must be text, not a list, map or null");
        const std::string& key = entry.first.Scalar();
        if (object.contains(key)) fail(path_of(where, key), "the key is given twice");
        object.emplace(key, convert(entry.second, path_of(where, key), depth + 1, nodes));
      }
      return json::value(std::move(object));
    }
  }
  fail(where, "unknown YAML node");
}

// Whether a plain scalar could read as something else than this text, here or in another
// YAML reader (YAML 1.1 reads yes/no/on/off as booleans, 0123 as octal, 2024-01-01 as a date).
bool needs_quotes(std::string_view text) {
  const json::value typed = typed_scalar(text);
  if (!typed.is_string() || typed.get_string() != text) return true;
  static constexpr std::string_view yaml11_booleans[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                         "N",  "no",  "No",  "NO",  "on",  "On",
                                                         "ON", "off", "Off", "OFF"};
  for (const std::string_view word : yaml11_booleans) {
    if (text == word) return true;
  }
  // Anything that starts like a number: 0123, 1.5, -1e3, .5, +1, 0x1F, 127.0.0.1, .inf, .nan.
  std::string_view rest = text;
  if (rest.starts_with('-') || rest.starts_with('+')) rest.remove_prefix(1);
  if (rest.starts_with('.')) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') return true;
  return rest == "inf" || rest == "Inf" || rest == "INF" || rest == "nan" || rest == "NaN" ||
         rest == "NAN";
}

void emit_string(YAML::Emitter& out, std::string_view text) {
  if (needs_quotes(text)) out << YAML::DoubleQuoted;
  out << std::string(text);
}

json::object parse_object(std::string_view json_text, std::string_view what) {
  std::error_code error;
  json::value value = json::parse(json_text, error);
  if (error)
    throw std::invalid_argument(std::string(what) + " is not valid JSON: " + error.message());
  if (!value.is_object()) throw std::invalid_argument(std::string(what) + " is not a JSON object");
  return std::move(value.as_object());
}

// yaml-cpp's error text, less its "yaml-cpp: error at line L, column C: " prefix.
std::string yaml_error(std::string_view source, const YAML::Exception& e) {
  std::string message = std::string(source);
  if (!e.mark.is_null()) {
    message += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
  }
  return message + ": malformed YAML: " + e.msg;
}

// `"text"` or `'text'` by YAML's quoting rules, as a string; std::nullopt if not quoted.
std::optional<std::string> quoted_value(std::string_view value, std::string_view key) {
  if (value.size() < 2) return std::nullopt;
  const char quote = value.front();
  if ((quote != '"' && quote != '\'') || value.back() != quote) return std::nullopt;
  const std::string_view inside = value.substr(1, value.size() - 2);
  // yaml-cpp stops at the closing quote and ignores what follows: a quote inside must be
  // escaped (\" in double quotes, '' in single quotes), or the value is malformed.
  bool well_formed = true;
  for (std::size_t i = 0; i < inside.size() && well_formed; ++i) {
    if (quote == '"' && inside[i] == '\\') {
      ++i;  // an escape: the next character is part of it
      well_formed = i < inside.size();
    } else if (inside[i] == quote) {
      well_formed = quote == '\'' && i + 1 < inside.size() && inside[i + 1] == '\'';
      ++i;
    }
  }
  if (well_formed) {
    try {
      const YAML::Node node = YAML::Load(std::string(value));
      if (node.IsScalar() && node.Tag() == "!") return node.Scalar();
    } catch (const YAML::Exception&) {
      // reported below
    }
  }
  throw std::invalid_argument(std::string(key) + "=: the quoted value is malformed (write a " +
                              std::string(1, quote) + " inside it as " +
                              (quote == '"' ? "\\\"" : "''") + ")");
}

}  // namespace

YAML::Node load_one_document(const std::string& yaml_text) {
  std::vector<YAML::Node> documents = YAML::LoadAll(yaml_text);
  if (documents.size() > 1) {
    throw std::invalid_argument("holds " + std::to_string(documents.size()) +
                                " YAML documents (---); expected one");
  }
  return documents.empty() ? YAML::Node() : documents.front();
}

json::value typed_scalar(std::string_view plain) {
  if (is_null_text(plain)) return json::value(nullptr);
  if (const auto value = boolean_value(plain)) return json::value(*value);
  if (is_decimal_integer(plain)) {
    if (auto value = integer_value(plain)) return *value;
  }
  return json::value(json::string(plain));
}

json::value yaml_to_json_value(const YAML::Node& node, std::string_view where) {
  std::size_t nodes = 0;
  return convert(node, where, 0, nodes);
}

std::string yaml_to_json(const YAML::Node& node) {
  return json::serialize(yaml_to_json_value(node, "properties"));
}

std::string yaml_text_to_json(std::string_view yaml_text, std::string_view source) {
  YAML::Node document;
  try {
    document = load_one_document(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(yaml_error(source, e));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(source) + ": " + e.what());
  }
  if (document.IsNull()) return "{}";
  if (!document.IsMap()) {
    throw std::invalid_argument(std::string(source) +
                                ": expected a mapping of property names to values");
  }
  try {
    return json::serialize(yaml_to_json_value(document, "properties"));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(source) + ": " + e.what());
  }
}

void emit_json(YAML::Emitter& out, const json::value& value, std::string_view where) {
  switch (value.kind()) {
    case json::kind::null:
      out << YAML::Null;
      return;
    case json::kind::bool_:
      out << YAML::TrueFalseBool << value.get_bool();
      return;
    case json::kind::int64:
      out << static_cast<long long>(value.get_int64());
      return;
    case json::kind::uint64:
      out << static_cast<unsigned long long>(value.get_uint64());
      return;
    case json::kind::double_:
      fail(where,
           "a number with a fraction or an exponent is not supported (use an integer "
           "or a string)");
    case json::kind::string:
      emit_string(out, value.get_string());
      return;
    case json::kind::array: {
      if (value.get_array().empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      std::size_t index = 0;
      for (const auto& item : value.get_array()) {
        emit_json(out, item, std::string(where) + "[" + std::to_string(index++) + "]");
      }
      out << YAML::EndSeq;
      return;
    }
    case json::kind::object: {
      if (value.get_object().empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.get_object()) {
        out << YAML::Key;
        emit_string(out, key);
        out << YAML::Value;
        emit_json(out, item, path_of(where, key));
      }
      out << YAML::EndMap;
      return;
    }
  }
}

std::string json_to_yaml(std::string_view json_object_text) {
  const json::object object = parse_object(json_object_text, "the properties");
  YAML::Emitter out;
  emit_json(out, json::value(object), "properties");
  if (!out.good())
    throw std::invalid_argument("properties: cannot write YAML: " + out.GetLastError());
  std::string text = out.c_str();
  text += '\n';
  // The emitter decides plain or quoted by its own rules: make sure the text reads back as the
  // same object, whatever the strings hold.
  if (json::parse(yaml_text_to_json(text, "written YAML")) != json::value(object)) {
    throw std::logic_error("properties: the YAML written does not read back as the same object");
  }
  return text;
}

std::string key_values_to_json(const std::vector<std::string>& pairs) {
  json::object object;
  std::size_t number = 0;
  for (const std::string& pair : pairs) {
    ++number;
    // A malformed argument is not echoed: it may be a password typed in the wrong place.
    const auto equals = pair.find('=');
    if (equals == std::string::npos) {
      throw std::invalid_argument("property " + std::to_string(number) + " of " +
                                  std::to_string(pairs.size()) + " is not key=value (no '=')");
    }
    const std::string key = pair.substr(0, equals);
    const std::string_view value = std::string_view(pair).substr(equals + 1);
    if (key.empty()) {
      throw std::invalid_argument("property " + std::to_string(number) + " of " +
                                  std::to_string(pairs.size()) + " has no key before '='");
    }
    if (object.contains(key)) throw std::invalid_argument(key + "= is given twice");
    if (value.empty()) {
      object.emplace(key, json::string());
    } else if (auto quoted = quoted_value(value, key)) {
      object.emplace(key, json::string(*quoted));
    } else {
      object.emplace(key, typed_scalar(value));
    }
  }
  return json::serialize(object);
}

}  // namespace flowhost
