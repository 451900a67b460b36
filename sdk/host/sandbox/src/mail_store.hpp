#pragma once
// The captured mail: mail/<UTC yyyymmddThhmmss>-<seq>.eml (the exact octets received, after
// dot-unstuffing) and mail/<same>.json (the envelope and how it arrived), and mail/latest (the
// name of the last .eml). Used from the server's thread only.
//
// A body streams into a hidden temp file (".tmp-*") while it arrives; commit() writes the sidecar
// to a temp file too, then links both to their final names (link: never replaces a file, so two
// servers on one directory cannot clobber each other's mail) and replaces `latest` by a rename.
// The .json appears just before its .eml, so a script that sees an .eml can read its sidecar.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flowhost::sandbox {

struct Envelope {
  std::string from;
  std::vector<std::string> recipients;
  std::optional<std::string> auth_user;
  bool tls = false;
  bool pop_before_smtp = false;
  std::string helo;
  std::string client;    // "127.0.0.1:40000"
  std::string transfer;  // "DATA" or "BDAT"
};

class BodyFile {
 public:
  explicit BodyFile(const std::filesystem::path& dir);  // throws std::system_error
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
  ~BodyFile();  // removes the temp file unless committed

  void write(std::string_view data);  // throws std::system_error
  std::size_t size() const noexcept { return size_; }

 private:
  friend class MailStore;
  std::filesystem::path path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

class MailStore {
 public:
  struct Entry {
    std::string name;  // "20240102T030405-000001.eml": also the POP3 unique id
    std::filesystem::path path;
  };

  explicit MailStore(std::filesystem::path dir);  // creates dir (0700); throws on failure

  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::unique_ptr<BodyFile> begin() const;
  // Stores the message; returns the .eml file name. Throws std::system_error.
  std::string commit(BodyFile& body, const Envelope& envelope);

  std::vector<Entry> list() const;           // the captured .eml files, oldest first
  std::size_t pop_size(const Entry& entry);  // CRLF size (cached: stored files never change)

 private:
  std::filesystem::path dir_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, std::size_t> pop_sizes_;
};

// True for a captured message's file name: 8 digits, 'T', 6 digits, '-', digits, ".eml".
bool is_mail_name(std::string_view name) noexcept;

}  // namespace flowhost::sandbox
