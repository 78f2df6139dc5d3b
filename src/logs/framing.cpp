#include "logs/framing.h"

#include "logs/csv_rows.h"

namespace payedge::logs {

Framing detect_framing(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  std::size_t k = 0;
  while (k < head.size() &&
         (head[k] == ' ' || head[k] == '\t' || head[k] == '\r' || head[k] == '\n')) {
    ++k;
  }
  if (k == head.size()) return Framing::kLines;
  if (head[k] == '[') return Framing::kJsonArray;
  if (head[k] == '{') return Framing::kLines;
  return is_export_csv_header(head.substr(k)) ? Framing::kCsv : Framing::kLines;
}

std::size_t ArraySplitter::split(const char* buf, std::size_t n, bool eof,
                                 std::vector<Element>& out) {
  std::size_t i = 0;
  while (i < n) {
    const char c = buf[i];
    if (state_ != State::kInElement) {
      if (c == '\n') ++line_;
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i;
        continue;
      }
      if (state_ == State::kStart || state_ == State::kDone) {
        if (c == '[') {
          state_ = State::kFirst;
          ++i;
          continue;
        }
        garbage_ = saw_garbage_ = true;  // text outside any array: one malformed "element" per line
      } else if (c == ']') {
        state_ = State::kDone;
        ++i;
        continue;
      } else if (c == ',') {
        state_ = State::kElement;
        ++i;
        continue;
      }
      before_element_ = state_;
      state_ = State::kInElement;
      start_ = i;
      start_line_ = line_;
      depth_ = 0;
      in_string_ = escape_ = false;
    }
    // Inside an element.
    if (garbage_) {
      if (c == '\n') {
        emit(out, i);
        garbage_ = false;
        continue;  // the newline is counted by the between-elements branch
      }
      ++i;
      continue;
    }
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      } else if (c == '\n') {
        ++line_;
      }
      ++i;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (depth_ == 0) {  // "]" closing the array right after a scalar
        emit(out, i);
        continue;
      }
      if (--depth_ == 0) {
        emit(out, i + 1);
        ++i;
        continue;
      }
    } else if (c == ',' && depth_ == 0) {
      emit(out, i);
      continue;
    } else if (c == '\n') {
      ++line_;
    }
    ++i;
  }
  if (state_ == State::kInElement) {
    if (eof) {
      emit(out, n);
      return n;
    }
    // Re-scan the unfinished element with the next block.
    const std::size_t keep = start_;
    line_ = start_line_;
    state_ = before_element_;
    garbage_ = false;
    return keep;
  }
  return n;
}

void ArraySplitter::emit(std::vector<Element>& out, std::size_t end) {
  out.push_back({start_, end - start_, start_line_});
  state_ = garbage_ ? State::kDone : State::kAfter;
}

}  // namespace payedge::logs
