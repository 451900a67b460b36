#pragma once
// Trust settings and resumable TLS sessions, shared by every connection to one server (a pool
// keeps one per definition), so a new connection can resume the last TLS session instead of a
// full handshake.

#include <memory>
#include <string>
#include <system_error>

namespace smtp {

class TlsClientContext {
 public:
  // Verification on, TLS 1.2 at least, the system trust store plus `ca_file` when not empty.
  // On failure (an unreadable CA file) returns null and sets `ec`.
  static std::shared_ptr<TlsClientContext> create(const std::string& ca_file, std::error_code& ec);

  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // How many handshakes resumed a cached session (for tests and statistics).
  std::size_t resumed_handshakes() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  TlsClientContext();
  std::unique_ptr<Impl> impl_;
};

}  // namespace smtp
