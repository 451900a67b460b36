#pragma once
// A host's send request (the message as JSON, attachments and an optional ready-made message
// as host streams) turned into what the session core sends.

#include <memory>
#include <optional>
#include <string>

#include "flowplugin/plugin.h"
#include "smtp/message.hpp"

namespace smtpplugin {

struct Outgoing {
  smtp::Envelope envelope;
  std::unique_ptr<smtp::BodySource> body;
  smtp::MessageTraits traits;
  std::string message_id;
};

// Builds the MIME message (or wraps the ready-made one). On bad input returns nothing and says
// what is wrong, naming the field, in `error`.
std::optional<Outgoing> make_outgoing(const fp_send_request& request, std::string& error);

}  // namespace smtpplugin
