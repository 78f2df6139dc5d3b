// Toss's answers in three classes (SPEC 5) and Idempotency-Keys that cannot trap a payment,
// through the real `payedge serve` and `payedge sim`: a transient PROVIDER_ERROR leaves the
// attempt open and the same confirm succeeds on retry under the attempt's next key; a wrong key
// (UNAUTHORIZED_KEY) is never stored as the buyer's failure and fires toss_auth_failure; a buyer
// rejection is stored; the simulator scopes and replays keys as Toss does.
#include <gtest/gtest.h>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

std::string attempt_field(Stack& stack, const std::string& key, const std::string& column) {
  return stack.db().scalar("SELECT " + column + " FROM confirm_attempts WHERE payment_key = '" +
                           key + "'");
}

TEST(TossAnswers, ProviderErrorLeavesTheAttemptOpenAndTheRetrySucceeds) {
  Stack stack;
  const std::string key = stack.new_session("order-provider-1", 49000);
  const json body = body_for(key, "order-provider-1", 49000, "course-sql");
  stack.set_faults({{"error_rate", 1}, {"error_code", "PROVIDER_ERROR"}});
  auto failed = stack.confirm(body);
  ASSERT_EQ(failed.status, 502) << failed.body;
  EXPECT_EQ(failed.json()["error"]["code"], "TOSS_API_ERROR");
  EXPECT_EQ(failed.json()["error"]["retryable"], true);
  EXPECT_EQ(attempt_field(stack, key, "state"), "IN_PROGRESS");
  EXPECT_EQ(stack.db().count("payments"), 0);
  // Toss kept PROVIDER_ERROR for each key tried; payedge moved on to a fresh key each time
  // after re-fetching the payment (still IN_PROGRESS), never to two keys at once.
  const int seq = std::stoi(attempt_field(stack, key, "key_seq"));
  EXPECT_GE(seq, 1);
  const long long calls = stack.sim_stats()["confirms_by_payment_key"][key];
  EXPECT_EQ(calls, seq);

  stack.set_faults(json::object());
  auto retried = stack.confirm(body);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json()["payment"]["status"], "DONE");
  EXPECT_EQ(retried.json()["replayed"], false);
  EXPECT_EQ(attempt_field(stack, key, "state"), "DONE");
  EXPECT_EQ(stack.db().count("payments"), 1);
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments"), "ACTIVE");
  EXPECT_EQ(stack.sim_stats()["approvals_by_payment_key"][key], 1);
}

TEST(TossAnswers, AReplayedServerErrorUnderTheFirstKeyDoesNotTrapThePayment) {
  Stack stack;
  const std::string key = stack.new_session("order-trap-1", 49000);
  // 500s that Toss stores for each key tried, then a healthy Toss: a replay of the first key
  // would answer 500 for 15 days; the attempt's next key confirms.
  stack.set_faults({{"error_rate", 1}, {"error_status", 500}});
  auto r1 = stack.confirm(body_for(key, "order-trap-1", 49000, "course-sql"));
  ASSERT_EQ(r1.status, 502) << r1.body;
  stack.set_faults(json::object());
  auto r2 = stack.confirm(body_for(key, "order-trap-1", 49000, "course-sql"));
  ASSERT_EQ(r2.status, 200) << r2.body;
  // The simulator still replays the stored 500 for the first key (as Toss may).
  const std::string first_key = attempt_field(stack, key, "idempotency_key");
  auto replay =
      http_call(stack.sim_port(), "POST", "/v1/payments/confirm",
                json{{"paymentKey", key}, {"orderId", "order-trap-1"}, {"amount", 49000}}.dump(),
                {{"Authorization", "Basic dGVzdF9za19pbnRlZ3JhdGlvbl8wMDAxOg=="},
                 {"Idempotency-Key", first_key},
                 {"Content-Type", "application/json"}});
  EXPECT_EQ(replay.status, 500) << replay.body;
  EXPECT_EQ(stack.sim_stats()["approvals_by_payment_key"][key], 1);
}

TEST(TossAnswers, UnauthorizedKeyLeavesTheAttemptOpenAndFiresTheAlert) {
  Stack stack;
  const std::string key = stack.new_session("order-auth-1", 49000);
  stack.set_faults({{"error_rate", 1}, {"error_code", "UNAUTHORIZED_KEY"}});
  auto r = stack.confirm(body_for(key, "order-auth-1", 49000, "course-sql"));
  ASSERT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "TOSS_API_ERROR");
  EXPECT_EQ(r.json()["error"]["retryable"], true);
  EXPECT_EQ(r.json()["error"]["tossCode"], "UNAUTHORIZED_KEY");
  // Not the buyer's failure: nothing stored as a rejection, no retry storm at Toss.
  EXPECT_EQ(attempt_field(stack, key, "state"), "IN_PROGRESS");
  EXPECT_EQ(attempt_field(stack, key, "error_code"), "NULL");
  EXPECT_EQ(stack.sim_stats()["confirms_by_payment_key"][key], 1);
  auto lines = read_json_lines(stack.log_path());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["toss_code"], "UNAUTHORIZED_KEY");
  EXPECT_EQ(lines.back()["toss_http_status"], 401);
  // serve's in-process engine fired toss_auth_failure (a graceful stop flushes its queue).
  stack.restart_service();
  EXPECT_EQ(stack.db().count("alerts", "rule = 'toss_auth_failure' AND state = 'firing'"), 1);
  // Fixed keys: the same confirm goes through.
  stack.set_faults(json::object());
  auto ok = stack.confirm(body_for(key, "order-auth-1", 49000, "course-sql"));
  ASSERT_EQ(ok.status, 200) << ok.body;
}

TEST(TossAnswers, ABuyerRejectionIsStoredAndReplayed) {
  Stack stack;
  const std::string key = stack.new_session("order-reject-1", 49000);
  stack.set_faults({{"error_rate", 1}, {"error_code", "REJECT_CARD_PAYMENT"}});
  auto r = stack.confirm(body_for(key, "order-reject-1", 49000, "course-sql"));
  ASSERT_EQ(r.status, 402) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "E_TOSS_REJECTED");
  EXPECT_EQ(r.json()["error"]["tossCode"], "REJECT_CARD_PAYMENT");
  EXPECT_EQ(attempt_field(stack, key, "state"), "FAILED");
  stack.set_faults(json::object());
  auto again = stack.confirm(body_for(key, "order-reject-1", 49000, "course-sql"));
  EXPECT_EQ(again.status, 402);
  EXPECT_EQ(stack.sim_stats()["confirms_by_payment_key"][key], 1);
}

TEST(SimulatorAsToss, IdempotencyKeysAreScopedPerMethodAndPathAndTestCodesNeedATestKey) {
  Stack stack;
  const std::string auth =
      "Basic dGVzdF9za19pbnRlZ3JhdGlvbl8wMDAxOg==";  // test_sk_integration_0001:
  const std::string key = stack.new_session("order-scope-1", 49000);
  const json confirm = {{"paymentKey", key}, {"orderId", "order-scope-1"}, {"amount", 49000}};
  auto c = http_call(stack.sim_port(), "POST", "/v1/payments/confirm", confirm.dump(),
                     {{"Authorization", auth}, {"Idempotency-Key", "same-key-1"}});
  ASSERT_EQ(c.status, 200) << c.body;
  // The same key on the cancel path is another request, not a replay of the confirm.
  auto cancel = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel",
                          json{{"cancelReason", "test"}}.dump(),
                          {{"Authorization", auth}, {"Idempotency-Key", "same-key-1"}});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.json()["status"], "CANCELED");
  // The Payment object has Toss's fields.
  auto got =
      http_call(stack.sim_port(), "GET", "/v1/payments/" + key, "", {{"Authorization", auth}});
  json p = got.json();
  for (const char* field :
       {"version",  "paymentKey",  "type",        "orderId",       "orderName",      "mId",
        "currency", "method",      "totalAmount", "balanceAmount", "suppliedAmount", "vat",
        "status",   "requestedAt", "approvedAt",  "card",          "virtualAccount", "easyPay",
        "receipt",  "checkout",    "cancels",     "secret"}) {
    EXPECT_TRUE(p.contains(field)) << field;
  }
  EXPECT_EQ(p["approvedAt"].get<std::string>().substr(19), "+09:00");
  // TossPayments-Test-Code forces the error with a test key ...
  const std::string key2 = stack.new_session("order-scope-2", 49000);
  auto forced =
      http_call(stack.sim_port(), "POST", "/v1/payments/confirm",
                json{{"paymentKey", key2}, {"orderId", "order-scope-2"}, {"amount", 49000}}.dump(),
                {{"Authorization", auth}, {"TossPayments-Test-Code", "PROVIDER_ERROR"}});
  EXPECT_EQ(forced.status, 400);
  EXPECT_EQ(forced.json()["code"], "PROVIDER_ERROR");
}

TEST(SimulatorAsToss, TestCodesAreIgnoredForLiveKeys) {
  TempDir dir;
  auto env = test_env();
  env["TOSS_SECRET_KEY"] = "live_sk_simulated_0001";
  ChildProcess sim({"sim", "--listen", "127.0.0.1:0", "--auto-sessions"}, env);
  const int port = sim.wait_listening();
  ASSERT_GT(port, 0);
  auto r = http_call(
      port, "POST", "/v1/payments/confirm",
      json{{"paymentKey", "live-key-1"}, {"orderId", "order-live-1"}, {"amount", 1000}}.dump(),
      {{"Authorization", "Basic bGl2ZV9za19zaW11bGF0ZWRfMDAwMTo="},
       {"TossPayments-Test-Code", "REJECT_CARD_PAYMENT"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "DONE");
}

}  // namespace
}  // namespace payedge::testing

namespace payedge::testing {
namespace {

// /metrics counts Toss's answers by the class table of toss/toss_errors.h: a PROVIDER_ERROR
// comes with HTTP 400 and is still transient; a 403 card refusal is the buyer's; a 401 key
// problem is ours.
TEST(TossAnswers, MetricsCountAnswersByTheClassTable) {
  Stack stack;
  struct Case {
    const char* order;
    const char* code;
  };
  for (const Case& c :
       {Case{"order-cls-1", "PROVIDER_ERROR"}, Case{"order-cls-2", "REJECT_CARD_PAYMENT"},
        Case{"order-cls-3", "UNAUTHORIZED_KEY"}}) {
    const std::string key = stack.new_session(c.order, 49000);
    stack.set_faults({{"error_rate", 1}, {"error_code", c.code}});
    stack.confirm(body_for(key, c.order, 49000, "course-sql"), std::string("buyer-") + c.order);
  }
  stack.set_faults(json::object());
  const std::string key = stack.new_session("order-cls-4", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-cls-4", 49000, "course-sql"), "buyer-ok").status,
            200);
  auto m = http_call(stack.api_port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  for (const char* cls : {"transient", "buyer", "merchant", "ok"}) {
    EXPECT_NE(m.body.find(std::string("payedge_toss_answers_total{class=\"") + cls + "\"} 1\n"),
              std::string::npos)
        << cls << "\n"
        << m.body;
  }
}

}  // namespace
}  // namespace payedge::testing
