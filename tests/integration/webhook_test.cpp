// The Toss webhook receiver end to end, as Toss really sends webhooks: payment events
// unsigned (authenticated by re-fetching the payment), DEPOSIT_CALLBACK with its secret,
// payout events signed; answered once stored, processed afterwards; forged, stale and
// replayed deliveries.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/codec.h"
#include "core/time.h"
#include "harness.h"
#include "webhook/signature.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

const std::string kFastRetries = "[webhook]\nretry_base_ms = 100\npoll_interval_ms = 100\n";

class WebhookTest : public ::testing::Test {
 public:
  static std::string webhook_url(Stack& s) {
    return "http://127.0.0.1:" + std::to_string(s.api_port()) + "/functions/v1/toss-webhook";
  }

 protected:
  Stack stack{{.config_toml = kFastRetries}};

  std::string url() { return webhook_url(stack); }
  // Asks the simulator to deliver a webhook; returns what our service answered.
  json deliver(json request) {
    request["url"] = url();
    auto r = http_call(stack.sim_port(), "POST", "/__sim/webhooks", request.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  HttpReply post(const std::string& body, const std::map<std::string, std::string>& h = {}) {
    return http_call(stack.api_port(), "POST", "/functions/v1/toss-webhook", body, h);
  }
  // The last request line (processing lines, http_status 0, are written in the background).
  json last_log() {
    auto lines = read_json_lines(stack.log_path());
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
      if ((*it)["http_status"] != 0) return *it;
    return json();
  }
  std::string confirm_paid(const std::string& order, long long amount = 49000) {
    const std::string key = stack.new_session(order, amount);
    auto r = stack.confirm(body_for(key, order, amount, "course-sql"));
    EXPECT_EQ(r.status, 200) << r.body;
    return key;
  }
  void cancel_at_toss(const std::string& key) {
    auto cancel = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                            R"({"cancelReason":"고객 요청"})",
                            {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}});
    ASSERT_EQ(cancel.status, 200) << cancel.body;
  }
  bool all_processed() { return stack.db().count("webhook_events", "state = 'pending'") == 0; }
  std::string payment_status(const std::string& key) {
    return stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'");
  }
  // The processing lines (after the 200) of the service's log.
  std::vector<json> processing_lines() {
    std::vector<json> out;
    for (auto& l : read_json_lines(stack.log_path()))
      if (l["fn"] == "toss-webhook" && l["http_status"] == 0) out.push_back(l);
    return out;
  }
};

TEST_F(WebhookTest, UnsignedCancelIsAppliedOnceEvenWhenDeliveredThreeTimes) {
  const std::string key = confirm_paid("order-wh-cancel-1");
  cancel_at_toss(key);
  // As Toss sends it: PAYMENT_STATUS_CHANGED without any signature header.
  json first = deliver({{"paymentKey", key}});
  EXPECT_EQ(first["status"], 200) << first.dump();
  const std::string sent = first["sent"];
  EXPECT_EQ(json::parse(sent)["data"]["status"], "CANCELED");
  // Toss redelivers the identical body, and another delivery of the same change follows.
  EXPECT_EQ(post(sent).status, 200);
  EXPECT_EQ(last_log()["replayed"], true);
  EXPECT_EQ(deliver({{"paymentKey", key}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(payment_status(key), "CANCELED");
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments WHERE payment_key = '" + key + "'"),
            "CANCELLED");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.cancel'"), 1);
  // The identical body is stored once (the simulator's two deliveries may be identical too).
  const long long events = stack.db().count("webhook_events");
  EXPECT_GE(events, 1);
  EXPECT_LE(events, 2);
  // The log line follows the store's write (the log is written off the I/O thread).
  ASSERT_TRUE(
      eventually([&] { return static_cast<long long>(processing_lines().size()) >= events; }));
  auto lines = processing_lines();
  ASSERT_EQ(static_cast<long long>(lines.size()), events);
  EXPECT_EQ(lines[0]["status"], "success");
  EXPECT_EQ(lines[0]["error_detail"], "applied:canceled");
  if (events == 2) {
    EXPECT_EQ(lines[1]["error_detail"], "unchanged:already_CANCELED");
  }
  EXPECT_EQ(lines[0]["ip"], "127.0.0.1");
  EXPECT_EQ(lines[0]["ua"], "TossPayments-Webhook/sim");
}

TEST_F(WebhookTest, ForgedDoneForAPaymentTossHasInProgressChangesNothing) {
  // The buyer opened the payment window but never paid; a forger claims DONE.
  const std::string key = stack.new_session("order-wh-forged-1", 49000);
  const std::string forged = json{
      {"eventType", "PAYMENT_STATUS_CHANGED"},
      {"createdAt", "2026-11-28T10:00:00.000"},
      {"data",
       {{"paymentKey", key},
        {"orderId", "order-wh-forged-1"},
        {"status", "DONE"},
        {"totalAmount", 49000}}}}.dump();
  auto r = post(forged, {{"User-Agent", "forger/1.0"}});
  EXPECT_EQ(r.status, 200) << r.body;  // answered before anyone asked Toss
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(stack.db().count("payments"), 0);
  EXPECT_EQ(stack.db().count("enrollments"), 0);
  ASSERT_TRUE(eventually([&] { return !processing_lines().empty(); }));  // the log lags the store
  auto lines = processing_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["status"], "error");
  EXPECT_EQ(lines[0]["error_code"], "E_WEBHOOK_INVALID_SIG");
  EXPECT_EQ(lines[0]["error_detail"], "refetch_mismatch");
  EXPECT_EQ(lines[0]["toss_code"], "IN_PROGRESS");
  EXPECT_EQ(lines[0]["ua"], "forger/1.0");
  EXPECT_EQ(stack.db().scalar("SELECT outcome FROM webhook_events"),
            "refused:status DONE but Toss has IN_PROGRESS");
  // Runbook 4.4 on the service's own log: the refusal is counted by its reason.
  auto top = run_payedge({"logs", "top", "--by", "error_detail", "--error-code",
                          "E_WEBHOOK_INVALID_SIG", "--format", "json", stack.log_path()});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(json::parse(top.out)["rows"][0]["key"], "refetch_mismatch") << top.out;
}

// /metrics counts every refusal by its reason, the one the processor finds after the 200
// (refetch_mismatch) as well as the two answered 401 at once, and the webhook alert's
// Prometheus rule reads that series, so a forger is as visible to Prometheus as in the log.
TEST_F(WebhookTest, RefusalsFoundAfterThe200ReachMetricsByReason) {
  const std::string key = stack.new_session("order-wh-metrics-1", 49000);
  const std::string forged = json{
      {"eventType", "PAYMENT_STATUS_CHANGED"},
      {"createdAt", "2026-11-28T10:00:00.000"},
      {"data",
       {{"paymentKey", key},
        {"orderId", "order-wh-metrics-1"},
        {"status", "DONE"},
        {"totalAmount", 49000}}}}.dump();
  EXPECT_EQ(post(forged).status, 200);
  // A DEPOSIT_CALLBACK for an order we have no virtual account for: 401 at once.
  EXPECT_EQ(post(R"({"createdAt":"2026-11-28T10:00:00.000","status":"DONE",)"
                 R"("transactionKey":"t","orderId":"order-wh-metrics-1","secret":"guess"})")
                .status,
            401);
  // A signed request whose signature is wrong: 401 at once.
  EXPECT_EQ(post(R"({"eventType":"payout.changed","createdAt":"2026-11-28T10:00:00.000",)"
                 R"("data":{"n":1}})",
                 {{"tosspayments-webhook-signature", "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
                  {"tosspayments-webhook-transmission-time",
                   format_with_offset(SystemClock::instance().now_ms(), 9 * 60)}})
                .status,
            401);
  // And a genuine event that is applied.
  const std::string paid = confirm_paid("order-wh-metrics-2");
  cancel_at_toss(paid);
  EXPECT_EQ(deliver({{"paymentKey", paid}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  ASSERT_TRUE(eventually([&] { return processing_lines().size() == 2; }));

  auto metrics = http_call(stack.api_port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& m = metrics.body;
  auto has = [&](const std::string& series) { return m.find(series + "\n") != std::string::npos; };
  EXPECT_TRUE(has("payedge_webhook_events_total{reason=\"refetch_mismatch\"} 1")) << m;
  EXPECT_TRUE(has("payedge_webhook_events_total{reason=\"deposit_secret\"} 1")) << m;
  EXPECT_TRUE(has("payedge_webhook_events_total{reason=\"signature\"} 1")) << m;
  EXPECT_TRUE(has("payedge_webhook_events_total{reason=\"queued\"} 2")) << m;
  EXPECT_TRUE(has("payedge_webhook_events_total{reason=\"applied\"} 1")) << m;
  // The request counter sees only the two refusals answered 401; the background one is not a
  // request, which is why the webhook rule reads payedge_webhook_events_total.
  EXPECT_TRUE(
      has("payedge_requests_total{fn=\"toss-webhook\",status=\"error\",error_code="
          "\"E_WEBHOOK_INVALID_SIG\"} 2"))
      << m;
  auto rules = run_payedge({"rules", "export", "--format", "prometheus"});
  ASSERT_EQ(rules.exit_code, 0) << rules.err;
  EXPECT_NE(rules.out.find("payedge_webhook_events_total{reason=~"), std::string::npos)
      << rules.out;
  EXPECT_NE(rules.out.find("signature|deposit_secret|refetch_mismatch"), std::string::npos)
      << rules.out;
}

TEST(Webhook, DoneWebhookFinishesAnOpenConfirm) {
  // One try and no periodic reconciler: the lost answer stays lost until the webhook comes.
  Stack stack({.config_toml = "[toss]\nmax_attempts = 1\n[idempotency]\nreconcile_interval_s = "
                              "0\n" +
                              kFastRetries});
  // The answer is lost, and so is the re-fetch that an answered 500 leads to.
  stack.set_faults({{"approve_then_fail_rate", 1.0}, {"get_error_rate", 1.0}});
  const std::string key = stack.new_session("order-wh-done-1", 49000);
  auto r = stack.confirm(body_for(key, "order-wh-done-1", 49000, "course-sql"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(stack.db().count("payments"), 0);
  stack.set_faults(json::object());
  auto delivered =
      http_call(stack.sim_port(), "POST", "/__sim/webhooks",
                json{{"url", WebhookTest::webhook_url(stack)}, {"paymentKey", key}}.dump())
          .json();
  EXPECT_EQ(delivered["status"], 200) << delivered.dump();
  ASSERT_TRUE(eventually([&] { return stack.db().count("payments") == 1; }));
  EXPECT_EQ(stack.db().scalar("SELECT source FROM payments WHERE provider_tx_id = '" + key + "'"),
            "webhook");
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), 1);
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + key + "'"),
      "DONE");
}

TEST_F(WebhookTest, SignedDeliveriesWithBadSignaturesAreRefusedAndLogged) {
  const std::string key = confirm_paid("order-wh-sig-1");
  // A request that carries the signature headers is judged by them.
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

  // payout.changed is signed by Toss: unsigned, it is refused.
  auto unsigned_payout = post(R"({"eventType":"payout.changed","entityBody":{}})");
  EXPECT_EQ(unsigned_payout.status, 401);
  EXPECT_EQ(last_log()["error_detail"], "missing");
  json malformed = deliver({{"paymentKey", key}, {"signature", "v1:not-base64!"}});
  EXPECT_EQ(malformed["status"], 401);
  EXPECT_EQ(last_log()["error_detail"], "malformed");
  EXPECT_EQ(stack.db().count("webhook_events"), 0);
  EXPECT_EQ(payment_status(key), "DONE");

  auto top = run_payedge({"logs", "top", "--by", "error_detail", "--error-code",
                          "E_WEBHOOK_INVALID_SIG", "--format", "json", stack.log_path()});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  json rows = json::parse(top.out)["rows"];
  ASSERT_EQ(rows.size(), 4u) << top.out;
  for (const auto& row : rows) EXPECT_EQ(row["count"], 1) << top.out;
}

TEST_F(WebhookTest, TossFormWithTheSecondValueValidIsAccepted) {
  // `v1:A,B` as in Toss's own example, where only B is right.
  const std::string body =
      R"({"eventType":"payout.changed","createdAt":"2026-11-28T10:00:00+09:00",)"
      R"("entityType":"payout","entityBody":{"id":"p1","status":"COMPLETED"}})";
  const std::string time = format_with_offset(SystemClock::instance().now_ms(), 540);
  const std::string good = sign_webhook(body, time, kWebhookSecret).substr(3);
  const std::string bad = sign_webhook(body, time, "not-the-secret-00000000").substr(3);
  auto r = post(body, {{"tosspayments-webhook-signature", "v1:" + bad + "," + good},
                       {"tosspayments-webhook-transmission-time", time}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack.db().scalar("SELECT outcome FROM webhook_events"), "ignored_event_type");
  EXPECT_EQ(last_log()["error_detail"], "ignored_event_type");
  // The same two values, each with its prefix.
  const std::string body2 = body + " ";
  const std::string good2 = sign_webhook(body2, time, kWebhookSecret).substr(3);
  EXPECT_EQ(post(body2, {{"tosspayments-webhook-signature", "v1:" + bad + ",v1:" + good2},
                         {"tosspayments-webhook-transmission-time", time}})
                .status,
            200);
  // And the simulator signs payout events the way Toss does.
  json sim = deliver({{"eventType", "payout.changed"}, {"paymentKey", "none"}});
  EXPECT_EQ(sim["status"], 200) << sim.dump();
  EXPECT_EQ(stack.db().count("webhook_events"), 3);
}

TEST_F(WebhookTest, TossFetchFailureIsRetriedAfterThe200) {
  const std::string key = confirm_paid("order-wh-retry-1");
  cancel_at_toss(key);
  stack.set_faults({{"get_error_rate", 1.0}});
  json first = deliver({{"paymentKey", key}});
  EXPECT_EQ(first["status"], 200);  // stored: Toss need not deliver it again
  ASSERT_TRUE(eventually([&] {
    return stack.db().count("webhook_events", "attempts >= 2 AND state = 'pending'") == 1;
  }));
  EXPECT_EQ(payment_status(key), "DONE");
  ASSERT_TRUE(eventually([&] { return !processing_lines().empty(); }));  // the log lags the store
  auto lines = processing_lines();
  ASSERT_GE(lines.size(), 1u);
  EXPECT_EQ(lines[0]["error_code"], "TOSS_API_ERROR");
  EXPECT_EQ(lines[0]["error_detail"].get<std::string>().rfind("retry:1:", 0), 0u)
      << lines[0].dump();
  stack.set_faults(json::object());
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(payment_status(key), "CANCELED");
}

TEST_F(WebhookTest, PartialRefundsKeepTheEnrollmentAFullCancelEndsIt) {
  const std::string key = confirm_paid("order-wh-partial-1");
  auto refund = stack.ops({"enrollment", "cancel", "--order", "order-wh-partial-1", "--amount",
                           "9000", "--reason", "부분 환불"});
  ASSERT_EQ(refund.exit_code, 0) << refund.out << refund.err;
  EXPECT_EQ(payment_status(key), "PARTIAL_CANCELED");
  EXPECT_EQ(stack.db().scalar("SELECT balance_amount FROM payments"), "40000");
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments"), "ACTIVE");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.partial_cancel'"), 1);
  // A second partial refund made at Toss directly reaches us by webhook.
  auto cancel = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                          R"({"cancelReason":"추가 환불","cancelAmount":10000})",
                          {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(deliver({{"paymentKey", key}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(stack.db().scalar("SELECT balance_amount FROM payments"), "30000");
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments"), "ACTIVE");
  // The rest: a full cancel ends the enrollment.
  cancel_at_toss(key);
  EXPECT_EQ(deliver({{"paymentKey", key}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(payment_status(key), "CANCELED");
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments"), "CANCELLED");
  // More than the payment is refused before Toss is asked.
  auto too_much = stack.ops({"enrollment", "cancel", "--order", "order-wh-partial-1", "--amount",
                             "50000", "--reason", "x"});
  EXPECT_NE(too_much.exit_code, 0);
}

// `ops verify` compares what is left after partial refunds (balance_amount) with Toss's
// balanceAmount, not only the status: a second partial refund we missed leaves both
// PARTIAL_CANCELED but with different balances.
TEST_F(WebhookTest, VerifyComparesTheBalanceAfterPartialRefundsWithToss) {
  const std::string key = confirm_paid("order-wh-verify-balance-1");
  auto verify = [&] { return stack.ops({"verify", "--format", "json"}); };
  auto refund_at_toss = [&](int amount) {
    auto cancel = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                            json{{"cancelReason", "부분 환불"}, {"cancelAmount", amount}}.dump(),
                            {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}});
    ASSERT_EQ(cancel.status, 200) << cancel.body;
  };
  EXPECT_EQ(verify().exit_code, 0);

  // A partial refund made at Toss whose webhook has not reached us.
  refund_at_toss(9000);
  auto first = verify();
  EXPECT_EQ(first.exit_code, 1) << first.out;
  json v = json::parse(first.out)["violations"];
  ASSERT_EQ(v.size(), 1u) << first.out;
  EXPECT_EQ(v[0]["kind"], "payment_status_drift");
  EXPECT_EQ(v[0]["detail"], "ours DONE, Toss PARTIAL_CANCELED (40000 KRW left)");
  EXPECT_EQ(deliver({{"paymentKey", key}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(verify().exit_code, 0);

  // A second one: the statuses agree, the balances do not.
  refund_at_toss(10000);
  auto second = verify();
  EXPECT_EQ(second.exit_code, 1) << second.out;
  v = json::parse(second.out)["violations"];
  ASSERT_EQ(v.size(), 1u) << second.out;
  EXPECT_EQ(v[0]["kind"], "payment_balance_drift");
  EXPECT_EQ(v[0]["payment_key"], key);
  EXPECT_EQ(v[0]["detail"],
            "ours PARTIAL_CANCELED 40000 KRW left, Toss PARTIAL_CANCELED 30000 KRW left");
  EXPECT_EQ(deliver({{"paymentKey", key}})["status"], 200);
  ASSERT_TRUE(eventually([&] { return all_processed(); }));
  EXPECT_EQ(stack.db().scalar("SELECT balance_amount FROM payments"), "30000");
  auto after = verify();
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

TEST(Webhook, AnsweredBeforeTheSlowTossFetchThenApplied) {
  // Toss's GET takes 3 s; the webhook is answered without waiting for it.
  Stack stack({.config_toml = "[toss]\nattempt_timeout_ms = 6000\n" + kFastRetries});
  const std::string key = stack.new_session("order-wh-slow-1", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-wh-slow-1", 49000, "course-sql")).status, 200);
  ASSERT_EQ(http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                      R"({"cancelReason":"고객 요청"})",
                      {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}})
                .status,
            200);
  stack.set_faults({{"get_latency_ms", 3000}});
  auto r = http_call(stack.sim_port(), "POST", "/__sim/webhooks",
                     json{{"url", WebhookTest::webhook_url(stack)}, {"paymentKey", key}}.dump());
  ASSERT_EQ(r.json()["status"], 200) << r.body;
  // Our 200 came while the simulator had not yet answered any payment GET.
  EXPECT_EQ(stack.sim_stats()["gets_answered"], 0);
  EXPECT_EQ(stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'"),
            "DONE");
  ASSERT_TRUE(eventually([&] {
    return stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'") ==
           "CANCELED";
  }));
  EXPECT_GE(stack.sim_stats()["gets_answered"], 1);
}

TEST(Webhook, ARestartBetweenAnswerAndProcessingStillAppliesIt) {
  Stack stack({.config_toml = "[toss]\nattempt_timeout_ms = 2000\n" + kFastRetries});
  const std::string key = stack.new_session("order-wh-restart-1", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-wh-restart-1", 49000, "course-sql")).status, 200);
  ASSERT_EQ(http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                      R"({"cancelReason":"고객 요청"})",
                      {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}})
                .status,
            200);
  stack.set_faults({{"get_latency_ms", 1500}});
  auto r = http_call(stack.sim_port(), "POST", "/__sim/webhooks",
                     json{{"url", WebhookTest::webhook_url(stack)}, {"paymentKey", key}}.dump());
  ASSERT_EQ(r.json()["status"], 200) << r.body;
  EXPECT_EQ(stack.sim_stats()["gets_answered"], 0);
  stack.kill_service();  // a crash while the event is stored but not yet applied
  EXPECT_EQ(stack.db().count("webhook_events", "state = 'pending'"), 1);
  stack.set_faults(json::object());
  stack.restart_service();
  ASSERT_TRUE(eventually([&] {
    return stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'") ==
           "CANCELED";
  }));
  // The payment is applied first, then the event marked done (a separate write).
  EXPECT_TRUE(
      eventually([&] { return stack.db().scalar("SELECT state FROM webhook_events") == "done"; }));
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.cancel'"), 1);
}

TEST_F(WebhookTest, UnknownUnsignedEventTypesAreStoredAndAnswered200) {
  auto r = post(R"({"eventType":"METHOD_UPDATED","data":{"customerKey":"c1"}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack.db().scalar("SELECT outcome FROM webhook_events"), "ignored_event_type");
  EXPECT_EQ(stack.db().scalar("SELECT state FROM webhook_events"), "done");
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
  EXPECT_EQ(
      deliver(
          {{"paymentKey", key}, {"eventType", "payout.changed"}, {"data", {{"n", 1}}}})["status"],
      200);  // old secret, inside grace
  EXPECT_EQ(deliver({{"paymentKey", key},
                     {"eventType", "payout.changed"},
                     {"data", {{"n", 2}}},
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
                     {"eventType", "payout.changed"},
                     {"data", {{"n", 3}}},
                     {"secret", "rotated-secret-abcdefghijkl"}})["status"],
            401);
  EXPECT_EQ(deliver({{"paymentKey", key},
                     {"eventType", "payout.changed"},
                     {"data", {{"n", 4}}},
                     {"secret", "rotated-secret-2-zyxwvutsrq"}})["status"],
            200);
}

// Virtual accounts (가상계좌): confirm → PENDING; the deposit or the expiry comes later.
class VirtualAccountTest : public WebhookTest {
 protected:
  std::string va_session(const std::string& order, long long amount) {
    auto r = http_call(
        stack.sim_port(), "POST", "/__sim/sessions",
        json{{"orderId", order}, {"amount", amount}, {"method", "VIRTUAL_ACCOUNT"}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("paymentKey", "");
  }
  std::string confirm_pending(const std::string& order, long long amount, json coupon = nullptr,
                              const std::string& user = "user-1") {
    const std::string key = va_session(order, amount);
    auto r = stack.confirm(body_for(key, order, amount, "course-sql", coupon), user);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["payment"]["status"], "WAITING_FOR_DEPOSIT") << r.body;
    EXPECT_EQ(r.json()["enrollment"]["status"], "PENDING") << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos);  // never shown to the buyer
    return key;
  }
  std::string enrollment_status(const std::string& key) {
    return stack.db().scalar("SELECT status FROM enrollments WHERE payment_key = '" + key + "'");
  }
};

TEST_F(VirtualAccountTest, DepositCallbackMakesTheEnrollmentActive) {
  const std::string key = confirm_pending("order-va-deposit-1", 49000);
  EXPECT_EQ(payment_status(key), "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(enrollment_status(key), "PENDING");
  auto r = http_call(stack.sim_port(), "POST", "/__sim/deposit",
                     json{{"paymentKey", key}, {"url", url()}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["delivery"]["status"], 200) << r.body;
  const json sent = json::parse(r.json()["delivery"]["sent"].get<std::string>());
  EXPECT_FALSE(sent.contains("eventType"));  // DEPOSIT_CALLBACK as Toss sends it
  ASSERT_TRUE(eventually([&] { return enrollment_status(key) == "ACTIVE"; }));
  EXPECT_EQ(payment_status(key), "DONE");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'payment.deposit' AND details LIKE "
                             "'%\"source\":\"webhook\"%'"),
            1);
  // The secret is neither logged nor kept with the event.
  const std::string secret = sent["secret"];
  ASSERT_FALSE(secret.empty());
  std::ifstream log(stack.log_path());
  const std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all.find(secret), std::string::npos);
  EXPECT_EQ(stack.db().count("webhook_events", "body LIKE '%" + secret + "%'"), 0);
  // A replay of the confirm now answers the updated state.
  auto replay = stack.confirm(body_for(key, "order-va-deposit-1", 49000, "course-sql"));
  EXPECT_EQ(replay.json()["enrollment"]["status"], "ACTIVE") << replay.body;
}

TEST_F(VirtualAccountTest, DepositCallbackWithAWrongSecretChangesNothing) {
  const std::string key = confirm_pending("order-va-forged-1", 49000);
  auto r =
      http_call(stack.sim_port(), "POST", "/__sim/deposit",
                json{{"paymentKey", key}, {"url", url()}, {"secret", "guessed-secret"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["delivery"]["status"], 401) << r.body;
  json log = last_log();
  EXPECT_EQ(log["error_code"], "E_WEBHOOK_INVALID_SIG");
  EXPECT_EQ(log["error_detail"], "deposit_secret");
  EXPECT_EQ(payment_status(key), "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(enrollment_status(key), "PENDING");
  EXPECT_EQ(stack.db().count("webhook_events"), 0);
  // No secret at all is refused the same way.
  auto none = post(R"({"createdAt":"2026-11-28T10:00:00.000","status":"DONE",)"
                   R"("transactionKey":"t","orderId":"order-va-forged-1","secret":null})");
  EXPECT_EQ(none.status, 401) << none.body;
}

TEST_F(VirtualAccountTest, ExpiryCancelsTheEnrollmentAndReleasesTheCoupon) {
  const std::string key = confirm_pending("order-va-expire-1", 44000, "SQL5000");
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'SQL5000'"), "1");
  auto r = http_call(stack.sim_port(), "POST", "/__sim/expire",
                     json{{"paymentKey", key}, {"url", url()}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["delivery"]["status"], 200) << r.body;
  ASSERT_TRUE(eventually([&] { return enrollment_status(key) == "CANCELLED"; }));
  EXPECT_EQ(payment_status(key), "EXPIRED");
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'SQL5000'"), "0");
  // The buyer may buy the course again.
  const std::string again = stack.new_session("order-va-expire-2", 49000);
  EXPECT_EQ(stack.confirm(body_for(again, "order-va-expire-2", 49000, "course-sql")).status, 200);
}

TEST_F(VirtualAccountTest, TheReconcilerFindsADepositWhoseWebhookWasLost) {
  const std::string key = confirm_pending("order-va-lost-1", 49000);
  // Toss has the money, but its DEPOSIT_CALLBACK never reached us.
  ASSERT_EQ(http_call(stack.sim_port(), "POST", "/__sim/deposit", json{{"paymentKey", key}}.dump())
                .status,
            200);
  EXPECT_EQ(enrollment_status(key), "PENDING");
  auto rec = stack.ops({"reconcile", "--older-than", "0s", "--reason", "lost deposit"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err << rec.out;
  EXPECT_EQ(enrollment_status(key), "ACTIVE");
  EXPECT_EQ(payment_status(key), "DONE");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'payment.deposit' AND details LIKE "
                             "'%\"source\":\"reconcile\"%'"),
            1);
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// `ops verify` on virtual accounts: a deposit or an expiry at Toss that we have not applied is
// reported (the enrollment would stay PENDING); once applied, nothing is.
TEST_F(VirtualAccountTest, VerifyReportsDepositsAndExpiriesNotAppliedYet) {
  const std::string paid = confirm_pending("order-va-verify-1", 49000);
  const std::string expired = confirm_pending("order-va-verify-2", 44100, "WELCOME10", "user-2");
  auto verify = [&] { return stack.ops({"verify", "--format", "json"}); };
  EXPECT_EQ(verify().exit_code, 0);  // waiting on both sides is no violation
  // Toss has the deposit and the expiry; neither webhook reached us.
  ASSERT_EQ(http_call(stack.sim_port(), "POST", "/__sim/deposit", json{{"paymentKey", paid}}.dump())
                .status,
            200);
  ASSERT_EQ(
      http_call(stack.sim_port(), "POST", "/__sim/expire", json{{"paymentKey", expired}}.dump())
          .status,
      200);
  auto before = verify();
  EXPECT_EQ(before.exit_code, 1) << before.out;
  std::map<std::string, json> by_key;
  const json report = json::parse(before.out);
  for (const json& v : report["violations"]) by_key[v["payment_key"]] = v;
  ASSERT_EQ(by_key.size(), 2u) << before.out;
  EXPECT_EQ(by_key[paid]["kind"], "deposit_status_drift");
  EXPECT_NE(by_key[paid]["detail"].get<std::string>().find("Toss DONE (deposited)"),
            std::string::npos)
      << before.out;
  EXPECT_EQ(by_key[expired]["kind"], "deposit_status_drift");
  EXPECT_NE(by_key[expired]["detail"].get<std::string>().find("Toss EXPIRED"), std::string::npos)
      << before.out;
  // The reconciler applies both; the expired one gives its coupon back.
  auto rec = stack.ops({"reconcile", "--older-than", "0s", "--reason", "verify test"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err << rec.out;
  EXPECT_EQ(enrollment_status(paid), "ACTIVE");
  EXPECT_EQ(enrollment_status(expired), "CANCELLED");
  EXPECT_EQ(stack.db().scalar("SELECT coupon_reserved FROM confirm_attempts WHERE payment_key = '" +
                              expired + "'"),
            stack.db().scalar("SELECT FALSE"));
  auto after = verify();
  EXPECT_EQ(after.exit_code, 0) << after.out;
  // A closed virtual account that still held its coupon would be reported.
  stack.db().exec("UPDATE confirm_attempts SET coupon_reserved = TRUE WHERE payment_key = '" +
                  expired + "'");
  auto held = verify();
  EXPECT_EQ(held.exit_code, 1) << held.out;
  EXPECT_NE(held.out.find("closed_deposit_keeps_coupon"), std::string::npos) << held.out;
}

// A lost expiry: past the due date Toss may leave the status WAITING_FOR_DEPOSIT and only call
// the account expired; the reconciler closes it (the coupon goes back). One whose due date
// passed while Toss still waits is reported each round and left alone.
TEST_F(VirtualAccountTest, TheReconcilerSettlesAccountsPastTheirDueDate) {
  const std::string expired = confirm_pending("order-va-due-1", 44100, "WELCOME10");
  const std::string overdue = confirm_pending("order-va-due-2", 49000, nullptr, "user-2");
  auto flagged = http_call(stack.sim_port(), "POST", "/__sim/expire",
                           json{{"paymentKey", expired}, {"flag_only", true}}.dump());
  ASSERT_EQ(flagged.status, 200) << flagged.body;
  EXPECT_EQ(flagged.json()["status"], "WAITING_FOR_DEPOSIT");
  // Our record of the second account says its due date is over; Toss still waits for it.
  stack.db().exec(
      "UPDATE payments SET va_due_date = '2026-01-01T00:00:00+09:00' WHERE provider_tx_id = '" +
      overdue + "'");
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'WELCOME10'"), "1");

  auto rec =
      stack.ops({"reconcile", "--older-than", "0s", "--reason", "due dates", "--format", "json"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err << rec.out;
  const json report = json::parse(rec.out);
  EXPECT_EQ(report["by_action"]["deposit_closed"], 1) << rec.out;
  EXPECT_EQ(report["by_action"]["deposit_overdue"], 1) << rec.out;
  EXPECT_EQ(payment_status(expired), "EXPIRED");
  EXPECT_EQ(enrollment_status(expired), "CANCELLED");
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'WELCOME10'"), "0");
  EXPECT_EQ(payment_status(overdue), "WAITING_FOR_DEPOSIT");  // never closed on a guess
  EXPECT_EQ(enrollment_status(overdue), "PENDING");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'payment.deposit_closed'"), 1);
  // Toss's WAITING_FOR_DEPOSIT with the account expired agrees with our EXPIRED.
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // The buyer whose account expired may buy the course again.
  const std::string again = stack.new_session("order-va-due-3", 49000);
  EXPECT_EQ(stack.confirm(body_for(again, "order-va-due-3", 49000, "course-sql")).status, 200);
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
