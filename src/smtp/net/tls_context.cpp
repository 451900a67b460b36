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
  return 1;  // the reference is ours now (keep_session releases it)
}

}  // namespace

TlsClientContext::Impl::Impl() : context(boost::asio::ssl::context::tls_client) {
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_ex_data(ctx, impl_index(), this);
  // Sessions are kept here, one per context (one context serves one server).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
}

void TlsClientContext::Impl::offer_session(SSL* ssl) {
  const std::lock_guard lock(mutex);
  if (last_session.empty()) return;
  const unsigned char* der = last_session.data();
  SSL_SESSION* copy = d2i_SSL_SESSION(nullptr, &der, static_cast<long>(last_session.size()));
  if (copy == nullptr) return;
  SSL_set_session(ssl, copy);
  SSL_SESSION_free(copy);  // the connection holds its own reference
}

void TlsClientContext::Impl::keep_session(SSL_SESSION* session) {
  const int length = i2d_SSL_SESSION(session, nullptr);
  std::vector<unsigned char> der(length > 0 ? static_cast<std::size_t>(length) : 0);
  unsigned char* out = der.data();
  if (length <= 0 || i2d_SSL_SESSION(session, &out) != length) der.clear();
  SSL_SESSION_free(session);
  const std::lock_guard lock(mutex);
  if (!der.empty()) last_session = std::move(der);
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
