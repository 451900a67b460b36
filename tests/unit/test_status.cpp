// Transient versus permanent (security rule 7): how each error maps to the status a caller acts
// on. A lost connection after the end of data is UNCERTAIN (a retry could deliver twice); before
// it, RETRY. Reply-driven errors follow the reply: 4xx RETRY, 5xx FAILED.

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "smtp/error.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/result.hpp"
#include "smtp/status.hpp"
#include "unit_support.hpp"

using smtp::classify;
using smtp::DataPhase;
using smtp::errc;
using smtp::Reply;
using smtp::Status;
using unit::err;

namespace {

constexpr DataPhase before = DataPhase::before_end_of_data;
constexpr DataPhase after = DataPhase::after_end_of_data;

const std::optional<Reply> no_reply;
const std::optional<Reply> reply_421 = Reply{421, {"4.3.2 Service shutting down"}, {}};
const std::optional<Reply> reply_451 = Reply{451, {"4.7.1 Try again later"}, {}};
const std::optional<Reply> reply_550 = Reply{550, {"5.1.1 No such user"}, {}};
const std::optional<Reply> reply_554 = Reply{554, {"5.7.1 Rejected"}, {}};

const std::vector<errc> transport_errors = {
    errc::timeout,
    errc::connection_lost,
    errc::reply_malformed,
    errc::reply_line_too_long,
    errc::reply_too_many_lines,
    errc::reply_too_large,
    errc::resolve_failed,
    errc::connect_failed,
    errc::tls_handshake_failed,
};

const std::vector<errc> reply_driven_errors = {
    errc::greeting_rejected, errc::ehlo_rejected,           errc::starttls_refused,
    errc::sender_rejected,   errc::all_recipients_rejected, errc::data_rejected,
    errc::message_rejected,
};

const std::vector<errc> bad_input_errors = {
    errc::invalid_address,   errc::forbidden_character,  errc::invalid_credentials,
    errc::no_recipients,     errc::body_contains_nul,    errc::body_line_too_long,
    errc::body_read_failed,  errc::smtputf8_not_offered, errc::eightbitmime_not_offered,
    errc::message_too_large, errc::body_not_seven_bit,
};

const std::vector<errc> tls_policy_errors = {
    errc::starttls_not_offered,      errc::starttls_unexpected_data,
    errc::tls_peer_not_tls,          errc::certificate_untrusted,
    errc::certificate_name_mismatch, errc::certificate_pin_mismatch,
    errc::ca_file_unreadable,        errc::invalid_pin,
};

const std::vector<errc> auth_errors = {
    errc::auth_not_offered,       errc::auth_mechanism_not_offered, errc::auth_failed,
    errc::auth_plaintext_refused, errc::auth_protocol_error,
};

std::vector<errc> all_errors() {
  std::vector<errc> all;
  for (int v = static_cast<int>(errc::invalid_address); v <= static_cast<int>(errc::invalid_pin);
       ++v) {
    all.push_back(static_cast<errc>(v));
  }
  return all;
}

std::string name_of(errc e) { return err(e).message(); }

}  // namespace

TEST_CASE("status: to_string names every status") {
  CHECK(smtp::to_string(Status::ok) == "OK");
  CHECK(smtp::to_string(Status::retry) == "RETRY");
  CHECK(smtp::to_string(Status::failed) == "FAILED");
  CHECK(smtp::to_string(Status::uncertain) == "UNCERTAIN");
}

TEST_CASE("status: a negative reply is RETRY for 4xx and FAILED for 5xx") {
  CHECK(smtp::status_of_reply(*reply_421) == Status::retry);
  CHECK(smtp::status_of_reply(*reply_451) == Status::retry);
  CHECK(smtp::status_of_reply(*reply_550) == Status::failed);
  CHECK(smtp::status_of_reply(*reply_554) == Status::failed);
}

TEST_CASE("status: no error is OK") {
  CHECK(classify({}, no_reply, before) == Status::ok);
  CHECK(classify({}, no_reply, after) == Status::ok);
}

TEST_CASE("status: transport errors are RETRY before the end of data, UNCERTAIN after") {
  for (const auto e : transport_errors) {
    INFO(name_of(e));
    CHECK(smtp::is_transport_error(err(e)));
    CHECK(classify(err(e), no_reply, before) == Status::retry);
    CHECK(classify(err(e), no_reply, after) == Status::uncertain);
  }
}

TEST_CASE("status: errors from outside the smtp category (socket, TLS library) are transport") {
  for (const auto ec : {std::make_error_code(std::errc::connection_reset),
                        std::make_error_code(std::errc::broken_pipe),
                        std::make_error_code(std::errc::connection_aborted)}) {
    INFO(ec.message());
    CHECK(smtp::is_transport_error(ec));
    CHECK(classify(ec, no_reply, before) == Status::retry);
    CHECK(classify(ec, no_reply, after) == Status::uncertain);
  }
}

TEST_CASE("status: a lost connection after the final dot is UNCERTAIN even with an earlier reply") {
  // The last reply seen was the 354 to DATA; the answer to the final dot never came.
  const std::optional<Reply> reply_354 = Reply{354, {"go ahead"}, {}};
  CHECK(classify(err(errc::connection_lost), reply_354, after) == Status::uncertain);
  CHECK(classify(err(errc::timeout), reply_354, after) == Status::uncertain);
}

TEST_CASE("status: reply-driven errors follow the reply: 4xx RETRY, 5xx FAILED") {
  for (const auto e : reply_driven_errors) {
    INFO(name_of(e));
    CHECK_FALSE(smtp::is_transport_error(err(e)));
    for (const auto phase : {before, after}) {
      CHECK(classify(err(e), reply_421, phase) == Status::retry);
      CHECK(classify(err(e), reply_451, phase) == Status::retry);
      CHECK(classify(err(e), reply_550, phase) == Status::failed);
      CHECK(classify(err(e), reply_554, phase) == Status::failed);
    }
  }
}

TEST_CASE("status: a reply-driven error without a reply is FAILED") {
  for (const auto e : reply_driven_errors) {
    INFO(name_of(e));
    CHECK(classify(err(e), no_reply, before) == Status::failed);
    CHECK(classify(err(e), no_reply, after) == Status::failed);
  }
}

TEST_CASE("status: the server closing (421) and a temporary AUTH failure are RETRY") {
  for (const auto e : {errc::server_closing, errc::auth_temporary_failure}) {
    INFO(name_of(e));
    CHECK_FALSE(smtp::is_transport_error(err(e)));
    CHECK(classify(err(e), reply_421, before) == Status::retry);
    CHECK(classify(err(e), no_reply, before) == Status::retry);
    CHECK(classify(err(e), reply_421, after) == Status::retry);
  }
}

TEST_CASE("status: bad input, TLS policy and authentication errors are FAILED in every phase") {
  std::vector<errc> permanent = bad_input_errors;
  permanent.insert(permanent.end(), tls_policy_errors.begin(), tls_policy_errors.end());
  permanent.insert(permanent.end(), auth_errors.begin(), auth_errors.end());
  for (const auto e : permanent) {
    INFO(name_of(e));
    CHECK_FALSE(smtp::is_transport_error(err(e)));
    for (const auto phase : {before, after}) {
      CHECK(classify(err(e), no_reply, phase) == Status::failed);
      // A transient-looking reply does not make them retryable.
      CHECK(classify(err(e), reply_451, phase) == Status::failed);
    }
  }
}

TEST_CASE("status: every error code is in exactly one family above") {
  std::vector<errc> families = transport_errors;
  for (const auto* family :
       {&reply_driven_errors, &bad_input_errors, &tls_policy_errors, &auth_errors}) {
    families.insert(families.end(), family->begin(), family->end());
  }
  families.push_back(errc::server_closing);
  families.push_back(errc::auth_temporary_failure);
  CHECK(families.size() == all_errors().size());
  for (const auto e : all_errors()) {
    INFO(name_of(e));
    CHECK(std::count(families.begin(), families.end(), e) == 1);
  }
}

TEST_CASE("status: UNCERTAIN only ever comes after the end of data") {
  for (const auto e : all_errors()) {
    INFO(name_of(e));
    for (const auto& reply : {no_reply, reply_451, reply_550}) {
      CHECK(classify(err(e), reply, before) != Status::uncertain);
      CHECK(classify(err(e), reply, before) != Status::ok);
      CHECK(classify(err(e), reply, after) != Status::ok);
    }
  }
}

TEST_CASE("status: no error is not a transport error") {
  CHECK_FALSE(smtp::is_transport_error(std::error_code{}));
}

TEST_CASE("error: every code has its own message in the smtp category") {
  CHECK(std::string(smtp::category().name()) == "smtp");
  std::vector<std::string> seen;
  for (const auto e : all_errors()) {
    const auto ec = err(e);
    INFO(static_cast<int>(e));
    CHECK(&ec.category() == &smtp::category());
    CHECK(ec == e);  // is_error_code_enum makes the enum comparable
    const auto message = ec.message();
    CHECK_FALSE(message.empty());
    CHECK(message != "unknown smtp error");
    CHECK(std::find(seen.begin(), seen.end(), message) == seen.end());
    seen.push_back(message);
  }
  CHECK(err(static_cast<errc>(0)).message() == "unknown smtp error");
}

TEST_CASE("error: messages name the setting that fixes the problem") {
  CHECK(name_of(errc::starttls_not_offered).find("'Use STARTTLS'") != std::string::npos);
  CHECK(name_of(errc::tls_peer_not_tls).find("'Use STARTTLS'") != std::string::npos);
  CHECK(name_of(errc::auth_failed).find("'SMTP Password'") != std::string::npos);
  CHECK(name_of(errc::timeout).find("'Timeout'") != std::string::npos);
}

TEST_CASE("result: describe() gives status, cause and detail on one line") {
  smtp::Result result;
  result.status = Status::failed;
  result.error = err(errc::sender_rejected);
  result.detail = "server replied 550 5.7.1 no";
  CHECK(result.describe() ==
        "FAILED: the server rejected the sender (server replied 550 5.7.1 no)");
  CHECK_FALSE(result.ok());
}

TEST_CASE("result: describe() of a success shows the server's escaped reply") {
  smtp::Result result;
  result.reply = Reply{250, {"2.0.0 Ok: queued\x1b[2J"}, {}};
  CHECK(result.ok());
  CHECK(result.describe() == "OK: 250 2.0.0 Ok: queued\\x1b[2J");
}
