// The dashboard's in-process time series (obs/timeseries) and the SVG charts (obs/svg_chart).
#include "obs/timeseries.h"

#include <gtest/gtest.h>

#include <numeric>

#include "obs/svg_chart.h"

namespace payedge {
namespace {

constexpr EpochMs kT0 = 1'764'000'000'000;  // a multiple of 300 s

std::uint64_t sum(const std::vector<std::uint32_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

TEST(TimeSeriesTest, ClassifiesAsTheSloDoes) {
  EXPECT_EQ(classify_series_outcome(true, ""), SeriesOutcome::kSuccess);
  EXPECT_EQ(classify_series_outcome(false, "TOSS_API_ERROR"), SeriesOutcome::kServer);
  EXPECT_EQ(classify_series_outcome(false, "E_INTERNAL"), SeriesOutcome::kServer);
  EXPECT_EQ(classify_series_outcome(false, "E_PAYMENTS_DISABLED"), SeriesOutcome::kServer);
  EXPECT_EQ(classify_series_outcome(false, "E_AMOUNT_MISMATCH"), SeriesOutcome::kClient);
  EXPECT_EQ(classify_series_outcome(false, "E_COURSE_INACTIVE"), SeriesOutcome::kClient);
  EXPECT_EQ(classify_series_outcome(false, "E_TOSS_REJECTED"), SeriesOutcome::kClient);
  EXPECT_EQ(classify_series_outcome(false, "E_SOMETHING_NEW"), SeriesOutcome::kServer);
}

TEST(TimeSeriesTest, BucketsTheLastHourAndDay) {
  TimeSeries ts;
  ts.observe_confirm(kT0 + 1'000, SeriesOutcome::kSuccess, 120);
  ts.observe_confirm(kT0 + 2'000, SeriesOutcome::kServer, 3000);
  ts.observe_confirm(kT0 + 12'000, SeriesOutcome::kClient, 5);
  ts.observe_toss(kT0 + 12'500, 500, false);
  ts.observe_toss(kT0 + 12'600, 0, true);
  ts.observe_toss(kT0 + 12'700, 200, false);

  const SeriesView h = ts.view(SeriesWindow::kHour, kT0 + 15'000);
  ASSERT_EQ(h.step_s, 10);
  ASSERT_EQ(h.success.size(), 360u);
  EXPECT_EQ(h.start, kT0 + 10'000 - 3'600'000 + 10'000);
  EXPECT_EQ(h.success[358], 1u);
  EXPECT_EQ(h.server[358], 1u);
  EXPECT_EQ(h.client[359], 1u);
  EXPECT_EQ(h.toss_calls[359], 3u);
  EXPECT_EQ(h.toss_5xx[359], 1u);
  EXPECT_EQ(h.toss_timeouts[359], 1u);
  ASSERT_TRUE(h.p95_ms[358].has_value());
  EXPECT_GT(*h.p95_ms[358], 100);  // 120 ms lies in the (100, 150] bin
  EXPECT_LE(*h.p95_ms[358], 150);
  EXPECT_FALSE(h.p95_ms[359].has_value());  // no success in that bucket

  const SeriesView d = ts.view(SeriesWindow::kDay, kT0 + 15'000);
  ASSERT_EQ(d.step_s, 300);
  ASSERT_EQ(d.success.size(), 288u);
  EXPECT_EQ(d.success.back(), 1u);
  EXPECT_EQ(d.server.back(), 1u);
  EXPECT_EQ(d.client.back(), 1u);

  // An hour later the hour ring no longer shows them; the day ring still does.
  const SeriesView later = ts.view(SeriesWindow::kHour, kT0 + 3'700'000);
  EXPECT_EQ(sum(later.success) + sum(later.server) + sum(later.client), 0u);
  EXPECT_EQ(sum(ts.view(SeriesWindow::kDay, kT0 + 3'700'000).success), 1u);
  // A bucket reused for a later slot starts from zero.
  ts.observe_confirm(kT0 + 3'601'000, SeriesOutcome::kSuccess, 10);
  EXPECT_EQ(sum(ts.view(SeriesWindow::kHour, kT0 + 3'601'000).success), 1u);
}

TEST(TimeSeriesTest, P95IsTheNearestRankBin) {
  TimeSeries ts;
  for (int i = 0; i < 95; ++i) ts.observe_confirm(kT0, SeriesOutcome::kSuccess, 40);
  for (int i = 0; i < 5; ++i) ts.observe_confirm(kT0, SeriesOutcome::kSuccess, 1800);
  const auto p = ts.view(SeriesWindow::kHour, kT0).p95_ms.back();
  ASSERT_TRUE(p.has_value());
  EXPECT_GT(*p, 25);  // rank 95 of 100 is the last 40 ms value: the (25, 50] bin
  EXPECT_LE(*p, 50);
  ts.observe_confirm(kT0, SeriesOutcome::kSuccess, 1800);  // now rank 96 of 101: 1800
  const auto q = ts.view(SeriesWindow::kHour, kT0).p95_ms.back();
  EXPECT_GT(*q, 1500);
  EXPECT_LE(*q, 2000);
}

TEST(SvgChartTest, DrawsSeriesThresholdsAndEscapesText) {
  ChartSpec c;
  c.title = "p95 <ms> & more";
  c.x_labels = {"11-25", "11-26", "11-27"};
  c.series = {{"p95", "#1d4ed8", {100.0, std::nullopt, 1700.0}},
              {"bars", "#b42318", {1.0, 2.0, 3.0}, true}};
  c.thresholds = {{1500, "target 1500 ms"}};
  const std::string svg = svg_chart(c);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(svg.find("p95 &lt;ms&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(svg.find("<ms>"), std::string::npos);
  EXPECT_NE(svg.find("class=\"threshold\""), std::string::npos);
  EXPECT_NE(svg.find("target 1500 ms"), std::string::npos);
  // The gap splits the line: two lone points, each drawn as a dot.
  EXPECT_EQ(std::count(svg.begin(), svg.end(), 'M'), 2);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
}

}  // namespace
}  // namespace payedge
