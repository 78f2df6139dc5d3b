// The parallel scan under every `payedge logs` command: inputs are cut into chunks at line
// boundaries (mmap for plain files, decompression on a producer thread otherwise), worker
// threads parse and filter the lines of a chunk and feed their own RecordSink, and the
// calling thread takes the chunks back in input order: for line numbers of malformed lines,
// for output that must keep the input's order, and for the progress bar. Memory is bounded by
// the chunks in flight plus what the sinks keep.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "logs/filter.h"
#include "logs/record.h"

namespace payedge::logs {

// Output that must keep input order: one piece of text per record.
struct OrderedOutput {
  std::string text;
  std::vector<std::size_t> ends;  // where each record's piece ends in `text`

  void end_piece() { ends.push_back(text.size()); }
  void clear() {
    text.clear();
    ends.clear();
  }
};

// One thread's side of a query. A sink sees only the records of its thread.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void add(const LogRecord& r, RecordPosition pos) = 0;
  // Moves what add() produced since the last call into `out` (which arrives empty). Called at
  // the end of every chunk; the scanner writes the pieces in input order.
  virtual void take_output(OrderedOutput& out) {}
};

struct ScanOptions {
  unsigned threads = 0;                // 0: one per hardware thread
  std::size_t chunk_bytes = 4u << 20;  // a chunk is cut at the first newline after this
  bool progress = false;               // draw a bar on stderr (the caller checks for a TTY)
  std::size_t malformed_samples = 10;  // line numbers kept for `-v`
  std::FILE* out = stdout;             // where ordered output goes
  // Stop reading once this many records' output is written (0: no limit), like `head -n`.
  std::uint64_t output_limit = 0;
};

struct MalformedLine {
  std::string input;
  std::uint64_t line = 0;  // 1-based; for a JSON array input, the line where the element starts
  std::string reason;
};

struct ScanStats {
  std::uint64_t lines = 0;    // non-blank lines (array elements for JSON arrays)
  std::uint64_t records = 0;  // well-formed log lines
  std::uint64_t matched = 0;  // records that passed the filter
  std::uint64_t malformed = 0;
  std::uint64_t bytes = 0;                       // decompressed bytes scanned
  std::vector<MalformedLine> malformed_samples;  // the first few, in input order
  std::vector<std::string> problems;             // unreadable inputs, corrupt compression
  std::vector<std::string> warnings;             // e.g. a JSON array export that is not closed
  bool stopped_early = false;                    // output_limit reached: the rest was not read
};

unsigned resolve_threads(unsigned requested);

// Scans `inputs` (paths or "-"), hands every record passing `filter` to sinks[thread].
// `sinks.size()` is the number of worker threads.
ScanStats scan_logs(const std::vector<std::string>& inputs, FieldSet wanted,
                    const RecordFilter& filter, const std::vector<RecordSink*>& sinks,
                    const ScanOptions& options);

// "skipped N malformed lines" (and with `verbose` the first few line numbers) on stderr,
// plus any input problems. Returns false when an input could not be read.
bool report_scan(const ScanStats& stats, bool verbose, std::FILE* err = stderr);

}  // namespace payedge::logs
