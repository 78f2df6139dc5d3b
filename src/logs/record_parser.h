// Turns one line (a SPEC section 7 object, or the same object inside a Supabase export's
// `event_message`) into a LogRecord, with simdjson On-Demand. One parser per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "logs/record.h"

namespace payedge::logs {

// How many readable bytes must follow every line handed to the parser (simdjson's padding).
// The bytes need not be spaces: the parser only looks at the line's own length.
inline constexpr std::size_t kLinePadding = 64;

enum class LineKind { kRecord, kBlank, kMalformed };

class RecordParser {
 public:
  explicit RecordParser(FieldSet wanted);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // `line` excludes its newline and is followed by at least kLinePadding readable bytes.
  // On kRecord `out` holds views valid until the next call.
  LineKind parse(std::string_view line, LogRecord& out);

  // Why the last line was malformed, e.g. "latency_ms: wrong type".
  const std::string& error() const { return error_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

// A timestamp of the log line: the writer's fixed form "2026-11-26T01:02:03.123Z" quickly, any
// other RFC 3339 form through core/time.
std::optional<EpochMs> parse_log_ts(std::string_view s);

}  // namespace payedge::logs
