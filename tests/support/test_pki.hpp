#pragma once
// A throwaway PKI for TLS tests, generated in memory once per process (EC P-256, SHA-256):
//
//   CA "smtp-test CA"         CA:TRUE, keyCertSign; the trust anchor tests give the client.
//   trusted leaf              signed by the CA; SAN DNS:localhost, IP:127.0.0.1, IP:::1;
//                             serverAuth. What a well-configured test server presents.
//   untrusted self-signed     same names and usage as the trusted leaf, but self-signed with
//                             its own key: a client that trusts only the CA must reject it.
//   wrong-name leaf           signed by the CA, but for DNS:other.invalid only: a client
//                             connecting to localhost / 127.0.0.1 must reject the name.
//
// Every certificate is valid from one hour ago to one day from now, and carries subject and
// authority key identifiers, so strict verification (X509_V_FLAG_X509_STRICT) accepts it.

#include <string>

namespace testsupport {

// The certificate a TLS test server presents.
enum class TlsIdentity { trusted_leaf, untrusted_self_signed, wrong_name };

class TestPki {
 public:
  TestPki();   // generates everything; use test_pki() rather than constructing one
  ~TestPki();  // removes the CA file
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string ca_pem;  // the CA certificate (PEM)

  std::string leaf_cert_pem;  // the trusted leaf
  std::string leaf_key_pem;   // its private key (PKCS#8 PEM, unencrypted)

  std::string untrusted_cert_pem;
  std::string untrusted_key_pem;

  std::string wrong_name_cert_pem;
  std::string wrong_name_key_pem;

  // A temporary file holding ca_pem, for APIs that take a CA file path. Written once, when
  // the PKI is generated; removed when the process exits normally.
  const std::string& ca_file_path() const { return ca_file_path_; }

  // SHA-256 over the DER SubjectPublicKeyInfo of the trusted leaf: the HPKP pin-sha256
  // value (base64, as in curl --pinnedpubkey "sha256//<base64>") and the same 32 bytes as
  // lowercase hex.
  const std::string& leaf_spki_sha256_base64() const {
    return spki_sha256_base64(TlsIdentity::trusted_leaf);
  }
  const std::string& leaf_spki_sha256_hex() const {
    return spki_sha256_hex(TlsIdentity::trusted_leaf);
  }

  // The same, for any of the three server identities.
  const std::string& cert_pem(TlsIdentity id) const;
  const std::string& key_pem(TlsIdentity id) const;
  const std::string& spki_sha256_base64(TlsIdentity id) const;
  const std::string& spki_sha256_hex(TlsIdentity id) const;

 private:
  struct Pins {
    std::string base64;
    std::string hex;
  };
  const Pins& pins(TlsIdentity id) const;

  Pins leaf_pins_;
  Pins untrusted_pins_;
  Pins wrong_name_pins_;
  std::string ca_file_path_;
};

// The process-wide PKI, generated on first use (thread-safe).
const TestPki& test_pki();

}  // namespace testsupport
