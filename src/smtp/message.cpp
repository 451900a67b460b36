#include "smtp/message.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace smtp {

std::size_t BufferBody::read(std::span<char> buffer, std::error_code&) {
  const auto n = std::min(buffer.size(), bytes_.size() - offset_);
  std::memcpy(buffer.data(), bytes_.data() + offset_, n);
  offset_ += n;
  return n;
}

FileBody::FileBody(const std::string& path) : file_(std::fopen(path.c_str(), "rb")) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (!ec) size_ = bytes;
}

FileBody::~FileBody() {
  if (file_ != nullptr) std::fclose(file_);
}

std::size_t FileBody::read(std::span<char> buffer, std::error_code& ec) {
  if (file_ == nullptr) {
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return 0;
  }
  const auto n = std::fread(buffer.data(), 1, buffer.size(), file_);
  if (n < buffer.size() && std::ferror(file_)) ec = std::error_code(errno, std::generic_category());
  return n;
}

bool FileBody::rewind() { return file_ != nullptr && std::fseek(file_, 0, SEEK_SET) == 0; }

}  // namespace smtp
