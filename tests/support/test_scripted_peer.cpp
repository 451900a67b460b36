// Tests of the test support itself: the scripted peer, driven by a tiny blocking client on
// plain sockets and OpenSSL, and the generated test PKI.

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doctest_printers.hpp"
#include "openssl_ptr.hpp"
#include "scripted_peer.hpp"
#include "test_pki.hpp"

namespace {

using namespace testsupport;
using namespace testsupport::detail;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Lines = std::vector<std::string>;

// Blocks SIGPIPE on this thread while alive and discards one raised meanwhile: the client
// writes TLS through OpenSSL's socket BIO, which cannot pass MSG_NOSIGNAL. Scoped to the
// thread so it cannot hide a SIGPIPE bug elsewhere in the test executable.
class SigpipeBlock {
 public:
  SigpipeBlock() { pthread_sigmask(SIG_BLOCK, &sigpipe(), &previous_); }
  ~SigpipeBlock() {
    const timespec no_wait{};
    while (sigtimedwait(&sigpipe(), nullptr, &no_wait) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  static const sigset_t& sigpipe() {
    static const sigset_t set = [] {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      return s;
    }();
    return set;
  }
  sigset_t previous_{};
};

struct TlsResult {
  bool ok;
  long verify_result;  // X509_V_OK or why the client rejected the certificate
};

// A deliberately simple blocking client. Every read and write times out after 5 s, so a
// broken peer fails the test instead of hanging it.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~TestClient() { close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  void write(std::string_view bytes) {
    if (ssl_) {
      if (SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) <= 0) {
        throw std::runtime_error("SSL_write failed");
      }
      return;
    }
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One line without its CRLF.
  std::string read_line() {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!read_more())
        throw std::runtime_error("connection closed before a full line: " + buffer_);
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  }

  std::string read_exactly(std::size_t n) {
    while (buffer_.size() < n) {
      if (!read_more()) throw std::runtime_error("connection closed early");
    }
    std::string bytes = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return bytes;
  }

  // True when the peer closes the connection without sending anything more.
  bool reads_eof() { return buffer_.empty() && !read_more(); }

  // True when nothing arrives within `duration`.
  bool quiet_for(std::chrono::milliseconds duration) {
    pollfd pfd{fd_, POLLIN, 0};
    return buffer_.empty() && ::poll(&pfd, 1, static_cast<int>(duration.count())) == 0;
  }

  TlsResult start_tls(const std::string& host) {
    CHECK(buffer_.empty());  // a correct client has nothing buffered when it starts TLS
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx_.get(), test_pki().ca_file_path().c_str(), nullptr);
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);  // EOF reads as 0 bytes
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    if (host.find_first_not_of("0123456789.") == std::string::npos) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_.get(), host.c_str());
      SSL_set1_host(ssl_.get(), host.c_str());
    }
    const bool ok = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
    return {ok, SSL_get_verify_result(ssl_.get())};
  }

  void close() {
    if (fd_ < 0) return;
    if (ssl_) SSL_shutdown(ssl_.get());  // sends close_notify; no need to wait for the reply
    ssl_.reset();
    ::close(fd_);
    fd_ = -1;
  }

 private:
  bool read_more() {
    std::array<char, 4096> chunk{};
    const int n = ssl_ ? SSL_read(ssl_.get(), chunk.data(), static_cast<int>(chunk.size()))
                       : static_cast<int>(::recv(fd_, chunk.data(), chunk.size(), 0));
    if (n < 0 || (ssl_ && n == 0 && SSL_get_error(ssl_.get(), n) != SSL_ERROR_ZERO_RETURN)) {
      throw std::runtime_error("read failed or timed out");
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    return n > 0;
  }

  SigpipeBlock sigpipe_block_;
  int fd_;
  SslCtxPtr ctx_;
  SslPtr ssl_;
  std::string buffer_;
};

template <class F>
std::chrono::milliseconds time_of(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace

TEST_SUITE("scripted peer") {
  TEST_CASE("plays the greeting and records exactly what the client sent") {
    ScriptedPeer peer({send("220 mx.test ESMTP"), expect_line(), send("221 bye")});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 mx.test ESMTP");
      client.write("QUIT\r\n");
      CHECK(client.read_line() == "221 bye");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == "QUIT\r\n");
    CHECK(peer.events() == Lines{"client-closed"});
  }

  TEST_CASE("splits pipelined commands sent in one write between expect_line steps") {
    ScriptedPeer peer({send("220 hi"), expect_line(), send("250 mail"), expect_line(),
                       send("250 rcpt"), expect_line(), send("354 go")});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      client.write("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
      CHECK(client.read_line() == "250 mail");
      CHECK(client.read_line() == "250 rcpt");
      CHECK(client.read_line() == "354 go");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received_lines() == Lines{"MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"});
  }

  TEST_CASE("expect_lines takes n lines and leaves the rest for the next step") {
    ScriptedPeer peer({expect_lines(2), send("250 two"), expect_line(), send("250 three")});
    {
      TestClient client(peer.port());
      client.write("A\r\nB\r\nC\r\n");
      CHECK(client.read_line() == "250 two");
      CHECK(client.read_line() == "250 three");
    }
    peer.wait();
    CHECK(peer.script_completed());
  }

  TEST_CASE("expect_data stops right after the terminator") {
    ScriptedPeer peer({expect_data(), send("250 queued"), expect_line(), send("221 bye")});
    std::string body;
    SUBCASE("a body with dot-stuffing and a line ending in a dot") {
      body = "Subject: x\r\n\r\n..dot\r\nend.\r\n.\r\n";
    }
    SUBCASE("an empty body") { body = ".\r\n"; }
    {
      TestClient client(peer.port());
      client.write(body + "QUIT\r\n");  // the terminator and the next command in one write
      CHECK(client.read_line() == "250 queued");
      CHECK(client.read_line() == "221 bye");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == body + "QUIT\r\n");
  }

  TEST_CASE("expect_bytes reads exactly a BDAT chunk") {
    ScriptedPeer peer(
        {expect_line(), expect_bytes(5), send("250 chunk"), expect_line(), send("221 bye")});
    {
      TestClient client(peer.port());
      client.write("BDAT 5 LAST\r\nhelloQUIT\r\n");
      CHECK(client.read_line() == "250 chunk");
      CHECK(client.read_line() == "221 bye");
    }
    peer.wait();
    CHECK(peer.script_completed());
  }

  TEST_CASE("send_raw sends bytes as they are") {
    const std::string raw = "250-bare LF\n250 no CRLF at the end";
    ScriptedPeer peer({send_raw(raw)});
    {
      TestClient client(peer.port());
      CHECK(client.read_exactly(raw.size()) == raw);
    }
    peer.wait();
    CHECK(peer.events() == Lines{"client-closed"});
  }

  TEST_CASE("received_lines keeps a final piece without CRLF") {
    ScriptedPeer peer({hang()});
    {
      TestClient client(peer.port());
      client.write("A\r\nB\nC");
    }
    peer.wait();
    CHECK(peer.received_lines() == Lines{"A", "B\nC"});
  }

  TEST_CASE("STARTTLS: the test CA verifies the leaf, and decrypted bytes are recorded") {
    std::string host;
    SUBCASE("by name") { host = "localhost"; }
    SUBCASE("by IP address") { host = "127.0.0.1"; }
    ScriptedPeer peer({send("220 hi"), expect_line(), send("220 go ahead"), start_tls(),
                       expect_line(), send("250 secure")});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      client.write("STARTTLS\r\n");
      CHECK(client.read_line() == "220 go ahead");
      const TlsResult tls = client.start_tls(host);
      REQUIRE(tls.ok);
      CHECK(tls.verify_result == X509_V_OK);
      client.write("EHLO client.test\r\n");
      CHECK(client.read_line() == "250 secure");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == "STARTTLS\r\nEHLO client.test\r\n");
    CHECK(peer.events() == Lines{"tls-handshake-ok", "tls-close-notify", "client-closed"});
  }

  TEST_CASE("implicit TLS handshakes right after the accept") {
    ScriptedPeer peer({send("220 smtps"), expect_line(), send("221 bye")}, PeerTls::implicit);
    {
      TestClient client(peer.port());
      REQUIRE(client.start_tls("localhost").ok);
      CHECK(client.read_line() == "220 smtps");
      client.write("QUIT\r\n");
      CHECK(client.read_line() == "221 bye");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == "QUIT\r\n");
  }

  TEST_CASE("an untrusted certificate is rejected and the failed handshake recorded") {
    ScriptedPeer peer({send("220 never sent")}, PeerTls::implicit,
                      TlsIdentity::untrusted_self_signed);
    {
      TestClient client(peer.port());
      const TlsResult tls = client.start_tls("localhost");
      CHECK_FALSE(tls.ok);
      CHECK(tls.verify_result == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    }
    peer.wait();
    CHECK_FALSE(peer.script_completed());
    CHECK(peer.events() == Lines{"tls-handshake-failed: tlsv1 alert unknown ca"});
  }

  TEST_CASE("the wrong-name leaf fails for localhost and verifies for other.invalid") {
    bool right_name = false;
    SUBCASE("localhost") { right_name = false; }
    SUBCASE("other.invalid") { right_name = true; }
    ScriptedPeer peer({expect_line(), send("220 go ahead"), start_tls(TlsIdentity::wrong_name)});
    {
      TestClient client(peer.port());
      client.write("STARTTLS\r\n");
      CHECK(client.read_line() == "220 go ahead");
      const TlsResult tls = client.start_tls(right_name ? "other.invalid" : "localhost");
      CHECK(tls.ok == right_name);
      CHECK(tls.verify_result == (right_name ? X509_V_OK : X509_V_ERR_HOSTNAME_MISMATCH));
    }
    peer.wait();
    CHECK(peer.events().front().starts_with(right_name ? "tls-handshake-ok"
                                                       : "tls-handshake-failed: "));
  }

  TEST_CASE("plaintext after STARTTLS is detected and never fed to TLS") {
    ScriptedPeer peer({expect_line(), send("220 go ahead"), start_tls()});
    {
      TestClient client(peer.port());
      SUBCASE("in the same write as STARTTLS") { client.write("STARTTLS\r\nEHLO injected\r\n"); }
      SUBCASE("in a later write, before the reply") {
        client.write("STARTTLS\r\n");
        client.write("EHLO injected\r\n");
      }
      CHECK(client.read_line() == "220 go ahead");
      CHECK(client.reads_eof());  // the peer hangs up instead of handshaking
    }
    peer.wait();
    CHECK_FALSE(peer.script_completed());
    CHECK(peer.received() == "STARTTLS\r\nEHLO injected\r\n");
    CHECK(peer.events() ==
          Lines{"plaintext-after-starttls", "tls-handshake-failed: plaintext-after-starttls"});
  }

  TEST_CASE("a client that closes early stops the script") {
    ScriptedPeer peer({send("220 hi"), expect_line(), expect_line(), send("250 never sent")});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      client.write("ONE\r\n");
    }
    peer.wait();
    CHECK_FALSE(peer.script_completed());
    CHECK(peer.received() == "ONE\r\n");
    CHECK(peer.events() == Lines{"client-closed at step 2 (expect_line)"});
  }

  TEST_CASE("hang keeps the connection open and records until the client gives up") {
    ScriptedPeer peer({send("220 hi"), expect_line(), hang()});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      client.write("NOOP\r\n");
      CHECK(client.quiet_for(100ms));
      client.write("QUIT\r\n");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == "NOOP\r\nQUIT\r\n");
    CHECK(peer.events() == Lines{"client-closed"});
  }

  TEST_CASE("send_trickle spaces the bytes out and wait_ms pauses the peer") {
    ScriptedPeer peer(
        {send_raw("2"), send_trickle("50 ok\r\n", 20ms), wait_ms(100), send("221 bye")});
    TestClient client(peer.port());
    CHECK(time_of([&] { CHECK(client.read_line() == "250 ok"); }) >= 6 * 20ms);
    CHECK(time_of([&] { CHECK(client.read_line() == "221 bye"); }) >= 90ms);
  }

  TEST_CASE("close_connection hangs up at once") {
    ScriptedPeer peer({send("220 hi"), close_connection()});
    {
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      CHECK(client.reads_eof());
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.events().empty());
  }

  TEST_CASE("accept_next serves the next connection") {
    ScriptedPeer peer({send("220 first"), expect_line(), send("221 bye"), accept_next(),
                       send("220 second"), expect_line(), send("221 bye")});
    for (const char* greeting : {"220 first", "220 second"}) {
      TestClient client(peer.port());
      CHECK(client.read_line() == greeting);
      client.write("QUIT\r\n");
      CHECK(client.read_line() == "221 bye");
    }
    peer.wait();
    CHECK(peer.script_completed());
    CHECK(peer.received() == "QUIT\r\nQUIT\r\n");
  }

  TEST_CASE("a step that needs the connection after close_connection is reported") {
    ScriptedPeer peer({close_connection(), send("220 too late")});
    { TestClient client(peer.port()); }
    peer.wait();
    CHECK(peer.events() == Lines{"no-connection at step 1 (send)"});
  }

  TEST_CASE("sending to a client that has gone is recorded, without SIGPIPE") {
    PeerTls tls = PeerTls::none;
    SUBCASE("plaintext") { tls = PeerTls::none; }
    SUBCASE("TLS") { tls = PeerTls::implicit; }
    const std::string big(1 << 20, 'x');  // more than the socket buffers hold
    ScriptedPeer peer({wait_ms(50), send_raw(big), send_raw(big)}, tls);
    {
      TestClient client(peer.port());
      if (tls == PeerTls::implicit) REQUIRE(client.start_tls("localhost").ok);
    }
    peer.wait();
    const Lines events = peer.events();
    CAPTURE(events);
    CHECK_FALSE(peer.script_completed());
    CHECK(events.size() == (tls == PeerTls::implicit ? 2 : 1));  // + "tls-handshake-ok"
    CHECK(events.back().starts_with("client-closed at step "));  // 1 or 2: socket buffers vary
  }

  TEST_CASE("the time limit bounds every wait") {
    SUBCASE("no client connects") {
      ScriptedPeer peer({send("220 hi")}, PeerTls::none, TlsIdentity::trusted_leaf, 100ms);
      peer.wait();
      CHECK(peer.events() == Lines{"timeout before the first step"});
    }
    SUBCASE("the client sends nothing") {
      ScriptedPeer peer({send("220 hi"), expect_line()}, PeerTls::none, TlsIdentity::trusted_leaf,
                        200ms);
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      peer.wait();
      CHECK_FALSE(peer.script_completed());
      CHECK(peer.events() == Lines{"timeout at step 1 (expect_line)"});
    }
    SUBCASE("the client does not close after the script") {
      ScriptedPeer peer({send("220 hi")}, PeerTls::none, TlsIdentity::trusted_leaf, 200ms);
      TestClient client(peer.port());
      CHECK(client.read_line() == "220 hi");
      peer.wait();
      CHECK(peer.script_completed());
      CHECK(peer.events() == Lines{"timeout after the script"});
    }
    SUBCASE("wait_ms longer than the limit") {
      ScriptedPeer peer({wait_ms(10'000)}, PeerTls::none, TlsIdentity::trusted_leaf, 200ms);
      TestClient client(peer.port());
      peer.wait();
      CHECK(peer.events() == Lines{"timeout at step 0 (wait_ms)"});
    }
  }

  TEST_CASE("the destructor stops a waiting peer at once") {
    const auto elapsed = time_of([] { ScriptedPeer peer({send("220 hi")}); });
    CHECK(elapsed < 1s);
  }
}

namespace {

// Verifies a certificate as a TLS server certificate for `host` against the test CA,
// strictly (RFC 5280 profile checks), the way a client would.
int verify_server_cert(const std::string& cert_pem, const std::string& host) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  const X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  const OpenSslPtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  REQUIRE(X509_STORE_load_file(store.get(), test_pki().ca_file_path().c_str()) == 1);
  const OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) == 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex;
  for (std::size_t i = 0; i < size; ++i) {
    hex += "0123456789abcdef"[bytes[i] >> 4];
    hex += "0123456789abcdef"[bytes[i] & 0xf];
  }
  return hex;
}

std::string spki_sha256_hex_of(const std::string& cert_pem) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  const X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  const PkeyPtr key(X509_get_pubkey(cert.get()));
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key.get(), &der);
  std::array<unsigned char, 32> digest{};
  EVP_Digest(der, static_cast<std::size_t>(size), digest.data(), nullptr, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return to_hex(digest.data(), digest.size());
}

}  // namespace

TEST_SUITE("test PKI") {
  TEST_CASE("the trusted leaf verifies strictly for localhost, 127.0.0.1 and ::1") {
    for (const char* host : {"localhost", "127.0.0.1", "::1"}) {
      CAPTURE(host);
      CHECK(verify_server_cert(test_pki().leaf_cert_pem, host) == X509_V_OK);
    }
  }

  TEST_CASE("the other identities fail for the reason they exist") {
    const TestPki& pki = test_pki();
    CHECK(verify_server_cert(pki.untrusted_cert_pem, "localhost") ==
          X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    CHECK(verify_server_cert(pki.wrong_name_cert_pem, "localhost") == X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(verify_server_cert(pki.wrong_name_cert_pem, "127.0.0.1") ==
          X509_V_ERR_IP_ADDRESS_MISMATCH);
    CHECK(verify_server_cert(pki.wrong_name_cert_pem, "other.invalid") == X509_V_OK);
  }

  TEST_CASE("the validity window is one hour back to one day ahead") {
    BioPtr bio(BIO_new_mem_buf(test_pki().leaf_cert_pem.data(), -1));
    const X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    std::time_t almost_an_hour_ago = std::time(nullptr) - 59 * 60;
    std::time_t almost_a_day_ahead = std::time(nullptr) + 23 * 60 * 60;
    CHECK(X509_cmp_time(X509_get0_notBefore(cert.get()), &almost_an_hour_ago) < 0);
    CHECK(X509_cmp_time(X509_get0_notAfter(cert.get()), &almost_a_day_ahead) > 0);
  }

  TEST_CASE("the SPKI pins match an independent computation") {
    const TestPki& pki = test_pki();
    CHECK(pki.leaf_spki_sha256_hex() == spki_sha256_hex_of(pki.leaf_cert_pem));
    CHECK(pki.spki_sha256_hex(TlsIdentity::untrusted_self_signed) ==
          spki_sha256_hex_of(pki.untrusted_cert_pem));
    CHECK(pki.leaf_spki_sha256_hex() != pki.spki_sha256_hex(TlsIdentity::untrusted_self_signed));

    std::array<unsigned char, 33> decoded{};  // EVP_DecodeBlock yields whole 3-byte groups
    const std::string& base64 = pki.leaf_spki_sha256_base64();
    REQUIRE(base64.size() == 44);
    const auto* base64_bytes = reinterpret_cast<const unsigned char*>(base64.data());
    REQUIRE(EVP_DecodeBlock(decoded.data(), base64_bytes, 44) == 33);
    CHECK(to_hex(decoded.data(), 32) == pki.leaf_spki_sha256_hex());
  }

  TEST_CASE("the CA file holds the CA certificate") {
    std::ifstream file(test_pki().ca_file_path());
    std::stringstream contents;
    contents << file.rdbuf();
    CHECK(contents.str() == test_pki().ca_pem);
    CHECK(&test_pki() == &test_pki());
  }
}
