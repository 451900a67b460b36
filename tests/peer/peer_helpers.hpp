#pragma once
// Shared pieces of the scripted-peer tests: options pointing at a peer, EHLO replies, a sender.

#include <initializer_list>
#include <string>
#include <string_view>

#include "smtp/session.hpp"
#include "support/scripted_peer.hpp"

namespace peertest {

using namespace testsupport;
using namespace std::chrono_literals;

inline smtp::SessionOptions options_for(const ScriptedPeer& peer) {
  smtp::SessionOptions options;
  options.host = "127.0.0.1";
  options.port = peer.port();
  options.timeout = 5s;
  options.client_name = "client.test";
  return options;
}

// "250-mx.test\r\n250-KW1\r\n250 KW2": a positive EHLO reply offering `keywords`.
inline Step ehlo_reply(std::initializer_list<std::string_view> keywords) {
  std::string text = "250";
  text += keywords.size() == 0 ? " " : "-";
  text += "mx.test greets client.test";
  std::size_t i = 0;
  for (const auto k : keywords) {
    text += ++i == keywords.size() ? "\r\n250 " : "\r\n250-";
    text += k;
  }
  return send(text);
}

inline Step greeting() { return send("220 mx.test ESMTP ready"); }

inline smtp::Result send_text(smtp::Session& session, std::string_view body,
                              std::vector<std::string> recipients = {"bob@example.test"},
                              std::string from = "alice@example.test") {
  smtp::BufferBody source{std::string(body)};
  return session.send(smtp::Envelope{std::move(from), std::move(recipients)}, source);
}

// Runs `use` on a session to the peer, drops the session (which closes the connection without
// QUIT), then waits for the peer to finish its script. Returns what `use` returned.
template <class Use>
auto exchange(ScriptedPeer& peer, smtp::SessionOptions options, Use use) {
  auto result = [&] {
    smtp::Session session(std::move(options));
    return use(session);
  }();
  peer.wait();
  return result;
}

}  // namespace peertest
