// The engine: runs the SMTP conversation over a net::Connection (Boost.Asio and OpenSSL), using
// the sans-I/O pieces in protocol/ for everything that is bytes and rules. The transaction
// itself is in transaction.cpp.

#include "smtp/net/session_impl.hpp"

#include <stdexcept>

namespace smtp {

Session::Session(SessionOptions options, std::shared_ptr<TlsClientContext> tls_context)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(tls_context))) {}

Session::~Session() { impl_->abandon_in_flight(); }

Result Session::open() { return impl_->do_open(); }

Result Session::send(const Envelope& envelope, BodySource& body, const MessageTraits& traits,
                     Queue* queue) {
  auto& impl = *impl_;
  impl.abandon_in_flight();  // none, unless a caller skipped resume()
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
  impl.queue = queue;
  auto& message = impl.in_flight.emplace_back(envelope, body, traits, nullptr, impl.caps.chunking);
  return impl.conclude(impl.transact(message), std::move(opening_transcript));
}

Session::Queued* Session::next_taken() const {
  return impl_->in_flight.empty() ? nullptr : impl_->in_flight.front().queued;
}

Result Session::resume(Queued& message, Queue* queue) {
  auto& impl = *impl_;
  if (impl.in_flight.empty() || impl.in_flight.front().queued != &message) {
    throw std::logic_error("smtp::Session::resume: not the next taken message");
  }
  impl.begin();
  impl.queue = queue;
  auto& pending = impl.in_flight.front();
  impl.end_of_data_sent = pending.end_of_data_written();
  return impl.conclude(impl.complete(pending), pending.opening.take());
}

void Session::close() {
  auto& impl = *impl_;
  impl.abandon_in_flight();
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
