#pragma once
// Shared helpers of the MIME builder tests: deterministic build options, in-memory and fake
// attachment sources, reading a built message whole, and Python's email parser as an oracle.

#include <doctest/doctest.h>

#include <unistd.h>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smtp/message.hpp"
#include "smtp/mime/message_builder.hpp"

#ifndef MIME_PARSE_SCRIPT
#error "MIME_PARSE_SCRIPT must name tests/mime/parse_message.py"
#endif

namespace mime_test {

// 2026-11-29 12:00:00 UTC, a Sunday.
inline std::chrono::system_clock::time_point fixed_time() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1795953600));
}

// Deterministic options: the fixed time in UTC, and tokens "tok1", "tok2", ...
inline smtp::mime::BuildOptions fixed_options() {
  smtp::mime::BuildOptions options;
  options.now = fixed_time();
  options.utc_offset = std::chrono::minutes(0);
  options.random_token = [n = 0]() mutable { return "tok" + std::to_string(++n); };
  return options;
}

// An attachment held in memory (smtp::BufferBody is in smtp_core, which these tests do not
// link). `announce_size` false: size() is unknown, as for a pipe.
class StringSource final : public smtp::BodySource {
 public:
  explicit StringSource(std::string bytes, bool announce_size = true)
      : bytes_(std::move(bytes)), announce_size_(announce_size) {}
  std::size_t read(std::span<char> buffer, std::error_code&) override {
    const auto n = std::min(buffer.size(), bytes_.size() - offset_);
    std::memcpy(buffer.data(), bytes_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  std::optional<std::uint64_t> size() const override {
    if (!announce_size_) return std::nullopt;
    return bytes_.size();
  }

 private:
  std::string bytes_;
  bool announce_size_;
  std::size_t offset_ = 0;
};

inline std::unique_ptr<smtp::BodySource> source(std::string bytes, bool announce_size = true) {
  return std::make_unique<StringSource>(std::move(bytes), announce_size);
}

// Reads a body to its end in reads of `chunk` octets; a read error fails the test.
inline std::string read_all(smtp::BodySource& body, std::size_t chunk = 65536) {
  std::string out;
  std::string buffer(chunk, '\0');
  while (true) {
    std::error_code ec;
    const auto n = body.read(std::span<char>(buffer.data(), buffer.size()), ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    if (n == 0) return out;
    out.append(buffer.data(), n);
  }
}

// Builds and reads the message; the build must succeed.
inline std::string build_bytes(smtp::mime::MessageBuilder& builder,
                               const smtp::mime::BuildOptions& options = fixed_options()) {
  auto built = builder.build(options);
  REQUIRE_MESSAGE(built.ok(), built.describe());
  return read_all(*built.message.body);
}

// The longest line (without CRLF), and whether every line break is CRLF.
inline std::size_t longest_line(std::string_view message) {
  std::size_t longest = 0;
  std::size_t start = 0;
  while (start < message.size()) {
    auto end = message.find("\r\n", start);
    if (end == std::string_view::npos) end = message.size();
    longest = std::max(longest, end - start);
    start = end + 2;
  }
  return longest;
}

inline bool only_crlf(std::string_view message) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) return false;
    if (message[i] == '\r' && (i + 1 == message.size() || message[i + 1] != '\n')) return false;
  }
  return true;
}

inline bool is_7bit(std::string_view message) {
  return std::none_of(message.begin(), message.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80 || c == 0; });
}

// The header section (up to and including the empty line).
inline std::string_view header_section(std::string_view message) {
  const auto end = message.find("\r\n\r\n");
  return message.substr(0, end == std::string_view::npos ? message.size() : end + 4);
}

// Runs tests/mime/parse_message.py (Python's email package) on `message`; the JSON it prints.
// Boost.JSON's implementation is compiled once per test program (test_parse.cpp here,
// mail_servers.cpp in server_tests).
inline boost::json::object parse_with_python(std::string_view message) {
  static int counter = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("mime-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".eml");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(message.data(), static_cast<std::streamsize>(message.size()));
  }
  const std::string command =
      "/usr/bin/env python3 '" + std::string(MIME_PARSE_SCRIPT) + "' '" + path.string() + "'";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int status = ::pclose(pipe);
    CHECK_MESSAGE(status == 0, "parse_message.py failed");
  }
  std::filesystem::remove(path);
  boost::json::error_code ec;
  auto value = boost::json::parse(output, ec);
  REQUIRE_MESSAGE(!ec, "parse_message.py printed no JSON: " << output);
  return value.as_object();
}

// The parser's complaints, less the ones the file-name fallback causes by design: the RFC 2047
// words inside a quoted filename= / name= (what most mail clients read, though RFC 2047 5 does
// not allow it) and filename= next to filename*= (RFC 2231's form, which Python counts as a
// duplicate of the first).
inline std::vector<std::string> unexpected_defects(const boost::json::object& parsed) {
  std::vector<std::string> out;
  for (const auto& d : parsed.at("defects").as_array()) {
    const std::string text(d.as_string());
    const bool parameter =
        text.starts_with("Content-Type: ") || text.starts_with("Content-Disposition: ");
    const bool by_design = text.ends_with("encoded word inside quoted string") ||
                           text.ends_with("missing trailing whitespace after encoded-word") ||
                           text.ends_with("duplicate parameter name; duplicate(s) ignored");
    if (!(parameter && by_design)) out.push_back(text);
  }
  return out;
}

inline std::string str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : std::string();
}

// The decoded value of the first header `name` (case-insensitive), "" if absent.
inline std::string header(const boost::json::object& parsed, std::string_view name) {
  for (const auto& h : parsed.at("headers").as_array()) {
    const auto& pair = h.as_array();
    std::string n = str(pair[0]);
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return str(pair[1]);
    }
  }
  return {};
}

}  // namespace mime_test
