// The sandbox's certificates (read back with OpenSSL: extensions, names, chain, key modes), their
// reuse across restarts, and start()'s refusals: a non-loopback address, a port in use.

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <memory>

#include "sandbox_test_support.hpp"

using namespace sandbox_test;

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr load_cert(const fs::path& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return nullptr;
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::string group_name(X509* cert) {
  char name[64] = {};
  std::size_t size = 0;
  EVP_PKEY_get_group_name(X509_get0_pubkey(cert), name, sizeof name, &size);
  return name;
}

// Validity length in days.
int days(X509* cert) {
  int day = 0, sec = 0;
  ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  return day;
}

// Verifies server against ca as a TLS server certificate.
bool chain_ok(X509* server, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, server, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

flowhost::sandbox::Options options_for(const fs::path& dir, LogSink& log) {
  flowhost::sandbox::Options options;
  options.data_dir = dir;
  options.log = log.function();
  return options;
}

}  // namespace

TEST_CASE("the generated CA and server certificate") {
  Sandbox sb;
  const fs::path tls = sb.dir.path() / "tls";
  CHECK(sb.server.ca_file() == tls / "ca.pem");
  const X509Ptr ca = load_cert(tls / "ca.pem");
  const X509Ptr server = load_cert(tls / "server.pem");
  REQUIRE(ca);
  REQUIRE(server);

  CHECK(X509_check_ca(ca.get()) == 1);
  CHECK((X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(X509_check_ca(server.get()) == 0);
  CHECK(group_name(ca.get()) == "prime256v1");
  CHECK(group_name(server.get()) == "prime256v1");
  CHECK(days(ca.get()) == 365);
  CHECK(days(server.get()) == 365);
  CHECK(X509_get0_subject_key_id(ca.get()) != nullptr);
  CHECK(X509_get0_subject_key_id(server.get()) != nullptr);
  CHECK(X509_get0_authority_key_id(server.get()) != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(server.get()),
                              X509_get0_subject_key_id(ca.get())) == 0);
  CHECK((X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER) != 0);

  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
  CHECK(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(server.get(), "127.0.0.2", 0) == 0);
  CHECK(chain_ok(server.get(), ca.get()));

  CHECK(mode_of(tls / "ca.key") == 0600);
  CHECK(mode_of(tls / "server.key") == 0600);
  CHECK(mode_of(tls) == 0700);
  CHECK(mode_of(sb.server.mail_dir()) == 0700);
  CHECK(sb.log.contains("generated a new CA"));
}

TEST_CASE("a restart reuses the CA and the server certificate, and keeps numbering mail") {
  TempDir dir;
  LogSink log;
  std::string ca_pem, server_pem;
  for (int round = 0; round < 2; ++round) {
    flowhost::sandbox::Server server(options_for(dir.path(), log));
    server.start();
    if (round == 0) {
      ca_pem = read_file(server.ca_file());
      server_pem = read_file(dir.path() / "tls" / "server.pem");
      CHECK(log.contains("generated a new CA"));
    } else {
      CHECK(read_file(server.ca_file()) == ca_pem);
      CHECK(read_file(dir.path() / "tls" / "server.pem") == server_pem);
    }
    Client c(server.ports().smtp);
    REQUIRE(greet(c).rfind("250", 0) == 0);
    c.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 1 LAST\r\nx");
    CHECK(c.replies(3).find("250 2.0.0 OK") != std::string::npos);
  }
  const auto lines = log.lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
          return line.find("generated a new CA") != std::string::npos;
        }) == 1);
  const auto files = eml_files(dir.path() / "mail");
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename().string().ends_with("-000001.eml"));
  CHECK(files[1].filename().string().ends_with("-000002.eml"));
  CHECK(read_file(dir.path() / "mail" / "latest") == files[1].filename().string() + "\n");
}

TEST_CASE("a damaged CA is replaced (with its server certificate), and so is a lost server key") {
  TempDir dir;
  LogSink log;
  {
    flowhost::sandbox::Server server(options_for(dir.path(), log));
    server.start();
  }
  const fs::path tls = dir.path() / "tls";
  const std::string first_ca = read_file(tls / "ca.pem");
  {
    std::ofstream(tls / "ca.pem", std::ios::trunc) << "not a certificate\n";
    flowhost::sandbox::Server server(options_for(dir.path(), log));
    server.start();
  }
  const X509Ptr ca = load_cert(tls / "ca.pem");
  const X509Ptr server = load_cert(tls / "server.pem");
  REQUIRE(ca);
  REQUIRE(server);
  CHECK(read_file(tls / "ca.pem") != first_ca);
  CHECK(chain_ok(server.get(), ca.get()));

  const std::string second_ca = read_file(tls / "ca.pem");
  fs::remove(tls / "server.key");
  {
    flowhost::sandbox::Server again(options_for(dir.path(), log));
    again.start();
  }
  CHECK(read_file(tls / "ca.pem") == second_ca);  // only the server certificate was renewed
  CHECK(log.contains("renewed the server certificate"));
  const X509Ptr renewed = load_cert(tls / "server.pem");
  REQUIRE(renewed);
  CHECK(chain_ok(renewed.get(), ca.get()));
  CHECK(X509_cmp(renewed.get(), server.get()) != 0);
}

TEST_CASE("start() refuses an address that is not loopback") {
  TempDir dir;
  LogSink log;
  for (const char* address : {"0.0.0.0", "192.0.2.1", "::", "mail.example.com", ""}) {
    CAPTURE(address);
    auto options = options_for(dir.path(), log);
    options.address = address;
    flowhost::sandbox::Server server(options);
    try {
      server.start();
      FAIL("started on a non-loopback address");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("loopback") != std::string::npos);
    }
  }
  for (const char* address : {"localhost", "127.0.0.2"}) {
    CAPTURE(address);
    auto options = options_for(dir.path(), log);
    options.address = address;
    flowhost::sandbox::Server server(options);
    CHECK_NOTHROW(server.start());
  }
}

TEST_CASE("start() says which port is in use, and leaves nothing running") {
  Sandbox first;
  TempDir dir;
  LogSink log;
  auto options = options_for(dir.path(), log);
  options.pop3_port = first.ports.pop3;
  flowhost::sandbox::Server second(options);
  try {
    second.start();
    FAIL("started on a port in use");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("pop3") != std::string::npos);
    CHECK(message.find("127.0.0.1:" + std::to_string(first.ports.pop3)) != std::string::npos);
    CHECK(message.find("in use") != std::string::npos);
  }
  second.stop();                                              // harmless after a failed start
  CHECK_THROWS_AS(first.server.start(), std::runtime_error);  // once only
}
