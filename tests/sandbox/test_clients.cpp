// The sandbox driven by independent clients: Python's smtplib, poplib and ssl
// (sandbox_client_check.py), then the stored files checked from here.

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdio>

#include "sandbox_test_support.hpp"

using namespace sandbox_test;

namespace {

struct Run {
  int status = -1;
  std::string output;
};

Run run(const std::string& command) {
  Run result;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The sidecar of the captured message whose Subject header is `subject`.
boost::json::object sidecar_of(const fs::path& mail_dir, const std::string& subject) {
  for (const fs::path& eml : eml_files(mail_dir)) {
    if (read_file(eml).find("\r\nSubject: " + subject + "\r\n") == std::string::npos) continue;
    fs::path json = eml;
    json.replace_extension(".json");
    return boost::json::parse(read_file(json)).as_object();
  }
  return {};
}

}  // namespace

TEST_CASE("Python's smtplib, poplib and ssl against the sandbox") {
  Sandbox sb([](flowhost::sandbox::Options& o) { o.users = {{"flow", "pa55-w0rd"}}; });
  const std::string command =
      std::string(SANDBOX_PYTHON) + " " + SANDBOX_CLIENT_CHECK + " --smtp " +
      std::to_string(sb.ports.smtp) + " --smtps " + std::to_string(sb.ports.smtps) + " --pop3 " +
      std::to_string(sb.ports.pop3) + " --pop3s " + std::to_string(sb.ports.pop3s) + " --data " +
      quoted(sb.dir.path().string()) + " --ca " + quoted(sb.server.ca_file().string()) +
      " --user flow --password pa55-w0rd";
  const Run result = run(command);
  INFO("script output:\n" << result.output);
  INFO("sandbox log:\n" << sb.log.all());
  CHECK(result.status == 0);
  CHECK(result.output.find("all checks passed") != std::string::npos);
  CHECK(result.output.find("FAIL") == std::string::npos);

  // The stored files, read independently of the script.
  const fs::path mail = sb.server.mail_dir();
  const auto files = eml_files(mail);
  CHECK(files.size() == 12);
  for (const fs::path& eml : files) {
    CAPTURE(eml);
    fs::path json_path = eml;
    json_path.replace_extension(".json");
    REQUIRE(fs::exists(json_path));
    const boost::json::object sidecar = boost::json::parse(read_file(json_path)).as_object();
    CHECK(sidecar.at("from").is_string());
    CHECK(sidecar.at("recipients").is_array());
    CHECK((sidecar.at("auth_user").is_null() || sidecar.at("auth_user").is_string()));
    CHECK(sidecar.at("tls").is_bool());
    CHECK(sidecar.at("pop_before_smtp").is_bool());
    CHECK(sidecar.at("received_at").is_string());
    CHECK(sidecar.at("size").to_number<std::uint64_t>() == fs::file_size(eml));
  }
  REQUIRE(!files.empty());
  CHECK(read_file(mail / "latest") == files.back().filename().string() + "\n");

  const auto plain = sidecar_of(mail, "plain-noauth");
  REQUIRE(!plain.empty());
  CHECK(plain.at("pop_before_smtp") == false);
  CHECK(plain.at("tls") == false);
  CHECK(plain.at("auth_user").is_null());
  const auto after_pop = sidecar_of(mail, "after-pop");
  REQUIRE(!after_pop.empty());
  CHECK(after_pop.at("pop_before_smtp") == true);
  const auto cram = sidecar_of(mail, "starttls-cram-md5-noir");
  REQUIRE(!cram.empty());
  CHECK(cram.at("auth_user") == "flow");
  CHECK(cram.at("tls") == true);
  const auto smtps = sidecar_of(mail, "smtps-login");
  REQUIRE(!smtps.empty());
  CHECK(smtps.at("tls") == true);

  // The log tells the story without a password or an AUTH payload.
  CHECK(eventually([&] { return sb.log.contains("login as flow (APOP"); }));
  const std::string log = sb.log.all();
  CHECK(log.find("AUTH CRAM-MD5: authenticated as flow") != std::string::npos);
  CHECK(log.find("STARTTLS: TLSv1.") != std::string::npos);
  CHECK(log.find("pa55-w0rd") == std::string::npos);
  CHECK(log.find("cGE1NS13MHJk") == std::string::npos);          // base64 "pa55-w0rd"
  CHECK(log.find("AGZsb3cAcGE1NS13MHJk") == std::string::npos);  // PLAIN "\0flow\0pa55-w0rd"
}
