// The Toss webhook receiver end to end: the simulator signs and delivers, the service
// verifies, re-fetches from Toss and applies; forged, stale and replayed deliveries.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "core/codec.h"
#include "core/time.h"
#include "harness.h"
#include "webhook/signature.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

class WebhookTest : public ::testing::Test {
 protected:
  Stack stack;

  std::string url() {
    return "http://127.0.0.1:" + std::to_string(stack.api_port()) + "/functions/v1/toss-webhook";
  }
  // Asks the simulator to deliver a webhook; returns what our service answered.
  json deliver(json request) {
    request["url"] = url();
    auto r = http_call(stack.sim_port(), "POST", "/__sim/webhooks", request.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  json last_log() { return read_json_lines(stack.log_path()).back(); }
  std::string confirm_paid(const std::string& order, long long amount = 49000) {
    const std::string key = stack.new_session(order, amount);
    auto r = stack.confirm(body_for(key, order, amount, "course-sql"));
    EXPECT_EQ(r.status, 200) << r.body;
    return key;
  }
};

TEST_F(WebhookTest, CancelWebhookCancelsPaymentAndEnrollmentOnce) {
  const std::string key = confirm_paid("order-wh-cancel-1");
  auto cancel = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                          R"({"cancelReason":"고객 요청"})",
                          {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  json first = deliver({{"paymentKey", key}});
  EXPECT_EQ(first["status"], 200) << first.dump();
  EXPECT_EQ(stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'"),
            "CANCELED");
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments WHERE payment_key = '" + key + "'"),
            "CANCELLED");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.cancel'"), 1);
  json log = last_log();
  EXPECT_EQ(log["fn"], "toss-webhook");
  EXPECT_EQ(log["status"], "success");

  // Toss redelivers the identical body: answered 200, applied once.
  auto redelivered = http_call(
      stack.api_port(), "POST", "/functions/v1/toss-webhook", first["sent"].get<std::string>(),
      {{"tosspayments-webhook-signature",
        sign_webhook(first["sent"].get<std::string>(),
                     format_with_offset(SystemClock::instance().now_ms(), 540), kWebhookSecret)},
       {"tosspayments-webhook-transmission-time",
        format_with_offset(SystemClock::instance().now_ms(), 540)}});
  EXPECT_EQ(redelivered.status, 200) << redelivered.body;
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.cancel'"), 1);
  EXPECT_EQ(stack.db().count("webhook_events"), 1);
  EXPECT_EQ(last_log()["replayed"], true);
}

TEST(Webhook, DoneWebhookFinishesAnOpenConfirm) {
  // One try and no periodic reconciler: the lost answer stays lost until the webhook comes.
  Stack stack(
      {.config_toml = "[toss]\nmax_attempts = 1\n[idempotency]\nreconcile_interval_s = 0\n"});
  // The answer is lost, and so is the re-fetch that an answered 500 leads to.
  stack.set_faults({{"approve_then_fail_rate", 1.0}, {"get_error_rate", 1.0}});
  const std::string key = stack.new_session("order-wh-done-1", 49000);
  auto r = stack.confirm(body_for(key, "order-wh-done-1", 49000, "course-sql"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(stack.db().count("payments"), 0);
  stack.set_faults(json::object());
  auto delivered = http_call(stack.sim_port(), "POST", "/__sim/webhooks",
                             json{{"url", "http://127.0.0.1:" + std::to_string(stack.api_port()) +
                                              "/functions/v1/toss-webhook"},
                                  {"paymentKey", key}}
                                 .dump())
                       .json();
  EXPECT_EQ(delivered["status"], 200) << delivered.dump();
  EXPECT_EQ(stack.db().scalar("SELECT source FROM payments WHERE provider_tx_id = '" + key + "'"),
            "webhook");
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), 1);
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + key + "'"),
      "DONE");
}

TEST_F(WebhookTest, ForgedStaleAndUnsignedDeliveriesAreRefusedAndLogged) {
  const std::string key = confirm_paid("order-wh-forged-1");
  json forged = deliver({{"paymentKey", key}, {"secret", "attacker-guess-0000000000"}});
  EXPECT_EQ(forged["status"], 401);
  EXPECT_EQ(json::parse(forged["body"].get<std::string>())["error"]["code"],
            "E_WEBHOOK_INVALID_SIG");
  json log = last_log();
  EXPECT_EQ(log["error_code"], "E_WEBHOOK_INVALID_SIG");
  EXPECT_EQ(log["error_detail"], "mismatch");
  EXPECT_EQ(log["ip"], "127.0.0.1");
  EXPECT_EQ(log["ua"], "TossPayments-Webhook/sim");

  const std::string old_time = format_with_offset(SystemClock::instance().now_ms() - 301'000, 540);
  json stale = deliver({{"paymentKey", key}, {"transmissionTime", old_time}});
  EXPECT_EQ(stale["status"], 401);
  EXPECT_EQ(last_log()["error_detail"], "stale");

  auto unsigned_post =
      http_call(stack.api_port(), "POST", "/functions/v1/toss-webhook", R"({"eventType":"X"})");
  EXPECT_EQ(unsigned_post.status, 401);
  EXPECT_EQ(last_log()["error_detail"], "missing");
  json malformed = deliver({{"paymentKey", key}, {"signature", "v1:not-base64!"}});
  EXPECT_EQ(malformed["status"], 401);
  EXPECT_EQ(last_log()["error_detail"], "malformed");
  EXPECT_EQ(stack.db().count("webhook_events"), 0);

  // Playbook 4.4 on the service's own log: forged deliveries by reason.
  auto top = run_payedge({"logs", "top", "--by", "error_detail", "--error-code",
                          "E_WEBHOOK_INVALID_SIG", "--format", "json", stack.log_path()});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  json rows = json::parse(top.out)["rows"];
  ASSERT_EQ(rows.size(), 4u) << top.out;
  for (const auto& row : rows) EXPECT_EQ(row["count"], 1) << top.out;
  EXPECT_EQ(stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'"),
            "DONE");
}

TEST_F(WebhookTest, TossFetchFailureAsksTossToRetry) {
  const std::string key = confirm_paid("order-wh-retry-1");
  stack.set_faults({{"get_error_rate", 1.0}});
  json failed = deliver({{"paymentKey", key}});
  EXPECT_EQ(failed["status"], 500);
  stack.set_faults(json::object());
  json again = deliver({{"paymentKey", key}});
  EXPECT_EQ(again["status"], 200);
  EXPECT_EQ(json::parse(again["body"].get<std::string>())["outcome"], "already_recorded");
}

TEST_F(WebhookTest, UnknownEventTypesAreStoredAndAnswered200) {
  json r = deliver({{"eventType", "DEPOSIT_CALLBACK"}, {"paymentKey", "whatever"}});
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(stack.db().scalar("SELECT outcome FROM webhook_events"), "ignored_event_type");
}

TEST_F(WebhookTest, RotatedSecretKeepsThePreviousOneForTheGracePeriod) {
  const std::string key = confirm_paid("order-wh-rotate-1");
  TempDir dir;
  std::ofstream(dir.file("new")) << "rotated-secret-abcdefghijkl\n";
  auto rotate = run_payedge({"ops", "secret", "rotate", "--from-file", dir.file("new"), "--reason",
                             "quarterly", "--store", stack.store_url()},
                            test_env());
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_EQ(rotate.out.find("rotated-secret"), std::string::npos);  // never printed back
  EXPECT_EQ(deliver({{"paymentKey", key}, {"eventType", "X1"}})["status"],
            200);  // old secret, inside grace
  EXPECT_EQ(deliver({{"paymentKey", key},
                     {"eventType", "X2"},
                     {"secret", "rotated-secret-abcdefghijkl"}})["status"],
            200);
  EXPECT_EQ(stack.db().count("audit_log", "action = 'secret.rotate' AND reason = 'quarterly'"), 1);
  EXPECT_EQ(
      stack.db().scalar("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%rotated-secret%'"),
      "0");
  // Rotate again with no grace: the first rotated secret is now refused.
  std::ofstream(dir.file("newer")) << "rotated-secret-2-zyxwvutsrq\n";
  ASSERT_EQ(run_payedge({"ops", "secret", "rotate", "--from-file", dir.file("newer"), "--grace",
                         "0s", "--reason", "leak", "--store", stack.store_url()},
                        test_env())
                .exit_code,
            0);
  EXPECT_EQ(deliver({{"paymentKey", key},
                     {"eventType", "X3"},
                     {"secret", "rotated-secret-abcdefghijkl"}})["status"],
            401);
  EXPECT_EQ(deliver({{"paymentKey", key},
                     {"eventType", "X4"},
                     {"secret", "rotated-secret-2-zyxwvutsrq"}})["status"],
            200);
}

// The limiter's arithmetic (refill, burst, eviction) is tested with injected time in
// tests/net/rate_limit_test.cpp; here the real server answers a flood with 429s.
TEST(RateLimit, AnswersTooManyRequests) {
  Stack stack({.config_toml = "[server]\nconfirm_rate_per_s = 0.5\nconfirm_burst = 3\n"});
  const std::string path = "/functions/v1/confirm-payment";
  int limited = 0;
  HttpReply r;
  for (int i = 0; i < 10; ++i) {
    auto reply = http_call(stack.api_port(), "POST", path, "{}");
    if (reply.status == 429) {
      ++limited;
      r = reply;
    }
  }
  EXPECT_GE(limited, 5);  // at 0.5 tokens/s, at most 3 + 0.5/s pass
  EXPECT_EQ(stack.db().count("payments"), 0);
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.json()["error"]["code"], "E_RATE_LIMITED");
  EXPECT_EQ(r.json()["error"]["retryable"], true);
  EXPECT_FALSE(r.headers["retry-after"].empty());
}

}  // namespace
}  // namespace payedge::testing
