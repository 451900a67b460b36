// The SMTP side of the sandbox: one session per connection, on a Channel.
//
// Commands are read as they come (PIPELINING) and answered in order; replies go out when the
// session needs more input. Command lines end with CRLF and hold at most 4096 octets; a bare LF,
// a CR or NUL inside, or an over-long line is answered 500 and the line is dropped. Ten such
// errors close the connection (421).

#include <charconv>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/use_awaitable.hpp>

#include "channel.hpp"
#include "codec.hpp"
#include "context.hpp"
#include "crypto.hpp"
#include "text.hpp"

namespace flowhost::sandbox {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t max_command_line = 4096;  // octets, CRLF included
constexpr std::size_t max_auth_line = 12288;    // RFC 4954 4: an AUTH response line
constexpr std::size_t max_address = 256;        // RFC 5321 4.5.3.1.3: a path
constexpr int max_errors = 10;

// "VERB rest": the verb and what follows the first space.
std::pair<std::string_view, std::string_view> split_verb(std::string_view line) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

struct Path {
  std::string address;  // between < and >
  std::string_view parameters;
};

// "FROM:<a@b> SIZE=10" after the keyword: the path and the parameters. Spaces after the colon
// are tolerated; the path must be in angle brackets; a quoted local part may hold '>'.
std::optional<Path> parse_path(std::string_view arg, std::string_view keyword) {
  if (!text::istarts_with(arg, keyword)) return std::nullopt;
  arg.remove_prefix(keyword.size());
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty() || arg.front() != '<') return std::nullopt;
  bool quoted = false;
  for (std::size_t i = 1; i < arg.size(); ++i) {
    const char c = arg[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      std::string_view rest = arg.substr(i + 1);
      if (!rest.empty() && rest.front() != ' ') return std::nullopt;
      return Path{std::string(arg.substr(1, i - 1)), rest};
    }
  }
  return std::nullopt;
}

// The local part of an address (before the last '@').
std::string_view local_part(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

// An error reply for a bad address, or "".
std::string check_address(std::string_view address, bool smtputf8, bool recipient) {
  if (address.size() > max_address) return "501 5.1.3 Address too long";
  bool non_ascii = false;
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "501 5.1.3 Bad address syntax (control character)";
    if (u >= 0x80) non_ascii = true;
  }
  if (non_ascii && !smtputf8) {
    return "553 5.6.7 A non-ASCII address needs the SMTPUTF8 parameter on MAIL";
  }
  if (non_ascii && !text::valid_utf8(address)) return "553 5.6.7 The address is not UTF-8";
  if (address.empty()) {
    return recipient ? "501 5.1.3 An empty recipient address is not allowed" : "";
  }
  if (recipient && text::iequals(address, "postmaster")) return "";
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return "501 5.1.3 Bad address syntax (expected local@domain)";
  }
  // The domain: no spaces, quotes or brackets unless an address literal "[...]".
  const std::string_view domain = address.substr(at + 1);
  for (const char c : domain) {
    if (c == ' ' || c == '"' || c == '<' || c == '>') return "501 5.1.3 Bad address syntax";
  }
  return "";
}

class SmtpSession {
 public:
  SmtpSession(Context& context, Channel& channel, std::string tag, bool implicit_tls)
      : ctx_(context), ch_(channel), tag_(std::move(tag)), implicit_tls_(implicit_tls) {}

  awaitable<void> run();

 private:
  struct Transaction {
    std::string from;
    std::vector<std::string> recipients;
    bool smtputf8 = false;
    bool pop_before_smtp = false;
    bool bdat = false;  // BDAT has begun: DATA is refused
    std::unique_ptr<BodyFile> body;
  };

  void log(std::string_view what) const { ctx_.log(tag_ + " " + std::string(what)); }
  void reply(std::string_view line) {
    ch_.queue(line);
    ch_.queue("\r\n");
  }
  void error(std::string_view line) {
    reply(line);
    ++errors_;
  }

  awaitable<void> command(std::string_view line);
  void ehlo(std::string_view verb, std::string_view arg);
  awaitable<void> starttls(std::string_view arg);
  awaitable<void> auth(std::string_view arg);
  awaitable<bool> auth_response(std::string& response);
  void auth_result(std::string_view mechanism, const std::string& user, bool ok);
  void mail(std::string_view arg);
  void rcpt(std::string_view arg);
  awaitable<void> data(std::string_view arg);
  awaitable<void> bdat(std::string_view arg);
  std::unique_ptr<BodyFile> open_body();
  std::optional<std::string> store(const char* transfer);

  Context& ctx_;
  Channel& ch_;
  std::string tag_;
  bool implicit_tls_;
  bool quit_ = false;
  int errors_ = 0;
  int messages_ = 0;
  bool greeted_ = false, esmtp_ = false;
  std::string helo_;
  std::optional<std::string> auth_user_;
  std::optional<Transaction> txn_;
};

awaitable<void> SmtpSession::run() {
  log("connect from " + ch_.peer() + (implicit_tls_ ? " (implicit TLS)" : ""));
  if (implicit_tls_) {
    if (!co_await ch_.handshake()) {
      log("closed: " + ch_.error());
      co_return;
    }
    log(ch_.tls_description());
  }
  reply("220 localhost ESMTP flowhost sandbox: mail is captured here, never delivered");
  std::string line;
  while (!quit_ && !ch_.closed()) {
    switch (co_await ch_.read_line(line, max_command_line)) {
      case Channel::Line::closed:
        quit_ = true;
        break;
      case Channel::Line::too_long:
        log("rejected a command line longer than 4096 octets");
        error("500 5.5.2 Line too long (the limit is 4096 octets)");
        break;
      case Channel::Line::bare_lf:
        log("rejected a command line ended by a bare LF");
        error("500 5.5.2 Bare LF: command lines must end with CRLF");
        break;
      case Channel::Line::bad_octet:
        log("rejected a command line with a CR or NUL inside");
        error("500 5.5.2 CR or NUL inside a command line");
        break;
      case Channel::Line::ok:
        co_await command(line);
        break;
    }
    if (errors_ >= max_errors && !quit_) {
      reply("421 4.7.0 localhost Too many errors, closing the connection");
      log("too many errors: closing");
      quit_ = true;
    }
  }
  co_await ch_.flush();
  ch_.close();
  log("disconnect: " + std::to_string(messages_) + " message(s) stored" +
      (ch_.error().empty() ? "" : " (" + ch_.error() + ")"));
}

awaitable<void> SmtpSession::command(std::string_view line) {
  const auto [verb, arg] = split_verb(line);
  const auto is = [&](std::string_view name) { return text::iequals(verb, name); };
  if (is("EHLO") || is("HELO")) {
    ehlo(verb, arg);
  } else if (is("MAIL")) {
    mail(arg);
  } else if (is("RCPT")) {
    rcpt(arg);
  } else if (is("DATA")) {
    co_await data(arg);
  } else if (is("BDAT")) {
    co_await bdat(arg);
  } else if (is("RSET")) {
    if (!arg.empty()) co_return error("501 5.5.4 Syntax: RSET");
    txn_.reset();
    reply("250 2.0.0 OK");
  } else if (is("NOOP")) {
    reply("250 2.0.0 OK");
  } else if (is("QUIT")) {
    reply("221 2.0.0 Bye");
    quit_ = true;
  } else if (is("STARTTLS")) {
    co_await starttls(arg);
  } else if (is("AUTH")) {
    co_await auth(arg);
  } else if (is("VRFY")) {
    reply("252 2.0.0 Cannot VRFY; send the message and the sandbox will capture it");
  } else if (is("EXPN")) {
    reply("502 5.5.1 EXPN is not implemented");
  } else if (is("HELP")) {
    reply("214 2.0.0 flowhost sandbox: a capture server; see the flowhost README");
  } else {
    error("500 5.5.2 Command not recognized");
  }
}

void SmtpSession::ehlo(std::string_view verb, std::string_view arg) {
  const bool extended = text::iequals(verb, "EHLO");
  if (arg.empty() || arg.find(' ') != std::string_view::npos) {
    return error(extended ? "501 5.5.4 Syntax: EHLO hostname" : "501 5.5.4 Syntax: HELO hostname");
  }
  greeted_ = true;
  esmtp_ = extended;
  helo_ = arg;
  txn_.reset();
  if (!extended) return reply("250 localhost");
  std::vector<std::string> lines = {"localhost greets " + text::printable(arg, 64),
                                    "PIPELINING",
                                    "SIZE " + std::to_string(ctx_.options.max_message_size),
                                    "8BITMIME",
                                    "SMTPUTF8",
                                    "ENHANCEDSTATUSCODES",
                                    "CHUNKING"};
  if (!ch_.tls()) lines.emplace_back("STARTTLS");
  lines.emplace_back("AUTH PLAIN LOGIN CRAM-MD5");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    reply((i + 1 < lines.size() ? "250-" : "250 ") + lines[i]);
  }
}

awaitable<void> SmtpSession::starttls(std::string_view arg) {
  if (ch_.tls()) co_return error("503 5.5.1 TLS is already active");
  if (!arg.empty()) co_return error("501 5.5.4 Syntax: STARTTLS");
  if (!esmtp_) co_return error("503 5.5.1 Send EHLO first");
  const auto upgrade = co_await ch_.upgrade("220 2.0.0 Ready to start TLS");
  if (!upgrade.ok) {
    log(upgrade.pipelined > 0 ? "protocol violation: " + std::to_string(upgrade.pipelined) +
                                    " octet(s) pipelined after STARTTLS; closing"
                              : "STARTTLS failed: " + ch_.error());
    quit_ = true;
    co_return;
  }
  log("STARTTLS: " + ch_.tls_description());
  // Forget everything learned before TLS.
  greeted_ = esmtp_ = false;
  helo_.clear();
  auth_user_.reset();
  txn_.reset();
}

awaitable<bool> SmtpSession::auth_response(std::string& response) {
  const Channel::Line status = co_await ch_.read_line(response, max_auth_line);
  if (status == Channel::Line::closed) {
    quit_ = true;
    co_return false;
  }
  if (status != Channel::Line::ok) {
    error("501 5.5.2 Malformed authentication response line");
    co_return false;
  }
  if (response == "*") {
    reply("501 5.7.0 Authentication cancelled");
    co_return false;
  }
  co_return true;
}

void SmtpSession::auth_result(std::string_view mechanism, const std::string& user, bool ok) {
  if (ok) {
    auth_user_ = user;
    log("AUTH " + std::string(mechanism) + ": authenticated as " + text::printable(user, 64));
    reply("235 2.7.0 Authentication successful");
  } else {
    log("AUTH " + std::string(mechanism) + ": failed");
    error("535 5.7.8 Authentication credentials invalid");
  }
}

awaitable<void> SmtpSession::auth(std::string_view arg) {
  if (!esmtp_) co_return error("503 5.5.1 Send EHLO first");
  if (auth_user_) co_return error("503 5.5.1 Already authenticated");
  if (txn_) co_return error("503 5.5.1 AUTH is not allowed during a mail transaction");
  const std::vector<std::string_view> parts = words(arg);
  if (parts.empty() || parts.size() > 2) co_return error("501 5.5.4 Syntax: AUTH mechanism");
  const std::string_view mechanism = parts[0];
  const bool has_initial = parts.size() == 2;
  std::string response = has_initial ? std::string(parts[1]) : std::string();
  const auto decode = [&](std::string_view encoded) -> std::optional<std::string> {
    auto decoded = crypto::base64_decode(encoded == "=" ? std::string_view() : encoded);
    if (!decoded) error("501 5.5.2 Cannot decode the base64 response");
    return decoded;
  };
  const auto password_ok = [&](const std::string& user, const std::string& password) {
    const std::string* expected = ctx_.password(user);
    return expected != nullptr && crypto::equal_constant_time(*expected, password);
  };

  if (text::iequals(mechanism, "PLAIN")) {
    if (!has_initial) {
      reply("334 ");
      if (!co_await auth_response(response)) co_return;
    } else if (response == "*") {
      co_return reply("501 5.7.0 Authentication cancelled");
    }
    const auto decoded = decode(response);
    if (!decoded) co_return;
    // authzid NUL authcid NUL passwd
    const std::size_t first = decoded->find('\0');
    const std::size_t second =
        first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
    if (second == std::string::npos || decoded->find('\0', second + 1) != std::string::npos) {
      co_return error("501 5.5.2 Malformed PLAIN response");
    }
    const std::string authzid = decoded->substr(0, first);
    const std::string user = decoded->substr(first + 1, second - first - 1);
    const std::string password = decoded->substr(second + 1);
    auth_result("PLAIN", user, (authzid.empty() || authzid == user) && password_ok(user, password));
  } else if (text::iequals(mechanism, "LOGIN")) {
    if (!has_initial) {
      reply("334 VXNlcm5hbWU6");  // "Username:"
      if (!co_await auth_response(response)) co_return;
    }
    const auto user = decode(response);
    if (!user) co_return;
    reply("334 UGFzc3dvcmQ6");  // "Password:"
    if (!co_await auth_response(response)) co_return;
    const auto password = decode(response);
    if (!password) co_return;
    auth_result("LOGIN", *user, password_ok(*user, *password));
  } else if (text::iequals(mechanism, "CRAM-MD5")) {
    if (has_initial) co_return error("501 5.5.2 CRAM-MD5 takes no initial response");
    const std::string challenge =
        "<" + crypto::random_hex(8) + "." + std::to_string(std::time(nullptr)) + "@localhost>";
    reply("334 " + crypto::base64_encode(challenge));
    if (!co_await auth_response(response)) co_return;
    const auto decoded = decode(response);
    if (!decoded) co_return;
    const std::size_t space = decoded->rfind(' ');
    if (space == std::string::npos) co_return error("501 5.5.2 Malformed CRAM-MD5 response");
    const std::string user = decoded->substr(0, space);
    std::string digest = decoded->substr(space + 1);
    for (char& c : digest) c = text::ascii_lower(c);
    const std::string* password = ctx_.password(user);
    const bool ok = password != nullptr &&
                    crypto::equal_constant_time(crypto::hmac_md5_hex(*password, challenge), digest);
    auth_result("CRAM-MD5", user, ok);
  } else {
    error("504 5.5.4 Unrecognized authentication type (PLAIN, LOGIN, CRAM-MD5)");
  }
}

void SmtpSession::mail(std::string_view arg) {
  if (!greeted_) return error("503 5.5.1 Send EHLO or HELO first");
  if (txn_) return error("503 5.5.1 Nested MAIL command");
  const auto path = parse_path(arg, "FROM:");
  if (!path) return error("501 5.5.4 Syntax: MAIL FROM:<address>");
  Transaction txn;
  for (const std::string_view parameter : words(path->parameters)) {
    if (!esmtp_) return error("555 5.5.4 MAIL parameters need EHLO");
    const std::size_t equals = parameter.find('=');
    const std::string_view key = parameter.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
    if (text::iequals(key, "SIZE")) {
      std::size_t size = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
      if (ec == std::errc::result_out_of_range) {
        return error("552 5.3.4 Message size exceeds fixed maximum message size");
      }
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return error("501 5.5.4 Syntax: SIZE=octets");
      }
      if (size > ctx_.options.max_message_size) {
        return error("552 5.3.4 Message size exceeds fixed maximum message size");
      }
    } else if (text::iequals(key, "BODY")) {
      if (!text::iequals(value, "7BIT") && !text::iequals(value, "8BITMIME")) {
        return error("555 5.5.4 Unsupported BODY type (7BIT, 8BITMIME)");
      }
    } else if (text::iequals(key, "SMTPUTF8") && equals == std::string_view::npos) {
      txn.smtputf8 = true;
    } else if (text::iequals(key, "AUTH")) {
      // RFC 4954 5: accepted and ignored
    } else {
      return error("555 5.5.4 Unsupported MAIL parameter " + text::printable(key, 32));
    }
  }
  if (const std::string problem = check_address(path->address, txn.smtputf8, false);
      !problem.empty()) {
    return error(problem);
  }
  txn.from = path->address;
  txn.pop_before_smtp = ctx_.pop_logins.recent(ch_.peer_ip(), ctx_.options.pop_window);
  txn_ = std::move(txn);
  reply("250 2.1.0 Sender OK");
}

void SmtpSession::rcpt(std::string_view arg) {
  if (!txn_) return error("503 5.5.1 Need MAIL before RCPT");
  const auto path = parse_path(arg, "TO:");
  if (!path) return error("501 5.5.4 Syntax: RCPT TO:<address>");
  if (!words(path->parameters).empty()) {
    return error("555 5.5.4 RCPT parameters are not supported (no DSN)");
  }
  if (const std::string problem = check_address(path->address, txn_->smtputf8, true);
      !problem.empty()) {
    return error(problem);
  }
  const std::string_view local = local_part(path->address);
  if (text::iequals(local, "fail-permanent")) {
    return reply("550 5.1.1 <" + path->address + ">: rejected (the sandbox's permanent failure)");
  }
  if (text::iequals(local, "fail-temporary")) {
    return reply("451 4.3.0 <" + path->address + ">: try again later (the sandbox's temporary " +
                 "failure)");
  }
  if (txn_->recipients.size() >= ctx_.options.max_recipients) {
    return reply("452 4.5.3 Too many recipients");
  }
  txn_->recipients.push_back(path->address);
  reply("250 2.1.5 Recipient OK");
}

std::unique_ptr<BodyFile> SmtpSession::open_body() {
  try {
    return ctx_.store.begin();
  } catch (const std::exception& e) {
    log(std::string("cannot store mail: ") + e.what());
    return nullptr;
  }
}

std::optional<std::string> SmtpSession::store(const char* transfer) {
  Envelope envelope;
  envelope.from = txn_->from;
  envelope.recipients = txn_->recipients;
  envelope.auth_user = auth_user_;
  envelope.tls = ch_.tls();
  envelope.pop_before_smtp = txn_->pop_before_smtp;
  envelope.helo = helo_;
  envelope.client = ch_.peer();
  envelope.transfer = transfer;
  try {
    std::string name = ctx_.store.commit(*txn_->body, envelope);
    ++messages_;
    log("stored " + name + " (" + std::to_string(txn_->body->size()) + " octets, from=<" +
        text::printable(envelope.from, 100) + "> recipients=" +
        std::to_string(envelope.recipients.size()) + " tls=" + (envelope.tls ? "yes" : "no") +
        " auth=" + (auth_user_ ? text::printable(*auth_user_, 64) : "none") +
        " pop_before_smtp=" + (envelope.pop_before_smtp ? "yes" : "no") + " via " + transfer + ")");
    return name;
  } catch (const std::exception& e) {
    log(std::string("cannot store mail: ") + e.what());
    return std::nullopt;
  }
}

awaitable<void> SmtpSession::data(std::string_view arg) {
  if (!arg.empty()) co_return error("501 5.5.4 Syntax: DATA");
  if (!txn_) co_return error("503 5.5.1 Need MAIL command");
  if (txn_->bdat) co_return error("503 5.5.1 DATA is not allowed after BDAT");
  if (txn_->recipients.empty()) co_return error("554 5.5.1 No valid recipients");
  txn_->body = open_body();
  if (!txn_->body) {
    txn_.reset();
    co_return reply("451 4.3.0 Cannot store mail (see the sandbox log)");
  }
  reply("354 End data with <CR><LF>.<CR><LF>");

  const std::size_t limit = ctx_.options.max_message_size;
  DataReader reader;
  std::string chunk;
  std::size_t total = 0;
  bool storage_failed = false;
  for (;;) {
    chunk.clear();
    ch_.consume(reader.feed(ch_.input(), chunk));
    total += chunk.size();
    if (total > limit) {
      txn_->body.reset();  // over the limit: read on to the end, keep nothing
    } else if (txn_->body && !chunk.empty()) {
      try {
        txn_->body->write(chunk);
      } catch (const std::exception& e) {
        log(std::string("cannot store mail: ") + e.what());
        txn_->body.reset();
        storage_failed = true;
      }
    }
    if (reader.done()) break;
    if (total > 2 * limit) {  // no end in sight: stop reading
      reply("552 5.3.4 Message size exceeds fixed maximum message size; closing");
      log("message over twice the size limit: closing");
      quit_ = true;
      co_return;
    }
    if (!co_await ch_.fill()) {
      log("connection lost during DATA: nothing stored");
      txn_.reset();
      co_return;
    }
  }
  if (total > limit) {
    log("refused a message of " + std::to_string(total) + " octets (limit " +
        std::to_string(limit) + ")");
    reply("552 5.3.4 Message size exceeds fixed maximum message size");
  } else if (storage_failed) {
    reply("451 4.3.0 Cannot store mail (see the sandbox log)");
  } else if (const auto name = store("DATA")) {
    reply("250 2.0.0 OK: captured as " + *name);
  } else {
    reply("451 4.3.0 Cannot store mail (see the sandbox log)");
  }
  txn_.reset();
}

awaitable<void> SmtpSession::bdat(std::string_view arg) {
  // BDAT size [LAST]. A malformed size leaves no way to find the next command: close.
  const std::vector<std::string_view> parts = words(arg);
  std::uint64_t size = 0;
  bool last = false;
  bool syntax_ok = !parts.empty() && parts.size() <= 2 && parts[0].size() <= 20;
  if (syntax_ok) {
    const auto [end, ec] =
        std::from_chars(parts[0].data(), parts[0].data() + parts[0].size(), size);
    syntax_ok = ec == std::errc() && end == parts[0].data() + parts[0].size();
  }
  if (syntax_ok && parts.size() == 2) {
    last = text::iequals(parts[1], "LAST");
    syntax_ok = last;
  }
  if (!syntax_ok) {
    reply("501 5.5.4 Syntax: BDAT octets [LAST]; closing");
    log("malformed BDAT: closing");
    quit_ = true;
    co_return;
  }
  const std::size_t limit = ctx_.options.max_message_size;
  if (size > 2 * static_cast<std::uint64_t>(limit)) {
    reply("552 5.3.4 Chunk exceeds the maximum message size; closing");
    log("BDAT chunk of " + std::to_string(size) + " octets: closing");
    quit_ = true;
    co_return;
  }

  // Decide the answer first; the chunk's octets are read (and maybe dropped) in every case.
  std::string refusal;
  if (!esmtp_) {
    refusal = "503 5.5.1 Send EHLO first";
  } else if (!txn_) {
    refusal = "503 5.5.1 Need MAIL command";
  } else if (txn_->recipients.empty()) {
    refusal = "554 5.5.1 No valid recipients";
  } else {
    txn_->bdat = true;
    if (!txn_->body) txn_->body = open_body();
    if (!txn_->body) {
      refusal = "451 4.3.0 Cannot store mail (see the sandbox log)";
    } else if (txn_->body->size() + size > limit) {
      refusal = "552 5.3.4 Message size exceeds fixed maximum message size";
      log("refused a BDAT message over " + std::to_string(limit) + " octets");
    }
  }
  if (!refusal.empty() && txn_) txn_->body.reset();

  std::uint64_t remaining = size;
  for (;;) {
    const std::string_view available = ch_.input();
    const std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(remaining, static_cast<std::uint64_t>(available.size())));
    if (refusal.empty() && take > 0) {
      try {
        txn_->body->write(available.substr(0, take));
      } catch (const std::exception& e) {
        log(std::string("cannot store mail: ") + e.what());
        refusal = "451 4.3.0 Cannot store mail (see the sandbox log)";
        txn_->body.reset();
      }
    }
    ch_.consume(take);
    remaining -= take;
    if (remaining == 0) break;
    if (!co_await ch_.fill()) {
      log("connection lost during BDAT: nothing stored");
      txn_.reset();
      co_return;
    }
  }

  if (!refusal.empty()) {
    if (refusal.starts_with("552") || refusal.starts_with("451")) txn_.reset();
    co_return error(refusal);
  }
  if (!last) co_return reply("250 2.0.0 " + std::to_string(size) + " octets received");
  const auto name = store("BDAT");
  const std::size_t total = txn_->body->size();
  txn_.reset();
  if (!name) co_return reply("451 4.3.0 Cannot store mail (see the sandbox log)");
  reply("250 2.0.0 OK: captured as " + *name + " (" + std::to_string(total) + " octets)");
}

}  // namespace

awaitable<void> run_smtp(Context& context, std::shared_ptr<Channel> channel, std::string tag,
                         bool implicit_tls) {
  SmtpSession session(context, *channel, std::move(tag), implicit_tls);
  co_await session.run();
}

}  // namespace flowhost::sandbox
