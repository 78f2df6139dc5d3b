// The SLO report as a terminal table, JSON (SPEC 8.1) or one self-contained HTML page, and
// `run_slo_report`, which computes and prints it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.h"
#include "core/text.h"
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

std::string verdict(bool pass, bool en) {
  return en ? (pass ? "PASS" : "FAIL") : (pass ? "통과" : "실패");
}

std::string inputs_text(const std::vector<std::string>& inputs, bool en) {
  std::string s;
  for (const auto& in : inputs) {
    if (!s.empty()) s += ", ";
    s += in == "-" ? (en ? "stdin" : "표준 입력") : in;
  }
  return s;
}

std::string period_text(const SloReport& r, bool en) {
  if (!r.month.empty()) return tr_format(en, "month {} ({})", "{} 월간 ({})", r.month, r.tz);
  if (r.since_label.empty() && r.until_label.empty()) {
    return tr_format(en, "all input (days in {})", "입력 전체 (날짜 기준 {})", r.tz);
  }
  return tr_format(en, "{} .. {} (days in {})", "{} .. {} (날짜 기준 {})",
                   r.since_label.empty() ? (en ? "start" : "처음") : r.since_label,
                   r.until_label.empty() ? (en ? "end" : "끝") : r.until_label, r.tz);
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

std::string slo_table(const SloReport& r, const logs::ScanStats& stats, bool en) {
  std::string text = tr_format(en, "SLO report: {}\n", "SLO 보고서: {}\n", period_text(r, en));
  text += tr_format(en, "{} confirm-payment lines from {}", "confirm-payment 로그 {}줄 ({})",
                    r.confirm_lines, inputs_text(r.inputs, en));
  if (stats.malformed) {
    text += en ? fmt::format(" ({} malformed line{} skipped)", stats.malformed,
                             stats.malformed == 1 ? "" : "s")
               : fmt::format(" (깨진 줄 {}개 건너뜀)", stats.malformed);
  }
  text += "\n\n";

  const auto& s = r.success;
  text += tr_format(en, "Success rate (target >= {})\n", "성공률 (목표 >= {})\n",
                    target_percent(s.target));
  text += tr_format(en, "  {}  good {} / valid {}  (failed {}, excluded {})  {}\n",
                    "  {}  성공 {} / 유효 {}  (실패 {}, 제외 {})  {}\n",
                    percent_floor(s.good, s.valid()), s.good, s.valid(), s.failed, s.excluded,
                    verdict(s.pass(), en));
  if (s.pending_deposits) {
    text += en ? fmt::format("  of the good: {} virtual-account deposit{} awaited at confirm\n",
                             s.pending_deposits, s.pending_deposits == 1 ? "" : "s")
               : fmt::format("  성공 중 가상계좌 입금 대기로 승인된 건: {}\n", s.pending_deposits);
  }
  text += "\n";

  text += tr_format(en, "Daily confirm time (mean < {:g} ms, p95 < {:g} ms)\n",
                    "일별 승인 시간 (평균 < {:g} ms, p95 < {:g} ms)\n", r.targets.mean_confirm_ms,
                    r.targets.p95_confirm_ms);
  logs::TextTable daily(en ? std::vector<std::string>{"day", "count", "mean_ms", "p95_ms", "result"}
                           : std::vector<std::string>{"날짜", "건수", "평균_ms", "p95_ms", "결과"});
  for (std::size_t c = 1; c <= 3; ++c) daily.align_right(c);
  for (const auto& d : r.daily) {
    const bool any = d.latency.count > 0;
    daily.add_row({d.day, std::to_string(d.latency.count), any ? ms_floor(d.latency.mean) : "-",
                   any ? number_text(d.latency.p95) : "-", verdict(d.pass, en)});
  }
  const char* none = en ? "  (no confirm lines)\n" : "  (승인 로그 없음)\n";
  text += daily.empty() ? none : daily.render();
  text += "\n";

  text += tr_format(en, "Weekly amount-mismatch rate (target < {}, weeks from Monday)\n",
                    "주별 금액 불일치율 (목표 < {}, 주는 월요일부터)\n",
                    target_percent(r.targets.mismatch_rate));
  logs::TextTable weekly(
      en ? std::vector<std::string>{"week_start", "confirms", "mismatches", "rate", "result"}
         : std::vector<std::string>{"주_시작", "승인", "불일치", "비율", "결과"});
  for (std::size_t c = 1; c <= 3; ++c) weekly.align_right(c);
  for (const auto& w : r.weekly) {
    weekly.add_row({w.week_start, std::to_string(w.confirms), std::to_string(w.mismatches),
                    percent_floor(w.mismatches, w.confirms), verdict(w.pass, en)});
  }
  text += weekly.empty() ? none : weekly.render();
  text += "\n";

  const std::size_t failed = count_failed_rows(r);
  if (en) {
    text += failed == 0
                ? "Overall: PASS\n"
                : fmt::format("Overall: FAIL ({} line{} failed)\n", failed, failed == 1 ? "" : "s");
  } else {
    text += failed == 0 ? "종합: 통과\n" : fmt::format("종합: 실패 ({}개 항목 미달)\n", failed);
  }
  return text;
}

std::string slo_html(const SloReport& r, const logs::ScanStats& stats, bool en) {
  const auto cls = [](bool pass) { return pass ? "pass" : "fail"; };
  const auto e = [](std::string_view s) { return html_escape(s); };
  std::string h;
  h += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                   en ? "en" : "ko");
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += tr_format(en, "<title>payedge SLO report: {}</title>\n",
                 "<title>payedge SLO 보고서: {}</title>\n", e(period_text(r, en)));
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
  h += tr_format(en, "<h1>SLO report: {} <span class=\"{}\">{}</span></h1>\n",
                 "<h1>SLO 보고서: {} <span class=\"{}\">{}</span></h1>\n", e(period_text(r, en)),
                 cls(failed == 0), verdict(failed == 0, en));
  h += en ? fmt::format(
                "<p class=\"meta\">{} confirm-payment lines from {}; {} malformed line{} "
                "skipped.</p>\n",
                r.confirm_lines, e(inputs_text(r.inputs, en)), stats.malformed,
                stats.malformed == 1 ? "" : "s")
          : fmt::format(
                "<p class=\"meta\">confirm-payment 로그 {}줄 ({}); 깨진 줄 {}개 "
                "건너뜀.</p>\n",
                r.confirm_lines, e(inputs_text(r.inputs, en)), stats.malformed);
  h += slo_charts_html(r, en);

  const auto& s = r.success;
  h += tr_format(en, "<h2>Success rate (target &gt;= {})</h2>\n",
                 "<h2>성공률 (목표 &gt;= {})</h2>\n", e(target_percent(s.target)));
  h += en ? "<table>\n<tr><th>rate</th><th>good</th><th>valid</th><th>failed</th><th>excluded</th>"
            "<th>result</th></tr>\n"
          : "<table>\n<tr><th>성공률</th><th>성공</th><th>유효</th><th>실패</th><th>제외</th>"
            "<th>결과</th></tr>\n";
  h += fmt::format(
      "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td "
      "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{}\">{}</td></tr>\n</table>\n",
      e(percent_floor(s.good, s.valid())), s.good, s.valid(), s.failed, s.excluded, cls(s.pass()),
      verdict(s.pass(), en));
  if (s.pending_deposits) {
    h += en ? fmt::format(
                  "<p class=\"meta\">Of the good: {} virtual-account deposit{} awaited at "
                  "confirm.</p>\n",
                  s.pending_deposits, s.pending_deposits == 1 ? "" : "s")
            : fmt::format("<p class=\"meta\">성공 중 가상계좌 입금 대기로 승인된 건: {}.</p>\n",
                          s.pending_deposits);
  }

  h += tr_format(en, "<h2>Daily confirm time (mean &lt; {:g} ms, p95 &lt; {:g} ms)</h2>\n",
                 "<h2>일별 승인 시간 (평균 &lt; {:g} ms, p95 &lt; {:g} ms)</h2>\n",
                 r.targets.mean_confirm_ms, r.targets.p95_confirm_ms);
  h += en ? "<table>\n<tr><th>day</th><th>count</th><th>mean_ms</th><th>p95_ms</th><th>result</th>"
            "</tr>\n"
          : "<table>\n<tr><th>날짜</th><th>건수</th><th>평균_ms</th><th>p95_ms</th><th>결과</th>"
            "</tr>\n";
  for (const auto& d : r.daily) {
    const bool any = d.latency.count > 0;
    h += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"{}\">{}</td></tr>\n",
        e(d.day), d.latency.count, any ? ms_floor(d.latency.mean) : "-",
        any ? number_text(d.latency.p95) : "-", cls(d.pass), verdict(d.pass, en));
  }
  h += "</table>\n";

  h += tr_format(en, "<h2>Weekly amount-mismatch rate (target &lt; {}, weeks from Monday)</h2>\n",
                 "<h2>주별 금액 불일치율 (목표 &lt; {}, 주는 월요일부터)</h2>\n",
                 e(target_percent(r.targets.mismatch_rate)));
  h += en ? "<table>\n<tr><th>week_start</th><th>confirms</th><th>mismatches</th><th>rate</th>"
            "<th>result</th></tr>\n"
          : "<table>\n<tr><th>주_시작</th><th>승인</th><th>불일치</th><th>비율</th>"
            "<th>결과</th></tr>\n";
  for (const auto& w : r.weekly) {
    h += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"{}\">{}</td></tr>\n",
        e(w.week_start), w.confirms, w.mismatches, e(percent_floor(w.mismatches, w.confirms)),
        cls(w.pass), verdict(w.pass, en));
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
      text = slo_table(s.report, s.stats, o.english);
      break;
    case ReportFormat::kHtml:
      text = slo_html(s.report, s.stats, o.english);
      break;
  }
  std::fwrite(text.data(), 1, text.size(), o.out);
  std::fflush(o.out);
  return 0;
}

}  // namespace payedge::slo
