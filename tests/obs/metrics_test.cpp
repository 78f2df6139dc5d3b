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
