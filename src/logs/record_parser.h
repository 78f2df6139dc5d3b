// Turns one line (a SPEC section 7 object, or the same object inside a Supabase export's
// `event_message`) into a LogRecord, with simdjson On-Demand. One parser per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "logs/record.h"

namespace payedge::logs {

// How many readable bytes must follow every line handed to the parser (simdjson's padding).
// The bytes need not be spaces: the parser only looks at the line's own length.
inline constexpr std::size_t kLinePadding = 64;

enum class LineKind { kRecord, kBlank, kMalformed };

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
  LineKind parse(std::string_view line, LogRecord& out);

  // Why the last line was malformed, e.g. "latency_ms: wrong type".
  const std::string& error() const { return error_; }

  // How many lines (or Supabase-wrapped lines) the fast path read.
  std::uint64_t fast_reads() const { return fast_reads_; }

 private:
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

}  // namespace payedge::logs
