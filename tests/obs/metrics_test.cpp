// The dashboard's view of the metrics: counts by (fn, status, code) and the p95 estimated from
// the histogram buckets the way Prometheus' histogram_quantile does.
#include "obs/metrics.h"

#include <gtest/gtest.h>

namespace payedge {
namespace {

TEST(MetricsSnapshot, CountsRequestsByFunctionStatusAndCode) {
  Metrics m;
  m.observe_request("confirm-payment", true, "", 10);
  m.observe_request("confirm-payment", true, "", 20);
  m.observe_request("confirm-payment", false, "E_AMOUNT_MISMATCH", 5);
  m.observe_request("admin", true, "", 1);
  const auto s = m.snapshot();
  ASSERT_EQ(s.requests.size(), 3u);
  unsigned long long ok = 0, mismatch = 0;
  for (const auto& r : s.requests) {
    if (r.fn == "confirm-payment" && r.status == "success") ok = r.count;
    if (r.error_code == "E_AMOUNT_MISMATCH") mismatch = r.count;
  }
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(mismatch, 1u);
  ASSERT_EQ(s.latency.size(), 2u);
}

TEST(MetricsSnapshot, P95InterpolatesInsideTheBucketThatHoldsTheRank) {
  Metrics m;
  for (int i = 0; i < 90; ++i) m.observe_request("confirm-payment", true, "", 4);
  for (int i = 0; i < 10; ++i) m.observe_request("confirm-payment", true, "", 2000);
  const auto s = m.snapshot();
  ASSERT_EQ(s.latency.size(), 1u);
  EXPECT_EQ(s.latency[0].count, 100u);
  // Rank 95 is the 5th of 10 in (1.5 s, 2.5 s]: halfway.
  EXPECT_NEAR(s.latency[0].p95_ms, 2000, 1e-6);
  EXPECT_NEAR(s.latency[0].mean_ms, (90 * 4 + 10 * 2000) / 100.0, 1e-6);
}

TEST(MetricsSnapshot, P95PastTheLastBucketIsItsBound) {
  Metrics m;
  m.observe_request("confirm-payment", true, "", 20'000);
  EXPECT_NEAR(m.snapshot().latency[0].p95_ms, 10'000, 1e-6);
  EXPECT_TRUE(Metrics().snapshot().latency.empty());
}

}  // namespace
}  // namespace payedge

namespace payedge {
namespace {

RequestLog webhook_line(int http_status, bool success, std::string code, std::string detail) {
  RequestLog l;
  l.fn = "toss-webhook";
  l.http_status = http_status;
  l.success = success;
  l.error_code = std::move(code);
  l.error_detail = std::move(detail);
  return l;
}

// payedge_webhook_events_total{reason}: the request lines and the processing lines written after
// the 200 (http_status 0) alike; a refusal by its kind, else what happened before the ':'.
TEST(LineMetrics, WebhookLinesAreCountedByReason) {
  LineMetrics m;
  m.observe(webhook_line(200, true, "", "queued"));
  m.observe(webhook_line(200, true, "", "queued"));
  m.observe(webhook_line(200, true, "", "duplicate:done"));
  m.observe(webhook_line(401, false, "E_WEBHOOK_INVALID_SIG", "mismatch"));
  m.observe(webhook_line(401, false, "E_WEBHOOK_INVALID_SIG", "stale"));
  m.observe(webhook_line(401, false, "E_WEBHOOK_INVALID_SIG", "deposit_secret"));
  m.observe(webhook_line(400, false, "E_INVALID_REQUEST", "not a Toss event"));
  // After the 200:
  m.observe(webhook_line(0, false, "E_WEBHOOK_INVALID_SIG", "refetch_mismatch"));
  m.observe(webhook_line(0, true, "", "applied:canceled"));
  m.observe(webhook_line(0, true, "", "unchanged:already_CANCELED"));
  m.observe(webhook_line(0, false, "TOSS_API_ERROR", "retry:1:toss_timeout"));
  m.observe(webhook_line(0, false, "TOSS_API_ERROR", "gave_up:8:toss_http_500"));
  const std::string out = m.render();
  for (const char* series : {
           "payedge_webhook_events_total{reason=\"queued\"} 2\n",
           "payedge_webhook_events_total{reason=\"duplicate\"} 1\n",
           "payedge_webhook_events_total{reason=\"signature\"} 2\n",
           "payedge_webhook_events_total{reason=\"deposit_secret\"} 1\n",
           "payedge_webhook_events_total{reason=\"refetch_mismatch\"} 1\n",
           "payedge_webhook_events_total{reason=\"E_INVALID_REQUEST\"} 1\n",
           "payedge_webhook_events_total{reason=\"applied\"} 1\n",
           "payedge_webhook_events_total{reason=\"unchanged\"} 1\n",
           "payedge_webhook_events_total{reason=\"retry\"} 1\n",
           "payedge_webhook_events_total{reason=\"gave_up\"} 1\n",
       }) {
    EXPECT_NE(out.find(series), std::string::npos) << series << out;
  }
  EXPECT_EQ(out.find("reason=\"other\""), std::string::npos) << out;
}

TEST(LineMetrics, ReconcilerActionsStopAtTheirDetails) {
  LineMetrics m;
  RequestLog l;
  l.fn = "reconciler";
  l.error_detail = "action=deposit_overdue due_date=2026-01-01T00:00:00+09:00";
  m.observe(l);
  EXPECT_NE(m.render().find("payedge_reconciler_actions_total{action=\"deposit_overdue\"} 1\n"),
            std::string::npos)
      << m.render();
}

}  // namespace
}  // namespace payedge
