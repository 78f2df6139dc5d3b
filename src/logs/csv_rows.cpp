#include "logs/csv_rows.h"

#include <csv.h>

#include <algorithm>
#include <cstring>

namespace payedge::logs {

ExportRow CsvRows::row(std::size_t i) const {
  const Row& r = rows_[i];
  auto view = [&](const Span& s) -> std::optional<std::string_view> {
    if (!s.present) return std::nullopt;
    return std::string_view(text_.data() + s.begin, s.size);
  };
  return {view(r.timestamp), view(r.event_message), view(r.metadata), view(r.function_name)};
}

namespace {

constexpr int kNone = -1;

}  // namespace

struct CsvRowReader::Impl {
  csv_parser parser{};
  bool started = false;  // the byte order mark, if any, was dropped
  bool header_done = false;
  int timestamp_col = kNone, message_col = kNone, metadata_col = kNone, function_col = kNone;
  std::vector<std::string> header;

  // The row being read: its fields are kept here until it ends, since a row may span blocks
  // and the blocks' rows go out in different CsvRows.
  int field = 0;
  CsvRows::Row row;
  std::string row_text;
  std::uint64_t line = 1;  // of the next byte
  CsvRows* out = nullptr;

  static void on_field(void* data, std::size_t len, void* self) {
    static_cast<Impl*>(self)->add_field(static_cast<const char*>(data), len);
  }
  static void on_row_end(int c, void* self) { static_cast<Impl*>(self)->end_row(c); }

  void add_field(const char* data, std::size_t len) {
    if (field == 0) {
      row = CsvRows::Row{};
      row.line = line;
      row_text.clear();
    }
    line += static_cast<std::uint64_t>(std::count(data, data + len, '\n'));
    const int col = field++;
    if (!header_done) {
      header.emplace_back(data ? data : "", data ? len : 0);
      return;
    }
    CsvRows::Span* span = nullptr;
    if (col == timestamp_col) span = &row.timestamp;
    if (col == message_col) span = &row.event_message;
    if (col == metadata_col) span = &row.metadata;
    if (col == function_col) span = &row.function_name;
    if (!span) return;
    span->begin = row_text.size();
    span->size = len;
    span->present = true;
    if (len) row_text.append(data, len);
  }

  void end_row(int c) {
    if (c == '\n') ++line;
    if (field == 0) return;  // a line break outside any row (CSV_REPALL_NL), or a blank line
    field = 0;
    if (!header_done) {
      header_done = true;
      for (std::size_t i = 0; i < header.size(); ++i) {
        const int col = static_cast<int>(i);
        if (header[i] == "timestamp") timestamp_col = col;
        if (header[i] == "event_message") message_col = col;
        if (header[i] == "metadata") metadata_col = col;
        if (header[i] == "function_name") function_col = col;
      }
      return;
    }
    const std::size_t base = out->text_.size();
    for (CsvRows::Span* span :
         {&row.timestamp, &row.event_message, &row.metadata, &row.function_name}) {
      span->begin += base;
    }
    out->text_.append(row_text);
    out->rows_.push_back(row);
  }
};

CsvRowReader::CsvRowReader() : impl_(std::make_unique<Impl>()) {
  // Not CSV_STRICT: a stray quote inside an unquoted field is kept as data rather than stopping
  // the whole input; the row is then judged like any other (usually a malformed event_message).
  csv_init(&impl_->parser, CSV_REPALL_NL);
}

CsvRowReader::~CsvRowReader() { csv_free(&impl_->parser); }

void CsvRowReader::feed(const char* data, std::size_t n, CsvRows& out) {
  Impl& s = *impl_;
  if (!s.started) {
    // Only the input's very first bytes can be a byte order mark (Excel writes one).
    s.started = true;
    if (n >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
      data += 3;
      n -= 3;
    }
  }
  s.out = &out;
  csv_parse(&s.parser, data, n, &Impl::on_field, &Impl::on_row_end, &s);
  s.out = nullptr;
  if (s.header_done && s.message_col == kNone && problem_.empty()) {
    problem_ = "the CSV header has no event_message column";
  }
}

void CsvRowReader::finish(CsvRows& out) {
  Impl& s = *impl_;
  s.out = &out;
  // Whether the last field was left inside quotes: libcsv only says so in strict mode.
  csv_set_opts(&s.parser, CSV_REPALL_NL | CSV_STRICT | CSV_STRICT_FINI);
  if (csv_fini(&s.parser, &Impl::on_field, &Impl::on_row_end, &s) != 0 && problem_.empty()) {
    problem_ = "the CSV ends inside a quoted field: the export may be cut short";
    csv_set_opts(&s.parser, CSV_REPALL_NL);
    csv_fini(&s.parser, &Impl::on_field, &Impl::on_row_end, &s);
  }
  s.out = nullptr;
  if (s.header_done && s.message_col == kNone && problem_.empty()) {
    problem_ = "the CSV header has no event_message column";
  }
}

bool is_export_csv_header(std::string_view text) {
  const std::size_t nl = text.find('\n');
  if (nl != std::string_view::npos) text = text.substr(0, nl + 1);
  struct Probe {
    int field = 0;
    bool done = false, found = false;
  } probe;
  csv_parser p{};
  csv_init(&p, 0);
  auto on_field = [](void* data, std::size_t len, void* self) {
    auto& pr = *static_cast<Probe*>(self);
    if (pr.done) return;
    if (data && std::string_view(static_cast<const char*>(data), len) == "event_message") {
      pr.found = true;
    }
  };
  auto on_row = [](int, void* self) { static_cast<Probe*>(self)->done = true; };
  csv_parse(&p, text.data(), text.size(), on_field, on_row, &probe);
  csv_fini(&p, on_field, on_row, &probe);
  csv_free(&p);
  return probe.found;
}

}  // namespace payedge::logs
