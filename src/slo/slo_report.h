// `payedge slo report`: the runbook's SLOs (section 7) measured from the service's own log
// lines in one parallel scan, and printed as a terminal report, JSON (SPEC 8.1) or one HTML page.
//
// What is measured (docs/RUNBOOK.md section 7 says the same to the on-call person):
// - Only lines with fn == "confirm-payment" count; other lines are read and skipped.
// - Success rate (period; monthly with --month) = good / valid, valid = good + failed.
//   good: status == "success". failed: not good, and http_status >= 500 or error_code is
//   TOSS_API_ERROR, E_INTERNAL or E_PAYMENTS_DISABLED (our side or Toss failed the customer).
//   Every other line is excluded: the client's own errors (bad input, auth, amount mismatch,
//   declined card, conflicts, rate limit, ...). No valid line: value null, pass true.
//   Lines with an order_id count once per order: an order that succeeded (on any try, replays
//   included) is one good confirm, on the day of its first success; an order that failed and
//   never succeeded in the period is one failure, on the day of its last failed try.
//   pass: value >= target.
//   A virtual-account confirm answered WAITING_FOR_DEPOSIT (enrollment PENDING) is good: the
//   confirm did its job, the money comes later. Such first answers (not replays) are also
//   counted apart as pending deposits.
// - Daily mean and p95 over successful confirms that are not replays (replayed != true) and
//   carry latency_ms, days in the report's zone; p95 is nearest-rank (index ceil(0.95·n)−1), as
//   `logs latency`. pass: mean < target and p95 < target. Days run from the first to the last
//   day with any confirm line; a day without a measured confirm is listed with count 0,
//   mean/p95 null and pass true (nothing was slow; the success rate shows an outage).
// - Weekly mismatch rate = E_AMOUNT_MISMATCH lines / all confirm lines (replays and errors
//   included), weeks from Monday 00:00 in the zone; pass: rate < target. A week cut by the
//   period's bounds counts only the lines inside them; a week without lines has rate null and
//   pass true.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "logs/aggregates.h"
#include "logs/scanner.h"
#include "logs/timezone.h"

namespace payedge::slo {

enum class ReportFormat { kTable, kJson, kHtml };
std::optional<ReportFormat> parse_report_format(std::string_view text);

// The bounds of "YYYY-MM" as a calendar month in `tz`: [first midnight, next first midnight).
struct Period {
  std::optional<EpochMs> since;  // inclusive
  std::optional<EpochMs> until;  // exclusive
};
std::optional<Period> month_period(std::string_view month, const logs::TimeZone& tz);

struct SloOptions {
  std::vector<std::string> inputs;  // paths or "-", globs already expanded
  Period period;
  std::string month;  // "YYYY-MM" when the period is a month (for the report's title)
  SloConfig targets;
  logs::ScanOptions scan;
  bool verbose = false;
  ReportFormat format = ReportFormat::kTable;
  bool english = false;  // words of the table and the page: Korean unless asked (JSON has none)
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

struct SuccessRate {
  std::uint64_t good = 0, failed = 0, excluded = 0;
  // Among the good: first answers that left a virtual account waiting for its deposit
  // (error_detail "pending_deposit"; the confirm succeeded, the money comes later).
  std::uint64_t pending_deposits = 0;
  double target = 0;
  std::uint64_t valid() const { return good + failed; }
  std::optional<double> value() const;  // nullopt without valid lines
  bool pass() const;
};

struct DailyRow {
  std::string day;               // "2026-11-26" in the zone
  logs::LatencySummary latency;  // count 0: no measured confirm that day
  bool pass = true;
  std::uint64_t good = 0, failed = 0;  // the success SLO's counts of the day (for the charts)
};

struct WeeklyRow {
  std::string week_start;  // the Monday, "2026-11-23"
  std::uint64_t confirms = 0, mismatches = 0;
  std::optional<double> mismatch_rate;  // nullopt without confirm lines
  bool pass = true;
};

struct SloReport {
  std::string tz;
  Period period;
  std::string since_label, until_label;  // RFC 3339 in the zone; empty: open
  std::string month;
  std::vector<std::string> inputs;
  SloConfig targets;
  std::uint64_t confirm_lines = 0;  // fn == confirm-payment inside the period
  SuccessRate success;
  std::vector<DailyRow> daily;    // ascending
  std::vector<WeeklyRow> weekly;  // ascending
  bool pass() const;              // every SLO line passes
};
// How many SLO lines (the success rate, each day, each week) fail.
std::size_t count_failed_rows(const SloReport& r);

struct SloOutcome {
  SloReport report;
  logs::ScanStats stats;
};

SloOutcome compute_slo(const SloOptions& o, const logs::TimeZone& tz);

nlohmann::ordered_json slo_json(const SloReport& r, const logs::ScanStats& stats);
// `english`: the words for people (Korean by default, as the runbook); the figures are the same.
std::string slo_table(const SloReport& r, const logs::ScanStats& stats, bool english = false);
std::string slo_html(const SloReport& r, const logs::ScanStats& stats, bool english = false);
// The HTML report's charts (slo_charts.cpp): daily p95 and mean against their targets, the
// success rate with the error budget left (burn-down over the report's days), the weekly
// mismatch rate against its target; inline SVG sections.
std::string slo_charts_html(const SloReport& r, bool english = false);

// Prints the report; returns 0 when it was produced (whether or not the SLOs pass), 1 when an
// input could not be read.
int run_slo_report(const SloOptions& o, const logs::TimeZone& tz);

}  // namespace payedge::slo
