#pragma once
// The inside of TlsClientContext: the OpenSSL context and the session kept for resumption.

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <mutex>
#include <vector>

#include "smtp/tls_context.hpp"

namespace smtp {

struct TlsClientContext::Impl {
  Impl();

  boost::asio::ssl::context context;
  std::mutex mutex;
  // The newest session the server gave, serialised: each connection resumes from a fresh copy,
  // since OpenSSL stops resuming from a TLS 1.3 session object once it has been used.
  std::vector<unsigned char> last_session;
  std::atomic<std::size_t> resumed{0};

  // Offers the last session for resumption on a new connection.
  void offer_session(SSL* ssl);
  // Called by OpenSSL when the server issues a session (TLS 1.3: a ticket after the handshake).
  void keep_session(SSL_SESSION* session);
};

}  // namespace smtp
