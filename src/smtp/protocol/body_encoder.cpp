#include "smtp/protocol/body_encoder.hpp"

#include <array>
#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

bool has_8bit(const char* p, const char* end) {
  unsigned char all = 0;
  for (; p != end; ++p) all |= static_cast<unsigned char>(*p);
  return (all & 0x80) != 0;
}

#if defined(__SSE2__)

// One bit per byte of a 64-byte block: set where the byte is c.
std::uint64_t positions(const __m128i (&block)[4], char c) {
  const __m128i wanted = _mm_set1_epi8(c);
  std::uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block[k], wanted)));
    bits |= std::uint64_t{mask} << (16 * k);
  }
  return bits;
}

// The wire form of most text is the text itself. From p on, this skips whole 64-byte blocks
// that go out unchanged and break no rule: CRLF line endings only (no bare CR or LF, no CRLF
// split between blocks), no NUL, no dot to double, no line over the limit. It stops before any
// other block, which the caller then encodes byte by byte. `line_length` is the length of the
// line so far at p, and at the returned position when it returns.
const char* skip_plain_blocks(const char* p, const char* end, bool stuffing,
                              std::size_t& line_length, bool& saw_8bit) {
  __m128i high = _mm_setzero_si128();  // the OR of every skipped byte
  for (; end - p >= 64; p += 64) {
    __m128i block[4];
    __m128i nul = _mm_setzero_si128();
    __m128i block_high = high;
    for (std::size_t k = 0; k < 4; ++k) {
      block[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      nul = _mm_or_si128(nul, _mm_cmpeq_epi8(block[k], _mm_setzero_si128()));
      block_high = _mm_or_si128(block_high, block[k]);
    }
    const std::uint64_t crs = positions(block, '\r');
    const std::uint64_t lfs = positions(block, '\n');
    if (_mm_movemask_epi8(nul) != 0 || lfs != crs << 1 || (crs >> 63) != 0) break;
    const std::uint64_t line_starts = (lfs << 1) | (line_length == 0 ? 1 : 0);
    if (stuffing && (positions(block, '.') & line_starts) != 0) break;
    if (lfs == 0) {
      if (line_length + 64 > BodyEncoder::max_line_length) break;
      line_length += 64;
    } else {
      // The first line ends at the CR before the first LF; the last one runs to the block's end.
      const auto first_end = static_cast<std::size_t>(std::countr_zero(lfs)) - 1;
      if (line_length + first_end > BodyEncoder::max_line_length) break;
      line_length = static_cast<std::size_t>(std::countl_zero(lfs));
    }
    high = block_high;
  }
  if (_mm_movemask_epi8(high) != 0) saw_8bit = true;
  return p;
}

// The first CR, LF or NUL from p on, or end: 16 bytes at a time, then one by one.
const char* find_special(const char* p, const char* end) {
  for (; end - p >= 16; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r')),
                                                   _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n'))),
                                      _mm_cmpeq_epi8(bytes, _mm_setzero_si128()));
    if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0) {
      return p + std::countr_zero(mask);
    }
  }
  while (p != end && !special[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

#else

const char* skip_plain_blocks(const char* p, const char*, bool, std::size_t&, bool&) { return p; }

const char* find_special(const char* p, const char* end) {
  while (p != end && !special[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

#endif

}  // namespace

void BodyEncoder::end_line(std::string& out) {
  out += "\r\n";
  line_length_ = 0;
}

std::error_code BodyEncoder::write(std::string_view piece, std::string& out) {
  std::string_view tail;
  const auto ec = write(piece, out, tail);
  out += tail;
  return ec;
}

// The wire form differs from the piece only at a dot to double, a bare CR or LF, and a CR ending
// the piece; everything between goes out as it is: appended in one run, or left in the piece
// after the last difference.
std::error_code BodyEncoder::write(std::string_view piece, std::string& out,
                                   std::string_view& tail) {
  tail = {};
  const char* p = piece.data();
  const char* const end = p + piece.size();
  if (p == end) return {};
  if (pending_cr_) {
    pending_cr_ = false;
    end_line(out);
    if (*p == '\n') ++p;
  }
  const bool stuffing = framing_ == BodyFraming::data;
  const char* copied = p;  // bytes from here to p are still to be appended as they are
  auto copy_to = [&](const char* q) {
    out.append(copied, static_cast<std::size_t>(q - copied));
    copied = q;
  };
  while (p != end) {
    p = skip_plain_blocks(p, end, stuffing, line_length_, saw_8bit_);
    if (p == end) break;
    // One run of line content, then what ends it.
    if (line_length_ == 0 && stuffing && *p == '.') {
      copy_to(p);
      out += '.';
    }
    const char* const stop = find_special(p, end);
    line_length_ += static_cast<std::size_t>(stop - p);
    if (line_length_ > max_line_length) return errc::body_line_too_long;
    if (!saw_8bit_) saw_8bit_ = has_8bit(p, stop);
    if (stop == end) break;
    p = stop + 1;
    if (*stop == '\0') return errc::body_contains_nul;
    if (*stop == '\r' && p == end) {  // CRLF or a bare CR: the next piece tells
      tail = std::string_view(copied, static_cast<std::size_t>(stop - copied));
      pending_cr_ = true;
      return {};
    }
    if (*stop == '\r' && *p == '\n') {
      ++p;    // CRLF, as it is
    } else {  // a bare CR or LF
      copy_to(stop);
      out += "\r\n";
      copied = p;
    }
    line_length_ = 0;
  }
  tail = std::string_view(copied, static_cast<std::size_t>(end - copied));
  return {};
}

void BodyEncoder::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    end_line(out);
  }
  if (line_length_ != 0) end_line(out);
  if (framing_ == BodyFraming::data) out += ".\r\n";
}

}  // namespace smtp
