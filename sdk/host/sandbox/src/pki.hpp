#pragma once
// The sandbox's own PKI under data_dir/tls/: ca.pem + ca.key (a CA: EC P-256, CA:true, one
// year) and server.pem + server.key (EC P-256, SAN DNS:localhost, IP:127.0.0.1, IP:::1,
// serverAuth, SKI/AKI, one year, signed by the CA). Keys are 0600, written atomically.
//
// ensure() reuses what is there while it is valid: the CA while it has more than a day left, the
// server certificate while it has more than a day left, matches its key and was signed by the CA.
// So a client's trust in ca.pem survives restarts; only an expired or damaged CA is replaced.

#include <openssl/ssl.h>

#include <filesystem>
#include <string>

namespace flowhost::sandbox::pki {

struct Paths {
  std::filesystem::path ca_cert, ca_key, server_cert, server_key;
};
Paths paths(const std::filesystem::path& tls_dir);

struct Outcome {
  bool new_ca = false;
  bool new_server = false;
  std::string reason;  // why something was (re)generated, for the log
};

// Throws std::runtime_error.
Outcome ensure(const std::filesystem::path& tls_dir);

// Loads server.pem / server.key into ctx (TLS 1.2 minimum). Throws std::runtime_error.
void configure(SSL_CTX* ctx, const std::filesystem::path& tls_dir);

}  // namespace flowhost::sandbox::pki
