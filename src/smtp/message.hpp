#pragma once
// What a transaction sends: the envelope and a body that streams from its source.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smtp {

struct Envelope {
  std::string from;                     // "" is the null reverse-path
  std::vector<std::string> recipients;  // To, Cc and Bcc alike
};

// The content transfer class of the whole message (RFC 6152). `unknown`: the session finds out
// as it reads; a body longer than its first chunk then goes with BODY=8BITMIME where the server
// offers it (a 7-bit body may be declared 8-bit, never the reverse). `seven_bit` is a promise:
// an 8-bit byte found later abandons the message before its end of data.
enum class BodyClass { unknown, seven_bit, eight_bit };

// Headers with raw UTF-8 (RFC 6532) need SMTPUTF8 even when every address is ASCII.
enum class Utf8Headers { no, yes };

// A message body read in pieces, so a large message never sits in memory whole.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills the front of `buffer`; returns how many bytes, 0 at the end. On failure sets `ec`.
  virtual std::size_t read(std::span<char> buffer, std::error_code& ec) = 0;
  // The size in octets when known (for SIZE=).
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
  // Starts again from the first byte, if the source can; a pool uses it to retry a message on a
  // fresh session when a reused one turned out to be dead.
  virtual bool rewind() { return false; }
};

// A body held in memory (owned, so no caller can leave it dangling).
class BufferBody final : public BodySource {
 public:
  explicit BufferBody(std::string bytes) : bytes_(std::move(bytes)) {}
  std::size_t read(std::span<char> buffer, std::error_code& ec) override;
  std::optional<std::uint64_t> size() const override { return bytes_.size(); }
  bool rewind() override {
    offset_ = 0;
    return true;
  }

 private:
  std::string bytes_;
  std::size_t offset_ = 0;
};

// A body read from a file.
class FileBody final : public BodySource {
 public:
  explicit FileBody(const std::string& path);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  bool is_open() const { return file_ != nullptr; }
  std::size_t read(std::span<char> buffer, std::error_code& ec) override;
  std::optional<std::uint64_t> size() const override { return size_; }
  bool rewind() override;

 private:
  std::FILE* file_ = nullptr;
  std::optional<std::uint64_t> size_;
};

struct MessageTraits {
  BodyClass body_class = BodyClass::unknown;
  Utf8Headers utf8_headers = Utf8Headers::no;
};

}  // namespace smtp
