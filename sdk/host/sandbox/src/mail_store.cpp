#include "mail_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>

#include "codec.hpp"
#include "crypto.hpp"
#include "text.hpp"

namespace flowhost::sandbox {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

int open_new(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create", path);
  return fd;
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void close_checked(int fd, const fs::path& path) {
  if (::close(fd) != 0) fail("cannot close", path);
}

fs::path temp_name(const fs::path& dir, std::string_view suffix) {
  return dir / (".tmp-" + crypto::random_hex(8) + std::string(suffix));
}

void write_file(const fs::path& path, std::string_view data) {
  const int fd = open_new(path);
  try {
    write_all(fd, data, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  close_checked(fd, path);
}

std::uint64_t seq_of(std::string_view name) {
  // name is_mail_name(): the digits between '-' and ".eml"
  const std::string_view digits = name.substr(16, name.size() - 16 - 4);
  std::uint64_t seq = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  return seq;
}

std::string sidecar(const Envelope& e, std::string_view eml, std::size_t size,
                    std::chrono::system_clock::time_point received) {
  std::string json = "{\n";
  json += "  \"from\": " + text::json_string(e.from) + ",\n";
  json += "  \"recipients\": [";
  for (std::size_t i = 0; i < e.recipients.size(); ++i) {
    json += (i == 0 ? "" : ", ") + text::json_string(e.recipients[i]);
  }
  json += "],\n";
  json += "  \"auth_user\": " + (e.auth_user ? text::json_string(*e.auth_user) : "null") + ",\n";
  json += std::string("  \"tls\": ") + (e.tls ? "true" : "false") + ",\n";
  json += std::string("  \"pop_before_smtp\": ") + (e.pop_before_smtp ? "true" : "false") + ",\n";
  json += "  \"received_at\": " + text::json_string(text::iso_utc(received)) + ",\n";
  json += "  \"size\": " + std::to_string(size) + ",\n";
  json += "  \"file\": " + text::json_string(eml) + ",\n";
  json += "  \"helo\": " + text::json_string(e.helo) + ",\n";
  json += "  \"client\": " + text::json_string(e.client) + ",\n";
  json += "  \"transfer\": " + text::json_string(e.transfer) + "\n";
  json += "}\n";
  return json;
}

}  // namespace

bool is_mail_name(std::string_view name) noexcept {
  // yyyymmddThhmmss-N.eml
  if (name.size() < 21 || !name.ends_with(".eml")) return false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t i = 0; i < 8; ++i) {
    if (!digit(name[i])) return false;
  }
  if (name[8] != 'T') return false;
  for (std::size_t i = 9; i < 15; ++i) {
    if (!digit(name[i])) return false;
  }
  if (name[15] != '-') return false;
  for (std::size_t i = 16; i < name.size() - 4; ++i) {
    if (!digit(name[i])) return false;
  }
  return true;
}

BodyFile::BodyFile(const fs::path& dir) : path_(temp_name(dir, ".body")), fd_(open_new(path_)) {}

BodyFile::~BodyFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

void BodyFile::write(std::string_view data) {
  write_all(fd_, data, path_);
  size_ += data.size();
}

MailStore::MailStore(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::system_error(ec, "cannot create " + dir_.string());
  ::chmod(dir_.c_str(), 0700);
  for (const Entry& entry : list()) next_seq_ = std::max(next_seq_, seq_of(entry.name) + 1);
}

std::unique_ptr<BodyFile> MailStore::begin() const { return std::make_unique<BodyFile>(dir_); }

std::string MailStore::commit(BodyFile& body, const Envelope& envelope) {
  const int fd = body.fd_;
  body.fd_ = -1;
  close_checked(fd, body.path_);

  const auto received = std::chrono::system_clock::now();
  const std::string stamp = text::file_stamp(received);
  // Reserve a name no file has: link() fails with EEXIST instead of replacing.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    char seq[32];
    std::snprintf(seq, sizeof seq, "%06llu", static_cast<unsigned long long>(next_seq_++));
    const std::string base = stamp + "-" + seq;
    const std::string eml = base + ".eml";
    const fs::path json_path = dir_ / (base + ".json");
    const fs::path eml_path = dir_ / eml;

    const fs::path json_temp = temp_name(dir_, ".sidecar");
    write_file(json_temp, sidecar(envelope, eml, body.size(), received));
    const int linked = ::link(json_temp.c_str(), json_path.c_str());
    const int link_errno = errno;
    ::unlink(json_temp.c_str());
    if (linked != 0) {
      if (link_errno == EEXIST) continue;
      errno = link_errno;
      fail("cannot create", json_path);
    }
    if (::link(body.path_.c_str(), eml_path.c_str()) != 0) {
      const int eml_errno = errno;
      ::unlink(json_path.c_str());
      if (eml_errno == EEXIST) continue;
      errno = eml_errno;
      fail("cannot create", eml_path);
    }
    ::unlink(body.path_.c_str());
    body.path_.clear();

    const fs::path latest_temp = temp_name(dir_, ".latest");
    write_file(latest_temp, eml + "\n");
    if (::rename(latest_temp.c_str(), (dir_ / "latest").c_str()) != 0) {
      ::unlink(latest_temp.c_str());
      fail("cannot replace", dir_ / "latest");
    }
    return eml;
  }
  errno = EEXIST;
  fail("no free file name in", dir_);
}

std::vector<MailStore::Entry> MailStore::list() const {
  std::vector<Entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (is_mail_name(name)) entries.push_back({name, it->path()});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return entries;
}

std::size_t MailStore::pop_size(const Entry& entry) {
  if (const auto it = pop_sizes_.find(entry.name); it != pop_sizes_.end()) return it->second;
  std::FILE* file = std::fopen(entry.path.c_str(), "rb");
  if (file == nullptr) return 0;
  PopEncoder encoder;
  std::string chunk(64 * 1024, '\0');
  std::string out;
  std::size_t total = 0;
  for (;;) {
    const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file);
    if (n == 0) break;
    out.clear();
    encoder.feed(std::string_view(chunk).substr(0, n), out);
    total += out.size();
  }
  std::fclose(file);
  out.clear();
  encoder.finish(out);
  total += out.size();
  const std::size_t size = total - encoder.stuffed() - 3;
  pop_sizes_.emplace(entry.name, size);
  return size;
}

}  // namespace flowhost::sandbox
