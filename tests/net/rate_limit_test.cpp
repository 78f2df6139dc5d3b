// The per-client token buckets with injected time: no wall clock, no waiting.
#include "net/rate_limit.h"

#include <gtest/gtest.h>

namespace payedge {
namespace {

constexpr EpochMs kT0 = 1'800'000'000'000;

TEST(RateLimiter, BurstThenRefusedWithRetryAfter) {
  RateLimiter limiter(/*rate_per_s=*/2, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("1.2.3.4", kT0)) << i;
  int retry_after = -1;
  EXPECT_FALSE(limiter.allow("1.2.3.4", kT0, &retry_after));
  EXPECT_GE(retry_after, 1);
}

TEST(RateLimiter, RefillsAtTheRateAndNeverAboveTheBurst) {
  RateLimiter limiter(2, 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.allow("c", kT0));
  ASSERT_FALSE(limiter.allow("c", kT0));
  EXPECT_FALSE(limiter.allow("c", kT0 + 400));  // 0.8 token: not yet
  EXPECT_TRUE(limiter.allow("c", kT0 + 500));   // one token after 0.5 s at 2/s
  EXPECT_FALSE(limiter.allow("c", kT0 + 500));
  // A long pause refills to the burst, not beyond it.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("c", kT0 + 3'600'000)) << i;
  EXPECT_FALSE(limiter.allow("c", kT0 + 3'600'000));
}

TEST(RateLimiter, ClientsHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.allow("a", kT0));
  EXPECT_FALSE(limiter.allow("a", kT0));
  EXPECT_TRUE(limiter.allow("b", kT0));  // one client's flood does not starve another
}

TEST(RateLimiter, ZeroRateMeansOff) {
  RateLimiter limiter(0, 1);
  EXPECT_FALSE(limiter.enabled());
}

TEST(RateLimiter, TheTableIsBoundedAndStillAnswers) {
  RateLimiter limiter(1, 1, /*max_clients=*/4);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.allow("client-" + std::to_string(i), kT0 + i));
  // Evicted idle clients come back with a full bucket; a recent one is still limited.
  EXPECT_FALSE(limiter.allow("client-99", kT0 + 99));
}

}  // namespace
}  // namespace payedge
