// The mail transaction: envelope, pipelining (within a message and across messages), DATA or
// BDAT, and the per-recipient outcome.

#include "smtp/net/session_impl.hpp"

namespace smtp {

namespace {

// A flight written ahead stops taking messages once it holds this much.
constexpr std::size_t flight_limit = std::size_t{1024} * 1024;

}  // namespace

std::error_code Session::Impl::prepare(const Envelope& envelope, const MessageTraits& traits,
                                       Prepared& p, std::string& why) {
  if (envelope.recipients.empty()) return errc::no_recipients;
  p.needs_smtputf8 = traits.utf8_headers == Utf8Headers::yes;
  auto check = [&](const std::string& address, bool is_sender) -> std::error_code {
    const auto result = check_address(address, is_sender);
    if (!result) {
      why = std::string(is_sender ? "sender" : "recipient") + " <" + escape_text(address) +
            ">: " + result.reason;
      return result.error;
    }
    p.needs_smtputf8 = p.needs_smtputf8 || result.needs_smtputf8;
    return {};
  };
  if (auto ec = check(envelope.from, true)) return ec;
  for (const auto& r : envelope.recipients) {
    if (auto ec = check(r, false)) return ec;
  }
  if (p.needs_smtputf8 && !caps.smtputf8) return errc::smtputf8_not_offered;
  p.eight_bit = traits.body_class == BodyClass::eight_bit;
  return {};
}

std::error_code Session::Impl::read_piece(BodySource& body, BodyEncoder& encoder, std::string& out,
                                          bool& done, std::string& why) {
  std::string_view tail;
  const auto ec = read_piece(body, encoder, out, tail, done, why);
  out += tail;
  return ec;
}

std::error_code Session::Impl::read_piece(BodySource& body, BodyEncoder& encoder, std::string& out,
                                          std::string_view& tail, bool& done, std::string& why) {
  tail = {};
  std::string& raw = read_buffer;  // kept across messages: no new buffer each time
  raw.resize(options.chunk_size);
  std::size_t filled = 0;
  while (filled < raw.size()) {
    std::error_code ec;
    const auto n = body.read(std::span<char>(raw.data() + filled, raw.size() - filled), ec);
    if (ec) {
      why = ec.message();
      return errc::body_read_failed;
    }
    if (n == 0) {
      done = true;
      break;
    }
    filled += n;
  }
  if (auto ec = encoder.write(std::string_view(raw.data(), filled), out, tail)) return ec;
  if (done) {
    // The end of data goes after the tail; and the last chunk may share its flight with the
    // next messages, whose first reads reuse the read buffer.
    out += tail;
    tail = {};
    encoder.finish(out);
  }
  return {};
}

// The first chunk is read before anything is sent: a small message is then known whole (its
// 8-bit content, its exact BDAT size), and a bad one is refused before the envelope.
std::error_code Session::Impl::admit(Pending& t, bool rset_first) {
  for (const auto& r : t.envelope->recipients) {
    t.result.recipients.push_back({r, Status::failed, {}});
  }
  Prepared prepared;
  if (auto ec = prepare(*t.envelope, *t.traits, prepared, t.detail)) return ec;
  if (auto ec = read_piece(*t.body, t.encoder, t.first, t.body_done, t.detail)) return ec;
  const bool eight_bit = prepared.eight_bit || t.encoder.saw_8bit();
  if (eight_bit && !caps.eightbitmime) return errc::eightbitmime_not_offered;
  // The rest of a longer body is not read yet: unless promised 7-bit, it may hold 8-bit bytes.
  t.declared_8bit = eight_bit || (!t.body_done && caps.eightbitmime &&
                                  t.traits->body_class == BodyClass::unknown);
  const auto size = t.body->size();
  if (caps.size_limit && *caps.size_limit > 0 && size && *size > *caps.size_limit) {
    t.detail =
        std::to_string(*size) + " octets, the server accepts " + std::to_string(*caps.size_limit);
    return errc::message_too_large;
  }

  command::MailParameters params;
  if (caps.size_limit && size) params.size = *size;
  params.body_8bitmime = t.declared_8bit;
  params.smtputf8 = prepared.needs_smtputf8;

  t.rset_first = rset_first;
  std::string line;
  if (rset_first) {
    command::rset(line);
    t.lines.push_back(std::exchange(line, {}));
  }
  if (auto ec = command::mail_from(line, t.envelope->from, params)) return ec;
  t.lines.push_back(std::exchange(line, {}));
  for (const auto& r : t.envelope->recipients) {
    if (auto ec = command::rcpt_to(line, r)) return ec;
    t.lines.push_back(std::exchange(line, {}));
  }
  t.whole = t.use_bdat && caps.pipelining && t.body_done;
  return {};
}

void Session::Impl::append_opening(Pending& t, std::string& flight, Transcript& record) {
  const auto start = flight.size();
  for (const auto& l : t.lines) flight += l;
  if (!t.use_bdat) command::data(flight);
  if (t.whole) command::bdat(flight, t.first.size(), true);
  record.client(std::string_view(flight).substr(start));
  if (t.whole) {
    record.client_body(t.first.size());
    flight += t.first;
    t.first = std::string();  // written: its memory is not kept while the replies come
  }
}

void Session::Impl::take_ahead(std::string& flight, bool behind_open_envelope) {
  if (queue == nullptr || !caps.pipelining || is_broken) return;
  while (flight.size() < flight_limit) {
    Session::Queued* next = queue->take();
    if (next == nullptr) return;
    Pending& t =
        in_flight.emplace_back(*next->envelope, *next->body, *next->traits, next, caps.chunking);
    t.from = queue;
    if (auto ec = admit(t, behind_open_envelope || needs_rset)) {
      Result refused = std::move(t.result);
      refused.error = ec;
      refused.status = classify(ec, std::nullopt, DataPhase::before_end_of_data);
      refused.detail = std::move(t.detail);
      in_flight.pop_back();
      queue->settle(*next, std::move(refused));
      continue;
    }
    append_opening(t, flight, t.opening);
    // After DATA, or the envelope of a body of several chunks, the server's replies must come
    // before anything more is written.
    if (!t.whole) return;
    behind_open_envelope = true;
  }
}

awaitable<std::error_code> Session::Impl::write_flight(std::string_view flight) {
  if (auto ec = co_await write(flight)) co_return ec;
  for (auto& t : in_flight) t.written = true;  // everything in flight was in this one or before
  co_return std::error_code{};
}

std::error_code Session::Impl::check_undeclared_8bit(const Pending& t) {
  if (t.declared_8bit || !t.encoder.saw_8bit()) return {};
  is_broken = true;  // no end of data follows: the server discards what it has
  detail = "found past the first " + std::to_string(options.chunk_size) + " octets of the body";
  return caps.eightbitmime ? errc::body_not_seven_bit : errc::eightbitmime_not_offered;
}

Status Session::Impl::recipient_status(const Reply& reply) {
  return reply.is_positive() ? Status::ok : status_of_reply(reply);
}

std::error_code Session::Impl::envelope_refused(const Reply& mail_reply, std::size_t accepted,
                                                const Reply& refusal, Result& result) {
  if (mail_reply.is_positive() && accepted > 0) return {};
  needs_rset = true;
  if (!mail_reply.is_positive()) {
    last_reply = mail_reply;
    for (auto& r : result.recipients) r.status = status_of_reply(mail_reply);
    return errc::sender_rejected;
  }
  last_reply = refusal;
  return errc::all_recipients_rejected;
}

awaitable<std::error_code> Session::Impl::transact(Pending& t) {
  if (auto ec = admit(t, needs_rset)) {
    detail = std::move(t.detail);
    co_return ec;
  }
  if (caps.pipelining) {
    std::string flight;
    append_opening(t, flight, transcript);
    if (t.whole) take_ahead(flight, true);
    if (auto ec = co_await write_flight(flight)) co_return ec;
    end_of_data_sent = t.end_of_data_written();
  }
  co_return co_await complete(t);
}

awaitable<std::error_code> Session::Impl::complete(Pending& t) {
  // Resumed with its body already written, and the last written: the next messages may go now,
  // before its replies are read.
  if (t.whole && &t == &in_flight.back()) {
    std::string flight;
    take_ahead(flight, true);
    if (!flight.empty()) {
      if (auto ec = co_await write_flight(flight)) co_return ec;
    }
  }

  const bool pipelined = caps.pipelining;
  Result& result = t.result;
  std::size_t next_line = 0;
  // Without PIPELINING each command waits for its reply.
  auto send_next = [&]() -> awaitable<std::error_code> {
    if (pipelined) co_return std::error_code{};
    co_return co_await write_commands(t.lines[next_line++]);
  };

  Reply reply;
  if (t.rset_first) {
    if (auto ec = co_await send_next()) co_return ec;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    if (!reply.is_positive()) {
      last_reply = reply;
      is_broken = true;
      co_return errc::sender_rejected;
    }
    needs_rset = false;
  }
  if (auto ec = co_await send_next()) co_return ec;
  if (auto ec = co_await read_reply(reply)) co_return ec;
  const Reply mail_reply = reply;
  if (!mail_reply.is_positive() && !pipelined) {
    co_return envelope_refused(mail_reply, 0, mail_reply, result);
  }
  std::size_t accepted = 0;
  std::optional<Reply> transient_refusal;
  for (auto& r : result.recipients) {
    if (auto ec = co_await send_next()) co_return ec;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    r.status = recipient_status(reply);
    if (r.status == Status::ok) ++accepted;
    if (reply.is_transient()) transient_refusal = reply;
    r.reply = reply;
  }
  // The reply that explains why no recipient was accepted: a transient one, if any, since a
  // later attempt may then succeed.
  const Reply refusal = transient_refusal ? *transient_refusal : reply;

  if (!t.use_bdat) {
    if (!pipelined) {
      if (auto ec = envelope_refused(mail_reply, accepted, refusal, result)) co_return ec;
      std::string line;
      command::data(line);
      if (auto ec = co_await write_commands(line)) co_return ec;
    }
    Reply data_reply;
    if (auto ec = co_await read_reply(data_reply)) co_return ec;
    if (data_reply.code == 354 && (accepted == 0 || !mail_reply.is_positive())) {
      // RFC 2920 3.1: DATA was accepted although nothing can be delivered; end it empty.
      if (auto ec = co_await write_commands(".\r\n")) co_return ec;
      if (auto ec = co_await read_reply(reply)) co_return ec;
    }
    if (auto ec = envelope_refused(mail_reply, accepted, refusal, result)) co_return ec;
    if (data_reply.code != 354) {
      needs_rset = true;
      last_reply = data_reply;
      co_return errc::data_rejected;
    }
    if (auto ec = co_await stream_data(t, t.first)) co_return ec;
  } else if (!t.whole) {
    if (auto ec = envelope_refused(mail_reply, accepted, refusal, result)) co_return ec;
    if (auto ec = co_await stream_bdat(t, t.first)) co_return ec;
  }

  Reply final_reply;
  if (auto ec = co_await read_reply(final_reply)) co_return ec;
  result.reply = final_reply;
  if (auto ec = envelope_refused(mail_reply, accepted, refusal, result)) co_return ec;
  if (!final_reply.is_positive()) {
    needs_rset = true;
    last_reply = final_reply;
    for (auto& r : result.recipients) {
      if (r.status == Status::ok) {
        r.status = status_of_reply(final_reply);
        r.reply = final_reply;
      }
    }
    co_return errc::message_rejected;
  }
  co_return std::error_code{};
}

awaitable<std::error_code> Session::Impl::stream_data(Pending& t, std::string& out) {
  std::uint64_t octets = 0;
  bool done = t.body_done;
  std::string_view tail;  // the rest of the chunk, unchanged in the read buffer
  for (;;) {
    octets += out.size() + tail.size();
    if (done) {
      // The end of data, and the next messages' envelopes in the same flight.
      take_ahead(out, false);
      if (auto ec = co_await write_flight(out)) co_return ec;
      end_of_data_sent = true;  // `out` ended with ".\r\n", and all of it was written
      break;
    }
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out), asio::buffer(tail)};
    if (auto ec = co_await write(buffers)) co_return ec;
    out.clear();
    if (auto ec = read_piece(*t.body, t.encoder, out, tail, done, detail)) {
      // The end of data was never sent, so the server discards what it has; the connection
      // cannot be used any more.
      is_broken = true;
      co_return ec;
    }
    if (auto ec = check_undeclared_8bit(t)) co_return ec;
  }
  out = std::string();
  transcript.client_body(octets);
  transcript.client(".");
  co_return std::error_code{};
}

awaitable<std::error_code> Session::Impl::stream_bdat(Pending& t, std::string& chunk) {
  const bool pipelined = caps.pipelining;
  bool done = t.body_done;
  std::string_view tail;  // the rest of the chunk, unchanged in the read buffer
  std::size_t unread_replies = 0;
  for (;;) {
    std::string flight;
    command::bdat(flight, chunk.size() + tail.size(), done);
    transcript.client(flight);
    transcript.client_body(chunk.size() + tail.size());
    if (done) {
      flight += chunk;  // the last chunk comes whole, with no tail
      take_ahead(flight, false);
      if (auto ec = co_await write_flight(flight)) co_return ec;
      end_of_data_sent = true;
      break;
    }
    const std::array<asio::const_buffer, 3> buffers{asio::buffer(flight), asio::buffer(chunk),
                                                    asio::buffer(tail)};
    if (auto ec = co_await write(buffers)) co_return ec;
    if (pipelined) {
      ++unread_replies;
    } else {
      Reply reply;
      if (auto ec = co_await read_reply(reply)) co_return ec;
      if (!reply.is_positive()) {
        last_reply = reply;
        is_broken = true;  // the server's state after a refused chunk is unknown
        co_return errc::message_rejected;
      }
    }
    chunk.clear();
    if (auto ec = read_piece(*t.body, t.encoder, chunk, tail, done, detail)) {
      is_broken = true;  // LAST was never sent; the server discards the chunks
      co_return ec;
    }
    if (auto ec = check_undeclared_8bit(t)) co_return ec;
  }
  chunk = std::string();
  while (unread_replies-- > 0) {
    Reply reply;
    if (auto ec = co_await read_reply(reply)) co_return ec;
    if (!reply.is_positive()) {
      last_reply = reply;
      is_broken = true;
      co_return errc::message_rejected;
    }
  }
  co_return std::error_code{};
}

void Session::Impl::abandon_in_flight() {
  while (!in_flight.empty()) {
    Pending t = std::move(in_flight.front());
    in_flight.pop_front();
    if (t.queued == nullptr || t.from == nullptr) continue;
    Result lost = std::move(t.result);
    lost.error = errc::connection_lost;
    lost.status = t.end_of_data_written() ? Status::uncertain : Status::retry;
    for (auto& r : lost.recipients) r.status = lost.status;
    lost.detail = t.end_of_data_written()
                      ? "the connection was lost after this message's end of data was sent "
                        "(pipelined behind another message), before the server's reply"
                      : "the connection was lost before this message's end of data was sent "
                        "(pipelined behind another message)";
    t.opening.note("connection closed");
    lost.transcript = t.opening.take();
    t.from->settle(*t.queued, std::move(lost));
  }
}

}  // namespace smtp
