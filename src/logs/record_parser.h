// Turns one log line into a LogRecord, with simdjson On-Demand: a SPEC section 7 object, or the
// same object (or the original Edge Function's line) inside an export row — a Supabase row's
// `event_message`, a journald entry's `MESSAGE`, a Logs Explorer CSV row. One parser per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "logs/record.h"

namespace payedge::logs {

// How many readable bytes must follow every line handed to the parser (simdjson's padding).
// The bytes need not be spaces: the parser only looks at the line's own length.
inline constexpr std::size_t kLinePadding = 64;

enum class LineKind { kRecord, kBlank, kMalformed };

// The columns of an export row that payedge reads (a CSV row; JSON rows are read whole by
// parse()). The record read from it may point into these views.
struct ExportRow {
  std::optional<std::string_view> timestamp;      // 16-digit microseconds or ISO 8601
  std::optional<std::string_view> event_message;  // nullopt: the row has no such column
  std::optional<std::string_view> metadata;       // JSON text
  std::optional<std::string_view> function_name;
};

// kFast reads a plain line (flat, ASCII, no escapes) in one pass and hands every other line
// to simdjson; kSimdjsonOnly always uses simdjson. Both give the same answer for every line
// (the fast path gives up rather than decide that a line is malformed); kSimdjsonOnly exists
// so that tests and the log_line fuzzer can check exactly that.
enum class ParsePath { kFast, kSimdjsonOnly };

class RecordParser {
 public:
  explicit RecordParser(FieldSet wanted, ParsePath path = ParsePath::kFast);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // `line` excludes its newline and is followed by at least kLinePadding readable bytes.
  // On kRecord `out` holds views valid until the next call.
  //
  // A line is a log line (it has `ts`), or an export row around one: a Supabase row
  // {id, timestamp, event_message, metadata} (Logs Explorer results, a log drain) or a
  // `journalctl -o json` entry {__REALTIME_TIMESTAMP, MESSAGE, ...}. Inside a row, a line
  // without `ts` is the original Edge Function's (runbook section 2): it takes the row's time
  // (timestamp or __REALTIME_TIMESTAMP) and, without `fn`, the function the row names
  // (`function_name`, at the top or in `metadata`) or else confirm-payment. Printed lines
  // (LogRecord::json) are then completed with the `ts` and `fn` they took.
  LineKind parse(std::string_view line, LogRecord& out);
  // The same for a row of the Logs Explorer's CSV download.
  LineKind parse_row(const ExportRow& row, LogRecord& out);

  // Why the last line was malformed, e.g. "latency_ms: wrong type".
  const std::string& error() const { return error_; }

  // How many lines (or Supabase-wrapped lines) the fast path read.
  std::uint64_t fast_reads() const { return fast_reads_; }

 private:
  LineKind unwrap(std::string_view message, std::string_view key,
                  std::optional<std::string_view> outer_ts,
                  std::optional<std::string_view> function_name,
                  std::optional<std::string_view> metadata, LogRecord& out);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
  std::uint64_t fast_reads_ = 0;
};

// The vector kernel of the fast path's first pass, picked once from the CPU. Tests switch to
// each kernel the CPU has, so that all of them are checked (not for use while parsing).
enum class MaskKernel { kAvx512, kAvx2, kPortable };
MaskKernel mask_kernel();
bool use_mask_kernel(MaskKernel k);  // false (and no change) when the CPU lacks it

// A timestamp of the log line: the writer's fixed form "2026-11-26T01:02:03.123Z" quickly, any
// other RFC 3339 form through core/time.
std::optional<EpochMs> parse_log_ts(std::string_view s);

// An export row's time: 16 digits of microseconds since the epoch (Supabase's `timestamp`,
// journald's __REALTIME_TIMESTAMP), or ISO 8601 with or without a zone (without: UTC, as the
// Logs Explorer shows it). Sub-millisecond digits are dropped.
std::optional<EpochMs> parse_export_timestamp(std::string_view s);

}  // namespace payedge::logs
