#pragma once
// A ready-made RFC 5322 message is sent as it is: smtp::BufferBody (bytes in memory) and
// smtp::FileBody (a file) are already BodySources the session sends, and the session's body
// writer enforces what the wire needs (CRLF, no NUL, lines <= 998, dot-stuffing). What such a
// message lacks, next to the builder's result, is its Message-ID and its traits: this reads
// them from the message (or from as much of its start as the caller has).

#include <string>
#include <string_view>

#include "smtp/message.hpp"

namespace smtp::mime {

struct RawMessageInfo {
  std::string message_id;      // the Message-ID header's value, unfolded and trimmed; "" if none
  smtp::MessageTraits traits;  // eight_bit: an 8-bit byte after the header section, else
                               // seven_bit (a promise only if `message` was the whole message);
                               // utf8_headers: an 8-bit byte in the header section
};

// Nothing is validated or changed: the bytes are only read.
RawMessageInfo inspect_raw_message(std::string_view message);

}  // namespace smtp::mime
