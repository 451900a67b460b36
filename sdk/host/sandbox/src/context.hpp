#pragma once
// What every session shares: the options, the mail store, the POP3 logins (for POP before
// SMTP) and the log. Used from the server's thread only.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "flowhost/sandbox.hpp"
#include "mail_store.hpp"

namespace flowhost::sandbox {

class Channel;

class PopLogins {
 public:
  void record(const std::string& ip) { last_[ip] = std::chrono::steady_clock::now(); }
  bool recent(const std::string& ip, std::chrono::seconds window) const {
    const auto it = last_.find(ip);
    return it != last_.end() && std::chrono::steady_clock::now() - it->second <= window;
  }

 private:
  std::map<std::string, std::chrono::steady_clock::time_point> last_;
};

struct Context {
  const Options& options;
  MailStore& store;
  PopLogins& pop_logins;

  void log(std::string_view line) const noexcept {
    if (!options.log) return;
    try {
      options.log(line);
    } catch (...) {  // a logger that throws loses its line, never the server
    }
  }
  // The password of a user, or null.
  const std::string* password(std::string_view user) const {
    const auto it = options.users.find(std::string(user));
    return it == options.users.end() ? nullptr : &it->second;
  }
};

// One session each; they return when the conversation ends (QUIT, close, error, time-out).
boost::asio::awaitable<void> run_smtp(Context& context, std::shared_ptr<Channel> channel,
                                      std::string tag, bool implicit_tls);
boost::asio::awaitable<void> run_pop3(Context& context, std::shared_ptr<Channel> channel,
                                      std::string tag, bool implicit_tls);

}  // namespace flowhost::sandbox
