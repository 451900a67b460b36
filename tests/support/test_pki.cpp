#include "test_pki.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <unistd.h>

#include "openssl_ptr.hpp"

namespace testsupport {
namespace {

using namespace detail;

constexpr long kValidBeforeNow = 60L * 60;      // one hour, in seconds
constexpr long kValidAfterNow = 24L * 60 * 60;  // one day

[[noreturn]] void fail(std::string_view what) {
  std::array<char, 256> reason{};
  ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
  throw std::runtime_error("test PKI: " + std::string(what) + ": " + reason.data());
}

void check(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

PkeyPtr make_p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

// A random positive 63-bit serial: unique enough for certificates living one process.
void set_random_serial(X509* cert) {
  std::uint64_t serial = 0;
  check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1, "RAND_bytes");
  serial = (serial >> 1) | 1;
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1, "serial");
}

X509NamePtr make_name(const std::string& common_name) {
  X509NamePtr name(X509_NAME_new());
  const auto add = [&](const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0) == 1,
          "subject name");
  };
  add("O", "smtp-connection tests");
  add("CN", common_name);
  return name;
}

void add_extension(X509* cert, X509V3_CTX& ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext != nullptr, value);
  check(X509_add_ext(cert, ext.get(), -1) == 1, value);
}

struct CertSpec {
  std::string common_name;
  const char* subject_alt_name;  // nullptr for the CA
};

// The issuer is the certificate's own subject and key when `issuer` is null (self-signed).
X509Ptr make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  check(cert != nullptr && X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_new");
  set_random_serial(cert.get());
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kValidBeforeNow) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidAfterNow) != nullptr, "notAfter");

  const X509NamePtr subject = make_name(spec.common_name);
  check(X509_set_subject_name(cert.get(), subject.get()) == 1, "subject");
  check(
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject.get()) == 1,
      "issuer");
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  check(X509V3_set_issuer_pkey(&ctx, issuer_key) == 1, "issuer key");
  const bool is_ca = spec.subject_alt_name == nullptr;
  if (is_ca) {
    add_extension(cert.get(), ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), ctx, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), ctx, NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), ctx, NID_subject_alt_name, spec.subject_alt_name);
  }
  // The subject key identifier first: the authority key identifier of a self-signed
  // certificate is copied from it.
  add_extension(cert.get(), ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ctx, NID_authority_key_identifier, "keyid:always");

  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "certificate PEM");
  return bio_contents(bio.get());
}

std::string key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "key PEM");
  return bio_contents(bio.get());
}

// SHA-256 over the certificate's SubjectPublicKeyInfo exactly as encoded in it.
std::vector<unsigned char> spki_sha256(X509* cert) {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  const int der_size = i2d_X509_PUBKEY(spki, nullptr);
  check(der_size > 0, "SPKI DER");
  std::vector<unsigned char> der(static_cast<std::size_t>(der_size));
  unsigned char* out = der.data();
  check(i2d_X509_PUBKEY(spki, &out) == der_size, "SPKI DER");

  std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
  unsigned int digest_size = 0;
  check(EVP_Digest(der.data(), der.size(), digest.data(), &digest_size, EVP_sha256(), nullptr) == 1,
        "SHA-256");
  digest.resize(digest_size);
  return digest;
}

std::string to_base64(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + the NUL EVP_EncodeBlock writes
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                   static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::string to_hex(const std::vector<unsigned char>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string write_temp_file(std::string_view stem, const std::string& contents) {
  std::string path =
      (std::filesystem::temp_directory_path() / (std::string(stem) + "-XXXXXX.pem")).string();
  const int fd = ::mkstemps(path.data(), 4);  // 4 = the length of ".pem"
  if (fd < 0) throw std::runtime_error("test PKI: cannot create a file in the temporary directory");
  const bool written =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  ::close(fd);
  if (!written) throw std::runtime_error("test PKI: cannot write " + path);
  return path;
}

constexpr const char* kServerNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

}  // namespace

TestPki::TestPki() {
  const PkeyPtr ca_key = make_p256_key();
  const X509Ptr ca = make_cert({"smtp-test CA", nullptr}, ca_key.get(), nullptr, ca_key.get());
  ca_pem = cert_to_pem(ca.get());

  const PkeyPtr leaf_key = make_p256_key();
  const X509Ptr leaf =
      make_cert({"localhost", kServerNames}, leaf_key.get(), ca.get(), ca_key.get());
  leaf_cert_pem = cert_to_pem(leaf.get());
  leaf_key_pem = key_to_pem(leaf_key.get());

  const PkeyPtr untrusted_key = make_p256_key();
  const X509Ptr untrusted =
      make_cert({"localhost", kServerNames}, untrusted_key.get(), nullptr, untrusted_key.get());
  untrusted_cert_pem = cert_to_pem(untrusted.get());
  untrusted_key_pem = key_to_pem(untrusted_key.get());

  const PkeyPtr wrong_name_key = make_p256_key();
  const X509Ptr wrong_name = make_cert({"other.invalid", "DNS:other.invalid"}, wrong_name_key.get(),
                                       ca.get(), ca_key.get());
  wrong_name_cert_pem = cert_to_pem(wrong_name.get());
  wrong_name_key_pem = key_to_pem(wrong_name_key.get());

  const auto pins_of = [](X509* cert) {
    const std::vector<unsigned char> digest = spki_sha256(cert);
    return Pins{to_base64(digest), to_hex(digest)};
  };
  leaf_pins_ = pins_of(leaf.get());
  untrusted_pins_ = pins_of(untrusted.get());
  wrong_name_pins_ = pins_of(wrong_name.get());

  ca_file_path_ = write_temp_file("smtp-test-ca", ca_pem);
}

TestPki::~TestPki() { std::remove(ca_file_path_.c_str()); }

const std::string& TestPki::cert_pem(TlsIdentity id) const {
  switch (id) {
    case TlsIdentity::untrusted_self_signed:
      return untrusted_cert_pem;
    case TlsIdentity::wrong_name:
      return wrong_name_cert_pem;
    case TlsIdentity::trusted_leaf:
      break;
  }
  return leaf_cert_pem;
}

const std::string& TestPki::key_pem(TlsIdentity id) const {
  switch (id) {
    case TlsIdentity::untrusted_self_signed:
      return untrusted_key_pem;
    case TlsIdentity::wrong_name:
      return wrong_name_key_pem;
    case TlsIdentity::trusted_leaf:
      break;
  }
  return leaf_key_pem;
}

const TestPki::Pins& TestPki::pins(TlsIdentity id) const {
  switch (id) {
    case TlsIdentity::untrusted_self_signed:
      return untrusted_pins_;
    case TlsIdentity::wrong_name:
      return wrong_name_pins_;
    case TlsIdentity::trusted_leaf:
      break;
  }
  return leaf_pins_;
}

const std::string& TestPki::spki_sha256_base64(TlsIdentity id) const { return pins(id).base64; }
const std::string& TestPki::spki_sha256_hex(TlsIdentity id) const { return pins(id).hex; }

const TestPki& test_pki() {
  static const TestPki pki;  // C++11 guarantees a thread-safe one-time initialisation
  return pki;
}

}  // namespace testsupport
