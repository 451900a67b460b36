#include "smtp/result.hpp"

namespace smtp {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "OK";
    case Status::retry:
      return "RETRY";
    case Status::failed:
      return "FAILED";
    case Status::uncertain:
      return "UNCERTAIN";
  }
  return "FAILED";
}

std::string Result::describe() const {
  std::string out(to_string(status));
  if (error) {
    out += ": ";
    out += error.message();
  } else if (reply) {
    out += ": ";
    out += reply->display();
  }
  if (!detail.empty()) {
    out += " (";
    out += detail;
    out += ')';
  }
  return out;
}

}  // namespace smtp
