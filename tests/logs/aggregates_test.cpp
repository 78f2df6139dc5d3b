// Nearest-rank percentiles on tiny inputs, and the order of `top` rows with ties.
#include "logs/aggregates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace payedge::logs {
namespace {

// SPEC section 8, literally: the value at index ceil(N/100·n)−1 of the sorted list.
double spec_percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto idx =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[idx];
}

void expect_spec_percentiles(const std::vector<double>& values) {
  LatencyHistogram h;
  for (double v : values) h.add(v);
  const LatencySummary s = h.summary();
  ASSERT_EQ(s.count, values.size());
  EXPECT_EQ(s.p50, spec_percentile(values, 50));
  EXPECT_EQ(s.p95, spec_percentile(values, 95));
  EXPECT_EQ(s.p99, spec_percentile(values, 99));
  EXPECT_EQ(s.max, *std::max_element(values.begin(), values.end()));
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_DOUBLE_EQ(s.mean, sum / static_cast<double>(values.size()));
}

TEST(Percentiles, OneValue) {
  LatencyHistogram h;
  h.add(250);
  const auto s = h.summary();
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.p50, 250);
  EXPECT_EQ(s.p95, 250);
  EXPECT_EQ(s.p99, 250);
  EXPECT_EQ(s.max, 250);
  EXPECT_EQ(s.mean, 250);
}

TEST(Percentiles, TwoValues) {
  LatencyHistogram h;
  h.add(900);
  h.add(100);
  const auto s = h.summary();
  EXPECT_EQ(s.p50, 100);  // ceil(0.5·2) − 1 = 0
  EXPECT_EQ(s.p95, 900);  // ceil(1.9) − 1 = 1
  EXPECT_EQ(s.p99, 900);
  EXPECT_EQ(s.mean, 500);
}

TEST(Percentiles, TwentyValues) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i * 10);
  std::shuffle(v.begin(), v.end(), std::mt19937(1));
  LatencyHistogram h;
  for (double x : v) h.add(x);
  const auto s = h.summary();
  EXPECT_EQ(s.p50, 100);  // index ceil(10) − 1 = 9 → 100
  EXPECT_EQ(s.p95, 190);  // index ceil(19) − 1 = 18 → 190
  EXPECT_EQ(s.p99, 200);  // index ceil(19.8) − 1 = 19 → 200
  expect_spec_percentiles(v);
}

TEST(Percentiles, TwentyOneValues) {
  std::vector<double> v;
  for (int i = 1; i <= 21; ++i) v.push_back(i);
  std::shuffle(v.begin(), v.end(), std::mt19937(2));
  LatencyHistogram h;
  for (double x : v) h.add(x);
  const auto s = h.summary();
  EXPECT_EQ(s.p50, 11);  // ceil(10.5) − 1 = 10 → 11
  EXPECT_EQ(s.p95, 20);  // ceil(19.95) − 1 = 19 → 20
  EXPECT_EQ(s.p99, 21);  // ceil(20.79) − 1 = 20 → 21
  expect_spec_percentiles(v);
}

TEST(Percentiles, FractionsLargeValuesAndDuplicates) {
  std::mt19937 rng(3);
  for (int n : {1, 2, 3, 20, 21, 99, 100, 101, 1000}) {
    SCOPED_TRACE(n);
    std::vector<double> v;
    for (int i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0:
          v.push_back(static_cast<double>(rng() % 50));
          break;  // duplicates
        case 1:
          v.push_back(static_cast<double>(rng() % 4000) + 0.25);
          break;  // fractions
        case 2:
          v.push_back(static_cast<double>(4000 + rng() % 60000));
          break;  // past the dense range
        default:
          v.push_back(static_cast<double>(rng() % 4096));
          break;
      }
    }
    expect_spec_percentiles(v);
  }
}

TEST(Percentiles, MergeEqualsOneHistogram) {
  LatencyHistogram a, b, all;
  for (int i = 0; i < 500; ++i) {
    const double v = (i * 37) % 7001 + (i % 3 == 0 ? 0.5 : 0);
    (i % 2 ? a : b).add(v);
    all.add(v);
  }
  a.merge(b);
  const auto m = a.summary(), s = all.summary();
  EXPECT_EQ(m.count, s.count);
  EXPECT_EQ(m.p50, s.p50);
  EXPECT_EQ(m.p95, s.p95);
  EXPECT_EQ(m.p99, s.p99);
  EXPECT_EQ(m.max, s.max);
  EXPECT_DOUBLE_EQ(m.mean, s.mean);
}

TEST(Percentiles, NearestRankIndex) {
  EXPECT_EQ(nearest_rank_index(50, 1), 0u);
  EXPECT_EQ(nearest_rank_index(99, 1), 0u);
  EXPECT_EQ(nearest_rank_index(50, 2), 0u);
  EXPECT_EQ(nearest_rank_index(95, 2), 1u);
  EXPECT_EQ(nearest_rank_index(95, 20), 18u);
  EXPECT_EQ(nearest_rank_index(95, 21), 19u);
  EXPECT_EQ(nearest_rank_index(50, 100), 49u);
}

TEST(Top, CountDescendingThenKeyAscending) {
  KeyCounter m;
  m.add("course-b", 5);
  m.add("course-a", 5);
  m.add("course-c", 7);
  m.add("course-d", 1);
  m.add("Course-z", 5);  // byte order: upper case first
  const TopResult r = top_rows("course_id", m, 25, 2, 10);
  ASSERT_EQ(r.rows.size(), 5u);
  EXPECT_EQ(r.rows[0].key, "course-c");
  EXPECT_EQ(r.rows[1].key, "Course-z");
  EXPECT_EQ(r.rows[2].key, "course-a");
  EXPECT_EQ(r.rows[3].key, "course-b");
  EXPECT_EQ(r.rows[4].key, "course-d");
  EXPECT_DOUBLE_EQ(r.rows[0].share, 7.0 / 25.0);
  EXPECT_EQ(r.total, 25u);
  EXPECT_EQ(r.missing, 2u);
  EXPECT_EQ(r.distinct, 5u);
}

TEST(Top, NCutsAfterTheOrder) {
  KeyCounter m;
  for (int i = 0; i < 50; ++i) m.add("k" + std::to_string(i), 3);
  m.add("k7", 1);
  const TopResult r = top_rows("user_id", m, 151, 0, 3);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].key, "k7");  // 4
  EXPECT_EQ(r.rows[1].key, "k0");  // 3, then keys ascending
  EXPECT_EQ(r.rows[2].key, "k1");
}

TEST(KeyCounter, CountsLikeAMapThroughGrowth) {
  KeyCounter c;
  std::map<std::string, std::uint64_t> want;
  std::mt19937 rng(5);
  for (int i = 0; i < 200'000; ++i) {
    const std::string key = "user-" + std::to_string(rng() % 30'000);
    const std::uint64_t n = 1 + rng() % 3;
    c.add(key, n);
    want[key] += n;
  }
  c.add("", 4);  // an empty key is a key
  want[""] += 4;
  KeyCounter other;
  other.add("user-1", 10);
  other.add("only-there", 2);
  c.merge(other);
  want["user-1"] += 10;
  want["only-there"] += 2;
  std::map<std::string, std::uint64_t> got;
  c.for_each([&](std::string_view k, std::uint64_t n) { got[std::string(k)] += n; });
  EXPECT_EQ(got, want);
  EXPECT_EQ(c.size(), want.size());
}

TEST(Top, EmptyInput) {
  const TopResult r = top_rows("ip", KeyCounter{}, 0, 0, 10);
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(r.total, 0u);
}

}  // namespace
}  // namespace payedge::logs

namespace payedge::logs {
namespace {

// The runbook's error rate is the server side's: Toss errors, timeouts, E_INTERNAL, 5xx (as the
// success SLO counts them); a course switched off and the buyer's own mistakes are client
// outcomes.
TEST(ErrorSide, ServerSideFailures) {
  EXPECT_TRUE(server_side_failure(502, "TOSS_API_ERROR"));
  EXPECT_TRUE(server_side_failure(std::nullopt, "TOSS_API_ERROR"));
  EXPECT_TRUE(server_side_failure(500, "E_INTERNAL"));
  EXPECT_TRUE(server_side_failure(504, ""));                          // a bare gateway timeout
  EXPECT_TRUE(server_side_failure(std::nullopt, "E_SOMETHING_NEW"));  // not hidden
  for (const char* code :
       {"E_AMOUNT_MISMATCH", "E_COURSE_INACTIVE", "E_COUPON_INVALID", "E_TOSS_REJECTED",
        "E_IDEMPOTENCY_CONFLICT", "E_RATE_LIMITED", "E_UNAUTHORIZED", "E_ALREADY_ENROLLED"}) {
    EXPECT_FALSE(server_side_failure(400, code)) << code;
    EXPECT_FALSE(server_side_failure(std::nullopt, code)) << code;
  }
  EXPECT_TRUE(server_side_failure(503, "E_PAYMENTS_DISABLED"));  // as the success SLO: bad
  EXPECT_FALSE(server_side_failure(409, "E_SOMETHING_NEW"));
}

}  // namespace
}  // namespace payedge::logs
