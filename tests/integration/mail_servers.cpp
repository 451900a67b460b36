#include "mail_servers.hpp"

#include <unistd.h>
#include <atomic>
#include <boost/json/src.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace servers {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

const MailServers& MailServers::get() {
  static const MailServers instance = [] {
    const char* path = std::getenv("SMTP_TEST_SERVERS");
    if (path == nullptr) throw std::runtime_error("SMTP_TEST_SERVERS is not set");
    const auto doc = boost::json::parse(read_file(path)).as_object();
    MailServers s;
    for (const auto& [name, port] : doc.at("smtp").as_object()) {
      s.smtp_[std::string(name)] = static_cast<std::uint16_t>(port.as_int64());
    }
    for (const auto& [name, port] : doc.at("pop3").as_object()) {
      s.pop3_[std::string(name)] = static_cast<std::uint16_t>(port.as_int64());
    }
    s.pop_state_file_ =
        std::string(doc.at("pop_before_smtp").as_object().at("state_file").as_string());
    for (const auto& [name, password] : doc.at("users").as_object()) {
      s.users_[std::string(name)] = std::string(password.as_string());
    }
    s.ca_file_ = std::string(doc.at("ca_file").as_string());
    s.delivered_dir_ = std::string(doc.at("delivered_dir").as_string());
    return s;
  }();
  return instance;
}

std::uint16_t MailServers::smtp_port(const std::string& name) const { return smtp_.at(name); }

std::uint16_t MailServers::pop3_port(const std::string& name) const { return pop3_.at(name); }

void MailServers::forget_pop3_logins() const {
  std::error_code ignored;
  std::filesystem::remove(pop_state_file_, ignored);
}

const std::string& MailServers::password(const std::string& user) const { return users_.at(user); }

smtp::SessionOptions MailServers::options(const std::string& port_name, smtp::TlsMode tls,
                                          std::string host) const {
  smtp::SessionOptions options;
  options.host = std::move(host);
  options.port = smtp_port(port_name);
  options.tls = tls;
  options.ca_file = ca_file_;
  options.timeout = std::chrono::seconds(20);
  return options;
}

std::vector<Delivery> MailServers::deliveries(const std::string& marker,
                                              const std::string& recipient) const {
  std::vector<Delivery> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(delivered_dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    const auto meta = boost::json::parse(read_file(entry.path())).as_object();
    if (meta.at("recipient").as_string() != recipient) continue;
    auto eml = entry.path();
    eml.replace_extension(".eml");
    auto message = read_file(eml);
    if (message.find(marker) == std::string::npos) continue;
    found.push_back(Delivery{std::move(message), std::string(meta.at("sender").as_string()),
                             std::string(meta.at("recipient").as_string())});
  }
  return found;
}

std::optional<Delivery> MailServers::wait_for(const std::string& marker,
                                              const std::string& recipient,
                                              std::chrono::seconds limit) const {
  // Postfix delivers asynchronously; poll the capture folder, bounded by `limit`.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto found = deliveries(marker, recipient);
    if (!found.empty()) return std::move(found.front());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

std::string unique_id(const std::string& test) {
  static std::atomic<int> counter{0};
  return "<" + test + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) + "." +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) +
         "@client.test>";
}

}  // namespace servers
