// The SMTP plugin driven through the C ABI against the real Postfix and Dovecot of
// tests/servers: test() and send() in every TLS and authentication mode, failures that must not
// leak a password, and the DynamicConnection hook. A host of sdk/ headers only.

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "abi/abi_support.hpp"
#include "flowplugin/host.hpp"

namespace {

namespace json = boost::json;

const abi::MailServers& servers() { return abi::MailServers::get(); }

std::string recipient() { return "bob@" + servers().domain(); }

// Every log line the plugin sends, kept to look for secrets.
class Log {
 public:
  flowplugin::LogFunction function() {
    return [this](fp_log_level, std::string_view message) {
      const std::lock_guard lock(mutex_);
      text_ += message;
      text_ += '\n';
    };
  }
  std::string text() const {
    const std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

// A host: the plugin loaded with a log, and its SMTP factory. One per test.
struct Host {
  Log log;
  flowplugin::Plugin plugin{abi::plugin_path(),
                            {.host_name = "abi server tests", .log = log.function()}};
  flowplugin::ConnectionFactory smtp = plugin.connection_factory("connection.smtp/1");
};

// The properties for an SMTP port of the harness: no authentication, the harness CA.
json::object on_port(const std::string& port_name) {
  return json::object{{"name", "abi " + port_name},
                      {"host", servers().host()},
                      {"port", servers().smtp(port_name)},
                      {"authentication", "none"},
                      {"timeout", 20},
                      {"ca_file", servers().ca_file()}};
}

json::object with(json::object properties, const json::object& more) {
  for (const auto& [key, value] : more) properties[key] = value;
  return properties;
}

json::object smtp_auth(const std::string& port_name, const std::string& mechanism,
                       const std::string& password) {
  return with(on_port(port_name), {{"authentication", "smtp"},
                                   {"smtp_username", "alice"},
                                   {"smtp_password", password},
                                   {"auth_type", mechanism},
                                   {"allow_plaintext_auth", true}});
}

json::object pop_before_smtp(const std::string& pop3_port, const json::object& pop3_mode,
                             const std::string& password) {
  return with(on_port("pop_before_smtp"), with(pop3_mode, {{"authentication", "pop-before-smtp"},
                                                           {"pop3_server", servers().host()},
                                                           {"pop3_port", servers().pop3(pop3_port)},
                                                           {"user", "alice"},
                                                           {"password", password},
                                                           {"interval", 0},
                                                           {"allow_plaintext_auth", true}}));
}

std::string text(const json::object& properties) { return json::serialize(properties); }

std::string message(const std::string& marker, const std::string& to) {
  return json::serialize(json::object{
      {"from", json::object{{"address", "alice@" + servers().domain()}, {"name", "Alice"}}},
      {"to", json::array{json::object{{"address", to}}}},
      {"subject", "ABI test " + marker},
      {"text", "Hello from the ABI tests.\n" + marker + "\n"}});
}

// The report's steps, as "name:ok" for messages.
std::string steps_text(const json::object& report) {
  std::string out;
  for (const auto& step : report.at("steps").as_array()) {
    out += std::string(step.at("step").as_string()) + (step.at("ok").as_bool() ? ":ok " : ":FAIL ");
  }
  return out;
}

bool has_step(const json::object& report, std::string_view name) {
  const auto& steps = report.at("steps").as_array();
  return std::any_of(steps.begin(), steps.end(),
                     [&](const json::value& s) { return s.at("step").as_string() == name; });
}

// test(): FP_OK, ok, every step passed, and the steps this mode implies.
void check_test_passes(const Host& host, const flowplugin::Connection& connection,
                       std::initializer_list<std::string_view> expected_steps) {
  const auto report_json = host.smtp.test(connection);
  INFO("report: " << report_json);
  const auto report = abi::parse(report_json).as_object();
  CHECK(report.at("ok").as_bool());
  CHECK(report.at("status").as_string() == "OK");
  const auto& steps = report.at("steps").as_array();
  CHECK_FALSE(steps.empty());
  for (const auto& step : steps) CHECK(step.at("ok").as_bool());
  for (const auto name : expected_steps) {
    INFO("expected step " << name << "; steps: " << steps_text(report));
    CHECK(has_step(report, name));
  }
}

// send(): a small message with an attachment from a string stream; FP_OK, status OK, and
// Postfix delivered it (found by its Message-ID). Returns the delivery.
std::optional<abi::Delivery> check_send_delivers(const Host& host,
                                                 const flowplugin::Connection& connection,
                                                 const std::string& test_name) {
  const auto marker = abi::unique_marker(test_name);
  std::vector<flowplugin::Attachment> attachments;
  attachments.push_back({"abi-note.txt", "text/plain",
                         flowplugin::Stream::from_string("attachment of " + marker + "\n")});
  const auto [status, result_json] =
      host.smtp.send(connection, message(marker, recipient()), attachments);
  INFO("result: " << result_json);
  CHECK(status == FP_OK);
  const auto result = abi::parse(result_json).as_object();
  CHECK(result.at("status").as_string() == "OK");
  std::string message_id(result.at("message_id").as_string());
  REQUIRE_FALSE(message_id.empty());
  if (message_id.front() == '<') message_id = message_id.substr(1, message_id.size() - 2);
  auto delivery = servers().wait_for(message_id, recipient());
  REQUIRE_MESSAGE(delivery.has_value(), "Postfix did not deliver " << message_id << " in 15 s");
  CHECK(delivery->message.find(marker) != std::string::npos);
  CHECK(delivery->message.find("abi-note.txt") != std::string::npos);
  return delivery;
}

// Test and send over one connection of `properties`; returns the delivery.
std::optional<abi::Delivery> test_and_send(const json::object& properties,
                                           std::initializer_list<std::string_view> steps,
                                           const std::string& test_name) {
  Host host;
  const auto connection = host.smtp.create(text(properties));
  check_test_passes(host, connection, steps);
  return check_send_delivers(host, connection, test_name);
}

// A document or log that must not hold the password in any form that crossed the wire.
void check_no_secret(std::string_view where, std::string_view text, const std::string& user,
                     const std::string& password) {
  INFO(where << ": " << text);
  CHECK(text.find(password) == std::string_view::npos);
  CHECK(text.find(abi::base64(password)) == std::string_view::npos);
  CHECK(text.find(abi::base64(std::string(1, '\0') + user + '\0' + password)) ==
        std::string_view::npos);
}

}  // namespace

// --- every TLS mode -------------------------------------------------------------------------

TEST_CASE("plain port, no authentication: test() and send()") {
  test_and_send(on_port("plain"), {"connect", "greeting", "EHLO"}, "plain");
}

TEST_CASE("STARTTLS: test() and send()") {
  test_and_send(with(on_port("starttls"), {{"starttls", "starttls"}}),
                {"connect", "greeting", "EHLO", "STARTTLS"}, "starttls");
}

TEST_CASE("SMTPS (implicit TLS): test() and send()") {
  test_and_send(with(on_port("smtps"), {{"ssl", "smtps"}}), {"connect", "TLS", "greeting", "EHLO"},
                "smtps");
}

TEST_CASE("TLS: a certificate the host does not trust fails test() and send()") {
  Host host;
  auto properties = with(on_port("smtps"), {{"ssl", "smtps"}});
  properties.erase("ca_file");
  const auto connection = host.smtp.create(text(properties));
  const auto report = abi::parse(host.smtp.test(connection)).as_object();
  INFO(json::serialize(report));
  CHECK_FALSE(report.at("ok").as_bool());
  CHECK(report.at("status").as_string() == "FAILED");
  const auto [status, result] = host.smtp.send(connection, message("untrusted", recipient()));
  INFO(result);
  CHECK(status == FP_FAILED);
  CHECK(abi::parse(result).at("status").as_string() == "FAILED");
}

TEST_CASE("TLS: a public key pin that does not match fails test()") {
  Host host;
  const auto properties =
      with(on_port("smtps"), {{"ssl", "smtps"}, {"pin_sha256", std::string(64, 'a')}});
  const auto connection = host.smtp.create(text(properties));
  const auto report = abi::parse(host.smtp.test(connection)).as_object();
  INFO(json::serialize(report));
  CHECK_FALSE(report.at("ok").as_bool());
}

TEST_CASE("a closed port: test() fails at connect, with FP_FAILED") {
  Host host;
  auto properties = on_port("plain");
  properties["port"] = 1;  // nothing listens there
  properties["timeout"] = 5;
  const auto connection = host.smtp.create(text(properties));
  const auto report_json = host.smtp.test(connection);
  INFO(report_json);
  const auto report = abi::parse(report_json).as_object();
  CHECK_FALSE(report.at("ok").as_bool());
  const auto& steps = report.at("steps").as_array();
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back().at("step").as_string() == "connect");
  CHECK_FALSE(steps.back().at("ok").as_bool());
  // The wrapper returns the report for FP_OK and FP_FAILED alike: check the status itself.
  std::string raw;
  const fp_sink sink = flowplugin::sink_to(raw);
  CHECK(host.smtp.get()->test(connection.get(), &sink) == FP_FAILED);
}

// --- SMTP AUTH --------------------------------------------------------------------------------

TEST_CASE("SMTP AUTH on the plaintext AUTH port: PLAIN, LOGIN, CRAM-MD5") {
  for (const std::string mechanism : {"plain", "login", "cram-md5"}) {
    INFO("auth_type " << mechanism);
    const auto delivery =
        test_and_send(smtp_auth("auth_plain", mechanism, servers().password("alice")),
                      {"connect", "greeting", "EHLO", "authentication"}, "auth-plain-" + mechanism);
    if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "alice");
  }
}

TEST_CASE("SMTP AUTH over SMTPS: PLAIN, LOGIN, CRAM-MD5") {
  for (const std::string mechanism : {"plain", "login", "cram-md5"}) {
    INFO("auth_type " << mechanism);
    auto properties = smtp_auth("auth_smtps", mechanism, servers().password("alice"));
    properties["ssl"] = "smtps";
    properties.erase("allow_plaintext_auth");
    const auto delivery =
        test_and_send(properties, {"connect", "TLS", "greeting", "EHLO", "authentication"},
                      "auth-smtps-" + mechanism);
    if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "alice");
  }
}

TEST_CASE("SMTP AUTH after STARTTLS (the port offers AUTH only after it)") {
  auto properties = smtp_auth("auth_starttls", "plain", servers().password("alice"));
  properties["starttls"] = "starttls";
  properties.erase("allow_plaintext_auth");
  const auto delivery = test_and_send(
      properties, {"connect", "greeting", "EHLO", "STARTTLS", "authentication"}, "auth-starttls");
  if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "alice");
}

TEST_CASE("SMTP AUTH with the password as a secret reference the host resolves") {
  ::setenv("ABI_TEST_SMTP_PASSWORD", servers().password("alice").c_str(), 1);
  const auto delivery =
      test_and_send(smtp_auth("auth_plain", "plain", "env:ABI_TEST_SMTP_PASSWORD"),
                    {"authentication"}, "auth-env-secret");
  if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "alice");
}

TEST_CASE("SMTP AUTH with a wrong password: FP_FAILED, and the password appears nowhere") {
  const std::string wrong = "Wr0ng-pa55word-for-the-ABI-test";
  for (const std::string mechanism : {"plain", "login", "cram-md5"}) {
    INFO("auth_type " << mechanism);
    Host host;
    const auto connection = host.smtp.create(text(smtp_auth("auth_plain", mechanism, wrong)));

    std::string report_json;
    const fp_sink report_sink = flowplugin::sink_to(report_json);
    CHECK(host.smtp.get()->test(connection.get(), &report_sink) == FP_FAILED);
    const auto report = abi::parse(report_json).as_object();
    CHECK_FALSE(report.at("ok").as_bool());
    const auto& steps = report.at("steps").as_array();
    REQUIRE_FALSE(steps.empty());
    CHECK(steps.back().at("step").as_string() == "authentication");
    CHECK_FALSE(steps.back().at("ok").as_bool());

    const auto [status, result_json] = host.smtp.send(connection, message("wrong", recipient()));
    CHECK(status == FP_FAILED);
    CHECK(abi::parse(result_json).at("status").as_string() == "FAILED");

    check_no_secret("report", report_json, "alice", wrong);
    check_no_secret("result", result_json, "alice", wrong);
    check_no_secret("log", host.log.text(), "alice", wrong);
  }
}

TEST_CASE("the right password appears nowhere either (report, result, log)") {
  Host host;
  const auto& password = servers().password("alice");
  const auto connection = host.smtp.create(text(smtp_auth("auth_plain", "plain", password)));
  const auto report = host.smtp.test(connection);
  const auto [status, result] = host.smtp.send(connection, message("secret", recipient()));
  CHECK(status == FP_OK);
  check_no_secret("report", report, "alice", password);
  check_no_secret("result", result, "alice", password);
  check_no_secret("log", host.log.text(), "alice", password);
}

// --- POP before SMTP ------------------------------------------------------------------------

TEST_CASE("POP before SMTP: without a POP3 login the port refuses the recipient") {
  servers().forget_pop3_logins();
  Host host;
  const auto connection = host.smtp.create(text(on_port("pop_before_smtp")));
  const auto [status, result_json] = host.smtp.send(connection, message("no-pop", recipient()));
  INFO(result_json);
  CHECK(status == FP_FAILED);
  const auto result = abi::parse(result_json).as_object();
  CHECK(result.at("status").as_string() == "FAILED");
  CHECK(result.at("recipients").as_array().at(0).at("reply").at("code").as_int64() == 554);
}

TEST_CASE("POP before SMTP: every POP3 mode") {
  struct Mode {
    const char* name;
    const char* port;
    json::object properties;
  };
  const std::vector<Mode> modes{
      {"POP3, USER/PASS", "pop3", {{"pop3_ssl", "pop3"}, {"apop", false}}},
      {"POP3, APOP", "pop3", {{"pop3_ssl", "pop3"}, {"apop", true}}},
      {"POP3 + STLS",
       "pop3",
       {{"pop3_ssl", "pop3"}, {"pop3_starttls", "starttls"}, {"apop", false}}},
      {"POP3S", "pop3s", {{"pop3_ssl", "pops"}, {"apop", false}}},
  };
  for (const auto& mode : modes) {
    INFO("POP3 mode: " << mode.name);
    servers().forget_pop3_logins();
    test_and_send(pop_before_smtp(mode.port, mode.properties, servers().password("alice")),
                  {"POP3 login", "connect", "greeting", "EHLO"}, std::string("pop-") + mode.port);
  }
}

TEST_CASE("POP before SMTP: the POP3 password from a secret file") {
  servers().forget_pop3_logins();
  const auto path =
      std::filesystem::temp_directory_path() / ("abi-pop3-secret-" + std::to_string(::getpid()));
  std::ofstream(path) << servers().password("alice") << "\n";
  test_and_send(pop_before_smtp("pop3", {{"apop", false}}, "file:" + path.string()), {"POP3 login"},
                "pop-file-secret");
  std::filesystem::remove(path);
}

TEST_CASE("POP before SMTP: a wrong POP3 password fails at the POP3 login and never leaks") {
  servers().forget_pop3_logins();
  const std::string wrong = "Wr0ng-pop3-pa55word";
  for (const bool apop : {false, true}) {
    INFO("apop " << apop);
    Host host;
    const auto connection =
        host.smtp.create(text(pop_before_smtp("pop3", {{"apop", apop}}, wrong)));
    const auto report_json = host.smtp.test(connection);
    INFO(report_json);
    const auto report = abi::parse(report_json).as_object();
    CHECK_FALSE(report.at("ok").as_bool());
    const auto& steps = report.at("steps").as_array();
    REQUIRE(steps.size() == 1);
    CHECK(steps.front().at("step").as_string() == "POP3 login");
    CHECK_FALSE(steps.front().at("ok").as_bool());
    const auto [status, result_json] = host.smtp.send(connection, message("bad-pop", recipient()));
    CHECK(status == FP_FAILED);
    check_no_secret("report", report_json, "alice", wrong);
    check_no_secret("result", result_json, "alice", wrong);
    check_no_secret("log", host.log.text(), "alice", wrong);
  }
}

// --- send ---------------------------------------------------------------------------------

TEST_CASE("send: a ready-made message from a stream, with its envelope") {
  Host host;
  const auto connection = host.smtp.create(text(on_port("plain")));
  const auto marker = abi::unique_marker("raw");
  const auto raw = flowplugin::Stream::from_string(
      "From: alice@" + servers().domain() + "\r\nTo: " + recipient() + "\r\nMessage-ID: <" +
      marker + "@abi.test>\r\nSubject: raw " + marker + "\r\n\r\nA raw body.\r\n");
  const auto envelope = json::serialize(json::object{{"from", "alice@" + servers().domain()},
                                                     {"recipients", json::array{recipient()}}});
  const auto [status, result_json] = host.smtp.send(connection, envelope, {}, &raw);
  INFO(result_json);
  CHECK(status == FP_OK);
  const auto result = abi::parse(result_json).as_object();
  CHECK(result.at("message_id").as_string().find(marker) != json::string::npos);
  const auto delivery = servers().wait_for(marker, recipient());
  REQUIRE(delivery.has_value());
  CHECK(delivery->message.find("A raw body.") != std::string::npos);
}

TEST_CASE("send: bad input is FP_INVALID - a refused recipient is FP_FAILED with its reply") {
  Host host;
  const auto connection = host.smtp.create(text(on_port("plain")));

  auto [status, result_json] = host.smtp.send(connection, R"({"to":["bob@example.test"]})");
  INFO(result_json);
  CHECK(status == FP_INVALID);
  std::tie(status, result_json) = host.smtp.send(connection, "not json");
  CHECK(status == FP_INVALID);

  std::tie(status, result_json) =
      host.smtp.send(connection, message("reject", "reject@" + servers().domain()));
  CHECK(status == FP_FAILED);
  const auto result = abi::parse(result_json).as_object();
  CHECK(result.at("status").as_string() == "FAILED");
  const auto& recipients = result.at("recipients").as_array();
  REQUIRE(recipients.size() == 1);
  CHECK(recipients[0].at("reply").at("code").as_int64() == 550);

  std::tie(status, result_json) =
      host.smtp.send(connection, message("tempfail", "tempfail@" + servers().domain()));
  CHECK(status == FP_FAILED);
  CHECK(abi::parse(result_json).at("status").as_string() == "RETRY");
}

namespace {

// Sends `per_thread` messages from each of `threads` threads through one connection; returns
// every message's marker and its (status, result document), in the order they finished.
struct Sent {
  std::vector<std::string> markers;
  std::vector<std::pair<fp_status, std::string>> results;
};
Sent send_from_threads(Host& host, const flowplugin::Connection& connection, int threads,
                       int per_thread, const std::string& prefix) {
  std::mutex mutex;
  Sent sent;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const auto marker = abi::unique_marker(prefix + "-" + std::to_string(t));
        auto outcome = host.smtp.send(connection, message(marker, recipient()));
        const std::lock_guard lock(mutex);
        sent.results.push_back(std::move(outcome));
        sent.markers.push_back(marker);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return sent;
}

}  // namespace

TEST_CASE("send: concurrent sends through one connection are each delivered once") {
  Host host;
  const auto connection = host.smtp.create(text(on_port("plain")));
  const auto [markers, results] = send_from_threads(host, connection, 4, 3, "concurrent");
  REQUIRE(results.size() == 12);
  for (const auto& [status, result] : results) {
    INFO(result);
    CHECK(status == FP_OK);
  }
  for (const auto& marker : markers) {
    INFO(marker);
    CHECK(servers().wait_for(marker, recipient()).has_value());
  }
}

TEST_CASE("SMTP_PLUGIN_MAX_SESSIONS=1: concurrent sends queue and ride one session's flights") {
  ::setenv("SMTP_PLUGIN_MAX_SESSIONS", "1", 1);
  Host host;  // the plugin reads the setting at init
  ::unsetenv("SMTP_PLUGIN_MAX_SESSIONS");
  const auto connection = host.smtp.create(text(on_port("plain")));
  const auto [markers, results] = send_from_threads(host, connection, 4, 4, "capped");
  std::size_t connections = 0;
  std::size_t written_behind_another = 0;
  for (const auto& [status, result] : results) {
    INFO(result);
    CHECK(status == FP_OK);
    const auto transcript =
        std::string(json::parse(result).as_object().at("transcript").as_string());
    if (transcript.find("S: 220 ") != std::string::npos) ++connections;
    // Postfix offers CHUNKING: a message written behind another's unread replies starts with RSET.
    if (transcript.find("C: RSET") != std::string::npos) ++written_behind_another;
  }
  CHECK(connections == 1);  // one session carried all 16
  CHECK(written_behind_another > 0);
  for (const auto& marker : markers) {
    INFO(marker);
    CHECK(servers().wait_for(marker, recipient()).has_value());
  }
}

TEST_CASE("SMTP_PLUGIN_MAX_SESSIONS out of range: a warning names it, and the default holds") {
  ::setenv("SMTP_PLUGIN_MAX_SESSIONS", "lots", 1);
  Host host;
  ::unsetenv("SMTP_PLUGIN_MAX_SESSIONS");
  CHECK(host.log.text().find("SMTP_PLUGIN_MAX_SESSIONS must be a whole number from 1 to 256, not "
                             "\"lots\": using 8") != std::string::npos);
  const auto connection = host.smtp.create(text(on_port("plain")));
  const auto marker = abi::unique_marker("default-cap");
  CHECK(host.smtp.send(connection, message(marker, recipient())).first == FP_OK);
}

// --- the DynamicConnection hook ----------------------------------------------------------------

TEST_CASE("replace_definition: refused when the definition is not dynamic") {
  Host host;
  const auto connection = host.smtp.create(text(on_port("plain")));
  const auto [status, problems] =
      host.smtp.replace_definition(connection, text(on_port("nochunking")));
  INFO(problems);
  CHECK(status == FP_REFUSED);
  CHECK(abi::has_problem(abi::parse(problems), "/dynamic", "error"));
  check_send_delivers(host, connection, "not-dynamic");
}

TEST_CASE("replace_definition: an invalid replacement changes nothing") {
  Host host;
  const auto connection = host.smtp.create(text(with(on_port("plain"), {{"dynamic", true}})));
  auto invalid = with(on_port("nochunking"), {{"dynamic", true}});
  invalid.erase("host");
  const auto [status, problems] = host.smtp.replace_definition(connection, text(invalid));
  INFO(problems);
  CHECK(status == FP_INVALID);
  CHECK(abi::has_problem(abi::parse(problems), "/host", "error"));
  check_send_delivers(host, connection, "after-invalid-replace");
}

TEST_CASE("replace_definition: a valid replacement is used by later sends (plain -> nochunking)") {
  Host host;
  const auto connection = host.smtp.create(text(with(on_port("plain"), {{"dynamic", true}})));

  // On `plain` the server offers CHUNKING: a small message goes with BDAT.
  auto [status, before] = host.smtp.send(connection, message("before-replace", recipient()));
  INFO(before);
  CHECK(status == FP_OK);
  const auto before_transcript = std::string(abi::parse(before).at("transcript").as_string());
  CHECK(before_transcript.find("BDAT") != std::string::npos);

  const auto [replaced, problems] = host.smtp.replace_definition(
      connection, text(with(on_port("nochunking"), {{"dynamic", true}})));
  INFO(problems);
  CHECK(replaced == FP_OK);

  // On `nochunking` it does not: the same message goes with DATA.
  auto [after_status, after] = host.smtp.send(connection, message("after-replace", recipient()));
  INFO(after);
  CHECK(after_status == FP_OK);
  const auto after_transcript = std::string(abi::parse(after).at("transcript").as_string());
  CHECK(after_transcript.find("BDAT") == std::string::npos);
  CHECK(after_transcript.find("DATA") != std::string::npos);
  check_send_delivers(host, connection, "after-replace-delivered");
}

TEST_CASE("replace_definition: switching to SMTP AUTH, later mail is authenticated") {
  Host host;
  const auto connection = host.smtp.create(text(with(on_port("auth_plain"), {{"dynamic", true}})));
  auto delivery = check_send_delivers(host, connection, "before-auth-replace");
  if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "");

  const auto [status, problems] = host.smtp.replace_definition(
      connection, text(with(smtp_auth("auth_plain", "plain", servers().password("alice")),
                            {{"dynamic", true}})));
  INFO(problems);
  CHECK(status == FP_OK);
  delivery = check_send_delivers(host, connection, "after-auth-replace");
  if (delivery) CHECK(delivery->meta.at("sasl_username").as_string() == "alice");
}
