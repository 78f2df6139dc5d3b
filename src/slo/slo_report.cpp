#include "slo/slo_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "logs/filter.h"
#include "logs/table.h"
#include "slo/slo_class.h"

namespace payedge::slo {
namespace {

using ojson = nlohmann::ordered_json;
using logs::Field;

constexpr EpochMs kDayMs = 86'400'000;
constexpr std::string_view kConfirmFn = "confirm-payment";

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

  void merge(const DayCounts& o) {
    latency.merge(o.latency);
    confirms += o.confirms;
    mismatches += o.mismatches;
    good += o.good;
    failed += o.failed;
    excluded += o.excluded;
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
    switch (classify_confirm(success, static_cast<int>(r.http_status.value_or(0)), code)) {
      case SloClass::kGood:
        ++d.good;
        if (!r.replayed.value_or(false) && r.latency_ms) d.latency.add(*r.latency_ms);
        break;
      case SloClass::kBad:
        ++d.failed;
        break;
      case SloClass::kExcluded:
        ++d.excluded;
        break;
    }
  }
  std::map<std::int64_t, DayCounts> days;  // local day number → counts

 private:
  const logs::TimeZone& tz_;
  const std::string_view mismatch_ = info(ErrorCode::kAmountMismatch).name;
  DayCounts* current_ = nullptr;
  EpochMs start_ = 0, end_ = 0;
};

ojson number_json(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return static_cast<long long>(v);
  }
  return v;
}

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

ojson opt_json(const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); }

// part / whole as a percentage with three decimals, rounded down (in integers, so a rate that
// misses a target of up to three decimals never prints as the target itself).
std::string percent_floor(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "-";
  const auto milli = static_cast<std::uint64_t>(static_cast<unsigned __int128>(part) * 100'000 /
                                                static_cast<unsigned __int128>(whole));
  return fmt::format("{}.{:03}%", milli / 1000, milli % 1000);
}

// One decimal, rounded down, for the same reason.
std::string ms_floor(double v) { return fmt::format("{:.1f}", std::floor(v * 10) / 10); }

std::string target_percent(double fraction) { return fmt::format("{:g}%", fraction * 100); }

std::string verdict(bool pass) { return pass ? "PASS" : "FAIL"; }

std::string inputs_text(const std::vector<std::string>& inputs) {
  std::string s;
  for (const auto& in : inputs) {
    if (!s.empty()) s += ", ";
    s += in == "-" ? "stdin" : in;
  }
  return s;
}

std::string period_text(const SloReport& r) {
  if (!r.month.empty()) return fmt::format("month {} ({})", r.month, r.tz);
  if (r.since_label.empty() && r.until_label.empty()) {
    return fmt::format("all input (days in {})", r.tz);
  }
  return fmt::format("{} .. {} (days in {})", r.since_label.empty() ? "start" : r.since_label,
                     r.until_label.empty() ? "end" : r.until_label, r.tz);
}

std::size_t failed_lines(const SloReport& r) {
  std::size_t n = r.success.pass() ? 0 : 1;
  for (const auto& d : r.daily) n += !d.pass;
  for (const auto& w : r.weekly) n += !w.pass;
  return n;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<ReportFormat> parse_report_format(std::string_view text) {
  if (text == "table") return ReportFormat::kTable;
  if (text == "json") return ReportFormat::kJson;
  if (text == "html") return ReportFormat::kHtml;
  return std::nullopt;
}

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

bool SloReport::pass() const { return failed_lines(*this) == 0; }

SloOutcome compute_slo(const SloOptions& o, const logs::TimeZone& tz) {
  logs::FilterSpec spec;
  spec.fn = {std::string(kConfirmFn)};
  spec.since = o.period.since;
  spec.until = o.period.until;
  const logs::RecordFilter filter(spec);
  logs::FieldSet wanted;
  wanted.add(Field::kStatus).add(Field::kErrorCode);
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
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    for (const auto& [day, counts] : sinks[i]->days) days[day].merge(counts);
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

ojson slo_json(const SloReport& r, const logs::ScanStats& stats) {
  ojson daily = ojson::array();
  for (const auto& d : r.daily) {
    const bool any = d.latency.count > 0;
    daily.push_back({{"day", d.day},
                     {"count", d.latency.count},
                     {"mean_ms", any ? ojson(d.latency.mean) : ojson(nullptr)},
                     {"p95_ms", any ? number_json(d.latency.p95) : ojson(nullptr)},
                     {"pass", d.pass}});
  }
  ojson weekly = ojson::array();
  for (const auto& w : r.weekly) {
    weekly.push_back({{"week_start", w.week_start},
                      {"mismatch_rate", opt_json(w.mismatch_rate)},
                      {"pass", w.pass},
                      {"confirms", w.confirms},
                      {"mismatches", w.mismatches}});
  }
  auto label = [](const std::string& t) { return t.empty() ? ojson(nullptr) : ojson(t); };
  return {{"success_rate",
           {{"value", opt_json(r.success.value())},
            {"target", r.success.target},
            {"pass", r.success.pass()},
            {"good", r.success.good},
            {"failed", r.success.failed},
            {"excluded", r.success.excluded},
            {"valid", r.success.valid()}}},
          {"daily", daily},
          {"weekly", weekly},
          {"pass", r.pass()},
          {"targets",
           {{"success_rate", r.targets.success_rate},
            {"mean_ms", r.targets.mean_confirm_ms},
            {"p95_ms", r.targets.p95_confirm_ms},
            {"mismatch_rate", r.targets.mismatch_rate}}},
          {"tz", r.tz},
          {"month", r.month.empty() ? ojson(nullptr) : ojson(r.month)},
          {"since", label(r.since_label)},
          {"until", label(r.until_label)},
          {"confirm_lines", r.confirm_lines},
          {"malformed_lines", stats.malformed}};
}

std::string slo_table(const SloReport& r, const logs::ScanStats& stats) {
  std::string text = fmt::format("SLO report: {}\n", period_text(r));
  text += fmt::format("{} confirm-payment lines from {}", r.confirm_lines, inputs_text(r.inputs));
  if (stats.malformed) {
    text += fmt::format(" ({} malformed line{} skipped)", stats.malformed,
                        stats.malformed == 1 ? "" : "s");
  }
  text += "\n\n";

  const auto& s = r.success;
  text += fmt::format("Success rate (target >= {})\n", target_percent(s.target));
  text += fmt::format("  {}  good {} / valid {}  (failed {}, excluded {})  {}\n\n",
                      percent_floor(s.good, s.valid()), s.good, s.valid(), s.failed, s.excluded,
                      verdict(s.pass()));

  text += fmt::format("Daily confirm time (mean < {:g} ms, p95 < {:g} ms)\n",
                      r.targets.mean_confirm_ms, r.targets.p95_confirm_ms);
  logs::TextTable daily({"day", "count", "mean_ms", "p95_ms", "result"});
  for (std::size_t c = 1; c <= 3; ++c) daily.align_right(c);
  for (const auto& d : r.daily) {
    const bool any = d.latency.count > 0;
    daily.add_row({d.day, std::to_string(d.latency.count), any ? ms_floor(d.latency.mean) : "-",
                   any ? number_text(d.latency.p95) : "-", verdict(d.pass)});
  }
  text += daily.empty() ? "  (no confirm lines)\n" : daily.render();
  text += "\n";

  text += fmt::format("Weekly amount-mismatch rate (target < {}, weeks from Monday)\n",
                      target_percent(r.targets.mismatch_rate));
  logs::TextTable weekly({"week_start", "confirms", "mismatches", "rate", "result"});
  for (std::size_t c = 1; c <= 3; ++c) weekly.align_right(c);
  for (const auto& w : r.weekly) {
    weekly.add_row({w.week_start, std::to_string(w.confirms), std::to_string(w.mismatches),
                    percent_floor(w.mismatches, w.confirms), verdict(w.pass)});
  }
  text += weekly.empty() ? "  (no confirm lines)\n" : weekly.render();
  text += "\n";

  const std::size_t failed = failed_lines(r);
  text += failed == 0
              ? "Overall: PASS\n"
              : fmt::format("Overall: FAIL ({} line{} failed)\n", failed, failed == 1 ? "" : "s");
  return text;
}

std::string slo_html(const SloReport& r, const logs::ScanStats& stats) {
  const auto cls = [](bool pass) { return pass ? "pass" : "fail"; };
  const auto e = [](std::string_view s) { return html_escape(s); };
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += fmt::format("<title>payedge SLO report: {}</title>\n", e(period_text(r)));
  h += R"(<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse}th,td{padding:.25em .8em;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#176b2c;font-weight:600}.fail{color:#b00020;font-weight:600}
.meta{color:#555}
.charts{display:grid;gap:1em;grid-template-columns:repeat(auto-fit,minmax(min(100%,28em),1fr))}
figure{margin:0}figcaption{font-size:.9em;color:#555}
table{display:block;max-width:100%;overflow-x:auto}
@media (max-width:40em){body{margin:1em}}
@media print{body{margin:0;max-width:none}figure,table{break-inside:avoid}}
</style>
</head>
<body>
)";
  const std::size_t failed = failed_lines(r);
  h += fmt::format("<h1>SLO report: {} <span class=\"{}\">{}</span></h1>\n", e(period_text(r)),
                   cls(failed == 0), verdict(failed == 0));
  h += fmt::format(
      "<p class=\"meta\">{} confirm-payment lines from {}; {} malformed line{} "
      "skipped.</p>\n",
      r.confirm_lines, e(inputs_text(r.inputs)), stats.malformed, stats.malformed == 1 ? "" : "s");
  h += slo_charts_html(r);

  const auto& s = r.success;
  h += fmt::format("<h2>Success rate (target &gt;= {})</h2>\n", e(target_percent(s.target)));
  h += "<table>\n<tr><th>rate</th><th>good</th><th>valid</th><th>failed</th><th>excluded</th>"
       "<th>result</th></tr>\n";
  h += fmt::format(
      "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
      "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{}\">{}</td></tr>\n</table>\n",
      e(percent_floor(s.good, s.valid())), s.good, s.valid(), s.failed, s.excluded, cls(s.pass()),
      verdict(s.pass()));

  h += fmt::format("<h2>Daily confirm time (mean &lt; {:g} ms, p95 &lt; {:g} ms)</h2>\n",
                   r.targets.mean_confirm_ms, r.targets.p95_confirm_ms);
  h += "<table>\n<tr><th>day</th><th>count</th><th>mean_ms</th><th>p95_ms</th><th>result</th>"
       "</tr>\n";
  for (const auto& d : r.daily) {
    const bool any = d.latency.count > 0;
    h += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"{}\">{}</td></tr>\n",
        e(d.day), d.latency.count, any ? ms_floor(d.latency.mean) : "-",
        any ? number_text(d.latency.p95) : "-", cls(d.pass), verdict(d.pass));
  }
  h += "</table>\n";

  h += fmt::format("<h2>Weekly amount-mismatch rate (target &lt; {}, weeks from Monday)</h2>\n",
                   e(target_percent(r.targets.mismatch_rate)));
  h += "<table>\n<tr><th>week_start</th><th>confirms</th><th>mismatches</th><th>rate</th>"
       "<th>result</th></tr>\n";
  for (const auto& w : r.weekly) {
    h += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"{}\">{}</td></tr>\n",
        e(w.week_start), w.confirms, w.mismatches, e(percent_floor(w.mismatches, w.confirms)),
        cls(w.pass), verdict(w.pass));
  }
  h += "</table>\n</body>\n</html>\n";
  return h;
}

int run_slo_report(const SloOptions& o, const logs::TimeZone& tz) {
  const SloOutcome s = compute_slo(o, tz);
  // A report over part of the input would pass or fail on data nobody chose: print none.
  if (!logs::report_scan(s.stats, o.verbose, o.err)) return 1;
  std::string text;
  switch (o.format) {
    case ReportFormat::kJson:
      text = slo_json(s.report, s.stats).dump(-1, ' ', false, ojson::error_handler_t::replace);
      text += "\n";
      break;
    case ReportFormat::kTable:
      text = slo_table(s.report, s.stats);
      break;
    case ReportFormat::kHtml:
      text = slo_html(s.report, s.stats);
      break;
  }
  std::fwrite(text.data(), 1, text.size(), o.out);
  std::fflush(o.out);
  return 0;
}

}  // namespace payedge::slo
