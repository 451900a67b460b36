#include "settings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "text.hpp"

namespace smtpplugin {

const boost::json::value* Settings::find(Id id) const {
  return properties_.if_contains(property(id).name);
}

bool Settings::present(Id id) const { return find(id) != nullptr; }

std::string_view Settings::string(Id id) const {
  if (const auto* v = find(id); v != nullptr && v->is_string()) return v->get_string();
  return default_string(id).value_or(std::string_view{});
}

std::int64_t Settings::integer(Id id) const {
  if (const auto* v = find(id)) {
    if (const auto n = as_integer(*v)) return *n;
  }
  return default_integer(id).value_or(0);
}

bool Settings::boolean(Id id) const {
  if (const auto* v = find(id); v != nullptr && v->is_bool()) return v->get_bool();
  return default_boolean(id).value_or(false);
}

namespace {

// The brief's rule: STARTTLS whenever it is asked for; implicit TLS for the SSL value alone.
smtp::TlsMode tls_mode(std::string_view starttls, bool implicit) {
  if (starttls == values::starttls) return smtp::TlsMode::starttls;
  return implicit ? smtp::TlsMode::implicit : smtp::TlsMode::none;
}

}  // namespace

smtp::TlsMode Settings::smtp_tls() const {
  return tls_mode(string(Id::starttls), string(Id::ssl) == values::smtps);
}

smtp::TlsMode Settings::pop3_tls() const {
  return tls_mode(string(Id::pop3_starttls), string(Id::pop3_ssl) == values::pops);
}

std::optional<std::int64_t> as_integer(const boost::json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    const auto u = value.get_uint64();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(u);
    }
    return std::numeric_limits<std::int64_t>::max();  // out of every range the table has
  }
  if (value.is_double()) {
    const double d = value.get_double();
    if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
    constexpr double limit = 9.0e18;  // clamps to a value out of every range, without UB
    return static_cast<std::int64_t>(std::clamp(d, -limit, limit));
  }
  return std::nullopt;
}

std::string pointer(std::string_view name) {
  std::string out = "/";
  for (const char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer(Id id) { return pointer(property(id).name); }

namespace {

template <int Family, std::size_t Size>
std::optional<std::array<unsigned char, Size>> parse_ip(std::string_view text) {
  const std::string host(text);  // inet_pton wants a terminated string
  std::array<unsigned char, Size> bytes{};
  if (::inet_pton(Family, host.c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

bool is_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

}  // namespace

bool is_loopback(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  if (iequals_ascii(host, "localhost")) return true;
  if (const auto v4 = parse_ip<AF_INET, 4>(host)) return (*v4)[0] == 127;
  if (const auto v6 = parse_ip<AF_INET6, 16>(host)) {
    constexpr std::array<unsigned char, 16> loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
    constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (*v6 == loopback) return true;
    return std::equal(v4_mapped.begin(), v4_mapped.end(), v6->begin()) && (*v6)[12] == 127;
  }
  return false;
}

bool is_host_name_or_ip(std::string_view host) {
  if (parse_ip<AF_INET, 4>(host) || parse_ip<AF_INET6, 16>(host)) return true;
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return false;
  while (true) {
    const auto dot = host.find('.');
    if (!is_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool is_secret_reference(std::string_view value) {
  return value.starts_with("env:") || value.starts_with("file:");
}

}  // namespace smtpplugin
