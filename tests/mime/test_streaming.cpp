// The built message streams: any read size gives the same bytes, attachments are pulled from
// their sources one read at a time (a 50 MB attachment never sits in memory), sizes are exact,
// failing or lying sources are reported, and a message can be rewound to be sent again.

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "mime_support.hpp"
#include "smtp/mime/error.hpp"
#include "smtp/protocol/base64.hpp"

using mime_test::fixed_options;
using mime_test::read_all;
using mime_test::source;
using smtp::mime::MessageBuilder;

namespace {

// The attachment byte at `offset`: a pattern that is not periodic in 3 or 57.
char pattern(std::uint64_t offset) {
  return static_cast<char>((offset * 2654435761u >> 7) ^ (offset >> 12));
}

struct SourceStats {
  std::uint64_t given = 0;      // bytes handed to the builder so far
  std::size_t max_request = 0;  // the largest buffer the builder asked to fill
  std::size_t reads = 0;
  bool destroyed = false;
};

// A generated attachment that records how the builder reads it. `trickle` caps each read (a
// pipe); `fail_at` makes the read that reaches that offset fail.
class GeneratedSource final : public smtp::BodySource {
 public:
  GeneratedSource(std::uint64_t size, SourceStats& stats, std::optional<std::uint64_t> announced,
                  std::size_t trickle = 0, std::uint64_t fail_at = UINT64_MAX)
      : size_(size), stats_(stats), announced_(announced), trickle_(trickle), fail_at_(fail_at) {}
  ~GeneratedSource() override { stats_.destroyed = true; }

  std::size_t read(std::span<char> buffer, std::error_code& ec) override {
    stats_.max_request = std::max(stats_.max_request, buffer.size());
    ++stats_.reads;
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size_ - offset_));
    if (trickle_ > 0) n = std::min(n, trickle_);
    if (offset_ + n >= fail_at_) {
      ec = std::make_error_code(std::errc::io_error);
      return 0;
    }
    for (std::size_t i = 0; i < n; ++i) buffer[i] = pattern(offset_ + i);
    offset_ += n;
    stats_.given += n;
    return n;
  }
  std::optional<std::uint64_t> size() const override { return announced_; }

 private:
  std::uint64_t size_;
  SourceStats& stats_;
  std::optional<std::uint64_t> announced_;
  std::size_t trickle_;
  std::uint64_t fail_at_;
  std::uint64_t offset_ = 0;
};

MessageBuilder rich_message() {
  MessageBuilder builder;
  builder.from("alice@example.test", "Alice")
      .to("bob@example.test", "山田 太郎")
      .subject("Streaming test: 日本語の件名")
      .text("Hello,\nline two with a trailing space \nGrüße\n")
      .html("<p>Hello</p>\n")
      .attach("small.bin", "application/octet-stream", source(std::string(1000, '\xfe')))
      .attach("unknown size.txt", "text/plain", source("abc\r\ndef", false))
      .attach("empty", "application/octet-stream", source(""))
      .attach("報告書.pdf", "application/pdf", [] { return source(std::string(5000, 'p')); });
  return builder;
}

std::string build_and_read(std::size_t attachment_read_size, std::size_t chunk) {
  auto builder = rich_message();
  auto options = fixed_options();
  options.attachment_read_size = attachment_read_size;
  auto built = builder.build(options);
  REQUIRE(built.ok());
  return read_all(*built.message.body, chunk);
}

}  // namespace

TEST_CASE("streaming: tiny reads give the same bytes as big ones") {
  const auto reference = build_and_read(48 * 1024, 1 << 20);
  for (const std::size_t read_size : {1, 2, 3, 5, 57, 4096}) {
    for (const std::size_t chunk : {1, 2, 3, 7, 76, 1000, 1 << 20}) {
      CAPTURE(read_size);
      CAPTURE(chunk);
      CHECK(build_and_read(read_size, chunk) == reference);
    }
  }
}

TEST_CASE("streaming: a trickling source (short reads) changes nothing") {
  auto message = [](std::size_t trickle) {
    SourceStats stats;
    MessageBuilder builder;
    builder.from("a@example.test").to("b@example.test");
    builder.attach("t.bin", "application/octet-stream",
                   std::make_unique<GeneratedSource>(10000, stats, 10000, trickle));
    auto built = builder.build(fixed_options());
    REQUIRE(built.ok());
    return read_all(*built.message.body, 333);
  };
  CHECK(message(1) == message(0));
  CHECK(message(7) == message(0));
}

TEST_CASE("streaming: a 50 MB attachment is read one read-ahead at a time") {
  constexpr std::uint64_t size = 50ull * 1024 * 1024;
  constexpr std::size_t read_size = 48 * 1024;
  SourceStats stats;
  MessageBuilder builder;
  builder.from("a@example.test").to("b@example.test").text("see attached");
  builder.attach("big.bin", "application/octet-stream",
                 std::make_unique<GeneratedSource>(size, stats, std::nullopt));
  auto options = fixed_options();
  options.attachment_read_size = read_size;
  auto built = builder.build(options);
  REQUIRE(built.ok());
  CHECK_FALSE(built.message.body->size());  // the source did not announce its size
  CHECK(stats.reads == 0);                  // building read nothing

  // Read as the session does, and decode the base64 lines as they pass, so the test holds no
  // more of the attachment than the builder may.
  std::uint64_t consumed = 0;
  std::uint64_t decoded = 0;
  std::uint64_t worst_outstanding = 0;
  enum class At { text, attachment_headers, base64, end } at = At::text;
  bool content_ok = true;
  std::string buffer(256 * 1024, '\0');
  auto take_line = [&](const std::string& line) {
    if (at == At::text && line == "Content-Transfer-Encoding: base64") {
      at = At::attachment_headers;
    } else if (at == At::attachment_headers && line.empty()) {
      at = At::base64;
    } else if (at == At::base64 && line.starts_with("--")) {
      at = At::end;
    } else if (at == At::base64) {
      const auto bytes = smtp::base64::decode(line);
      content_ok = content_ok && bytes && line.size() <= 76;
      if (!bytes) return;
      for (const char c : *bytes) content_ok = content_ok && c == pattern(decoded++);
    }
  };
  std::string partial;
  while (true) {
    std::error_code ec;
    const auto n = built.message.body->read(std::span<char>(buffer.data(), buffer.size()), ec);
    REQUIRE_FALSE(ec);
    if (n == 0) break;
    consumed += n;
    // What the builder took from the source, beyond what the reader has been given (in
    // source bytes): never more than one read-ahead.
    const auto delivered = consumed * 3 / 4;
    if (stats.given > delivered) {
      worst_outstanding = std::max(worst_outstanding, stats.given - delivered);
    }
    partial.append(buffer.data(), n);
    std::size_t start = 0;
    for (auto end = partial.find("\r\n"); end != std::string::npos;
         end = partial.find("\r\n", start)) {
      take_line(partial.substr(start, end - start));
      start = end + 2;
    }
    partial.erase(0, start);
  }
  CHECK(stats.given == size);
  CHECK(decoded == size);
  CHECK(content_ok);
  CHECK(at == At::end);
  CHECK(stats.max_request <= read_size);
  CHECK(worst_outstanding <= read_size);
  CHECK(stats.destroyed);  // the source was released at its end
  CHECK(consumed > size * 4 / 3);
}

TEST_CASE("size(): exact when every source announces its size, else unknown") {
  auto builder = rich_message();
  auto built = builder.build(fixed_options());
  REQUIRE(built.ok());
  CHECK_FALSE(built.message.body->size());  // "unknown size.txt"

  MessageBuilder known;
  known.from("a@example.test").to("b@example.test").text("x");
  for (const std::size_t n : {0, 1, 2, 3, 56, 57, 58, 1000, 100000}) {
    known.attach("f" + std::to_string(n), "application/octet-stream", source(std::string(n, 'z')));
  }
  auto k = known.build(fixed_options());
  REQUIRE(k.ok());
  const auto expected = k.message.body->size();
  REQUIRE(expected);
  CHECK(*expected == read_all(*k.message.body).size());
}

TEST_CASE("a failing or lying attachment source is an error naming the attachment") {
  auto read_error = [](std::unique_ptr<smtp::BodySource> s, std::string& detail) {
    MessageBuilder builder;
    builder.from("a@example.test").to("b@example.test").attach("a.bin", "a/b", std::move(s));
    auto options = fixed_options();
    options.attachment_read_size = 100;
    auto built = builder.build(options);
    REQUIRE(built.ok());
    std::string buffer(64, '\0');
    std::error_code ec;
    while (!ec && built.message.body->read(std::span<char>(buffer.data(), buffer.size()), ec)) {
    }
    detail = built.message.body->error_detail();
    // Once failed, it stays failed.
    std::error_code again;
    CHECK(built.message.body->read(std::span<char>(buffer.data(), buffer.size()), again) == 0);
    CHECK(again == ec);
    return ec;
  };
  SourceStats stats;
  std::string detail;
  CHECK(read_error(std::make_unique<GeneratedSource>(1000, stats, 1000, 0, 500), detail) ==
        smtp::mime::errc::attachment_read_failed);
  CHECK(detail == "attachment 'a.bin': " + std::make_error_code(std::errc::io_error).message());
  CHECK(read_error(std::make_unique<GeneratedSource>(5, stats, 10), detail) ==
        smtp::mime::errc::attachment_read_failed);
  CHECK(detail == "attachment 'a.bin': its stream gave 5 octets but announced 10");
  CHECK(read_error(std::make_unique<GeneratedSource>(1000, stats, 3), detail) ==
        smtp::mime::errc::attachment_read_failed);
  CHECK(detail == "attachment 'a.bin': its stream gave 100 or more octets but announced 3");
}

TEST_CASE("rewind(): the same bytes again from factories, a spent stream cannot rewind") {
  int opened = 0;
  MessageBuilder builder;
  builder.from("a@example.test").to("b@example.test");
  builder.attach("a.txt", "text/plain", [&opened] {
    ++opened;
    return source("hello");
  });
  auto built = builder.build(fixed_options());
  REQUIRE(built.ok());
  CHECK(opened == 1);
  CHECK(built.message.body->rewind());  // nothing read yet: the opened stream is kept
  CHECK(opened == 1);
  const auto first = read_all(*built.message.body, 7);
  CHECK(built.message.body->rewind());
  CHECK(opened == 2);
  CHECK(read_all(*built.message.body, 1000) == first);

  MessageBuilder once;
  once.from("a@example.test").to("b@example.test").attach("a.txt", "text/plain", source("x"));
  auto o = once.build(fixed_options());
  REQUIRE(o.ok());
  CHECK(o.message.body->rewind());  // not read yet
  const auto bytes = read_all(*o.message.body);
  CHECK_FALSE(o.message.body->rewind());
  std::error_code ec;
  char c;
  CHECK(o.message.body->read(std::span<char>(&c, 1), ec) == 0);  // still at its end
  CHECK(bytes.find("eA==") != std::string::npos);
}
