#pragma once
// Small text helpers: case-insensitive ASCII comparison, UTF-8 validation, log-safe and JSON
// escaping, UTC time stamps.

#include <chrono>
#include <string>
#include <string_view>

namespace flowhost::sandbox::text {

char ascii_lower(char c) noexcept;
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;

bool valid_utf8(std::string_view s) noexcept;

// Client-supplied text made safe for one log line: printable ASCII and UTF-8 kept (not the C0
// and C1 controls), everything else as \xNN; cut at max octets (with "...").
std::string printable(std::string_view s, std::size_t max = 200);

// A JSON string literal (with the quotes). Invalid UTF-8 octets become U+FFFD.
std::string json_string(std::string_view s);

// "20240102T030405" (UTC), for file names.
std::string file_stamp(std::chrono::system_clock::time_point t);
// "2024-01-02T03:04:05.678Z" (UTC, milliseconds).
std::string iso_utc(std::chrono::system_clock::time_point t);

}  // namespace flowhost::sandbox::text
