// The POP3 side of the sandbox: a read-only maildrop of the captured mail, so that POP before
// SMTP can be tried (a successful login records the client's address and time) and a test can
// read back what arrived. DELE answers +OK and marks the message for this session only: captured
// mail is never deleted.

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
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
constexpr int max_errors = 10;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

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

std::optional<std::size_t> number(std::string_view s) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

class Pop3Session {
 public:
  Pop3Session(Context& context, Channel& channel, std::string tag, bool implicit_tls,
              std::string timestamp)
      : ctx_(context),
        ch_(channel),
        tag_(std::move(tag)),
        implicit_tls_(implicit_tls),
        timestamp_(std::move(timestamp)) {}

  awaitable<void> run();

 private:
  struct Message {
    MailStore::Entry entry;
    std::size_t size;
    bool deleted = false;
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
  awaitable<void> stls(std::string_view arg);
  void login(const std::string& user, bool ok, std::string_view method);
  void capa();
  Message* message(std::string_view arg);
  void list(std::string_view arg, bool uidl);
  awaitable<void> retrieve(std::string_view arg, bool top);

  Context& ctx_;
  Channel& ch_;
  std::string tag_;
  bool implicit_tls_;
  std::string timestamp_;
  bool quit_ = false;
  int errors_ = 0;
  std::optional<std::string> user_;  // after USER
  bool authenticated_ = false;
  std::vector<Message> maildrop_;
};

awaitable<void> Pop3Session::run() {
  log("connect from " + ch_.peer() + (implicit_tls_ ? " (implicit TLS)" : ""));
  if (implicit_tls_) {
    if (!co_await ch_.handshake()) {
      log("closed: " + ch_.error());
      co_return;
    }
    log(ch_.tls_description());
  }
  reply("+OK sandbox POP3 ready " + timestamp_);
  std::string line;
  while (!quit_ && !ch_.closed()) {
    switch (co_await ch_.read_line(line, max_command_line)) {
      case Channel::Line::closed:
        quit_ = true;
        break;
      case Channel::Line::too_long:
        error("-ERR Line too long (the limit is 4096 octets)");
        break;
      case Channel::Line::bare_lf:
        error("-ERR Bare LF: command lines must end with CRLF");
        break;
      case Channel::Line::bad_octet:
        error("-ERR CR or NUL inside a command line");
        break;
      case Channel::Line::ok:
        co_await command(line);
        break;
    }
    if (errors_ >= max_errors && !quit_) {
      reply("-ERR [SYS/TEMP] Too many errors, closing the connection");
      log("too many errors: closing");
      quit_ = true;
    }
  }
  co_await ch_.flush();
  ch_.close();
  log("disconnect" + (ch_.error().empty() ? std::string() : " (" + ch_.error() + ")"));
}

awaitable<void> Pop3Session::command(std::string_view line) {
  const std::size_t space = line.find(' ');
  const std::string_view verb = line.substr(0, space);
  const std::string_view arg =
      space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const auto is = [&](std::string_view name) { return text::iequals(verb, name); };

  if (is("CAPA")) co_return capa();
  if (is("QUIT")) {
    reply("+OK sandbox POP3 signing off (captured mail is kept)");
    quit_ = true;
    co_return;
  }
  if (is("NOOP") && authenticated_) co_return reply("+OK");

  if (!authenticated_) {
    if (is("STLS")) co_return co_await stls(arg);
    if (is("USER")) {
      if (arg.empty()) co_return error("-ERR Syntax: USER name");
      user_ = std::string(arg);
      co_return reply("+OK Send PASS");
    }
    if (is("PASS")) {
      if (!user_) co_return error("-ERR USER first");
      const std::string user = *user_;
      const std::string* password = ctx_.password(user);
      const bool ok = password != nullptr && crypto::equal_constant_time(*password, arg);
      co_return login(user, ok, "USER/PASS");
    }
    if (is("APOP")) {
      const std::vector<std::string_view> parts = words(arg);
      if (parts.size() != 2) co_return error("-ERR Syntax: APOP name digest");
      const std::string user(parts[0]);
      std::string digest(parts[1]);
      for (char& c : digest) c = text::ascii_lower(c);
      const std::string* password = ctx_.password(user);
      const bool ok = password != nullptr &&
                      crypto::equal_constant_time(crypto::md5_hex(timestamp_ + *password), digest);
      co_return login(user, ok, "APOP");
    }
    co_return error("-ERR Not logged in (USER/PASS or APOP first)");
  }

  if (is("STAT")) {
    std::size_t count = 0, octets = 0;
    for (const Message& m : maildrop_) {
      if (m.deleted) continue;
      ++count;
      octets += m.size;
    }
    co_return reply("+OK " + std::to_string(count) + " " + std::to_string(octets));
  }
  if (is("LIST")) co_return list(arg, false);
  if (is("UIDL")) co_return list(arg, true);
  if (is("RETR")) co_return co_await retrieve(arg, false);
  if (is("TOP")) co_return co_await retrieve(arg, true);
  if (is("DELE")) {
    Message* m = message(arg);
    if (m == nullptr) co_return;
    m->deleted = true;
    co_return reply("+OK Marked as deleted (the sandbox keeps captured mail)");
  }
  if (is("RSET")) {
    for (Message& m : maildrop_) m.deleted = false;
    co_return reply("+OK");
  }
  if (is("USER") || is("PASS") || is("APOP") || is("STLS")) {
    co_return error("-ERR Already logged in");
  }
  error("-ERR Command not recognized");
}

void Pop3Session::capa() {
  reply("+OK Capability list follows");
  reply("USER");
  if (!ch_.tls() && !authenticated_) reply("STLS");
  reply("UIDL");
  reply("TOP");
  reply("PIPELINING");
  reply("RESP-CODES");
  reply("AUTH-RESP-CODE");
  reply("IMPLEMENTATION flowhost-sandbox");
  reply(".");
}

awaitable<void> Pop3Session::stls(std::string_view arg) {
  if (ch_.tls()) co_return error("-ERR TLS is already active");
  if (!arg.empty()) co_return error("-ERR Syntax: STLS");
  const auto upgrade = co_await ch_.upgrade("+OK Begin TLS negotiation");
  if (!upgrade.ok) {
    log(upgrade.pipelined > 0 ? "protocol violation: " + std::to_string(upgrade.pipelined) +
                                    " octet(s) pipelined after STLS; closing"
                              : "STLS failed: " + ch_.error());
    quit_ = true;
    co_return;
  }
  log("STLS: " + ch_.tls_description());
  user_.reset();
}

void Pop3Session::login(const std::string& user, bool ok, std::string_view method) {
  user_.reset();
  if (!ok) {
    log("login failed (" + std::string(method) + ")");
    return error("-ERR [AUTH] Authentication failed");
  }
  authenticated_ = true;
  std::size_t octets = 0;
  for (MailStore::Entry& entry : ctx_.store.list()) {
    const std::size_t size = ctx_.store.pop_size(entry);
    octets += size;
    maildrop_.push_back({std::move(entry), size});
  }
  ctx_.pop_logins.record(ch_.peer_ip());
  log("login as " + text::printable(user, 64) + " (" + std::string(method) + ", " +
      (ch_.tls() ? "TLS" : "plaintext") + "): POP before SMTP open for " + ch_.peer_ip() + " for " +
      std::to_string(ctx_.options.pop_window.count()) + " s");
  reply("+OK " + std::to_string(maildrop_.size()) + " message(s) (" + std::to_string(octets) +
        " octets)");
}

Pop3Session::Message* Pop3Session::message(std::string_view arg) {
  const auto n = number(arg);
  if (!n || *n == 0 || *n > maildrop_.size()) {
    error("-ERR No such message");
    return nullptr;
  }
  Message& m = maildrop_[*n - 1];
  if (m.deleted) {
    error("-ERR Message " + std::to_string(*n) + " is deleted");
    return nullptr;
  }
  return &m;
}

void Pop3Session::list(std::string_view arg, bool uidl) {
  const auto item = [&](std::size_t index) {
    const Message& m = maildrop_[index];
    return std::to_string(index + 1) + " " +
           (uidl ? m.entry.name.substr(0, m.entry.name.size() - 4) : std::to_string(m.size));
  };
  if (!arg.empty()) {
    const Message* m = message(arg);
    if (m != nullptr) reply("+OK " + item(static_cast<std::size_t>(m - maildrop_.data())));
    return;
  }
  reply(uidl ? "+OK Unique ids follow" : "+OK Scan listing follows");
  for (std::size_t i = 0; i < maildrop_.size(); ++i) {
    if (!maildrop_[i].deleted) reply(item(i));
  }
  reply(".");
}

awaitable<void> Pop3Session::retrieve(std::string_view arg, bool top) {
  const std::vector<std::string_view> parts = words(arg);
  if (parts.size() != (top ? 2u : 1u)) {
    co_return error(top ? "-ERR Syntax: TOP message lines" : "-ERR Syntax: RETR message");
  }
  Message* m = message(parts[0]);
  if (m == nullptr) co_return;
  std::optional<std::size_t> lines;
  if (top) {
    lines = number(parts[1]);
    if (!lines) co_return error("-ERR Syntax: TOP message lines");
  }
  File file(std::fopen(m->entry.path.c_str(), "rb"));
  if (!file) {
    log("cannot read " + m->entry.name);
    co_return error("-ERR [SYS/TEMP] Cannot read the message");
  }
  reply(top ? std::string("+OK Top of message follows")
            : "+OK " + std::to_string(m->size) + " octets");
  PopEncoder encoder(lines);
  std::string chunk(64 * 1024, '\0');
  std::string out;
  while (!encoder.done()) {
    const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
    if (n == 0) break;
    out.clear();
    encoder.feed(std::string_view(chunk).substr(0, n), out);
    ch_.queue(out);
    if (!co_await ch_.flush()) co_return;
  }
  out.clear();
  encoder.finish(out);
  ch_.queue(out);
}

}  // namespace

awaitable<void> run_pop3(Context& context, std::shared_ptr<Channel> channel, std::string tag,
                         bool implicit_tls) {
  static std::atomic<unsigned long> counter{0};  // unique within the process (APOP)
  std::string timestamp = "<" + std::to_string(::getpid()) + "." +
                          std::to_string(std::time(nullptr)) + "." + std::to_string(++counter) +
                          "@sandbox.invalid>";
  Pop3Session session(context, *channel, std::move(tag), implicit_tls, std::move(timestamp));
  co_await session.run();
}

}  // namespace flowhost::sandbox
