// flowhost: the reference host. Loads plugins from a plugin folder, keeps connections in a
// store, sends mail, runs flows, and runs a sandbox mail server for trying them.

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "flowhost/sandbox.hpp"
#include "flows.hpp"
#include "mail.hpp"
#include "plugins.hpp"
#include "store.hpp"
#include "yaml_json.hpp"

namespace {

using namespace flowhost;
namespace json = boost::json;

constexpr const char* usage = R"(usage: flowhost [--plugins DIR] [--data DIR] COMMAND ...

  plugins                               the plugins in the plugin folder, and what failed to load
  schema TYPE                           the property schema of a connection type (e.g. smtp)
  connection add NAME [--scope system|user] [--user U] [--type smtp] [--file F.yaml] [key=value ...]
  connection list [--scope system|user] [--user U]
  connection show NAME [--user U]
  connection remove NAME [--scope system|user] [--user U]
  connection test NAME [--user U] [--json]
  send --connection NAME --from A --to B[,C] [--cc ..] [--bcc ..] --subject S
       [--text-file F] [--html-file F] [--attach FILE[:type]]... [--eml FILE] [--json] [--user U]
  run FLOW.yaml [--runs N] [--concurrency C] [--var k=v]... [--json] [--user U]
  sandbox [--data DIR] [--smtp-port P] [--smtps-port P] [--pop3-port P] [--pop3s-port P]
          [--for SECONDS]

exit codes: 0 OK, 1 usage, 2 invalid input or definition, 3 RETRY, 4 FAILED, 5 UNCERTAIN
)";

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string default_user() {
  for (const char* name : {"FLOWHOST_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  }
  return "default";
}

struct Context {
  std::filesystem::path plugin_dir;
  std::filesystem::path data_dir;
  bool verbose = false;
};

std::unique_ptr<PluginFolder> load_plugins(const Context& ctx) {
  return std::make_unique<PluginFolder>(
      ctx.plugin_dir, [verbose = ctx.verbose](fp_log_level level, std::string_view line) {
        if (verbose || level >= FP_LOG_WARN) std::cerr << "plugin: " << line << '\n';
      });
}

flowplugin::ConnectionFactory factory_for(const PluginFolder& plugins, const std::string& type) {
  auto factory = plugins.connection_factory(type);
  if (!factory) {
    throw UsageError("no plugin in the plugin folder provides connections of type \"" + type +
                     "\" (see `flowhost plugins`)");
  }
  return *factory;
}

void print_problems(const std::string& problems_json) {
  boost::system::error_code ec;
  const auto doc = json::parse(problems_json, ec);
  if (ec || !doc.is_array()) {
    std::cerr << problems_json << '\n';
    return;
  }
  for (const auto& p : doc.as_array()) {
    const auto& o = p.as_object();
    std::cerr << "  " << json::value_to<std::string>(o.at("severity")) << " "
              << json::value_to<std::string>(o.at("path")) << ": "
              << json::value_to<std::string>(o.at("message")) << '\n';
  }
}

// A live connection from a stored definition, or nothing after printing the plugin's problems.
std::optional<flowplugin::Connection> create_connection(
    const flowplugin::ConnectionFactory& factory, const StoredConnection& stored) {
  try {
    return factory.create(stored.properties_json);
  } catch (const flowplugin::Error& e) {
    std::cerr << "connection \"" << stored.name << "\" is not valid:\n";
    print_problems(e.what());
    return std::nullopt;
  }
}

Scope scope_of(const Arguments& args) {
  const auto scope = args.option("scope").value_or("user");
  if (scope == "system") return Scope::system;
  if (scope == "user") return Scope::user;
  throw UsageError("--scope must be system or user");
}

int cmd_plugins(const Context& ctx) {
  const auto plugins = load_plugins(ctx);
  std::cout << "plugin folder: " << ctx.plugin_dir.string() << '\n';
  int broken = 0;
  for (const auto& p : plugins->plugins()) {
    if (p.plugin) {
      std::cout << "  " << p.file.filename().string() << ": " << p.plugin->id() << " "
                << p.plugin->version() << " (ABI " << p.plugin->abi_major() << "."
                << p.plugin->abi_minor() << ")\n";
    } else {
      ++broken;
      std::cout << "  " << p.file.filename().string() << ": not loaded: " << p.problem << '\n';
    }
  }
  if (plugins->plugins().empty()) std::cout << "  (no plugins)\n";
  return broken == 0 ? 0 : 2;
}

int cmd_schema(const Context& ctx, const Arguments& args) {
  if (args.positional().size() != 1) throw UsageError("schema needs a connection type");
  const auto plugins = load_plugins(ctx);
  std::cout << factory_for(*plugins, args.positional()[0]).schema_json() << '\n';
  return 0;
}

std::string properties_from(const Arguments& args, const std::vector<std::string>& pairs) {
  json::object props;
  if (const auto file = args.option("file")) {
    props = json::parse(yaml_text_to_json(read_text_file(*file), *file)).as_object();
    // A stored connection's file (type, name, properties) or just the properties.
    if (const auto* inner = props.if_contains("properties"); inner && inner->is_object()) {
      props = inner->as_object();
    }
  }
  if (!pairs.empty()) {
    const auto pairs_doc = json::parse(key_values_to_json(pairs));
    for (const auto& [k, v] : pairs_doc.as_object()) props[k] = v;
  }
  return json::serialize(props);
}

int cmd_connection(const Context& ctx, const Arguments& args) {
  const auto& words = args.positional();
  if (words.empty()) throw UsageError("connection needs add, list, show, remove or test");
  const auto& verb = words[0];
  const auto user = args.option("user").value_or(default_user());
  ConnectionStore store(ctx.data_dir);
  if (verb == "list") {
    std::optional<Scope> scope;
    if (args.option("scope")) scope = scope_of(args);
    for (const auto& c : store.list(scope, user)) {
      std::cout << c.name << "\t" << (c.scope == Scope::system ? "system" : "user:" + c.user)
                << "\t" << c.type << '\n';
    }
    return 0;
  }
  if (words.size() < 2) throw UsageError("connection " + verb + " needs a connection name");
  const auto& name = words[1];
  const auto plugins = load_plugins(ctx);
  if (verb == "add") {
    StoredConnection c;
    c.name = name;
    c.scope = scope_of(args);
    c.user = c.scope == Scope::user ? user : "";
    c.type = args.option("type").value_or("smtp");
    c.properties_json =
        properties_from(args, std::vector<std::string>(words.begin() + 2, words.end()));
    if (!json::parse(c.properties_json).as_object().contains("name")) {
      auto props = json::parse(c.properties_json).as_object();
      props["name"] = name;
      c.properties_json = json::serialize(props);
    }
    const auto factory = factory_for(*plugins, c.type);
    const auto [status, problems] = factory.validate(c.properties_json);
    if (status != FP_OK) {
      std::cerr << "connection \"" << name << "\" refused:\n";
      print_problems(problems);
      return 2;
    }
    store.put(c);
    std::cout << "saved " << (c.scope == Scope::system ? "system" : "user") << " connection \""
              << name << "\"\n";
    print_problems(problems);  // warnings and notes
    return 0;
  }
  if (verb == "remove") {
    if (!store.remove(scope_of(args), user, name)) {
      std::cerr << "no such connection: " << name << '\n';
      return 2;
    }
    std::cout << "removed \"" << name << "\"\n";
    return 0;
  }
  const auto stored = store.resolve(name, user);
  if (!stored) {
    std::cerr << "no connection named \"" << name << "\" for user " << user << '\n';
    return 2;
  }
  const auto factory = factory_for(*plugins, stored->type);
  if (verb == "show") {
    json::object o;
    o["name"] = stored->name;
    o["scope"] = stored->scope == Scope::system ? "system" : "user";
    if (stored->scope == Scope::user) o["user"] = stored->user;
    o["type"] = stored->type;
    o["properties"] = json::parse(
        mask_secrets(stored->properties_json, secret_property_names(factory.schema_json())));
    std::cout << json::serialize(o) << '\n';
    return 0;
  }
  if (verb == "test") {
    const auto connection = create_connection(factory, *stored);
    if (!connection) return 2;
    const auto report = factory.test(*connection);
    if (args.flag("json")) {
      std::cout << report << '\n';
    } else {
      const auto doc = json::parse(report).as_object();
      for (const auto& s : doc.at("steps").as_array()) {
        const auto& step = s.as_object();
        std::cout << (step.at("ok").as_bool() ? "  ok    " : "  FAIL  ")
                  << json::value_to<std::string>(step.at("step"));
        if (const auto* d = step.if_contains("detail")) {
          std::cout << ": " << json::value_to<std::string>(*d);
        }
        std::cout << '\n';
      }
      std::cout << json::value_to<std::string>(doc.at("message")) << '\n';
    }
    return json::parse(report).as_object().at("ok").as_bool() ? 0 : 4;
  }
  throw UsageError("unknown connection command: " + verb);
}

MailFields fields_from(const Arguments& args) {
  MailFields f;
  f.from = args.required("from");
  for (const auto& v : args.options("to"))
    for (auto& a : split_list(v)) f.to.push_back(a);
  for (const auto& v : args.options("cc"))
    for (auto& a : split_list(v)) f.cc.push_back(a);
  for (const auto& v : args.options("bcc"))
    for (auto& a : split_list(v)) f.bcc.push_back(a);
  if (f.to.empty() && f.cc.empty() && f.bcc.empty()) throw UsageError("--to is required");
  if (const auto eml = args.option("eml")) {
    f.eml = *eml;
    return f;
  }
  f.subject = args.option("subject").value_or("");
  if (const auto file = args.option("text-file")) f.text = read_text_file(*file);
  if (const auto file = args.option("html-file")) f.html = read_text_file(*file);
  if (const auto charset = args.option("charset")) f.charset = *charset;
  for (const auto& spec : args.options("attach")) {
    AttachmentSpec a;
    const auto colon = spec.rfind(':');
    if (colon != std::string::npos && spec.find('/', colon) != std::string::npos) {
      a.file = spec.substr(0, colon);
      a.content_type = spec.substr(colon + 1);
    } else {
      a.file = spec;
    }
    f.attachments.push_back(std::move(a));
  }
  return f;
}

int cmd_send(const Context& ctx, const Arguments& args) {
  args.only({"connection", "from", "to", "cc", "bcc", "subject", "text-file", "html-file", "attach",
             "eml", "json", "user", "charset"});
  const auto name = args.required("connection");
  const auto user = args.option("user").value_or(default_user());
  const auto fields = fields_from(args);
  ConnectionStore store(ctx.data_dir);
  const auto stored = store.resolve(name, user);
  if (!stored) {
    std::cerr << "no connection named \"" << name << "\" for user " << user << '\n';
    return 2;
  }
  const auto plugins = load_plugins(ctx);
  const auto factory = factory_for(*plugins, stored->type);
  const auto connection = create_connection(factory, *stored);
  if (!connection) return 2;
  const auto outcome = send_mail(factory, *connection, fields);
  if (args.flag("json")) {
    std::cout << (outcome.result_json.empty() ? "{}" : outcome.result_json) << '\n';
  } else {
    std::cout << outcome.message << '\n';
  }
  return exit_code(outcome.status_text);
}

int cmd_run(const Context& ctx, const Arguments& args) {
  args.only({"runs", "concurrency", "var", "json", "user"});
  if (args.positional().size() != 1) throw UsageError("run needs one flow file");
  const auto flow = load_flow(args.positional()[0]);
  std::map<std::string, std::string> vars;
  for (const auto& v : args.options("var")) {
    const auto eq = v.find('=');
    if (eq == std::string::npos) throw UsageError("--var needs name=value");
    vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  const int runs = std::stoi(args.option("runs").value_or("1"));
  const int concurrency = std::max(1, std::stoi(args.option("concurrency").value_or("1")));
  if (runs < 1 || runs > 100000) throw UsageError("--runs must be 1 to 100000");
  ConnectionStore store(ctx.data_dir);
  const auto plugins = load_plugins(ctx);
  const Runner runner(*plugins, store, args.option("user").value_or(default_user()));
  std::vector<RunResult> results(static_cast<std::size_t>(runs));
  std::atomic<int> next{0};
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < std::min(concurrency, runs); ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < runs; i = next++) {
          results[static_cast<std::size_t>(i)] = runner.run(flow, i + 1, vars);
        }
      });
    }
  }
  int worst = 0;
  json::array out;
  for (const auto& r : results) {
    worst = std::max(worst, exit_code(r.status));
    json::object o;
    o["run"] = r.run;
    o["status"] = r.status;
    json::array steps;
    for (const auto& s : r.steps) {
      json::object so;
      so["step"] = s.step;
      so["connection"] = s.connection;
      so["status"] = s.status;
      so["message"] = s.message;
      boost::system::error_code ec;
      auto doc = json::parse(s.document, ec);
      if (!ec) so["document"] = std::move(doc);
      steps.push_back(std::move(so));
    }
    o["steps"] = std::move(steps);
    out.push_back(std::move(o));
    if (!args.flag("json")) {
      std::cout << "run " << r.run << ": " << r.status << '\n';
      for (const auto& s : r.steps) {
        std::cout << "  " << s.step << " (" << s.connection << "): " << s.status << " - "
                  << s.message << '\n';
      }
    }
  }
  if (args.flag("json")) std::cout << json::serialize(out) << '\n';
  return worst;
}

volatile std::sig_atomic_t stop_requested = 0;

int cmd_sandbox(const Context& ctx, const Arguments& args) {
  args.only({"smtp-port", "smtps-port", "pop3-port", "pop3s-port", "for"});
  sandbox::Options options;
  options.data_dir = ctx.data_dir / "sandbox";
  auto port = [&](const char* name, std::uint16_t fallback) {
    return static_cast<std::uint16_t>(
        std::stoi(args.option(name).value_or(std::to_string(fallback))));
  };
  options.smtp_port = port("smtp-port", 2525);
  options.smtps_port = port("smtps-port", 2465);
  options.pop3_port = port("pop3-port", 2110);
  options.pop3s_port = port("pop3s-port", 2995);
  options.log = [](std::string_view line) { std::cerr << "sandbox: " << line << '\n'; };
  sandbox::Server server(options);
  try {
    server.start();
  } catch (const std::runtime_error& e) {
    std::cerr << "flowhost: " << e.what() << '\n';  // e.g. a port in use: say which
    return 2;
  }
  const auto ports = server.ports();
  std::cout << "sandbox mail server on 127.0.0.1: SMTP " << ports.smtp << " (STARTTLS), SMTPS "
            << ports.smtps << ", POP3 " << ports.pop3 << " (STLS), POP3S " << ports.pop3s
            << "\nuser sandbox / password sandbox\nCA certificate: " << server.ca_file().string()
            << "\nmail arrives in: " << server.mail_dir().string() << '\n'
            << std::flush;
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  const auto limit = args.option("for");
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(limit ? std::stoi(*limit) : 365 * 24 * 3600);
  while (stop_requested == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  Context ctx;
  ctx.plugin_dir = PluginFolder::default_folder();
  ctx.data_dir = ConnectionStore::default_data_dir();
  // Global options come before the command.
  while (!words.empty() && words[0].starts_with("--")) {
    const auto option = words[0];
    if (option == "--verbose") {
      ctx.verbose = true;
      words.erase(words.begin());
      continue;
    }
    if (option == "--help") {
      std::cout << usage;
      return 0;
    }
    if (words.size() < 2 || (option != "--plugins" && option != "--data")) {
      std::cerr << usage;
      return 1;
    }
    (option == "--plugins" ? ctx.plugin_dir : ctx.data_dir) = words[1];
    words.erase(words.begin(), words.begin() + 2);
  }
  if (words.empty()) {
    std::cerr << usage;
    return 1;
  }
  const auto command = words[0];
  try {
    const Arguments args(std::vector<std::string>(words.begin() + 1, words.end()), {"json"});
    if (command == "plugins") return cmd_plugins(ctx);
    if (command == "schema") return cmd_schema(ctx, args);
    if (command == "connection") return cmd_connection(ctx, args);
    if (command == "send") return cmd_send(ctx, args);
    if (command == "run") return cmd_run(ctx, args);
    if (command == "sandbox") return cmd_sandbox(ctx, args);
    std::cerr << "unknown command: " << command << "\n" << usage;
    return 1;
  } catch (const UsageError& e) {
    std::cerr << "flowhost: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "flowhost: " << e.what() << '\n';
    return 2;
  }
}
