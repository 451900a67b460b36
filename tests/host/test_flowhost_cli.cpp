// flowhost as a person uses it: the real program, the real plugin from a plugin folder, a data
// directory of its own, and the real Postfix harness.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/json/src.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const json::object& servers() {
  static const json::object doc = [] {
    const char* path = std::getenv("SMTP_TEST_SERVERS");
    REQUIRE_MESSAGE(path != nullptr, "SMTP_TEST_SERVERS is not set");
    return json::parse(read_file(path)).as_object();
  }();
  return doc;
}

std::string port(const std::string& name) {
  return std::to_string(servers().at("smtp").as_object().at(name).as_int64());
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A data directory and plugin folder of the test's own.
class Flowhost {
 public:
  Flowhost() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("flowhost-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(dir_ / "plugins");
    fs::create_symlink(FLOWHOST_TEST_PLUGIN, dir_ / "plugins" / "libsmtp_connection.so");
  }
  ~Flowhost() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

  Run operator()(const std::vector<std::string>& args) const {
    std::string command = shell_quote(FLOWHOST_PATH) + " --plugins " +
                          shell_quote((dir_ / "plugins").string()) + " --data " +
                          shell_quote((dir_ / "data").string());
    for (const auto& a : args) command += " " + shell_quote(a);
    const auto err_file = dir_ / "stderr";
    command += " 2>" + shell_quote(err_file.string());
    Run run;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.err = read_file(err_file);
    return run;
  }

  fs::path write(const std::string& name, const std::string& content) const {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private:
  fs::path dir_;
};

// Waits (bounded) until Postfix has delivered `expected` copies of the message holding `marker`
// (one per recipient; they arrive one by one); returns how many copies there are.
int delivered(const std::string& marker, int expected = 1,
              std::chrono::seconds limit = std::chrono::seconds(15)) {
  const fs::path dir(std::string(servers().at("delivered_dir").as_string()));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int found = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    found = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".eml" && read_file(e.path()).find(marker) != std::string::npos) {
        ++found;
      }
    }
    if (found >= expected) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return found;
}

std::string unique(const std::string& what) {
  return what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::vector<std::string> plain_connection(const std::string& name, const std::string& port_name,
                                          const std::string& dynamic = "false") {
  return {"connection",
          "add",
          name,
          "--scope",
          "system",
          "host=127.0.0.1",
          "port=" + port(port_name),
          "authentication=none",
          "dynamic=" + dynamic};
}

}  // namespace

TEST_CASE("plugins: the SMTP plugin loads, a broken file is reported without failing the others") {
  Flowhost flowhost;
  std::ofstream(flowhost.dir() / "plugins" / "broken.so") << "not a shared library";
  const auto run = flowhost({"plugins"});
  CHECK(run.exit_code == 2);
  CHECK(run.out.find("libsmtp_connection.so: smtp-connection 0.1.0 (ABI 1.0)") !=
        std::string::npos);
  CHECK(run.out.find("broken.so: not loaded:") != std::string::npos);
}

TEST_CASE("schema smtp prints the property schema") {
  Flowhost flowhost;
  const auto run = flowhost({"schema", "smtp"});
  REQUIRE(run.exit_code == 0);
  const auto schema = json::parse(run.out).as_object();
  CHECK(schema.at("title").as_string() == "SMTP");
  CHECK(schema.at("properties").as_object().contains("pop3_server"));
}

TEST_CASE("connection add refuses an invalid definition with the plugin's messages") {
  Flowhost flowhost;
  const auto run = flowhost({"connection", "add", "bad", "port=70000", "authentication=none"});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("error /host") != std::string::npos);
  CHECK(run.err.find("error /port") != std::string::npos);
  CHECK(flowhost({"connection", "list"}).out.empty());
}

TEST_CASE("connections: add, list, show without secrets, user over system, remove") {
  Flowhost flowhost;
  REQUIRE(flowhost({"connection", "add", "mail", "--scope", "system", "host=mx.example.test",
                    "authentication=smtp", "starttls=starttls", "port=587", "smtp_username=app",
                    "smtp_password=s3cr3t-value"})
              .exit_code == 0);
  REQUIRE(flowhost({"connection", "add", "mail", "--scope", "user", "--user", "alice",
                    "host=test.example.test", "authentication=none"})
              .exit_code == 0);

  const auto system_view = flowhost({"connection", "show", "mail", "--user", "bob"});
  CHECK(system_view.out.find("mx.example.test") != std::string::npos);
  CHECK(system_view.out.find("********") != std::string::npos);
  CHECK(system_view.out.find("s3cr3t-value") == std::string::npos);
  const auto alice_view = flowhost({"connection", "show", "mail", "--user", "alice"});
  CHECK(alice_view.out.find("test.example.test") != std::string::npos);

  const auto file = flowhost.dir() / "data" / "connections" / "system" / "mail.yaml";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  CHECK(flowhost({"connection", "list", "--user", "alice"}).out.find("user:alice") !=
        std::string::npos);
  CHECK(
      flowhost({"connection", "remove", "mail", "--scope", "user", "--user", "alice"}).exit_code ==
      0);
  CHECK(flowhost({"connection", "show", "mail", "--user", "alice"}).out.find("mx.example.test") !=
        std::string::npos);
}

TEST_CASE("connection names cannot escape the store") {
  Flowhost flowhost;
  for (const std::string name : {"../evil", "a/b", "..", ".hidden"}) {
    CAPTURE(name);
    const auto run = flowhost({"connection", "add", name, "host=127.0.0.1", "authentication=none"});
    CHECK(run.exit_code != 0);
  }
  CHECK_FALSE(fs::exists(flowhost.dir() / "data" / "connections" / "evil.yaml"));
  CHECK_FALSE(fs::exists(flowhost.dir() / "data" / "evil.yaml"));
}

TEST_CASE("connection test prints the handshake step by step") {
  Flowhost flowhost;
  REQUIRE(flowhost({"connection", "add", "tls", "--scope", "system", "host=localhost",
                    "port=" + port("starttls"), "starttls=starttls", "authentication=none",
                    "ca_file=" + std::string(servers().at("ca_file").as_string())})
              .exit_code == 0);
  const auto run = flowhost({"connection", "test", "tls"});
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("ok    connect") != std::string::npos);
  CHECK(run.out.find("ok    STARTTLS") != std::string::npos);
  CHECK(run.out.find("no mail was sent") != std::string::npos);

  REQUIRE(flowhost({"connection", "add", "wrong", "--scope", "system", "host=localhost",
                    "port=" + port("plain"), "starttls=starttls", "authentication=none"})
              .exit_code == 0);
  const auto failing = flowhost({"connection", "test", "wrong"});
  CHECK(failing.exit_code == 4);
  CHECK(failing.out.find("FAIL  STARTTLS") != std::string::npos);
}

TEST_CASE("send: delivered, and the exit code says what happened") {
  Flowhost flowhost;
  REQUIRE(flowhost(plain_connection("postfix", "plain")).exit_code == 0);
  const auto marker = unique("send");
  const auto text = flowhost.write("body.txt", "Hello from flowhost " + marker + "\n");
  const auto attachment = flowhost.write("report.csv", "a,b\n1,2\n");

  const auto ok =
      flowhost({"send", "--connection", "postfix", "--from", "Alice <alice@example.test>", "--to",
                "bob@example.test,carol@example.test", "--subject", marker, "--text-file",
                text.string(), "--attach", attachment.string() + ":text/csv", "--json"});
  CHECK(ok.exit_code == 0);
  const auto result = json::parse(ok.out).as_object();
  CHECK(result.at("status").as_string() == "OK");
  CHECK(result.at("recipients").as_array().size() == 2);
  CHECK(delivered(marker, 2) == 2);

  CHECK(flowhost({"send", "--connection", "postfix", "--from", "alice@example.test", "--to",
                  "reject@example.test", "--subject", "x"})
            .exit_code == 4);
  CHECK(flowhost({"send", "--connection", "postfix", "--from", "alice@example.test", "--to",
                  "tempfail@example.test", "--subject", "x"})
            .exit_code == 3);
  CHECK(flowhost({"send", "--connection", "postfix", "--from", "not an address", "--to",
                  "bob@example.test", "--subject", "x"})
            .exit_code == 2);
  CHECK(flowhost({"send", "--connection", "nope", "--from", "a@example.test", "--to",
                  "bob@example.test"})
            .exit_code == 2);
}

TEST_CASE("send --eml sends a ready-made message as is") {
  Flowhost flowhost;
  REQUIRE(flowhost(plain_connection("postfix", "plain")).exit_code == 0);
  const auto marker = unique("eml");
  const auto eml = flowhost.write("ready.eml",
                                  "From: a@example.test\r\nTo: bob@example.test\r\n"
                                  "Subject: " +
                                      marker + "\r\n\r\nready-made\r\n");
  const auto run = flowhost({"send", "--connection", "postfix", "--from", "a@example.test", "--to",
                             "bob@example.test", "--eml", eml.string()});
  CHECK_MESSAGE(run.exit_code == 0, (run.out + run.err));
  CHECK(delivered(marker) == 1);
}

TEST_CASE("run: a flow with a DynamicConnection step, for that run only") {
  Flowhost flowhost;
  REQUIRE(flowhost(plain_connection("mail", "plain", "true")).exit_code == 0);
  const auto marker = unique("flow");
  const auto flow = flowhost.write("flow.yaml", R"(name: swap
variables:
  marker: )" + marker + R"(
steps:
  - SendMail:
      connection: mail
      from: flows@example.test
      to: [bob@example.test]
      subject: "${marker} run ${run} first"
      text: over BDAT
  - DynamicConnection:
      connection: mail
      properties:
        port: ${other_port}
  - SendMail:
      connection: mail
      from: flows@example.test
      to: [bob@example.test]
      subject: "${marker} run ${run} second"
      text: over DATA
)");
  const auto run =
      flowhost({"run", flow.string(), "--json", "--var", "other_port=" + port("nochunking")});
  CHECK(run.exit_code == 0);
  const auto runs = json::parse(run.out).as_array();
  REQUIRE(runs.size() == 1);
  const auto& steps = runs[0].as_object().at("steps").as_array();
  REQUIRE(steps.size() == 3);
  const auto transcript = [&](std::size_t i) {
    return std::string(
        steps[i].as_object().at("document").as_object().at("transcript").as_string());
  };
  CHECK(transcript(0).find("BDAT") != std::string::npos);
  CHECK(transcript(2).find("BDAT") == std::string::npos);  // the nochunking port: DATA
  CHECK(transcript(2).find("C: DATA") != std::string::npos);
  CHECK(delivered(marker + " run 1 first") == 1);
  CHECK(delivered(marker + " run 1 second") == 1);

  // The stored definition is unchanged: the replacement was that run's alone.
  CHECK(flowhost({"connection", "show", "mail"}).out.find("\"port\":" + port("plain")) !=
        std::string::npos);
}

TEST_CASE("run: DynamicConnection is refused when the connection is not dynamic") {
  Flowhost flowhost;
  REQUIRE(flowhost(plain_connection("fixed", "plain")).exit_code == 0);
  const auto flow = flowhost.write("flow.yaml", R"(name: refused
steps:
  - DynamicConnection:
      connection: fixed
      properties: {port: 25}
  - SendMail: {connection: fixed, from: a@example.test, to: [bob@example.test], subject: never}
)");
  const auto run = flowhost({"run", flow.string()});
  CHECK(run.exit_code == 2);
  CHECK(run.out.find("DynamicConnection (fixed): REFUSED") != std::string::npos);
  CHECK(run.out.find("SendMail") == std::string::npos);
}

TEST_CASE("run: many runs at once, every mail delivered exactly once") {
  Flowhost flowhost;
  REQUIRE(flowhost(plain_connection("mail", "plain")).exit_code == 0);
  const auto marker = unique("many");
  const auto flow = flowhost.write("flow.yaml", R"(name: many
steps:
  - SendMail: {connection: mail, from: a@example.test, to: [bob@example.test], subject: ")" +
                                                    marker + R"( run ${run} end"}
)");
  const auto run = flowhost({"run", flow.string(), "--runs", "24", "--concurrency", "6"});
  CHECK(run.exit_code == 0);
  for (int i = 1; i <= 24; ++i)
    CHECK(delivered(marker + " run " + std::to_string(i) + " end") == 1);
}

TEST_CASE("sandbox: flowhost's own capture server takes a flow's mail") {
  Flowhost flowhost;
  // The sandbox runs in the background for at most 60 s; ephemeral ports, read off its output.
  const auto out_file = flowhost.dir() / "sandbox.out";
  const std::string command = shell_quote(FLOWHOST_PATH) + " --data " +
                              shell_quote((flowhost.dir() / "data").string()) +
                              " sandbox --smtp-port 0 --smtps-port 0 --pop3-port 0 "
                              "--pop3s-port 0 --for 60 >" +
                              shell_quote(out_file.string()) + " 2>/dev/null & echo $!";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char pid_text[32] = {};
  REQUIRE(std::fgets(pid_text, sizeof pid_text, pipe) != nullptr);
  ::pclose(pipe);
  const int pid = std::atoi(pid_text);
  std::string banner;
  for (int i = 0; i < 100 && banner.find("mail arrives in: ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    banner = read_file(out_file);
  }
  REQUIRE(banner.find("mail arrives in: ") != std::string::npos);
  const auto field = [&](const std::string& label, char end) {
    const auto at = banner.find(label) + label.size();
    return banner.substr(at, banner.find(end, at) - at);
  };
  const auto smtps_port = field("SMTPS ", ',');
  const auto ca_file = field("CA certificate: ", '\n');
  const fs::path mail_dir = field("mail arrives in: ", '\n');

  REQUIRE(flowhost({"connection", "add", "sandbox", "--scope", "system", "host=localhost",
                    "port=" + smtps_port, "ssl=smtps", "authentication=smtp",
                    "smtp_username=sandbox", "smtp_password=sandbox", "ca_file=" + ca_file})
              .exit_code == 0);
  const auto marker = unique("sandbox");
  const auto sent = flowhost({"send", "--connection", "sandbox", "--from", "a@example.test", "--to",
                              "bob@example.test", "--subject", marker});
  ::kill(pid, SIGTERM);
  CHECK(sent.exit_code == 0);
  int found = 0;
  for (const auto& e : fs::directory_iterator(mail_dir)) {
    if (e.path().extension() == ".eml" && read_file(e.path()).find(marker) != std::string::npos) {
      ++found;
      auto sidecar = e.path();
      sidecar.replace_extension(".json");
      const auto record = json::parse(read_file(sidecar)).as_object();
      CHECK(record.at("tls").as_bool());
      CHECK(record.at("auth_user").as_string() == "sandbox");
    }
  }
  CHECK(found == 1);
}
