// The Supabase Logs Explorer's CSV download, row by row, with libcsv (RFC 4180: quoted fields,
// doubled quotes, line breaks inside quotes, CRLF). The Explorer writes its result rows with
// Papa.unparse: a header row of the query's columns (`id`, `timestamp`, `event_message`, and for
// Edge Functions `event_type`, `function_id`, `level`; `metadata` when the query selects it),
// nested values as JSON text. See
// https://supabase.com/docs/guides/monitoring-and-debugging/logs ("export and download the log
// events matching your query as a spreadsheet") and Supabase Studio's DownloadResultsButton.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logs/record_parser.h"

namespace payedge::logs {

// Complete rows, their fields copied into one buffer.
class CsvRows {
 public:
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  std::size_t bytes() const { return text_.size(); }
  ExportRow row(std::size_t i) const;
  std::uint64_t line(std::size_t i) const { return rows_[i].line; }  // 1-based, of its first byte
  void clear() {
    text_.clear();
    rows_.clear();
  }

 private:
  friend class CsvRowReader;
  struct Span {
    std::size_t begin = 0, size = 0;
    bool present = false;
  };
  struct Row {
    std::uint64_t line = 0;
    Span timestamp, event_message, metadata, function_name;
  };
  std::string text_;
  std::vector<Row> rows_;
};

// A push parser over one CSV input: feed blocks in order, then finish. The first row is the
// header; it names the columns read from every later row.
class CsvRowReader {
 public:
  CsvRowReader();
  ~CsvRowReader();
  CsvRowReader(const CsvRowReader&) = delete;
  CsvRowReader& operator=(const CsvRowReader&) = delete;

  void feed(const char* data, std::size_t n, CsvRows& out);
  void finish(CsvRows& out);
  // Set when the header has no event_message column (nothing after it can be read), or the
  // input ended inside a quoted field.
  const std::string& problem() const { return problem_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string problem_;
};

// True when `text` starts with a CSV header line that names an `event_message` column.
bool is_export_csv_header(std::string_view text);

}  // namespace payedge::logs
