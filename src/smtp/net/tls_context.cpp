#include <openssl/ssl.h>

#include "smtp/net/tls.hpp"
#include "smtp/net/tls_context_impl.hpp"

namespace smtp {
namespace {

// Asio keeps its own callbacks in the context's app data, so ours gets an ex_data slot.
int impl_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* impl =
      static_cast<TlsClientContext::Impl*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), impl_index()));
  impl->keep_session(session);
  return 1;  // the reference is ours now
}

}  // namespace

TlsClientContext::Impl::Impl() : context(boost::asio::ssl::context::tls_client) {
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_ex_data(ctx, impl_index(), this);
  // Sessions are kept here, one per context (one context serves one server).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
}

TlsClientContext::Impl::~Impl() {
  if (last_session != nullptr) SSL_SESSION_free(last_session);
}

void TlsClientContext::Impl::offer_session(SSL* ssl) {
  const std::lock_guard lock(mutex);
  if (last_session != nullptr) SSL_set_session(ssl, last_session);
}

void TlsClientContext::Impl::keep_session(SSL_SESSION* session) {
  const std::lock_guard lock(mutex);
  if (last_session != nullptr) SSL_SESSION_free(last_session);
  last_session = session;
}

TlsClientContext::TlsClientContext() : impl_(std::make_unique<Impl>()) {}
TlsClientContext::~TlsClientContext() = default;

std::shared_ptr<TlsClientContext> TlsClientContext::create(const std::string& ca_file,
                                                           std::error_code& ec) {
  std::shared_ptr<TlsClientContext> context(new TlsClientContext());
  ec = net::configure_context(context->impl().context.native_handle(), ca_file);
  if (ec) return nullptr;
  return context;
}

std::size_t TlsClientContext::resumed_handshakes() const { return impl_->resumed.load(); }

}  // namespace smtp
