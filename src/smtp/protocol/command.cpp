#include "smtp/protocol/command.hpp"

#include "smtp/error.hpp"

namespace smtp::command {

std::error_code append_line(std::string& out, std::string_view line) {
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return errc::forbidden_character;
  }
  out.append(line);
  out.append("\r\n");
  return {};
}

namespace {

std::error_code verb_with(std::string& out, std::string_view verb, std::string_view argument) {
  std::string line(verb);
  line += ' ';
  line += argument;
  return append_line(out, line);
}

}  // namespace

std::error_code ehlo(std::string& out, std::string_view client_name) {
  return verb_with(out, "EHLO", client_name);
}

std::error_code helo(std::string& out, std::string_view client_name) {
  return verb_with(out, "HELO", client_name);
}

std::error_code starttls(std::string& out) { return append_line(out, "STARTTLS"); }

std::error_code mail_from(std::string& out, std::string_view reverse_path,
                          const MailParameters& params) {
  std::string line = "MAIL FROM:<";
  line += reverse_path;
  line += '>';
  if (params.size != 0) line += " SIZE=" + std::to_string(params.size);
  if (params.body_8bitmime) line += " BODY=8BITMIME";
  if (params.smtputf8) line += " SMTPUTF8";
  return append_line(out, line);
}

std::error_code rcpt_to(std::string& out, std::string_view forward_path) {
  std::string line = "RCPT TO:<";
  line += forward_path;
  line += '>';
  return append_line(out, line);
}

std::error_code data(std::string& out) { return append_line(out, "DATA"); }

std::error_code bdat(std::string& out, std::uint64_t size, bool last) {
  std::string line = "BDAT " + std::to_string(size);
  if (last) line += " LAST";
  return append_line(out, line);
}

std::error_code rset(std::string& out) { return append_line(out, "RSET"); }
std::error_code noop(std::string& out) { return append_line(out, "NOOP"); }
std::error_code quit(std::string& out) { return append_line(out, "QUIT"); }

std::error_code auth(std::string& out, std::string_view mechanism, std::string_view initial) {
  std::string line = "AUTH ";
  line += mechanism;
  if (!initial.empty()) {
    line += ' ';
    line += initial;
  }
  return append_line(out, line);
}

}  // namespace smtp::command
