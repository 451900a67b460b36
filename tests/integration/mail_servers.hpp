#pragma once
// The running real-server harness (tests/servers/mailservers.py), as the integration tests see
// it: ports by name, users, the CA, and the mail Postfix delivered.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "smtp/options.hpp"

namespace servers {

struct Delivery {
  std::string message;  // the bytes Postfix delivered, as received on the pipe
  std::string sender;
  std::string recipient;
};

class MailServers {
 public:
  // Reads the servers.json named by SMTP_TEST_SERVERS.
  static const MailServers& get();

  std::uint16_t smtp_port(const std::string& name) const;
  std::uint16_t pop3_port(const std::string& name) const;
  // Forgets every POP3 login, so the POP-before-SMTP port refuses mail again. All tests share
  // 127.0.0.1: a negative test must reset first.
  void forget_pop3_logins() const;
  const std::string& password(const std::string& user) const;
  const std::string& ca_file() const { return ca_file_; }

  // Options for a port: host 127.0.0.1 (or `host`), the harness CA, a short time-out.
  smtp::SessionOptions options(const std::string& port_name, smtp::TlsMode tls,
                               std::string host = "127.0.0.1") const;

  // Every delivery so far of the message holding `marker` to `recipient` (no waiting beyond
  // the first: call after wait_for when counting duplicates).
  std::vector<Delivery> deliveries(const std::string& marker, const std::string& recipient) const;

  // Waits (bounded) for Postfix to deliver the message holding `marker` to `recipient`.
  std::optional<Delivery> wait_for(const std::string& marker, const std::string& recipient,
                                   std::chrono::seconds limit = std::chrono::seconds(15)) const;

 private:
  std::map<std::string, std::uint16_t> smtp_;
  std::map<std::string, std::uint16_t> pop3_;
  std::string pop_state_file_;
  std::map<std::string, std::string> users_;
  std::string ca_file_;
  std::string delivered_dir_;
};

// A unique Message-ID for a test message.
std::string unique_id(const std::string& test);

}  // namespace servers
