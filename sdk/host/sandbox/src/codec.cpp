#include "codec.hpp"

namespace flowhost::sandbox {

std::size_t DataReader::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size() && !done_) {
    switch (state_) {
      case State::line_start:
        if (in[i] == '.') {
          ++i;
          state_ = State::dot;
        } else {
          state_ = State::mid;
        }
        break;
      case State::dot:  // a dot at the start of a line: the end marker, or stuffing to drop
        if (in[i] == '\r') {
          ++i;
          state_ = State::dot_cr;
        } else {
          state_ = State::mid;
        }
        break;
      case State::dot_cr:
        if (in[i] == '\n') {
          ++i;
          done_ = true;
        } else {
          out.push_back('\r');
          state_ = State::cr;
        }
        break;
      case State::mid: {
        const std::size_t cr = in.find('\r', i);
        if (cr == std::string_view::npos) {
          out.append(in.substr(i));
          i = in.size();
        } else {
          out.append(in.substr(i, cr - i + 1));
          i = cr + 1;
          state_ = State::cr;
        }
        break;
      }
      case State::cr: {
        const char c = in[i++];
        out.push_back(c);
        state_ = c == '\n' ? State::line_start : c == '\r' ? State::cr : State::mid;
        break;
      }
    }
  }
  return i;
}

void PopEncoder::content(char c, std::string& out) {
  if (line_start_) {
    if (c == '.') {
      out.push_back('.');
      ++stuffed_;
    }
    line_start_ = false;
  }
  out.push_back(c);
}

void PopEncoder::end_line(std::string& out) {
  const bool empty = line_start_;
  out += "\r\n";
  line_start_ = true;
  if (!top_lines_) return;
  if (in_headers_) {
    if (empty) {
      in_headers_ = false;
      if (*top_lines_ == 0) done_ = true;
    }
  } else if (--*top_lines_ == 0) {
    done_ = true;
  }
}

void PopEncoder::feed(std::string_view in, std::string& out) {
  for (const char c : in) {
    if (done_) return;
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        end_line(out);
        continue;
      }
      content('\r', out);  // a lone CR is content
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      end_line(out);
    } else {
      content(c, out);
    }
  }
}

void PopEncoder::finish(std::string& out) {
  if (!done_) {
    if (pending_cr_) content('\r', out);
    pending_cr_ = false;
    if (!line_start_) end_line(out);
  }
  out += ".\r\n";
}

std::size_t PopEncoder::size_of(std::string_view content) {
  PopEncoder encoder;
  std::string out;
  encoder.feed(content, out);
  encoder.finish(out);
  return out.size() - encoder.stuffed() - 3;
}

}  // namespace flowhost::sandbox
