#pragma once
// What the ABI tests share: the plugin's path, running a tool, JSON (Boost.JSON, header-only;
// compiled in abi_support.cpp), and the real-server harness as a host sees it. Nothing here
// includes src/ or plugin/: the tests are a host written against sdk/ alone.

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace abi {

// The value of an environment variable; throws when it is not set.
std::string required_env(const char* name);

// $SMTP_PLUGIN_PATH: the built plugin (ctest sets it).
std::string plugin_path();

// Runs a shell command; its standard output, and its exit status in `status`.
std::string run(const std::string& command, int& status);

boost::json::value parse(std::string_view json);

// True when a problems document has a problem at `path` ("/host") of `severity`.
bool has_problem(const boost::json::value& problems, std::string_view path,
                 std::string_view severity);

// The running Postfix/Dovecot harness (tests/servers), from $SMTP_TEST_SERVERS.
struct Delivery {
  std::string message;       // the .eml bytes
  boost::json::object meta;  // the .json sidecar
};

class MailServers {
 public:
  static const MailServers& get();

  std::uint16_t smtp(const std::string& name) const { return smtp_.at(name); }
  std::uint16_t pop3(const std::string& name) const { return pop3_.at(name); }
  const std::string& password(const std::string& user) const { return users_.at(user); }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& host() const { return host_; }
  const std::string& domain() const { return domain_; }
  // Forgets every POP3 login: the pop_before_smtp port refuses mail again.
  void forget_pop3_logins() const;
  // Waits (bounded by `limit`) for Postfix to deliver a message holding `marker` to
  // `recipient`, polling the delivered dir.
  std::optional<Delivery> wait_for(const std::string& marker, const std::string& recipient,
                                   std::chrono::seconds limit = std::chrono::seconds(15)) const;

 private:
  std::map<std::string, std::uint16_t> smtp_;
  std::map<std::string, std::uint16_t> pop3_;
  std::map<std::string, std::string> users_;
  std::string host_;
  std::string ca_file_;
  std::string domain_;
  std::string delivered_dir_;
  std::string pop_state_file_;
};

// A unique marker for a test message (also usable as a Message-ID's left part).
std::string unique_marker(std::string_view test);

// Base64 of `bytes`, to look for encoded credentials.
std::string base64(std::string_view bytes);

}  // namespace abi
