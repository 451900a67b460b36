#include "smtp/protocol/sasl.hpp"

#include "smtp/error.hpp"
#include "smtp/protocol/base64.hpp"
#include "smtp/protocol/command.hpp"

namespace smtp::sasl {
namespace {

bool has_forbidden(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string to_hex(const std::array<unsigned char, 16>& digest) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const auto b : digest) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

}  // namespace

std::string_view name(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::plain:
      return "PLAIN";
    case Mechanism::login:
      return "LOGIN";
    case Mechanism::cram_md5:
      return "CRAM-MD5";
  }
  return "PLAIN";
}

bool sends_password(Mechanism mechanism) { return mechanism != Mechanism::cram_md5; }

Exchange::Exchange(Mechanism mechanism, std::string username, std::string password,
                   HmacMd5 hmac_md5)
    : mechanism_(mechanism),
      username_(std::move(username)),
      password_(std::move(password)),
      hmac_md5_(hmac_md5) {}

std::error_code Exchange::start(std::string& out) {
  if (username_.empty() || has_forbidden(username_) || has_forbidden(password_)) {
    return errc::invalid_credentials;
  }
  challenges_ = 0;
  if (mechanism_ == Mechanism::plain) {
    // authzid (empty) NUL authcid NUL passwd
    std::string message;
    message += '\0';
    message += username_;
    message += '\0';
    message += password_;
    return command::auth(out, name(mechanism_), base64::encode(message));
  }
  return command::auth(out, name(mechanism_));
}

std::error_code Exchange::respond(const Reply& challenge, std::string& out) {
  if (challenge.code != 334 || challenge.lines.size() != 1) return errc::auth_protocol_error;
  const auto decoded = base64::decode(challenge.lines.front());
  if (!decoded) return errc::auth_protocol_error;
  ++challenges_;
  switch (mechanism_) {
    case Mechanism::plain:
      // The initial response went with AUTH; PLAIN has no further step.
      return errc::auth_protocol_error;
    case Mechanism::login:
      // Servers word the prompts differently ("Username:", "User Name"); the order is fixed.
      if (challenges_ == 1) return command::append_line(out, base64::encode(username_));
      if (challenges_ == 2) return command::append_line(out, base64::encode(password_));
      return errc::auth_protocol_error;
    case Mechanism::cram_md5:
      if (challenges_ != 1 || decoded->empty()) return errc::auth_protocol_error;
      return command::append_line(
          out, base64::encode(username_ + ' ' + to_hex(hmac_md5_(password_, *decoded))));
  }
  return errc::auth_protocol_error;
}

}  // namespace smtp::sasl
