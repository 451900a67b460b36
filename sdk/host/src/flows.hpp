#pragma once
// Flows: a list of steps run against named connections, with variables. Steps:
//   DynamicConnection {connection, properties}: replaces the named connection's definition for
//     this run only (validated first; refused when the connection is not dynamic);
//   SendMail {connection, from, to, cc, bcc, subject, text, html, charset, headers,
//     attachments: [{file, type}], eml}: sends one mail; ${name} in any text is a variable
//     (flow variables, --var values, and ${run}, the run's number).

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "mail.hpp"
#include "plugins.hpp"

namespace flowhost {

class ConnectionStore;

struct DynamicConnectionStep {
  std::string connection;
  std::string properties_json;  // the properties to replace (merged over the current ones)
};

struct SendMailStep {
  std::string connection;
  MailFields fields;  // with ${variables} still in the text
};

struct Flow {
  std::string name;
  std::map<std::string, std::string> variables;
  std::vector<std::variant<DynamicConnectionStep, SendMailStep>> steps;
};

// Reads a flow file; throws std::runtime_error naming the file and the problem.
Flow load_flow(const std::filesystem::path& file);

struct StepResult {
  std::string step;  // "SendMail" / "DynamicConnection"
  std::string connection;
  std::string status;    // OK, RETRY, FAILED, UNCERTAIN, INVALID, REFUSED
  std::string message;   // one line for a person
  std::string document;  // the plugin's JSON (result or problems), when there is one
};

struct RunResult {
  int run = 0;
  std::vector<StepResult> steps;
  std::string status;  // the first step that did not succeed decides; OK otherwise
};

// Runs flows. Each run has its own connection objects, created from the store on first use, so
// a DynamicConnection replaces the definition for that run only. Thread-safe: runs may go
// concurrently.
class Runner {
 public:
  Runner(const PluginFolder& plugins, const ConnectionStore& store, std::string user);

  RunResult run(const Flow& flow, int run_number,
                const std::map<std::string, std::string>& extra_variables) const;

 private:
  const PluginFolder& plugins_;
  const ConnectionStore& store_;
  std::string user_;
};

// ${name} replaced by its value; an unknown name is left as is.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars);

}  // namespace flowhost
