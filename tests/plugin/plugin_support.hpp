#pragma once
// Helpers for the plugin's table, schema, validation and definition tests.

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "validation.hpp"

namespace plugintest {

inline boost::json::object props(std::string_view json) {
  return boost::json::parse(json).as_object();
}

// One property set to a value of any type Boost.JSON converts (strings, numbers, bool, null).
struct Change {
  template <class T>
  Change(std::string_view k, T&& v) : key(k), value(boost::json::value_from(std::forward<T>(v))) {}
  std::string_view key;
  boost::json::value value;
};

// `base` with some properties set (or replaced).
inline boost::json::object with(std::string_view base, std::initializer_list<Change> changes) {
  auto o = props(base);
  for (const auto& c : changes) o[c.key] = c.value;
  return o;
}

inline boost::json::object without(std::string_view base, std::string_view key) {
  auto o = props(base);
  o.erase(key);
  return o;
}

inline std::string describe(const std::vector<smtpplugin::Problem>& problems) {
  return smtpplugin::problems_to_json(problems);
}

// The problems at `path`.
inline std::vector<smtpplugin::Problem> at(const std::vector<smtpplugin::Problem>& problems,
                                           std::string_view path) {
  std::vector<smtpplugin::Problem> out;
  for (const auto& p : problems) {
    if (p.path == path) out.push_back(p);
  }
  return out;
}

// Exactly one problem at `path`, of `severity`, whose message contains `text`.
inline void check_problem(const std::vector<smtpplugin::Problem>& problems, std::string_view path,
                          smtpplugin::Severity severity, std::string_view text) {
  INFO("problems: ", describe(problems));
  INFO("expected at ", path, ": ", text);
  const auto found = at(problems, path);
  REQUIRE(found.size() == 1);
  CHECK(found.front().severity == severity);
  CHECK(found.front().message.find(text) != std::string::npos);
}

inline void check_clean(const std::vector<smtpplugin::Problem>& problems) {
  INFO("problems: ", describe(problems));
  CHECK(problems.empty());
}

inline void check_no_problem_at(const std::vector<smtpplugin::Problem>& problems,
                                std::string_view path) {
  INFO("problems: ", describe(problems));
  CHECK(at(problems, path).empty());
}

// Valid property sets, one per authentication, that validate without any problem.
inline constexpr std::string_view none_base =
    R"({"host": "mail.example.com", "authentication": "none"})";
inline constexpr std::string_view smtp_base =
    R"({"host": "mail.example.com", "port": 587, "starttls": "starttls", "authentication": "smtp",
        "smtp_username": "alice", "smtp_password": "s3cret-smtp"})";
inline constexpr std::string_view pop_base =
    R"({"host": "mail.example.com", "pop3_server": "pop.example.com", "pop3_ssl": "pops",
        "pop3_port": 995, "user": "alice", "password": "s3cret-pop", "apop": false})";

}  // namespace plugintest
