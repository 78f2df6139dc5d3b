// The charts of `slo report --format html`: inline SVG (obs/svg_chart) beside the tables.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/text.h"
#include "obs/svg_chart.h"
#include "slo/slo_report.h"

namespace payedge::slo {
namespace {

std::string short_day(const std::string& day) { return day.size() >= 10 ? day.substr(5) : day; }

std::string figure(const ChartSpec& spec, const std::string& caption) {
  // Inline in HTML the SVG needs no namespace, and the page names no URL at all.
  std::string svg = svg_chart(spec);
  const std::string xmlns = " xmlns=\"http://www.w3.org/2000/svg\"";
  if (const auto at = svg.find(xmlns); at != std::string::npos) svg.erase(at, xmlns.size());
  return "<figure>\n" + svg + "<figcaption>" + caption + "</figcaption>\n</figure>\n";
}

// The lowest of the values and the target, with room below: rates near 100% stay readable.
double floor_for(const std::vector<std::optional<double>>& values, double target) {
  double lo = target;
  for (const auto& v : values) {
    if (v) lo = std::min(lo, *v);
  }
  const double gap = std::max(100.0 - lo, 0.01) * 1.5;
  const double p = std::pow(10.0, std::ceil(std::log10(gap)));
  return std::max(0.0, 100.0 - p);
}

}  // namespace

std::string slo_charts_html(const SloReport& r, bool en) {
  if (r.daily.empty()) return {};
  std::vector<std::string> days;
  std::vector<std::optional<double>> p95, mean, rate, budget;
  std::uint64_t good = 0, failed = 0;
  const double allowed = 1.0 - r.targets.success_rate;  // the error budget, as a fraction
  for (const auto& d : r.daily) {
    days.push_back(short_day(d.day));
    const bool any = d.latency.count > 0;
    p95.push_back(any ? std::optional<double>(d.latency.p95) : std::nullopt);
    mean.push_back(any ? std::optional<double>(d.latency.mean) : std::nullopt);
    good += d.good;
    failed += d.failed;
    const std::uint64_t valid = good + failed;
    if (valid == 0) {
      rate.push_back(std::nullopt);
      budget.push_back(std::nullopt);
      continue;
    }
    rate.push_back(100.0 * static_cast<double>(good) / static_cast<double>(valid));
    // Budget left = 1 − failures so far / failures the target allows for the confirms so far.
    budget.push_back(allowed > 0 ? 100.0 * (1.0 - static_cast<double>(failed) /
                                                      (allowed * static_cast<double>(valid)))
                                 : std::optional<double>());
  }

  std::string h =
      en ? "<h2>Charts</h2>\n<div class=\"charts\">\n" : "<h2>차트</h2>\n<div class=\"charts\">\n";
  {
    ChartSpec c;
    c.title = en ? "Daily confirm time (ms)" : "일별 승인 시간 (ms)";
    c.x_labels = days;
    c.unit = "";
    c.series = {{"p95", "#1d4ed8", p95}, {en ? "mean" : "평균", "#05603a", mean}};
    c.thresholds = {
        {r.targets.p95_confirm_ms,
         tr_format(en, "p95 target {:g} ms", "p95 목표 {:g} ms", r.targets.p95_confirm_ms)},
        {r.targets.mean_confirm_ms,
         tr_format(en, "mean target {:g} ms", "평균 목표 {:g} ms", r.targets.mean_confirm_ms),
         "#93370d"}};
    h += figure(c, en ? "Successful, non-replayed confirms per day; dashed lines are the targets."
                      : "하루의 성공한 (재응답이 아닌) 승인; 점선은 목표입니다.");
  }
  {
    ChartSpec c;
    c.title = en ? "Success rate, cumulative (%)" : "누적 성공률 (%)";
    c.x_labels = days;
    c.unit = "%";
    c.series = {{en ? "success rate" : "성공률", "#05603a", rate}};
    c.thresholds = {{100 * r.targets.success_rate,
                     tr_format(en, "target {:g}%", "목표 {:g}%", 100 * r.targets.success_rate)}};
    c.y_min = floor_for(rate, 100 * r.targets.success_rate);
    c.y_max = 100;
    h += figure(c, en ? "good / (good + failed) from the first day to each day."
                      : "첫날부터 그날까지 성공 / (성공 + 실패).");
  }
  {
    double lo = 0;
    for (const auto& v : budget) {
      if (v) lo = std::min(lo, *v);
    }
    ChartSpec c;
    c.title = en ? (r.month.empty() ? "Error budget left (%)" : "Error budget left this month (%)")
                 : (r.month.empty() ? "남은 오류 예산 (%)" : "이번 달 남은 오류 예산 (%)");
    c.x_labels = days;
    c.unit = "%";
    c.series = {{en ? "budget left" : "남은 예산", "#1d4ed8", budget}};
    c.thresholds = {{0, en ? "spent" : "소진"}};
    c.y_min = lo < 0 ? -100 * std::ceil(-lo / 100) : 0;
    c.y_max = 100;
    h += figure(c, tr_format(en,
                             "1 − failed / ({:g}% of valid confirms), cumulative: below 0 "
                             "the month's budget is spent.",
                             "누적 1 − 실패 / (유효 승인의 {:g}%): 0 아래면 그 달의 "
                             "예산을 다 쓴 것입니다.",
                             100 * allowed));
  }
  if (!r.weekly.empty()) {
    ChartSpec c;
    c.title = en ? "Weekly amount-mismatch rate (%)" : "주별 금액 불일치율 (%)";
    c.unit = "%";
    std::vector<std::optional<double>> weekly;
    for (const auto& w : r.weekly) {
      c.x_labels.push_back(short_day(w.week_start));
      weekly.push_back(w.mismatch_rate ? std::optional<double>(100 * *w.mismatch_rate)
                                       : std::nullopt);
    }
    c.series = {{en ? "mismatch rate" : "불일치율", "#b54708", weekly, true}};
    c.thresholds = {{100 * r.targets.mismatch_rate,
                     tr_format(en, "target {:g}%", "목표 {:g}%", 100 * r.targets.mismatch_rate)}};
    h += figure(c, en ? "E_AMOUNT_MISMATCH / confirm lines per week (from Monday)."
                      : "주별 (월요일부터) E_AMOUNT_MISMATCH / 승인 로그 줄.");
  }
  h += "</div>\n";
  return h;
}

}  // namespace payedge::slo
