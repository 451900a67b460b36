// The mail transaction: envelope, pipelining, DATA or BDAT, and the per-recipient outcome.

#include "smtp/net/session_impl.hpp"

namespace smtp {

std::error_code Session::Impl::prepare(const Envelope& envelope, const MessageTraits& traits,
                                       Prepared& p) {
  if (envelope.recipients.empty()) return errc::no_recipients;
  p.needs_smtputf8 = traits.utf8_headers == Utf8Headers::yes;
  auto check = [&](const std::string& address, bool is_sender) -> std::error_code {
    const auto result = check_address(address, is_sender);
    if (!result) {
      detail = std::string(is_sender ? "sender" : "recipient") + " <" + escape_text(address) +
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

// Reads and encodes up to one chunk of the body. `done` becomes true at its end, when the
// encoder's finish() has been appended too.
std::error_code Session::Impl::read_piece(BodySource& body, BodyEncoder& encoder, std::string& raw,
                                          std::string& out, bool& done) {
  raw.resize(options.chunk_size);
  std::size_t filled = 0;
  while (filled < raw.size()) {
    std::error_code ec;
    const auto n = body.read(std::span<char>(raw.data() + filled, raw.size() - filled), ec);
    if (ec) {
      detail = ec.message();
      return errc::body_read_failed;
    }
    if (n == 0) {
      done = true;
      break;
    }
    filled += n;
  }
  if (auto ec = encoder.write(std::string_view(raw.data(), filled), out)) return ec;
  if (done) encoder.finish(out);
  return {};
}

Status Session::Impl::recipient_status(const Reply& reply) {
  return reply.is_positive() ? Status::ok : status_of_reply(reply);
}

// Whether the envelope's replies end the transaction before any body: a refused sender, or
// no accepted recipient (`refusal` explains why).
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

awaitable<std::error_code> Session::Impl::transact(const Envelope& envelope, BodySource& body,
                                                   const MessageTraits& traits, Result& result) {
  for (const auto& r : envelope.recipients) result.recipients.push_back({r, Status::failed, {}});
  Prepared prepared;
  if (auto ec = prepare(envelope, traits, prepared)) co_return ec;

  // The first chunk is read before anything is sent: a small message is then known whole
  // (its 8-bit content, its exact BDAT size), and a bad one is refused before the envelope.
  const bool use_bdat = caps.chunking;
  BodyEncoder encoder(use_bdat ? BodyFraming::bdat : BodyFraming::data);
  std::string& raw = read_buffer;  // kept across messages: no new 256 KiB buffer each time
  std::string first;
  bool body_done = false;
  if (auto ec = read_piece(body, encoder, raw, first, body_done)) co_return ec;
  bool eight_bit = prepared.eight_bit || encoder.saw_8bit();
  if (eight_bit && !caps.eightbitmime) co_return errc::eightbitmime_not_offered;
  const auto size = body.size();
  if (caps.size_limit && *caps.size_limit > 0 && size && *size > *caps.size_limit) {
    detail =
        std::to_string(*size) + " octets, the server accepts " + std::to_string(*caps.size_limit);
    co_return errc::message_too_large;
  }

  command::MailParameters params;
  if (caps.size_limit && size) params.size = *size;
  params.body_8bitmime = eight_bit;
  params.smtputf8 = prepared.needs_smtputf8;

  const bool pipelined = caps.pipelining;
  const bool bdat_in_flight = use_bdat && pipelined && body_done;
  const bool rset_first = needs_rset;
  std::vector<std::string> lines;  // one command each, for the unpipelined path
  {
    std::string line;
    if (rset_first) {
      command::rset(line);
      lines.push_back(std::exchange(line, {}));
    }
    if (auto ec = command::mail_from(line, envelope.from, params)) co_return ec;
    lines.push_back(std::exchange(line, {}));
    for (const auto& r : envelope.recipients) {
      if (auto ec = command::rcpt_to(line, r)) co_return ec;
      lines.push_back(std::exchange(line, {}));
    }
  }
  std::size_t next_line = 0;
  // Without PIPELINING each command waits for its reply.
  auto send_next = [&]() -> awaitable<std::error_code> {
    if (pipelined) co_return std::error_code{};
    co_return co_await write_commands(lines[next_line++]);
  };

  if (pipelined) {
    std::string flight;
    for (const auto& l : lines) flight += l;
    if (!use_bdat) command::data(flight);
    if (bdat_in_flight) command::bdat(flight, first.size(), true);
    transcript.client(flight);
    if (bdat_in_flight) {
      transcript.client_body(first.size());
      flight += first;
    }
    if (auto ec = co_await write(flight)) co_return ec;
    end_of_data_sent = bdat_in_flight;
  }

  Reply reply;
  if (rset_first) {
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

  if (!use_bdat) {
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
    if (auto ec = co_await stream_data(body, encoder, raw, first, body_done)) co_return ec;
  } else if (!bdat_in_flight) {
    if (auto ec = envelope_refused(mail_reply, accepted, refusal, result)) co_return ec;
    if (auto ec = co_await stream_bdat(body, encoder, raw, first, body_done, pipelined)) {
      co_return ec;
    }
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

// DATA: the rest of the body, then exactly one end of data.
awaitable<std::error_code> Session::Impl::stream_data(BodySource& body, BodyEncoder& encoder,
                                                      std::string& raw, std::string& out,
                                                      bool done) {
  std::uint64_t octets = 0;
  for (;;) {
    octets += out.size();
    if (auto ec = co_await write(out)) co_return ec;
    if (done) {
      end_of_data_sent = true;  // `out` ended with ".\r\n", and all of it was written
      break;
    }
    out.clear();
    if (auto ec = read_piece(body, encoder, raw, out, done)) {
      // The end of data was never sent, so the server discards what it has; the connection
      // cannot be used any more.
      is_broken = true;
      co_return ec;
    }
  }
  transcript.client_body(octets);
  transcript.client(".");
  co_return std::error_code{};
}

// BDAT: the body in chunks, the last one marked LAST. With PIPELINING the chunks' replies are
// read after the last chunk; the final reply is left for the caller.
awaitable<std::error_code> Session::Impl::stream_bdat(BodySource& body, BodyEncoder& encoder,
                                                      std::string& raw, std::string& chunk,
                                                      bool done, bool pipelined) {
  std::size_t unread_replies = 0;
  for (;;) {
    std::string flight;
    command::bdat(flight, chunk.size(), done);
    transcript.client(flight);
    transcript.client_body(chunk.size());
    flight += chunk;
    if (auto ec = co_await write(flight)) co_return ec;
    if (done) {
      end_of_data_sent = true;
      break;
    }
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
    if (auto ec = read_piece(body, encoder, raw, chunk, done)) {
      is_broken = true;  // LAST was never sent; the server discards the chunks
      co_return ec;
    }
  }
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

}  // namespace smtp
