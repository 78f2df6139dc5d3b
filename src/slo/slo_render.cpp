// The SLO report as a terminal table, JSON (SPEC 8.1) or one self-contained HTML page, and
// `run_slo_report`, which computes and prints it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "logs/filter.h"
#include "logs/table.h"
#include "obs/svg_chart.h"
#include "slo/slo_class.h"
#include "slo/slo_report.h"

namespace payedge::slo {
namespace {

using ojson = nlohmann::ordered_json;

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

}  // namespace

std::optional<ReportFormat> parse_report_format(std::string_view text) {
  if (text == "table") return ReportFormat::kTable;
  if (text == "json") return ReportFormat::kJson;
  if (text == "html") return ReportFormat::kHtml;
  return std::nullopt;
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
            {"valid", r.success.valid()},
            {"pending_deposits", r.success.pending_deposits}}},
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
  text += fmt::format("  {}  good {} / valid {}  (failed {}, excluded {})  {}\n",
                      percent_floor(s.good, s.valid()), s.good, s.valid(), s.failed, s.excluded,
                      verdict(s.pass()));
  if (s.pending_deposits) {
    text += fmt::format("  of the good: {} virtual-account deposit{} awaited at confirm\n",
                        s.pending_deposits, s.pending_deposits == 1 ? "" : "s");
  }
  text += "\n";

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

  const std::size_t failed = count_failed_rows(r);
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
  const std::size_t failed = count_failed_rows(r);
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
  if (s.pending_deposits) {
    h += fmt::format(
        "<p class=\"meta\">Of the good: {} virtual-account deposit{} awaited at "
        "confirm.</p>\n",
        s.pending_deposits, s.pending_deposits == 1 ? "" : "s");
  }

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
