// How the records of one input are laid out, found from its first bytes: one JSON object per
// line (payedge's own log, a Supabase log drain, `journalctl -o json`), one JSON array (a
// Supabase export saved whole), or the Logs Explorer's CSV download. The scanner and
// `payedge watch` both cut their inputs with what is here, so they read the same records.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace payedge::logs {

enum class Framing { kLines, kJsonArray, kCsv };

// From the input's first bytes (a few KiB are plenty; a UTF-8 byte order mark and blank space
// are skipped): '[' is a JSON array; a first line that is a CSV header naming an
// `event_message` column is a CSV export; anything else is read line by line, so text that is
// neither is counted as malformed lines, as before.
Framing detect_framing(std::string_view head);

// One element of a JSON array input.
struct Element {
  std::size_t begin;
  std::size_t size;
  std::uint64_t line;  // 1-based line of the element's first byte
};

// Splits the byte stream of a JSON array into elements; keeps its state between blocks. It only
// finds where each element starts and ends (strings, escapes and nesting); the parser decides
// whether an element is a good record.
class ArraySplitter {
 public:
  // True once the array's closing ']' was seen.
  bool closed() const { return state_ == State::kDone && !saw_garbage_; }
  bool opened() const { return state_ != State::kStart; }

  // Scans buf[0, n); appends complete elements; returns where the unfinished element starts (n
  // when none is unfinished): the caller hands those bytes again, at the start of the next
  // block. At `eof`, an unfinished element is emitted as it is.
  std::size_t split(const char* buf, std::size_t n, bool eof, std::vector<Element>& out);

 private:
  enum class State { kStart, kFirst, kElement, kAfter, kInElement, kDone };
  void emit(std::vector<Element>& out, std::size_t end);
  State state_ = State::kStart;
  State before_element_ = State::kStart;  // restored when an unfinished element is carried over
  std::size_t start_ = 0;
  std::uint64_t line_ = 1, start_line_ = 1;
  int depth_ = 0;
  bool in_string_ = false, escape_ = false, garbage_ = false, saw_garbage_ = false;
};

}  // namespace payedge::logs
