#include "smtp/protocol/capabilities.hpp"

#include <algorithm>
#include <charconv>

namespace smtp {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const auto end = std::min(line.find_first_of(" \t"), line.size());
    out.push_back(line.substr(0, end));
    line.remove_prefix(end);
  }
  return out;
}

void add_auth(Capabilities& caps, const std::vector<std::string_view>& mechanisms) {
  for (const auto m : mechanisms) {
    auto name = upper(m);
    if (std::find(caps.auth_mechanisms.begin(), caps.auth_mechanisms.end(), name) ==
        caps.auth_mechanisms.end()) {
      caps.auth_mechanisms.push_back(std::move(name));
    }
  }
}

}  // namespace

bool Capabilities::offers_auth(std::string_view mechanism) const {
  const auto name = upper(mechanism);
  return std::find(auth_mechanisms.begin(), auth_mechanisms.end(), name) != auth_mechanisms.end();
}

Capabilities Capabilities::from_ehlo(const Reply& reply) {
  Capabilities caps;
  caps.esmtp = true;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    auto items = words(reply.lines[i]);
    if (items.empty()) continue;
    const auto keyword = upper(items.front());
    const std::vector<std::string_view> args(items.begin() + 1, items.end());
    if (keyword == "STARTTLS") {
      caps.starttls = true;
    } else if (keyword == "PIPELINING") {
      caps.pipelining = true;
    } else if (keyword == "CHUNKING") {
      caps.chunking = true;
    } else if (keyword == "8BITMIME") {
      caps.eightbitmime = true;
    } else if (keyword == "SMTPUTF8") {
      caps.smtputf8 = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      caps.enhanced_status_codes = true;
    } else if (keyword == "DSN") {
      caps.dsn = true;
    } else if (keyword == "SIZE") {
      std::uint64_t limit = 0;
      if (!args.empty()) {
        const auto a = args.front();
        const auto [p, err] = std::from_chars(a.data(), a.data() + a.size(), limit);
        if (err != std::errc{} || p != a.data() + a.size()) limit = 0;
      }
      caps.size_limit = limit;
    } else if (keyword == "AUTH") {
      add_auth(caps, args);
    } else if (keyword.starts_with("AUTH=")) {
      // Old servers (and Outlook-era clients) use "AUTH=LOGIN PLAIN".
      std::vector<std::string_view> mechanisms = args;
      const auto first = items.front().substr(5);
      if (!first.empty()) mechanisms.insert(mechanisms.begin(), first);
      add_auth(caps, mechanisms);
    }
  }
  return caps;
}

}  // namespace smtp
