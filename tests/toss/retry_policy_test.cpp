// The Toss client's retry policies and its backoff, as pure functions: which answers are tried
// again under the same Idempotency-Key (confirm) or at all (reads), and how long the waits may
// grow.
#include <gtest/gtest.h>

#include <climits>

#include "toss/toss_client.h"

namespace payedge {
namespace {

TossReply answer(int status, std::string code = "") {
  TossReply r;
  r.http_status = status;
  if (!code.empty()) r.body = {{"code", code}, {"message", "m"}};
  return r;
}

TEST(RetryPolicy, NoAnswerIsRetriedUnderTheSameKey) {
  TossReply network;
  network.transport_error = "connection refused";
  EXPECT_TRUE(retry_same_key(network));
  TossReply timeout;
  timeout.timed_out = true;
  EXPECT_TRUE(retry_same_key(timeout));
}

TEST(RetryPolicy, TooManyRequestsAndProcessingAreRetried) {
  EXPECT_TRUE(retry_same_key(answer(429, "TOO_MANY_REQUESTS")));
  EXPECT_TRUE(retry_same_key(answer(429)));
  EXPECT_TRUE(retry_same_key(answer(409, "IDEMPOTENT_REQUEST_PROCESSING")));
}

TEST(RetryPolicy, EveryOtherAnswerGoesBackToTheCaller) {
  // A 5xx or PROVIDER_ERROR may be replayed for this key by Toss: the caller re-fetches and
  // moves to the next key instead.
  EXPECT_FALSE(retry_same_key(answer(500, "FAILED_INTERNAL_SYSTEM_PROCESSING")));
  EXPECT_FALSE(retry_same_key(answer(503)));
  EXPECT_FALSE(retry_same_key(answer(400, "PROVIDER_ERROR")));
  EXPECT_FALSE(retry_same_key(answer(409, "ALREADY_PROCESSED_PAYMENT")));
  EXPECT_FALSE(retry_same_key(answer(401, "UNAUTHORIZED_KEY")));
  EXPECT_FALSE(retry_same_key(answer(403, "REJECT_CARD_PAYMENT")));
  EXPECT_FALSE(retry_same_key(answer(200)));
}

TEST(RetryPolicy, ReadsAreAlsoRetriedOnAnyServerError) {
  // GET a payment changes nothing at Toss: a 5xx is tried again, as is everything that a
  // confirm retries under its key; a 4xx or a payment is the answer.
  TossReply network;
  network.transport_error = "connection reset";
  EXPECT_TRUE(retry_read(network));
  EXPECT_TRUE(retry_read(answer(429)));
  EXPECT_TRUE(retry_read(answer(500, "FAILED_INTERNAL_SYSTEM_PROCESSING")));
  EXPECT_TRUE(retry_read(answer(503)));
  EXPECT_FALSE(retry_read(answer(404, "NOT_FOUND_PAYMENT")));
  EXPECT_FALSE(retry_read(answer(401, "UNAUTHORIZED_KEY")));
  EXPECT_FALSE(retry_read(answer(200)));
}

TEST(RetryPolicy, ProcessingCodeCountsOnlyOnA409) {
  EXPECT_FALSE(retry_same_key(answer(400, "IDEMPOTENT_REQUEST_PROCESSING")));
  TossReply mistyped = answer(409);
  mistyped.body = {{"code", 42}};  // not a string: no code
  EXPECT_FALSE(retry_same_key(mistyped));
}

TEST(RetryPolicy, BackoffDoublesUpToTheMaximum) {
  TossConfig c;
  c.backoff_base_ms = 100;
  c.backoff_max_ms = 2000;
  EXPECT_EQ(backoff_cap_ms(c, 0), 100);
  EXPECT_EQ(backoff_cap_ms(c, 1), 200);
  EXPECT_EQ(backoff_cap_ms(c, 4), 1600);
  EXPECT_EQ(backoff_cap_ms(c, 5), 2000);
  EXPECT_EQ(backoff_cap_ms(c, 6), 2000);
}

TEST(RetryPolicy, BackoffNeverOverflowsOrGoesNegative) {
  TossConfig c;
  c.backoff_base_ms = INT_MAX;
  c.backoff_max_ms = INT_MAX;
  EXPECT_EQ(backoff_cap_ms(c, 1000), INT_MAX);
  EXPECT_EQ(backoff_cap_ms(c, -3), INT_MAX);
  c.backoff_base_ms = -5;
  EXPECT_EQ(backoff_cap_ms(c, 3), 0);
  c.backoff_base_ms = 100;
  c.backoff_max_ms = -1;
  EXPECT_EQ(backoff_cap_ms(c, 3), 0);
}

}  // namespace
}  // namespace payedge
