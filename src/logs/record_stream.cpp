#include "logs/record_stream.h"

#include <optional>

#include "logs/csv_rows.h"
#include "logs/framing.h"

namespace payedge::logs {

struct RecordStream::State {
  std::optional<Framing> framing;  // nullopt until enough of the input was seen
  std::string pending;             // bytes not yet cut into records
  std::string line;                // one record's text with the parser's padding
  ArraySplitter splitter;
  std::vector<Element> elements;
  CsvRowReader csv;
  CsvRows rows;
  LogRecord record;
};

RecordStream::RecordStream(FieldSet wanted) : parser_(wanted), state_(std::make_unique<State>()) {}

RecordStream::~RecordStream() = default;

void RecordStream::reset() { state_ = std::make_unique<State>(); }

void RecordStream::feed(std::string_view bytes, const Callback& cb) {
  state_->pending.append(bytes);
  drain(false, cb);
}

void RecordStream::finish(const Callback& cb) {
  drain(true, cb);
  State& s = *state_;
  if (s.framing == Framing::kJsonArray && s.splitter.opened() && !s.splitter.closed()) {
    warnings_.push_back(
        "the JSON array is not closed (no ']' at the end): the export may be cut "
        "short");
  }
  if (s.framing == Framing::kCsv && !s.csv.problem().empty()) {
    warnings_.push_back(s.csv.problem());
  }
  reset();
}

void RecordStream::drain(bool eof, const Callback& cb) {
  State& s = *state_;
  if (!s.framing) {
    // The framing needs the first line (a CSV header), or the first non-blank byte of JSON.
    const std::size_t first = s.pending.find_first_not_of(" \t\r\n");
    const bool decided =
        eof || s.pending.find('\n', first == std::string::npos ? 0 : first) != std::string::npos ||
        (first != std::string::npos && (s.pending[first] == '{' || s.pending[first] == '['));
    if (!decided) return;
    s.framing = detect_framing(s.pending);
  }
  auto parse_text = [&](std::string_view text) {
    s.line.assign(text);
    s.line.append(kLinePadding, ' ');
    const LineKind kind = parser_.parse(std::string_view(s.line.data(), text.size()), s.record);
    if (kind != LineKind::kBlank) cb(kind, s.record);
  };
  switch (*s.framing) {
    case Framing::kLines: {
      std::size_t start = 0;
      for (std::size_t nl; (nl = s.pending.find('\n', start)) != std::string::npos;
           start = nl + 1) {
        parse_text(std::string_view(s.pending).substr(start, nl - start));
      }
      if (eof && start < s.pending.size()) {
        parse_text(std::string_view(s.pending).substr(start));
        start = s.pending.size();
      }
      s.pending.erase(0, start);
      break;
    }
    case Framing::kJsonArray: {
      s.elements.clear();
      const std::size_t keep =
          s.splitter.split(s.pending.data(), s.pending.size(), eof, s.elements);
      for (const auto& e : s.elements)
        parse_text(std::string_view(s.pending).substr(e.begin, e.size));
      s.pending.erase(0, keep);
      break;
    }
    case Framing::kCsv: {
      s.rows.clear();
      s.csv.feed(s.pending.data(), s.pending.size(), s.rows);
      s.pending.clear();
      if (eof) s.csv.finish(s.rows);
      for (std::size_t i = 0; i < s.rows.size(); ++i) {
        const LineKind kind = parser_.parse_row(s.rows.row(i), s.record);
        if (kind != LineKind::kBlank) cb(kind, s.record);
      }
      break;
    }
  }
}

}  // namespace payedge::logs
