// What reaches the log: results and transcripts with secrets redacted and server text escaped.

#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "peer_helpers.hpp"
#include "smtp/error.hpp"
#include "smtp/log.hpp"

using namespace peertest;

namespace {

// Captures everything the core logs, at every level, for the life of the object.
class CapturedLog {
 public:
  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto log = std::make_shared<spdlog::logger>("test", sink);
    log->set_level(spdlog::level::trace);
    smtp::set_logger(log);
  }
  ~CapturedLog() { smtp::set_logger(nullptr); }
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
};

}  // namespace

TEST_CASE("the log shows the conversation but never a password or an AUTH payload") {
  CapturedLog log;
  const std::string password = "Sw0rdf1sh!";
  ScriptedPeer peer({greeting(), expect_line(), ehlo_reply({"AUTH LOGIN"}), expect_line(),
                     send("334 VXNlcm5hbWU6"), expect_line(), send("334 UGFzc3dvcmQ6"),
                     expect_line(), send("535 5.7.8 \xe2\x80\xae bad credentials")});
  auto options = options_for(peer);
  options.credentials = smtp::Credentials{smtp::sasl::Mechanism::login, "alice", password};
  const auto result = exchange(peer, options, [](smtp::Session& s) { return s.open(); });

  const auto text = log.text();
  CHECK(result.error == smtp::errc::auth_failed);
  CHECK(text.find("AUTH LOGIN") != std::string::npos);  // the conversation is there
  CHECK(text.find("535 5.7.8 \\xe2\\x80\\xae bad credentials") != std::string::npos);
  CHECK(text.find(password) == std::string::npos);
  CHECK(text.find("U3cwcmRmMXNoIQ==") == std::string::npos);  // base64(password)
  CHECK(text.find("YWxpY2U=") == std::string::npos);          // base64(user)
  CHECK(text.find("\xe2\x80\xae") == std::string::npos);
}
