// What a webhook body claims and when Toss's record contradicts it (pure functions).
#include "webhook/webhook_event.h"

#include <gtest/gtest.h>

#include "webhook/webhook_service.h"

namespace payedge {
namespace {

using nlohmann::json;

TEST(WebhookEvent, PaymentStatusChangedClaims) {
  auto c = parse_webhook_body(
      R"({"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2022-05-12T00:00:00.000",)"
      R"("data":{"paymentKey":"pk_1","orderId":"order-1","status":"CANCELED","totalAmount":49000}})");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->kind, WebhookKind::kPaymentStatusChanged);
  EXPECT_EQ(c->payment_key, "pk_1");
  EXPECT_EQ(c->order_id, "order-1");
  EXPECT_EQ(c->status, "CANCELED");
  EXPECT_EQ(c->total_amount, 49000);
}

TEST(WebhookEvent, DepositCallbackWithoutEventType) {
  // As Toss sends it: no eventType, no data envelope.
  auto c = parse_webhook_body(
      R"({"createdAt":"2022-01-01T00:00:00.000000","secret":"s3cr3t","status":"DONE",)"
      R"("transactionKey":"tx","orderId":"order-va-1"})");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->kind, WebhookKind::kDepositCallback);
  EXPECT_EQ(c->event_type, "DEPOSIT_CALLBACK");
  EXPECT_EQ(c->order_id, "order-va-1");
  EXPECT_TRUE(c->has_secret);
  EXPECT_EQ(c->secret, "s3cr3t");
  const std::string kept = redact_webhook_body(
      R"({"createdAt":"x","secret":"s3cr3t","status":"DONE","orderId":"order-va-1"})");
  EXPECT_EQ(kept.find("s3cr3t"), std::string::npos);
  // The wrapped form is read the same way; a missing secret is known as missing.
  auto wrapped = parse_webhook_body(
      R"({"eventType":"DEPOSIT_CALLBACK","data":{"status":"DONE","orderId":"order-va-1"}})");
  ASSERT_TRUE(wrapped);
  EXPECT_FALSE(wrapped->has_secret);
}

TEST(WebhookEvent, BodiesThatAreNotTossEventsAreRefused) {
  for (const char* body :
       {"", "[]", "null", "not json", R"({"hello":"world"})", R"({"eventType":42})",
        R"({"eventType":""})", R"({"eventType":"PAYMENT_STATUS_CHANGED","data":[]})",
        R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"status":"DONE"}})",
        R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":7}})",
        R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":"k",)"
        R"("totalAmount":"49000"}})",
        R"({"eventType":"DEPOSIT_CALLBACK","data":{"orderId":"o","secret":1}})",
        R"({"secret":"s","status":"DONE","orderId":7})"}) {
    auto c = parse_webhook_body(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidRequest) << body;
  }
  const std::string long_key(201, 'k');
  auto c = parse_webhook_body(R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":")" +
                              long_key + R"("}})");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("200"), std::string::npos);
  // Event types we do not act on are events all the same.
  auto payout = parse_webhook_body(R"({"eventType":"payout.changed","entityBody":{}})");
  ASSERT_TRUE(payout);
  EXPECT_EQ(payout->kind, WebhookKind::kOther);
}

TEST(WebhookEvent, TossRecordContradictingTheClaims) {
  WebhookClaims forged;
  forged.payment_key = "pk_1";
  forged.order_id = "order-1";
  forged.status = "DONE";
  TossPayment in_progress;
  in_progress.payment_key = "pk_1";
  in_progress.order_id = "order-1";
  in_progress.status = "IN_PROGRESS";
  in_progress.total_amount = 49000;
  EXPECT_TRUE(refetch_contradiction(forged, in_progress));
  TossPayment done = in_progress;
  done.status = "DONE";
  EXPECT_FALSE(refetch_contradiction(forged, done));
  forged.total_amount = 1000;
  EXPECT_TRUE(refetch_contradiction(forged, done));
  forged.total_amount.reset();
  forged.order_id = "order-2";
  EXPECT_TRUE(refetch_contradiction(forged, done));
  // A genuine but stale event: DONE, redelivered after the payment was cancelled.
  WebhookClaims stale = forged;
  stale.order_id = "order-1";
  TossPayment canceled = done;
  canceled.status = "CANCELED";
  EXPECT_FALSE(refetch_contradiction(stale, canceled));
  // A cancel Toss has not made is a forgery.
  WebhookClaims cancel = stale;
  cancel.status = "CANCELED";
  EXPECT_TRUE(refetch_contradiction(cancel, done));
}

TEST(WebhookEvent, StatusReachability) {
  EXPECT_TRUE(toss_status_reachable("WAITING_FOR_DEPOSIT", "DONE"));
  EXPECT_TRUE(toss_status_reachable("WAITING_FOR_DEPOSIT", "EXPIRED"));
  EXPECT_TRUE(toss_status_reachable("DONE", "PARTIAL_CANCELED"));
  EXPECT_TRUE(toss_status_reachable("PARTIAL_CANCELED", "CANCELED"));
  EXPECT_FALSE(toss_status_reachable("DONE", "IN_PROGRESS"));
  EXPECT_FALSE(toss_status_reachable("DONE", "EXPIRED"));
  EXPECT_FALSE(toss_status_reachable("CANCELED", "DONE"));
  EXPECT_FALSE(toss_status_reachable("EXPIRED", "DONE"));
  EXPECT_FALSE(toss_status_reachable("NONSENSE", "DONE"));
}

TEST(WebhookEvent, DepositSecretComparison) {
  EXPECT_TRUE(deposit_secret_matches("abc123", "abc123"));
  EXPECT_FALSE(deposit_secret_matches("abc124", "abc123"));
  EXPECT_FALSE(deposit_secret_matches("abc123x", "abc123"));
  EXPECT_FALSE(deposit_secret_matches("", ""));  // no stored secret matches nothing
}

TEST(WebhookEvent, RetryDelaysDoubleAndAreCapped) {
  EXPECT_EQ(webhook_retry_delay_ms(1, 1000, 600'000), 1000);
  EXPECT_EQ(webhook_retry_delay_ms(2, 1000, 600'000), 2000);
  EXPECT_EQ(webhook_retry_delay_ms(4, 1000, 600'000), 8000);
  EXPECT_EQ(webhook_retry_delay_ms(40, 1000, 600'000), 600'000);
}

}  // namespace
}  // namespace payedge
