#pragma once
// Test support for the sandbox: a temp directory, a thread-safe log sink, a blocking loopback
// client whose every wait is bounded (poll), and bounded polling for files.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <flowhost/sandbox.hpp>

namespace sandbox_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sandbox-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class LogSink {
 public:
  std::function<void(std::string_view)> function() {
    return [this](std::string_view line) {
      const std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() const {
    const std::lock_guard lock(mutex_);
    return lines_;
  }
  bool contains(std::string_view text) const {
    for (const std::string& line : lines()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() const {
    std::string out;
    for (const std::string& line : lines()) out += line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The captured .eml files, oldest first.
inline std::vector<fs::path> eml_files(const fs::path& mail_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(mail_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() == ".eml" && name.front() != '.') files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Polls (bounded) until predicate() holds; returns whether it did.
inline bool eventually(const std::function<bool()>& predicate,
                       std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// A blocking TCP client on 127.0.0.1; every read waits at most its time-out.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }

  // One write call, so pipelined commands travel together.
  void send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One complete reply: SMTP (lines until "ddd ") or, with pop3, one status line. "" on EOF or
  // time-out.
  std::string reply(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    for (;;) {
      const std::size_t lf = buffer_.find('\n');
      if (lf != std::string::npos) {
        const std::string line = buffer_.substr(0, lf + 1);
        buffer_.erase(0, lf + 1);
        out += line;
        if (line.size() < 4 || line[3] != '-') return out;
        continue;
      }
      if (!fill(deadline)) return out.empty() ? std::string() : out + "<incomplete>";
    }
  }

  // n replies, concatenated.
  std::string replies(int n, std::chrono::milliseconds timeout = 5000ms) {
    std::string out;
    for (int i = 0; i < n; ++i) out += reply(timeout);
    return out;
  }

  // Reads until the server closes; returns what arrived, or "<open>" appended when the time-out
  // passed first.
  std::string until_closed(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    std::string out = std::move(buffer_);
    buffer_.clear();
    if (!eof_) out += "<open>";
    return out;
  }

  bool eof() const { return eof_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// A started sandbox on ephemeral ports in a temp directory, logging into a sink.
struct Sandbox {
  explicit Sandbox(const std::function<void(flowhost::sandbox::Options&)>& tweak = {})
      : server(make(tweak)) {
    server.start();
    ports = server.ports();
  }
  flowhost::sandbox::Options make(const std::function<void(flowhost::sandbox::Options&)>& tweak) {
    flowhost::sandbox::Options options;
    options.data_dir = dir.path();
    options.log = log.function();
    if (tweak) tweak(options);
    return options;
  }

  TempDir dir;
  LogSink log;
  flowhost::sandbox::Server server;
  flowhost::sandbox::Ports ports{};
};

// Reads the greeting and says EHLO; returns the EHLO reply.
inline std::string greet(Client& client) {
  const std::string greeting = client.reply();
  if (greeting.rfind("220 ", 0) != 0) return "no greeting: " + greeting;
  client.send("EHLO test.example\r\n");
  return client.reply();
}

}  // namespace sandbox_test
