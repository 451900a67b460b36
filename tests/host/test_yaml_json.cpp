// YAML <-> JSON for property sets and `key=value` pairs: the typing rules, round trips, errors.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "yaml_json.hpp"

namespace json = boost::json;
using flowhost::json_to_yaml;
using flowhost::key_values_to_json;
using flowhost::typed_scalar;
using flowhost::yaml_text_to_json;

namespace {

json::value from_yaml(const std::string& text) {
  return json::parse(yaml_text_to_json(text, "test.yaml"));
}

json::value from_pairs(const std::vector<std::string>& pairs) {
  return json::parse(key_values_to_json(pairs));
}

bool contains_text(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("no std::invalid_argument");
  return {};
}

}  // namespace

TEST_CASE("plain scalars: integers, booleans, null, and everything else text") {
  CHECK(typed_scalar("25") == json::value(25));
  CHECK(typed_scalar("25").is_int64());
  CHECK(typed_scalar("0") == json::value(0));
  CHECK(typed_scalar("-7") == json::value(-7));
  CHECK(typed_scalar("9223372036854775807") == json::value(INT64_MAX));
  CHECK(typed_scalar("-9223372036854775808") == json::value(INT64_MIN));
  CHECK(typed_scalar("18446744073709551615") == json::value(UINT64_MAX));
  CHECK(typed_scalar("18446744073709551616") == json::value("18446744073709551616"));
  CHECK(typed_scalar("-9223372036854775809") == json::value("-9223372036854775809"));

  // Nothing is lost: a leading zero, a sign, a fraction, hex stay text.
  CHECK(typed_scalar("0123") == json::value("0123"));
  CHECK(typed_scalar("00") == json::value("00"));
  CHECK(typed_scalar("+5") == json::value("+5"));
  CHECK(typed_scalar("1.5") == json::value("1.5"));
  CHECK(typed_scalar("1e3") == json::value("1e3"));
  CHECK(typed_scalar("0x1F") == json::value("0x1F"));
  CHECK(typed_scalar("-") == json::value("-"));
  CHECK(typed_scalar("25 ") == json::value("25 "));

  for (const char* yes : {"true", "True", "TRUE"}) CHECK(typed_scalar(yes) == json::value(true));
  for (const char* no : {"false", "False", "FALSE"}) CHECK(typed_scalar(no) == json::value(false));
  // YAML 1.1's other booleans are text.
  for (const char* text : {"yes", "no", "on", "off", "y", "n", "tRUE"}) {
    CHECK(typed_scalar(text) == json::value(text));
  }
  for (const char* null : {"", "~", "null", "Null", "NULL"}) CHECK(typed_scalar(null).is_null());
  CHECK(typed_scalar("nULL") == json::value("nULL"));
  CHECK(typed_scalar("mail.example.com") == json::value("mail.example.com"));
}

TEST_CASE("YAML to JSON: plain scalars typed, quoted and block scalars stay text") {
  const json::value got = from_yaml(R"(host: mail.example.com
port: 587
dynamic: true
debug: False
user: "0123"
pin: '25'
code: 0123
ratio: 1.5
answer: yes
empty:
tilde: ~
quoted_null: "null"
quoted_true: 'true'
literal: |
  line one
  line two
folded: >
  folded
  text
)");
  const json::value want = json::parse(R"({
    "host": "mail.example.com", "port": 587, "dynamic": true, "debug": false,
    "user": "0123", "pin": "25", "code": "0123", "ratio": "1.5", "answer": "yes",
    "empty": null, "tilde": null, "quoted_null": "null", "quoted_true": "true",
    "literal": "line one\nline two\n", "folded": "folded text\n"})");
  CHECK(got == want);
  CHECK(got.at("port").is_int64());
  // The object keeps the file's order.
  CHECK(got.as_object().begin()->key() == "host");
}

TEST_CASE("YAML to JSON: core tags are honoured, others refused") {
  CHECK(from_yaml("a: !!str 25\nb: !!int 7\nc: !!bool false\nd: !!null ~\ne: !!str\n") ==
        json::parse(R"({"a": "25", "b": 7, "c": false, "d": null, "e": ""})"));
  CHECK(error_of([] { from_yaml("port: !!float 1.5\n"); }).find("properties.port") !=
        std::string::npos);
  CHECK(error_of([] { from_yaml("port: !!float 1.5\n"); }).find("!!float") != std::string::npos);
  CHECK(error_of([] { from_yaml("x: !secret abc\n"); }).find("!secret") != std::string::npos);
  const std::string bad_int = error_of([] { from_yaml("port: !!int 0x19\n"); });
  CHECK(bad_int.find("properties.port") != std::string::npos);
  CHECK(bad_int.find("0x19") == std::string::npos);  // values are not echoed
  CHECK_THROWS_AS(from_yaml("flag: !!bool yes\n"), std::invalid_argument);
}

TEST_CASE("YAML to JSON: nested maps and sequences, keys are text") {
  CHECK(from_yaml("a:\n  b: [1, \"2\", x]\n  c: {d: true}\n25: port\n") ==
        json::parse(R"({"a": {"b": [1, "2", "x"], "c": {"d": true}}, "25": "port"})"));
  // A YAML node converts directly too (a flow step's properties).
  const YAML::Node node = YAML::Load("properties:\n  port: 2525\n  user: '007'\n");
  CHECK(json::parse(flowhost::yaml_to_json(node["properties"])) ==
        json::parse(R"({"port": 2525, "user": "007"})"));
  CHECK(flowhost::yaml_to_json_value(YAML::Load("[1, a]")) == json::parse(R"([1, "a"])"));
}

TEST_CASE("YAML to JSON: duplicate keys, odd keys, bombs and non-mappings are errors") {
  const std::string duplicate = error_of([] { from_yaml("port: 25\nhost: a\nport: 26\n"); });
  CHECK(duplicate.find("test.yaml") != std::string::npos);
  CHECK(duplicate.find("properties.port") != std::string::npos);
  CHECK(duplicate.find("twice") != std::string::npos);

  CHECK_THROWS_AS(from_yaml("[a, b]: 1\n"), std::invalid_argument);
  CHECK_THROWS_AS(from_yaml("~: 1\n"), std::invalid_argument);

  // Aliases that would expand a small text into billions of nodes.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    const char previous = static_cast<char>(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + previous;
    bomb += "]\n";
  }
  CHECK(error_of([&] { from_yaml(bomb); }).find("too many nodes") != std::string::npos);

  std::string deep = "a: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  CHECK(error_of([&] { from_yaml(deep + "\n"); }).find("too deeply") != std::string::npos);

  CHECK(error_of([] { from_yaml("- a\n- b\n"); }).find("expected a mapping") != std::string::npos);
  CHECK(error_of([] { from_yaml("just text\n"); }).find("test.yaml") != std::string::npos);
  CHECK(contains_text(error_of([] { from_yaml("a: 1\n---\nb: 2\n"); }), "2 YAML documents"));
  CHECK(from_yaml("") == json::object());
  CHECK(from_yaml("# only a comment\n") == json::object());
}

TEST_CASE("malformed YAML text: the error names the source and the line") {
  const std::string error = error_of([] { from_yaml("host: a\nport: [25\nuser: b\n"); });
  CHECK(error.find("test.yaml:") == 0);
  CHECK(error.find("malformed YAML") != std::string::npos);
  CHECK(error.find("yaml-cpp:") == std::string::npos);
}

TEST_CASE("JSON to YAML: plain where it can be, quoted where it must, and it reads back") {
  const std::string text = json_to_yaml(
      R"({"host": "mail.example.com", "port": 587, "dynamic": true, "user": "0123",
          "pin": "25", "flag": "true", "nothing": null, "empty": ""})");
  CHECK(text.find("host: mail.example.com\n") != std::string::npos);
  CHECK(text.find("port: 587\n") != std::string::npos);
  CHECK(text.find("dynamic: true\n") != std::string::npos);
  CHECK(text.find("pin: \"25\"\n") != std::string::npos);
  CHECK(text.find("flag: \"true\"\n") != std::string::npos);
  CHECK(text.find("empty: \"\"\n") != std::string::npos);
  // Quoted too: what another YAML reader would take for a number, a boolean or a date.
  const std::string others = json_to_yaml(
      R"({"a": "yes", "b": "off", "c": "1.5", "d": "127.0.0.1", "e": "2024-01-01", "f": ".inf",
          "g": "-.5", "h": "0123", "i": "mail1.example.com", "j": "Yesterday"})");
  for (const char* line : {"a: \"yes\"\n", "b: \"off\"\n", "c: \"1.5\"\n", "d: \"127.0.0.1\"\n",
                           "e: \"2024-01-01\"\n", "f: \".inf\"\n", "g: \"-.5\"\n", "h: \"0123\"\n",
                           "i: mail1.example.com\n", "j: Yesterday\n"}) {
    CAPTURE(line);
    CHECK(others.find(line) != std::string::npos);
  }
  CHECK(from_yaml(text) == json::parse(R"({"host": "mail.example.com", "port": 587,
      "dynamic": true, "user": "0123", "pin": "25", "flag": "true", "nothing": null,
      "empty": ""})"));
}

TEST_CASE("JSON to YAML to JSON: awkward strings survive the round trip") {
  const std::vector<std::string> strings = {"",
                                            " ",
                                            " lead",
                                            "trail ",
                                            "a: b",
                                            "a:b",
                                            "#x",
                                            "x #y",
                                            "x#y",
                                            "- x",
                                            "-",
                                            "-x",
                                            "?q",
                                            ":c",
                                            "@at",
                                            "`bt",
                                            "%p",
                                            "!bang",
                                            "&amp",
                                            "*star",
                                            "[b",
                                            "{c",
                                            "|p",
                                            ">g",
                                            "'q",
                                            "\"dq",
                                            "\\",
                                            "l1\nl2",
                                            "\n",
                                            "tab\there",
                                            "\r\n",
                                            "\x01",
                                            "\x7f",
                                            "日本語",
                                            "null",
                                            "~",
                                            "NULL",
                                            "true",
                                            "False",
                                            "yes",
                                            "25",
                                            "-7",
                                            "0123",
                                            "1.5",
                                            "1e3",
                                            "0x1F",
                                            "---",
                                            "...",
                                            "a\"b'c",
                                            "p@ss:w0rd#!",
                                            "env:SMTP_PASSWORD",
                                            "file:/run/secrets/x",
                                            "{}",
                                            "[]",
                                            "18446744073709551616"};
  json::object object;
  for (std::size_t i = 0; i < strings.size(); ++i) object["s" + std::to_string(i)] = strings[i];
  // Keys are strings too.
  for (const char* key : {"25", "true", "null", "~", "", "a b", "a: b", "-", "#"}) {
    object[key] = key;
  }
  object["int_max"] = INT64_MAX;
  object["int_min"] = INT64_MIN;
  object["uint_max"] = UINT64_MAX;
  object["nested"] = json::parse(R"({"list": [1, "1", true, "true", null, [], {}], "o": {}})");
  const std::string yaml = json_to_yaml(json::serialize(object));
  CHECK(from_yaml(yaml) == json::value(object));
  CHECK(from_yaml(yaml).at("uint_max").is_uint64());
}

TEST_CASE("JSON to YAML: numbers with a fraction and non-objects are refused") {
  CHECK(error_of([] { json_to_yaml(R"({"timeout": 1.5})"); }).find("properties.timeout") !=
        std::string::npos);
  CHECK_THROWS_AS(json_to_yaml(R"({"a": [1e3]})"), std::invalid_argument);
  CHECK_THROWS_AS(json_to_yaml("[1, 2]"), std::invalid_argument);
  CHECK_THROWS_AS(json_to_yaml("{not json"), std::invalid_argument);
  CHECK(json_to_yaml("{}") == "{}\n");
}

TEST_CASE("key=value pairs are typed like plain YAML scalars and quotes make text") {
  const json::value got = from_pairs(
      {"host=mail.example.com", "port=25", "dynamic=true", "user=\"0123\"", "code=0123", "pin='25'",
       "ca_file=", "note=a=b=c", "smtp_password=p@ss: #w0rd", "quoted=\"say \\\"hi\\\"\"",
       "single='it''s'", "nothing=null", "text_null=\"null\"", "space= x "});
  const json::value want = json::parse(R"({
    "host": "mail.example.com", "port": 25, "dynamic": true, "user": "0123", "code": "0123",
    "pin": "25", "ca_file": "", "note": "a=b=c", "smtp_password": "p@ss: #w0rd",
    "quoted": "say \"hi\"", "single": "it's", "nothing": null, "text_null": "null",
    "space": " x "})");
  CHECK(got == want);
  CHECK(got.at("port").is_int64());
  // The object keeps the command line's order.
  CHECK(got.as_object().begin()->key() == "host");
  // Unbalanced quotes are not quoting: the text is kept as given.
  CHECK(from_pairs({"a=\"abc", "b='", "c=x\""}) ==
        json::parse(R"({"a": "\"abc", "b": "'", "c": "x\""})"));
  CHECK(from_pairs({}) == json::object());
}

TEST_CASE("key=value errors never echo a value") {
  const std::string no_equals = error_of([] { key_values_to_json({"port=25", "hunter2"}); });
  CHECK(no_equals.find("2 of 2") != std::string::npos);
  CHECK(no_equals.find("hunter2") == std::string::npos);

  const std::string no_key = error_of([] { key_values_to_json({"=hunter2"}); });
  CHECK(no_key.find("no key") != std::string::npos);
  CHECK(no_key.find("hunter2") == std::string::npos);

  const std::string twice = error_of([] { key_values_to_json({"port=25", "port=26"}); });
  CHECK(twice.find("port") != std::string::npos);
  CHECK(twice.find("twice") != std::string::npos);

  const std::string bad_quote =
      error_of([] { key_values_to_json({"smtp_password=\"hun\"ter2\""}); });
  CHECK(bad_quote.find("smtp_password") != std::string::npos);
  CHECK(bad_quote.find("hun") == std::string::npos);
}
