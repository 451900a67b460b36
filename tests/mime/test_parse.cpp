// scratch
#include <boost/json/src.hpp>
#include <iostream>
#include "mime_support.hpp"
using namespace mime_test;
TEST_CASE("scratch") {
  smtp::mime::MessageBuilder b;
  b.from("alice@example.test", "Alice Example").to("bob@example.test", "Bob").cc("carol@example.test")
   .bcc("dave@example.test").subject("Hello there").text("Hello Bob,\nsee you.\n");
  std::cout << build_bytes(b) << "=====\n";
  smtp::mime::MessageBuilder c;
  c.from("alice@example.test", "山田 太郎").to("bob@example.test", "Doe, John").subject("日本語の件名です。とても長い件名なので、複数のエンコードされた単語に分割されるはずです。")
   .text("Plain text\n").html("<p>caf\xc3\xa9</p>\n").attach("報告書 2026年.pdf", "application/pdf", source("abc")).attach("data.bin","application/octet-stream", source(std::string(100, '\xff')));
  std::cout << build_bytes(c) << "=====\n";
  smtp::mime::MessageBuilder d;
  d.charset(smtp::mime::Charset::iso_2022_jp).from("alice@example.test", "山田 太郎").to("bob@example.test").subject("日本語の件名です。とても長い件名なので、複数のエンコードされた単語に分割されるはずです。")
   .text("こんにちは\n世界¥\n");
  auto s = build_bytes(d);
  std::cout << s << "=====\n";
  auto p = parse_with_python(s);
  std::cout << boost::json::serialize(p) << "\n";
}
