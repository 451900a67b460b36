#pragma once
// One mail as flowhost's commands and flows describe it, and sending it through a connection
// of a plugin.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flowplugin/plugin.hpp"

namespace flowhost {

struct AttachmentSpec {
  std::filesystem::path file;
  std::string content_type = "application/octet-stream";
};

struct MailFields {
  std::string from;
  std::vector<std::string> to, cc, bcc;  // "bob@example.com" or "Bob <bob@example.com>"
  std::string subject;
  std::string text;
  std::string html;
  std::string charset;  // "" (UTF-8) or "iso-2022-jp"
  std::map<std::string, std::string> headers;
  std::vector<AttachmentSpec> attachments;
  std::optional<std::filesystem::path> eml;  // a ready-made message, sent as is
};

struct SendOutcome {
  fp_status status = FP_INTERNAL;
  std::string result_json;  // the plugin's result document
  std::string status_text;  // OK, RETRY, FAILED, UNCERTAIN (or INVALID for bad input)
  std::string message;      // one line for a person
};

// Exit codes of `flowhost send` and `flowhost run`: 0 OK, 2 invalid input or definition,
// 3 RETRY, 4 FAILED, 5 UNCERTAIN.
int exit_code(const std::string& status_text);

// "Bob <bob@example.com>" -> {"address": "bob@example.com", "name": "Bob"}, as JSON.
std::string mailbox_json(const std::string& text);

// The plugin's message document for `fields` (without the attachments, which go as streams).
std::string message_json(const MailFields& fields);

SendOutcome send_mail(const flowplugin::ConnectionFactory& factory,
                      const flowplugin::Connection& connection, const MailFields& fields);

}  // namespace flowhost
