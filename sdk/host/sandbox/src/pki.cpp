#include "pki.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "crypto.hpp"

namespace flowhost::sandbox::pki {

namespace fs = std::filesystem;

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

constexpr long validity_seconds = 365L * 24 * 3600;
constexpr long renew_before_seconds = 24L * 3600;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("sandbox TLS: " + what + ": " + openssl_error());
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate an EC P-256 key");
  return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext) fail(std::string("cannot build extension ") + OBJ_nid2sn(nid));
  check(X509_add_ext(cert, ext.get(), -1), "cannot add an extension");
}

// A certificate for `key` named `common_name`, valid from an hour ago for a year, with a random
// 128-bit serial. Self-signed when issuer is null.
X509Ptr new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                        bool ca) {
  X509Ptr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  BnPtr serial(BN_new());
  check(BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    fail("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds) == nullptr) {
    fail("validity");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("flowhost sandbox"), -1,
                                   -1, 0),
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0),
        "subject CN");
  check(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name),
        "issuer");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (ca) {
    add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), &ctx, NID_subject_alt_name,
                  "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
  }
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");

  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
    fail("cannot sign the certificate");
  }
  return cert;
}

// Writes data to a temp file in the same directory (mode), then renames it over path.
void write_atomically(const fs::path& path, const std::string& data, mode_t mode) {
  const fs::path temp = path.parent_path() / (".tmp-" + crypto::random_hex(8));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot create " + temp.string());
  }
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw std::system_error(error, std::generic_category(), "cannot write " + temp.string());
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw std::system_error(error, std::generic_category(), "cannot write " + path.string());
  }
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

X509Ptr read_cert(const fs::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return nullptr;
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert;
}

KeyPtr read_key(const fs::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return nullptr;
  }
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

// Valid now and for at least another day.
bool current(X509* cert) {
  const std::time_t now = std::time(nullptr);
  std::time_t later = now + renew_before_seconds;
  return X509_cmp_time(X509_get0_notBefore(cert), nullptr) < 0 &&
         X509_cmp_time(X509_get0_notAfter(cert), &later) > 0;
}

}  // namespace

Paths paths(const fs::path& tls_dir) {
  return {tls_dir / "ca.pem", tls_dir / "ca.key", tls_dir / "server.pem", tls_dir / "server.key"};
}

Outcome ensure(const fs::path& tls_dir) {
  std::error_code ec;
  fs::create_directories(tls_dir, ec);
  if (ec) {
    throw std::runtime_error("sandbox TLS: cannot create " + tls_dir.string() + ": " +
                             ec.message());
  }
  ::chmod(tls_dir.c_str(), 0700);
  const Paths p = paths(tls_dir);
  Outcome outcome;

  X509Ptr ca = read_cert(p.ca_cert);
  KeyPtr ca_key = read_key(p.ca_key);
  if (!ca || !ca_key) {
    outcome.reason = fs::exists(p.ca_cert) ? "the CA files could not be read" : "first start";
  } else if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    outcome.reason = "the CA key does not match the CA certificate";
  } else if (!current(ca.get())) {
    outcome.reason = "the CA certificate expires within a day";
  } else if (X509_check_ca(ca.get()) == 0) {
    outcome.reason = "ca.pem is not a CA certificate";
  }
  ERR_clear_error();
  if (!outcome.reason.empty()) {
    ca_key = new_key();
    ca = new_certificate(ca_key.get(), "flowhost sandbox CA", nullptr, nullptr, true);
    write_atomically(p.ca_key, pem(ca_key.get()), 0600);
    write_atomically(p.ca_cert, pem(ca.get()), 0644);
    outcome.new_ca = true;
  }

  X509Ptr server = outcome.new_ca ? nullptr : read_cert(p.server_cert);
  KeyPtr server_key = outcome.new_ca ? nullptr : read_key(p.server_key);
  bool renew = outcome.new_ca || !server || !server_key;
  if (!renew) {
    EVP_PKEY* ca_public = X509_get0_pubkey(ca.get());
    renew = X509_check_private_key(server.get(), server_key.get()) != 1 ||
            X509_verify(server.get(), ca_public) != 1 || !current(server.get());
    if (renew) outcome.reason = "the server certificate is expired, damaged or not the CA's";
  }
  ERR_clear_error();
  if (renew) {
    server_key = new_key();
    server = new_certificate(server_key.get(), "localhost", ca.get(), ca_key.get(), false);
    write_atomically(p.server_key, pem(server_key.get()), 0600);
    write_atomically(p.server_cert, pem(server.get()), 0644);
    outcome.new_server = true;
  }
  return outcome;
}

void configure(SSL_CTX* ctx, const fs::path& tls_dir) {
  const Paths p = paths(tls_dir);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) fail("minimum TLS version");
  if (SSL_CTX_use_certificate_file(ctx, p.server_cert.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load " + p.server_cert.string());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, p.server_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load " + p.server_key.string());
  }
  check(SSL_CTX_check_private_key(ctx), "the server key does not match its certificate");
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

}  // namespace flowhost::sandbox::pki
