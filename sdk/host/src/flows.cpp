#include "flows.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "store.hpp"
#include "yaml_json.hpp"

namespace flowhost {
namespace json = boost::json;

std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("${", i);
    if (open == std::string::npos) break;
    const auto close = text.find('}', open + 2);
    if (close == std::string::npos) break;
    out.append(text, i, open - i);
    const auto name = text.substr(open + 2, close - open - 2);
    const auto found = vars.find(name);
    out += found != vars.end() ? found->second : text.substr(open, close - open + 1);
    i = close + 1;
  }
  out.append(text, i);
  return out;
}

namespace {

[[noreturn]] void bad(const std::filesystem::path& file, const std::string& what) {
  throw std::runtime_error(file.string() + ": " + what);
}

std::string scalar(const YAML::Node& node, const char* key) {
  const auto v = node[key];
  if (!v) return {};
  if (!v.IsScalar()) throw std::runtime_error(std::string(key) + ": expected text");
  return v.as<std::string>();
}

std::vector<std::string> list(const YAML::Node& node, const char* key) {
  std::vector<std::string> out;
  const auto v = node[key];
  if (!v) return out;
  if (v.IsScalar()) return {v.as<std::string>()};
  if (!v.IsSequence()) throw std::runtime_error(std::string(key) + ": expected a list");
  for (const auto& item : v) out.push_back(item.as<std::string>());
  return out;
}

SendMailStep send_mail_step(const YAML::Node& n) {
  SendMailStep step;
  step.connection = scalar(n, "connection");
  auto& f = step.fields;
  f.from = scalar(n, "from");
  f.to = list(n, "to");
  f.cc = list(n, "cc");
  f.bcc = list(n, "bcc");
  f.subject = scalar(n, "subject");
  f.text = scalar(n, "text");
  f.html = scalar(n, "html");
  f.charset = scalar(n, "charset");
  if (const auto headers = n["headers"]) {
    for (const auto& h : headers) f.headers[h.first.as<std::string>()] = h.second.as<std::string>();
  }
  if (const auto attachments = n["attachments"]) {
    for (const auto& a : attachments) {
      AttachmentSpec spec;
      spec.file = scalar(a, "file");
      if (const auto type = scalar(a, "type"); !type.empty()) spec.content_type = type;
      f.attachments.push_back(std::move(spec));
    }
  }
  if (const auto eml = scalar(n, "eml"); !eml.empty()) f.eml = eml;
  return step;
}

}  // namespace

Flow load_flow(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) bad(file, "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  YAML::Node doc;
  try {
    doc = load_one_document(text.str());  // refuses text after the first document
  } catch (const std::exception& e) {
    bad(file, std::string("not a readable YAML file: ") + e.what());
  }
  Flow flow;
  try {
    flow.name = scalar(doc, "name");
    if (const auto vars = doc["variables"]) {
      for (const auto& v : vars)
        flow.variables[v.first.as<std::string>()] = v.second.as<std::string>();
    }
    const auto steps = doc["steps"];
    if (!steps || !steps.IsSequence()) bad(file, "steps: expected a list of steps");
    std::size_t index = 0;
    for (const auto& item : steps) {
      const auto where = "steps[" + std::to_string(index++) + "]";
      if (!item.IsMap() || item.size() != 1) bad(file, where + ": expected one step kind");
      const auto kind = item.begin()->first.as<std::string>();
      const auto body = item.begin()->second;
      if (kind == "SendMail") {
        flow.steps.emplace_back(send_mail_step(body));
      } else if (kind == "DynamicConnection") {
        DynamicConnectionStep step;
        step.connection = scalar(body, "connection");
        const auto properties = body["properties"];
        if (!properties || !properties.IsMap()) bad(file, where + ".properties: expected a map");
        step.properties_json = yaml_to_json(properties);
        flow.steps.emplace_back(std::move(step));
      } else {
        bad(file, where + ": unknown step \"" + kind + "\" (SendMail, DynamicConnection)");
      }
    }
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).starts_with(file.string())) throw;
    bad(file, e.what());
  } catch (const std::exception& e) {  // YAML errors, and property conversion errors
    bad(file, e.what());
  }
  return flow;
}

Runner::Runner(const PluginFolder& plugins, const ConnectionStore& store, std::string user)
    : plugins_(plugins), store_(store), user_(std::move(user)) {}

namespace {

struct LiveConnection {
  flowplugin::ConnectionFactory factory;
  flowplugin::Connection connection;
  std::string properties_json;
};

// `changes` over `base`, with ${variables} replaced in the changes' text values. A value that is
// one variable alone takes the variable's type: "${port}" with port=2465 is the number 2465.
std::string merged(const std::string& base, const std::string& changes,
                   const std::map<std::string, std::string>& vars) {
  auto out = json::parse(base).as_object();
  const auto change_doc = json::parse(changes);
  for (const auto& [key, value] : change_doc.as_object()) {
    if (!value.is_string()) {
      out[key] = value;
      continue;
    }
    const std::string text(value.as_string());
    const auto replaced = substitute(text, vars);
    const bool whole = text.starts_with("${") && text.find('}') == text.size() - 1;
    boost::system::error_code ec;
    const auto typed = whole ? json::parse(replaced, ec) : json::value();
    out[key] =
        whole && !ec && (typed.is_int64() || typed.is_bool()) ? typed : json::value(replaced);
  }
  return json::serialize(out);
}

}  // namespace

RunResult Runner::run(const Flow& flow, int run_number,
                      const std::map<std::string, std::string>& extra_variables) const {
  auto vars = flow.variables;
  for (const auto& [k, v] : extra_variables) vars[k] = v;
  vars["run"] = std::to_string(run_number);

  RunResult result;
  result.run = run_number;
  std::map<std::string, LiveConnection> live;  // this run's connections

  // The run's object for `name`: made from the stored definition on first use.
  auto connection = [&](const std::string& name, StepResult& step) -> LiveConnection* {
    if (const auto found = live.find(name); found != live.end()) return &found->second;
    const auto stored = store_.resolve(name, user_);
    if (!stored) {
      step.status = "INVALID";
      step.message = "no connection named \"" + name + "\"";
      return nullptr;
    }
    auto factory = plugins_.connection_factory(stored->type);
    if (!factory) {
      step.status = "INVALID";
      step.message = "no plugin provides connections of type \"" + stored->type + "\"";
      return nullptr;
    }
    try {
      auto created = factory->create(stored->properties_json);
      return &live.emplace(name,
                           LiveConnection{*factory, std::move(created), stored->properties_json})
                  .first->second;
    } catch (const flowplugin::Error& e) {
      step.status = "INVALID";
      step.message = "connection \"" + name + "\" is not valid";
      step.document = e.what();
      return nullptr;
    }
  };

  for (const auto& item : flow.steps) {
    StepResult step;
    if (const auto* dc = std::get_if<DynamicConnectionStep>(&item)) {
      step.step = "DynamicConnection";
      step.connection = dc->connection;
      if (auto* c = connection(dc->connection, step)) {
        const auto replacement = merged(c->properties_json, dc->properties_json, vars);
        auto [status, problems] = c->factory.replace_definition(c->connection, replacement);
        step.document = std::move(problems);
        if (status == FP_OK) {
          c->properties_json = replacement;
          step.status = "OK";
          step.message = "definition replaced for this run";
        } else {
          step.status = status == FP_REFUSED ? "REFUSED" : "INVALID";
          step.message = "the replacement was not applied; the definition is unchanged";
        }
      }
    } else {
      const auto& sm = std::get<SendMailStep>(item);
      step.step = "SendMail";
      step.connection = sm.connection;
      if (auto* c = connection(sm.connection, step)) {
        auto fields = sm.fields;
        fields.from = substitute(fields.from, vars);
        for (auto* l : {&fields.to, &fields.cc, &fields.bcc}) {
          for (auto& a : *l) a = substitute(a, vars);
        }
        fields.subject = substitute(fields.subject, vars);
        fields.text = substitute(fields.text, vars);
        fields.html = substitute(fields.html, vars);
        for (auto& [name, value] : fields.headers) value = substitute(value, vars);
        auto outcome = send_mail(c->factory, c->connection, fields);
        step.status = outcome.status_text;
        step.message = outcome.message;
        step.document = std::move(outcome.result_json);
      }
    }
    const bool ok = step.status == "OK";
    result.steps.push_back(std::move(step));
    if (!ok) break;  // a failed step ends the run
  }
  result.status = result.steps.empty() || result.steps.back().status == "OK"
                      ? "OK"
                      : result.steps.back().status;
  return result;
}

}  // namespace flowhost
