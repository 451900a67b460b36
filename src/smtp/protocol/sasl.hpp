#pragma once
// SASL client exchanges for SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195).
// Sans-I/O: the caller passes replies in and writes the lines that come out. Every line written
// after the AUTH verb is secret and must be redacted in transcripts and logs.

#include <array>
#include <string>
#include <string_view>
#include <system_error>

#include "smtp/protocol/reply.hpp"

namespace smtp::sasl {

enum class Mechanism { plain, login, cram_md5 };

std::string_view name(Mechanism mechanism);

// Whether the mechanism sends the password itself (so needs an encrypted channel).
bool sends_password(Mechanism mechanism);

// HMAC-MD5 is injected so this layer needs no crypto library.
using HmacMd5 = std::array<unsigned char, 16> (*)(std::string_view key, std::string_view message);

class Exchange {
 public:
  Exchange(Mechanism mechanism, std::string username, std::string password, HmacMd5 hmac_md5);

  // Appends the AUTH command (with the initial response for PLAIN). Refuses user names and
  // passwords holding CR, LF or NUL (errc::invalid_credentials).
  std::error_code start(std::string& out);

  // Given a 334 challenge, appends the response line. Any challenge the mechanism does not
  // expect is errc::auth_protocol_error.
  std::error_code respond(const Reply& challenge, std::string& out);

  Mechanism mechanism() const { return mechanism_; }

 private:
  Mechanism mechanism_;
  std::string username_;
  std::string password_;
  HmacMd5 hmac_md5_;
  int challenges_ = 0;
};

}  // namespace smtp::sasl
