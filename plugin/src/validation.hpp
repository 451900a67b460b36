#pragma once
// Validation of a property set, without I/O: every problem names the property (a JSON Pointer,
// "/port"), its severity and a message that names the setting by the spec's label. Passwords are
// never echoed.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace smtpplugin {

enum class Severity { error, warning, note };

struct Problem {
  std::string path;  // "/port"; "" for the whole property set
  Severity severity;
  std::string message;

  friend bool operator==(const Problem&, const Problem&) = default;
};

std::vector<Problem> validate(const boost::json::object& properties);
// Parse errors, and a document that is not an object, are one problem at path "".
std::vector<Problem> validate(std::string_view properties_json);

bool has_errors(const std::vector<Problem>& problems);

std::string_view to_string(Severity severity);

// [{"path": "/port", "severity": "error", "message": "..."}], as validate() in the C ABI writes.
std::string problems_to_json(const std::vector<Problem>& problems);

}  // namespace smtpplugin
