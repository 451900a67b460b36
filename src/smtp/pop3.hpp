#pragma once
// POP3 login, for POP before SMTP: the spec's default authentication. The server lets a client
// that logged into POP3 send mail for a while afterwards.

#include "smtp/options.hpp"
#include "smtp/result.hpp"

namespace smtp {

// Logs into POP3 and says QUIT. Blocks the calling thread; the result never holds the password.
Result pop3_login(const Pop3Options& options);

}  // namespace smtp
