#pragma once
// One realistic message, shared by the parser tests and the Postfix delivery test: Japanese
// and quoted display names, text and HTML, a Japanese-named binary attachment and a CSV, an
// extra header, a Bcc, lines that need dot-stuffing (".", ".."). Attachments come from
// factories, so the message can be rewound. check_sample() checks what Python's email package
// decodes from it.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "mime_support.hpp"
#include "sha256.hpp"
#include "smtp/mime/message_builder.hpp"

namespace mime_test {

struct Sample {
  static constexpr std::uint64_t pdf_size = 300 * 1024 + 7;
  std::string subject = "見積書の送付について（2026年11月分）のご案内 Quotation for November";
  std::string text =
      "佐藤様\n\nいつもお世話になっております。\n見積書を添付いたします。\n"
      "ご確認のほど、よろしくお願いいたします。\n.\n..\n\n-- \n営業部 山田\n";
  std::string html = "<html><body><p>佐藤様</p><p>見積書を添付いたします。</p></body></html>\n";
  std::string pdf_name = "見積書_2026年11月分（改訂版）最終確認済み.pdf";
  std::string csv = "品名,数量\r\nりんご,3\r\n";
};

// The PDF stand-in: generated, so its hash can be computed without keeping it.
class PatternSource final : public smtp::BodySource {
 public:
  explicit PatternSource(std::uint64_t size) : size_(size) {}
  static char at(std::uint64_t i) { return static_cast<char>((i * 131) ^ (i >> 8)); }
  std::size_t read(std::span<char> buffer, std::error_code&) override {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size_ - offset_));
    for (std::size_t i = 0; i < n; ++i) buffer[i] = at(offset_ + i);
    offset_ += n;
    return n;
  }
  std::optional<std::uint64_t> size() const override { return size_; }

 private:
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
};

inline std::string pattern_sha256(std::uint64_t size) {
  Sha256 hash;
  std::string chunk;
  for (std::uint64_t i = 0; i < size; ++i) {
    chunk += PatternSource::at(i);
    if (chunk.size() == 65536) {
      hash.update(chunk);
      chunk.clear();
    }
  }
  hash.update(chunk);
  return hash.hex();
}

inline smtp::mime::MessageBuilder sample_builder(const Sample& s, smtp::mime::Charset charset) {
  smtp::mime::MessageBuilder builder;
  builder.charset(charset)
      .from("alice@example.test", "営業部 山田")
      .to("bob@example.test", "Doe, John")
      .to("hanako@example.test", "佐藤 花子")
      .cc("carol@example.test", "Carol \"CJ\" Jones")
      .bcc("audit@example.test")
      .reply_to("sales@example.test", "営業部")
      .subject(s.subject)
      .header("X-Flow-Run", "実行番号 42")
      .text(s.text)
      .html(s.html)
      .attach(s.pdf_name, "application/pdf",
              [] { return std::make_unique<PatternSource>(Sample::pdf_size); })
      .attach("数量.csv", "text/csv", [csv = s.csv] { return source(csv); });
  return builder;
}

inline std::string lower_ascii(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Checks what Python decoded from the sample built in `charset`.
inline void check_sample(const boost::json::object& parsed, const Sample& s,
                         smtp::mime::Charset charset, const std::string& message_id) {
  const auto charset_name = lower_ascii(std::string(smtp::mime::charset_name(charset)));
  CHECK(unexpected_defects(parsed).empty());
  CHECK(header(parsed, "Subject") == s.subject);
  CHECK(header(parsed, "X-Flow-Run") == "実行番号 42");
  CHECK(header(parsed, "Message-ID") == message_id);
  CHECK(header(parsed, "MIME-Version") == "1.0");
  CHECK(header(parsed, "Bcc").empty());
  const auto& addresses = parsed.at("addresses").as_object();
  CHECK(boost::json::serialize(addresses.at("From")) ==
        R"([["営業部 山田","alice@example.test"]])");
  CHECK(boost::json::serialize(addresses.at("To")) ==
        R"([["Doe, John","bob@example.test"],["佐藤 花子","hanako@example.test"]])");
  CHECK(boost::json::serialize(addresses.at("Cc")) ==
        R"([["Carol \"CJ\" Jones","carol@example.test"]])");
  CHECK(boost::json::serialize(addresses.at("Reply-To")) == R"([["営業部","sales@example.test"]])");
  CHECK_FALSE(addresses.contains("Bcc"));

  CHECK(boost::json::serialize(parsed.at("structure")) ==
        R"(["multipart/mixed","multipart/alternative","text/plain","text/html",)"
        R"("application/pdf","text/csv"])");
  const auto& parts = parsed.at("parts").as_array();
  REQUIRE(parts.size() == 4);
  const auto& text = parts[0].as_object();
  CHECK(str(text.at("charset")) == charset_name);
  CHECK(str(text.at("text")) == s.text);
  const auto& html = parts[1].as_object();
  CHECK(str(html.at("charset")) == charset_name);
  CHECK(str(html.at("text")) == s.html);
  const auto& pdf = parts[2].as_object();
  CHECK(str(pdf.at("filename")) == s.pdf_name);
  CHECK(str(pdf.at("filename_rfc2047")) == s.pdf_name);
  CHECK(str(pdf.at("filename_rfc2231")) == s.pdf_name);
  CHECK(str(pdf.at("transfer_encoding")) == "base64");
  CHECK(pdf.at("size").as_int64() == static_cast<std::int64_t>(Sample::pdf_size));
  CHECK(str(pdf.at("sha256")) == pattern_sha256(Sample::pdf_size));
  const auto& csv = parts[3].as_object();
  CHECK(str(csv.at("filename")) == "数量.csv");
  CHECK(str(csv.at("disposition")) == "attachment");
  CHECK(str(csv.at("sha256")) == sha256_hex(s.csv));
}

}  // namespace mime_test
