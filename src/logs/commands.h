// The `payedge logs` subcommands as library functions: each scans the inputs once with the
// filters, then prints its result (SPEC section 8.1 shapes for JSON). The compute_* halves
// return the result for tests and other callers; the run_* halves print and return the
// process exit code (0 ok, 1 an input could not be read or the store failed).
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "logs/aggregates.h"
#include "logs/mismatch.h"
#include "logs/scanner.h"
#include "logs/timezone.h"

namespace payedge {
class Store;
}

namespace payedge::logs {

enum class OutputFormat { kTable, kJson, kCsv };
std::optional<OutputFormat> parse_format(std::string_view text);

struct LogsOptions {
  std::vector<std::string> inputs;  // paths or "-", globs already expanded
  FilterSpec filter;
  ScanOptions scan;
  bool verbose = false;
  OutputFormat format = OutputFormat::kTable;
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool english = false;  // words for people (mismatch reasons): Korean unless asked
};

// --- query ---
// JSON lines of the matching records (the unwrapped object for Supabase exports), or a table or
// CSV of the SPEC section 7 fields; with `count_only` the number alone.
int run_query(const LogsOptions& o, bool count_only);

// --- top ---
// What `top --by` counts: a string field, or `replayed` (the boolean, as "true"/"false": how
// many confirms were answered from the idempotency record, runbook 4.3).
struct TopBy {
  std::optional<Field> field;   // nullopt: replayed
  TopBy(Field f) : field(f) {}  // NOLINT: a field is the common case
  static TopBy replayed() { return TopBy(); }
  static std::optional<TopBy> parse(std::string_view name);
  std::string name() const;

 private:
  TopBy() = default;
};
struct TopOutcome {
  TopResult result;
  ScanStats stats;
};
TopOutcome compute_top(const LogsOptions& o, TopBy by, std::size_t n);
nlohmann::ordered_json top_json(const TopResult& r);
int run_top(const LogsOptions& o, TopBy by, std::size_t n);

// --- latency ---
enum class LatencyBucket { kNone, kHour, kDay };
struct LatencyRow {
  std::string bucket;  // empty without --by
  LatencySummary summary;
};
struct LatencyOutcome {
  std::vector<LatencyRow> rows;  // one row without --by; by bucket ascending with it
  ScanStats stats;
};
LatencyOutcome compute_latency(const LogsOptions& o, LatencyBucket by, const TimeZone& tz);
nlohmann::ordered_json latency_json(const LatencySummary& s);
int run_latency(const LogsOptions& o, LatencyBucket by, const TimeZone& tz);

// --- errors per window ---
struct ErrorsOutcome {
  WindowMap windows;  // only windows with lines
  ScanStats stats;
};
// `side`: which error lines count as errors (every line counts in `total`).
ErrorsOutcome compute_errors(const LogsOptions& o, EpochMs window, const TimeZone& tz,
                             ErrorSide side = ErrorSide::kServer);
// Rows from the first to the last window with lines, empty windows included.
nlohmann::ordered_json errors_json(const WindowMap& windows, EpochMs window, const TimeZone& tz,
                                   ErrorSide side = ErrorSide::kServer);
int run_errors(const LogsOptions& o, EpochMs window, const TimeZone& tz,
               ErrorSide side = ErrorSide::kServer);

// --- amount mismatches ---
struct MismatchOutcome {
  std::vector<MismatchLine> lines;  // by time, then input position
  ScanStats stats;
};
MismatchOutcome compute_mismatches(const LogsOptions& o);
// `store` null: the lines only, no recomputation.
int run_mismatches(const LogsOptions& o, Store* store, EpochMs now);

// --- export and sample ---
int run_export(const LogsOptions& o, bool mask);
struct SampleOutcome {
  std::vector<std::string> lines;  // raw JSON objects, in input order
  ScanStats stats;
};
// A uniform sample without replacement of `n` matching records; the same seed and input give
// the same sample whatever the thread count (each record's rank is a hash of the seed and its
// position).
SampleOutcome compute_sample(const LogsOptions& o, std::size_t n, std::uint64_t seed);
int run_sample(const LogsOptions& o, std::size_t n, std::uint64_t seed);

}  // namespace payedge::logs
