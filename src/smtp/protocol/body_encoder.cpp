#include "smtp/protocol/body_encoder.hpp"

#include <array>

#include "smtp/error.hpp"

namespace smtp {
namespace {

// Bytes that end a run of ordinary line content.
constexpr std::array<bool, 256> make_special() {
  std::array<bool, 256> table{};
  table['\r'] = true;
  table['\n'] = true;
  table['\0'] = true;
  return table;
}
constexpr auto special = make_special();

}  // namespace

void BodyEncoder::end_line(std::string& out) {
  out += "\r\n";
  at_line_start_ = true;
  line_length_ = 0;
}

std::error_code BodyEncoder::write(std::string_view piece, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = piece.size();
  while (i < n) {
    if (pending_cr_) {
      pending_cr_ = false;
      end_line(out);
      if (piece[i] == '\n') {
        ++i;
        continue;
      }
    }
    if (at_line_start_ && framing_ == BodyFraming::data && piece[i] == '.') out += '.';
    // One pass over the run: where it ends, and whether it holds an 8-bit byte.
    std::size_t j = i;
    unsigned char high = 0;
    for (; j < n; ++j) {
      const auto c = static_cast<unsigned char>(piece[j]);
      if (special[c]) break;
      high |= c;
    }
    if (j > i) {
      line_length_ += j - i;
      if (line_length_ > max_line_length) return errc::body_line_too_long;
      if (high & 0x80) saw_8bit_ = true;
      out.append(piece.data() + i, j - i);
      at_line_start_ = false;
    }
    if (j == n) break;
    switch (piece[j]) {
      case '\0':
        return errc::body_contains_nul;
      case '\n':
        end_line(out);
        break;
      default:  // '\r'
        pending_cr_ = true;
        break;
    }
    i = j + 1;
  }
  return {};
}

void BodyEncoder::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    end_line(out);
  }
  if (!at_line_start_) end_line(out);
  if (framing_ == BodyFraming::data) out += ".\r\n";
}

}  // namespace smtp
