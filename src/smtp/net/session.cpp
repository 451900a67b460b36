// The engine: runs the SMTP conversation over a net::Connection (Boost.Asio and OpenSSL), using
// the sans-I/O pieces in protocol/ for everything that is bytes and rules. The transaction
// itself is in transaction.cpp.

#include "smtp/net/session_impl.hpp"

namespace smtp {

Session::Session(SessionOptions options, std::shared_ptr<TlsClientContext> tls_context)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(tls_context))) {}

Session::~Session() = default;

Result Session::open() { return impl_->do_open(); }

Result Session::send(const Envelope& envelope, BodySource& body, const MessageTraits& traits) {
  auto& impl = *impl_;
  std::string opening_transcript;
  if (!impl.opened) {
    Result opening = impl.do_open();
    if (!opening.ok()) {
      for (const auto& r : envelope.recipients) {
        opening.recipients.push_back({r, opening.status, {}});
      }
      return opening;
    }
    opening_transcript = std::move(opening.transcript);
  }
  impl.begin();
  Result result;
  const auto ec = impl.run(impl.transact(envelope, body, traits, result));
  impl.finish(result, ec, "send");
  result.transcript.insert(0, opening_transcript);
  return result;
}

void Session::close() {
  auto& impl = *impl_;
  if (impl.opened && !impl.is_broken) {
    impl.begin();
    if (!impl.run(impl.quit())) impl.stage = Stage::quit;
  }
  impl.reset_connection();
  impl.is_broken = false;
  impl.transcript.take();
}

bool Session::probe(Probe depth) {
  auto& impl = *impl_;
  if (!impl.opened) return false;
  bool alive = !impl.conn().peer_gone();
  if (alive && depth == Probe::thorough) {
    impl.begin();
    alive = !impl.run(impl.noop());
  }
  if (!alive) {
    impl.transcript.note("the server closed the idle session");
    impl.reset_connection();
  }
  impl.transcript.take();
  return alive;
}

bool Session::is_open() const { return impl_->opened; }
Session::Stage Session::stage() const { return impl_->stage; }
std::uint64_t Session::round_trips() const { return impl_->round_trips; }
bool Session::broken() const { return impl_->is_broken; }
const Capabilities& Session::capabilities() const { return impl_->caps; }
const SessionOptions& Session::options() const { return impl_->options; }

}  // namespace smtp
