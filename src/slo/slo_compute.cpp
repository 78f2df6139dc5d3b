// The SLO numbers: one parallel scan of the confirm lines into per-day counts, then the
// period's success rate, the daily latency rows and the weekly mismatch rows. The renderers
// (table, JSON, HTML) are in slo_render.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "logs/filter.h"
#include "logs/table.h"
#include "slo/slo_class.h"
#include "slo/slo_report.h"

namespace payedge::slo {
namespace {

using logs::Field;

constexpr EpochMs kDayMs = 86'400'000;
constexpr std::string_view kConfirmFn = "confirm-payment";
constexpr std::string_view kPendingDeposit = "pending_deposit";  // api: WAITING_FOR_DEPOSIT

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b < 0) --q;
  return q;
}

// Days since 1970-01-01 of the calendar in the zone; 0 is a Thursday.
std::int64_t local_day(EpochMs t, const logs::TimeZone& tz) {
  return floor_div(t + tz.offset_seconds(t) * 1000LL, kDayMs);
}

std::int64_t monday_of(std::int64_t day) { return day - (((day + 3) % 7) + 7) % 7; }

std::string day_text(std::int64_t day) { return format_utc(day * kDayMs).substr(0, 10); }

// The UTC instant of local midnight starting `day` (twice round: an offset change near
// midnight moves the answer by at most one step).
EpochMs local_midnight(std::int64_t day, const logs::TimeZone& tz) {
  const EpochMs wall = day * kDayMs;
  EpochMs t = wall - tz.offset_seconds(wall) * 1000LL;
  t = wall - tz.offset_seconds(t) * 1000LL;
  return t;
}

// Everything the report needs about one local day; weeks and the period are sums of days.
struct DayCounts {
  logs::LatencyHistogram latency;  // successful, not replayed, with latency_ms
  std::uint64_t confirms = 0, mismatches = 0;
  std::uint64_t good = 0, failed = 0, excluded = 0;
  std::uint64_t pending_deposits = 0;

  void merge(const DayCounts& o) {
    latency.merge(o.latency);
    confirms += o.confirms;
    mismatches += o.mismatches;
    good += o.good;
    failed += o.failed;
    excluded += o.excluded;
    pending_deposits += o.pending_deposits;
  }
};

// One order's confirm lines of the success SLO: a confirm retried until it succeeded is one
// good confirm, not a failure per try; an order that failed and never succeeded is one failure.
struct OrderFate {
  std::int64_t good_day = 0, bad_day = 0;  // the local day of its first success / last failure
  bool good = false, bad = false;
  EpochMs good_at = 0, bad_at = 0;

  void merge(const OrderFate& o) {
    if (o.good && (!good || o.good_at < good_at))
      good = true, good_at = o.good_at, good_day = o.good_day;
    if (o.bad && (!bad || o.bad_at > bad_at)) bad = true, bad_at = o.bad_at, bad_day = o.bad_day;
  }
};

class SloSink final : public logs::RecordSink {
 public:
  explicit SloSink(const logs::TimeZone& tz) : tz_(tz) {}
  void add(const logs::LogRecord& r, logs::RecordPosition) override {
    // Lines come mostly in time order: the last day is usually the right one.
    if (!current_ || r.ts < start_ || r.ts >= end_) {
      start_ = tz_.floor_day(r.ts);
      end_ = tz_.floor_day(start_ + 30 * 3'600'000LL);
      current_ = &days[local_day(r.ts, tz_)];
    }
    DayCounts& d = *current_;
    ++d.confirms;
    const std::string_view code = r.get_or(Field::kErrorCode);
    if (code == mismatch_) ++d.mismatches;
    const bool success = r.get_or(Field::kStatus) == "success";
    const SloClass c = classify_confirm(success, static_cast<int>(r.http_status.value_or(0)), code);
    if (c == SloClass::kGood && !r.replayed.value_or(false)) {
      if (r.latency_ms) d.latency.add(*r.latency_ms);
      // A virtual account's confirm: good (the money comes later), counted apart as well.
      if (r.get_or(Field::kErrorDetail) == kPendingDeposit) ++d.pending_deposits;
    }
    // Lines with an order id are counted once per order, after the scan (count_orders).
    if (const auto order = r.get_or(Field::kOrderId); !order.empty() && c != SloClass::kExcluded) {
      const std::int64_t day = local_day(r.ts, tz_);
      OrderFate f;
      if (c == SloClass::kGood) f.good = true, f.good_at = r.ts, f.good_day = day;
      if (c == SloClass::kBad) f.bad = true, f.bad_at = r.ts, f.bad_day = day;
      auto it = orders.find(order);
      if (it == orders.end()) {
        orders.emplace(std::string(order), f);
      } else {
        it->second.merge(f);
      }
      return;
    }
    switch (c) {
      case SloClass::kGood:
        ++d.good;
        break;
      case SloClass::kBad:
        ++d.failed;
        break;
      case SloClass::kExcluded:
        ++d.excluded;
        break;
    }
  }
  std::map<std::int64_t, DayCounts> days;                // local day number → counts
  std::map<std::string, OrderFate, std::less<>> orders;  // order id → its confirms' fate

 private:
  const logs::TimeZone& tz_;
  const std::string_view mismatch_ = info(ErrorCode::kAmountMismatch).name;
  DayCounts* current_ = nullptr;
  EpochMs start_ = 0, end_ = 0;
};

}  // namespace

std::optional<Period> month_period(std::string_view month, const logs::TimeZone& tz) {
  // "YYYY-MM" exactly.
  const auto digit = [&](std::size_t i) { return month[i] >= '0' && month[i] <= '9'; };
  if (month.size() != 7 || month[4] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!digit(i)) return std::nullopt;
  }
  const int year = std::stoi(std::string(month.substr(0, 4)));
  const int mon = std::stoi(std::string(month.substr(5, 2)));
  if (mon < 1 || mon > 12) return std::nullopt;
  const auto first = parse_rfc3339(fmt::format("{:04}-{:02}-01", year, mon));
  const auto next = parse_rfc3339(mon == 12 ? fmt::format("{:04}-01-01", year + 1)
                                            : fmt::format("{:04}-{:02}-01", year, mon + 1));
  if (!first || !next) return std::nullopt;
  return Period{local_midnight(floor_div(*first, kDayMs), tz),
                local_midnight(floor_div(*next, kDayMs), tz)};
}

std::optional<double> SuccessRate::value() const {
  if (valid() == 0) return std::nullopt;
  return static_cast<double>(good) / static_cast<double>(valid());
}

bool SuccessRate::pass() const {
  const auto v = value();
  return !v || *v >= target;
}

bool SloReport::pass() const { return count_failed_rows(*this) == 0; }

std::size_t count_failed_rows(const SloReport& r) {
  std::size_t n = r.success.pass() ? 0 : 1;
  for (const auto& d : r.daily) n += !d.pass;
  for (const auto& w : r.weekly) n += !w.pass;
  return n;
}

SloOutcome compute_slo(const SloOptions& o, const logs::TimeZone& tz) {
  logs::FilterSpec spec;
  spec.fn = {std::string(kConfirmFn)};
  spec.since = o.period.since;
  spec.until = o.period.until;
  const logs::RecordFilter filter(spec);
  logs::FieldSet wanted;
  wanted.add(Field::kStatus).add(Field::kErrorCode).add(Field::kErrorDetail).add(Field::kOrderId);
  wanted.latency = wanted.http = wanted.toss = true;  // toss: `replayed`

  std::vector<std::unique_ptr<SloSink>> sinks;
  const unsigned n = logs::resolve_threads(o.scan.threads);
  for (unsigned i = 0; i < n; ++i) sinks.push_back(std::make_unique<SloSink>(tz));
  std::vector<logs::RecordSink*> raw;
  for (auto& s : sinks) raw.push_back(s.get());
  logs::ScanOptions so = o.scan;
  so.out = o.out;

  SloOutcome out;
  out.stats = logs::scan_logs(o.inputs, wanted, filter, raw, so);
  auto& days = sinks.front()->days;
  auto& orders = sinks.front()->orders;
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    for (const auto& [day, counts] : sinks[i]->days) days[day].merge(counts);
    for (const auto& [order, fate] : sinks[i]->orders) orders[order].merge(fate);
  }
  // Each order once: good on the day it first succeeded, else failed on its last failure's.
  for (const auto& [order, fate] : orders) {
    if (fate.good) {
      ++days[fate.good_day].good;
    } else if (fate.bad) {
      ++days[fate.bad_day].failed;
    }
  }

  SloReport& r = out.report;
  r.tz = tz.name();
  r.period = o.period;
  r.month = o.month;
  if (o.period.since) r.since_label = tz.format(*o.period.since);
  if (o.period.until) r.until_label = tz.format(*o.period.until);
  r.targets = o.targets;
  r.inputs = o.inputs;
  r.success.target = o.targets.success_rate;
  for (const auto& [day, d] : days) {
    r.confirm_lines += d.confirms;
    r.success.good += d.good;
    r.success.failed += d.failed;
    r.success.excluded += d.excluded;
    r.success.pending_deposits += d.pending_deposits;
  }
  if (days.empty()) return out;

  const std::int64_t first = days.begin()->first, last = days.rbegin()->first;
  for (std::int64_t day = first; day <= last; ++day) {
    DailyRow row;
    row.day = day_text(day);
    if (auto it = days.find(day); it != days.end()) {
      row.latency = it->second.latency.summary();
      row.good = it->second.good;
      row.failed = it->second.failed;
    }
    row.pass = row.latency.count == 0 || (row.latency.mean < o.targets.mean_confirm_ms &&
                                          row.latency.p95 < o.targets.p95_confirm_ms);
    r.daily.push_back(std::move(row));
  }
  for (std::int64_t week = monday_of(first); week <= last; week += 7) {
    WeeklyRow row;
    row.week_start = day_text(week);
    for (auto it = days.lower_bound(week); it != days.end() && it->first < week + 7; ++it) {
      row.confirms += it->second.confirms;
      row.mismatches += it->second.mismatches;
    }
    if (row.confirms) {
      row.mismatch_rate = static_cast<double>(row.mismatches) / static_cast<double>(row.confirms);
      row.pass = *row.mismatch_rate < o.targets.mismatch_rate;
    }
    r.weekly.push_back(std::move(row));
  }
  return out;
}

}  // namespace payedge::slo
