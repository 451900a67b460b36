#include "abi/abi_support.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/json/src.hpp>  // Boost.JSON compiled here, once for the ABI tests
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace abi {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) + " is not set (ctest sets it)");
  }
  return value;
}

std::string plugin_path() { return required_env("SMTP_PLUGIN_PATH"); }

std::string run(const std::string& command, int& status) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, count);
  status = ::pclose(pipe);
  return out;
}

boost::json::value parse(std::string_view json) { return boost::json::parse(json); }

bool has_problem(const boost::json::value& problems, std::string_view path,
                 std::string_view severity) {
  if (!problems.is_array()) return false;
  for (const auto& problem : problems.as_array()) {
    const auto* object = problem.if_object();
    if (object == nullptr) continue;
    const auto* p = object->if_contains("path");
    const auto* s = object->if_contains("severity");
    if (p != nullptr && p->is_string() && p->as_string() == path && s != nullptr &&
        s->is_string() && s->as_string() == severity) {
      return true;
    }
  }
  return false;
}

const MailServers& MailServers::get() {
  static const MailServers instance = [] {
    const auto doc = parse(read_file(required_env("SMTP_TEST_SERVERS"))).as_object();
    MailServers s;
    for (const auto& [name, port] : doc.at("smtp").as_object()) {
      s.smtp_[std::string(name)] = static_cast<std::uint16_t>(port.as_int64());
    }
    for (const auto& [name, port] : doc.at("pop3").as_object()) {
      s.pop3_[std::string(name)] = static_cast<std::uint16_t>(port.as_int64());
    }
    for (const auto& [name, password] : doc.at("users").as_object()) {
      s.users_[std::string(name)] = std::string(password.as_string());
    }
    s.host_ = std::string(doc.at("host").as_string());
    s.ca_file_ = std::string(doc.at("ca_file").as_string());
    s.domain_ = std::string(doc.at("domain").as_string());
    s.delivered_dir_ = std::string(doc.at("delivered_dir").as_string());
    s.pop_state_file_ =
        std::string(doc.at("pop_before_smtp").as_object().at("state_file").as_string());
    return s;
  }();
  return instance;
}

void MailServers::forget_pop3_logins() const {
  std::error_code ignored;
  std::filesystem::remove(pop_state_file_, ignored);
}

std::optional<Delivery> MailServers::wait_for(const std::string& marker,
                                              const std::string& recipient,
                                              std::chrono::seconds limit) const {
  // Postfix delivers asynchronously; the sidecar .json appears after the .eml.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(delivered_dir_, ec)) {
      if (entry.path().extension() != ".json") continue;
      auto meta = parse(read_file(entry.path())).as_object();
      if (meta.at("recipient").as_string() != recipient) continue;
      auto eml = entry.path();
      eml.replace_extension(".eml");
      auto message = read_file(eml);
      if (message.find(marker) == std::string::npos) continue;
      return Delivery{std::move(message), std::move(meta)};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

std::string unique_marker(std::string_view test) {
  static std::atomic<int> counter{0};
  return std::string(test) + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) +
         "." + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace abi
