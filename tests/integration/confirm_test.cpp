// End to end: the real `payedge serve` and `payedge sim` processes over loopback, the real
// SQLite file. Each test starts its own stack on free ports.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.h"
#include "obs/mask.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

class ConfirmTest : public ::testing::Test {
 protected:
  Stack stack;

  long long payments() { return stack.db().count("payments"); }
  long long enrollments() { return stack.db().count("enrollments"); }
  std::string redemptions(const std::string& code) {
    return stack.db().scalar("SELECT redemptions FROM coupons WHERE code = '" + code + "'");
  }
  json last_log() {
    auto lines = read_json_lines(stack.log_path());
    return lines.empty() ? json() : lines.back();
  }
};

TEST_F(ConfirmTest, HappyPathWritesPaymentAndEnrollment) {
  const std::string key = stack.new_session("order-happy-1", 79000);
  auto r = stack.confirm(body_for(key, "order-happy-1", 79000, "course-cpp"), "user-1",
                         {{"X-Request-Id", "trace-abc-123"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json b = r.json();
  EXPECT_EQ(b["ok"], true);
  EXPECT_EQ(b["requestId"], "trace-abc-123");
  EXPECT_EQ(r.headers["x-request-id"], "trace-abc-123");
  EXPECT_EQ(b["replayed"], false);
  EXPECT_EQ(b["payment"]["paymentKey"], key);
  EXPECT_EQ(b["payment"]["orderId"], "order-happy-1");
  EXPECT_EQ(b["payment"]["amount"], 79000);
  EXPECT_EQ(b["payment"]["status"], "DONE");
  EXPECT_FALSE(b["payment"]["approvedAt"].get<std::string>().empty());
  EXPECT_EQ(b["payment"]["method"], "카드");
  EXPECT_EQ(b["enrollment"]["courseId"], "course-cpp");
  EXPECT_EQ(b["enrollment"]["status"], "ACTIVE");

  auto row = stack.db().rows(
      "SELECT order_id, user_id, course_id, amount, status, source FROM payments WHERE "
      "provider_tx_id = '" +
      key + "'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0], (std::vector<std::string>{"order-happy-1", "user-1", "course-cpp", "79000",
                                              "DONE", "confirm"}));
  EXPECT_EQ(
      stack.db().scalar(
          "SELECT status FROM enrollments WHERE user_id = 'user-1' AND course_id = 'course-cpp'"),
      "ACTIVE");
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + key + "'"),
      "DONE");
  EXPECT_EQ(stack.sim_stats()["confirms_by_payment_key"][key], 1);

  json log = last_log();
  EXPECT_EQ(log["fn"], "confirm-payment");
  EXPECT_EQ(log["status"], "success");
  EXPECT_TRUE(log["error_code"].is_null());
  EXPECT_EQ(log["request_id"], "trace-abc-123");
  EXPECT_EQ(log["http_status"], 200);
  EXPECT_EQ(log["user_id"], "user-1");
  EXPECT_EQ(log["course_id"], "course-cpp");
  EXPECT_EQ(log["order_id"], "order-happy-1");
  EXPECT_EQ(log["amount"], 79000);
  EXPECT_EQ(log["expected_amount"], 79000);
  EXPECT_EQ(log["toss_http_status"], 200);
  EXPECT_TRUE(log["latency_ms"].is_number_integer());
  EXPECT_TRUE(log["toss_latency_ms"].is_number_integer());
  const std::string masked = log["payment_key"];
  EXPECT_NE(masked, key);
  EXPECT_EQ(masked.substr(0, 4), key.substr(0, 4));
  EXPECT_EQ(masked.substr(masked.size() - 4), key.substr(key.size() - 4));
  EXPECT_EQ(masked.size(), key.size());
}

TEST_F(ConfirmTest, ReplayReturnsStoredResultWithoutCallingTossAgain) {
  const std::string key = stack.new_session("order-replay-1", 44000);
  const json body = body_for(key, "order-replay-1", 44000, "course-sql", "SQL5000");
  auto first = stack.confirm(body);
  ASSERT_EQ(first.status, 200) << first.body;
  auto second = stack.confirm(body);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json()["replayed"], true);
  EXPECT_EQ(second.json()["payment"], first.json()["payment"]);
  EXPECT_NE(second.json()["requestId"], first.json()["requestId"]);
  json stats = stack.sim_stats();
  EXPECT_EQ(stats["confirms_by_payment_key"][key], 1);
  EXPECT_EQ(stats["confirm_calls"], 1);
  EXPECT_EQ(payments(), 1);
  EXPECT_EQ(enrollments(), 1);
  EXPECT_EQ(redemptions("SQL5000"), "1");  // the replay did not redeem the coupon again
  EXPECT_EQ(last_log()["replayed"], true);
}

TEST_F(ConfirmTest, SamePaymentKeyWithOtherAmountIsAConflict) {
  const std::string key = stack.new_session("order-conflict-1", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-conflict-1", 49000, "course-sql")).status, 200);
  auto r = stack.confirm(body_for(key, "order-conflict-1", 48000, "course-sql"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json()["error"]["code"], "E_IDEMPOTENCY_CONFLICT");
  EXPECT_EQ(r.json()["error"]["retryable"], false);
  auto other_user = stack.confirm(body_for(key, "order-conflict-1", 49000, "course-sql"), "user-2");
  EXPECT_EQ(other_user.status, 409);
  EXPECT_EQ(other_user.json()["error"]["code"], "E_IDEMPOTENCY_CONFLICT");
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 1);
  EXPECT_EQ(payments(), 1);
}

TEST_F(ConfirmTest, CouponIsRedeemedOnSuccessAndExhaustedAfterwards) {
  const std::string k1 = stack.new_session("order-once-1", 48000);
  ASSERT_EQ(
      stack.confirm(body_for(k1, "order-once-1", 48000, "course-sql", "ONCE"), "user-1").status,
      200);
  EXPECT_EQ(redemptions("ONCE"), "1");
  const std::string k2 = stack.new_session("order-once-2", 48000);
  auto r = stack.confirm(body_for(k2, "order-once-2", 48000, "course-sql", "ONCE"), "user-2");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "E_COUPON_INVALID");
  EXPECT_EQ(redemptions("ONCE"), "1");
  EXPECT_EQ(payments(), 1);
}

TEST_F(ConfirmTest, PercentCouponWithCap) {
  // 10% of 79,000 = 7,900 (below the 10,000 cap) → 71,100.
  const std::string key = stack.new_session("order-pct-1", 71100);
  auto r = stack.confirm(body_for(key, "order-pct-1", 71100, "course-cpp", "WELCOME10"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack.db().scalar("SELECT coupon_code FROM payments"), "WELCOME10");
}

struct ErrorCase {
  std::string name;
  int status;
  std::string code;
};

TEST_F(ConfirmTest, EachConfirmErrorLeavesNothingWritten) {
  auto expect_error = [&](const HttpReply& r, int status, const std::string& code,
                          const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    json b = r.json();
    EXPECT_EQ(b["ok"], false) << what;
    EXPECT_EQ(b["error"]["code"], code) << what;
    EXPECT_TRUE(b["error"]["message"].is_string()) << what;
    EXPECT_TRUE(b["error"]["retryable"].is_boolean()) << what;
    EXPECT_TRUE(b["requestId"].is_string()) << what;
    EXPECT_EQ(payments(), 0) << what;
    EXPECT_EQ(enrollments(), 0) << what;
    json log = last_log();
    EXPECT_EQ(log["status"], "error") << what;
    EXPECT_EQ(log["error_code"], code) << what;
    EXPECT_EQ(log["http_status"], status) << what;
  };
  const int port = stack.api_port();
  const std::string path = "/functions/v1/confirm-payment";
  const std::string key = stack.new_session("order-err-0001", 49000);
  const std::string valid = body_for(key, "order-err-0001", 49000, "course-sql").dump();

  expect_error(http_call(port, "POST", path, valid), 401, "E_UNAUTHORIZED", "no token");
  expect_error(http_call(port, "POST", path, valid, {{"Authorization", "Bearer not.a.jwt"}}), 401,
               "E_UNAUTHORIZED", "garbage token");
  expect_error(http_call(port, "POST", path, valid,
                         {{"Authorization", "Bearer " + token_for("user-1", -120)}}),
               401, "E_UNAUTHORIZED", "expired token");
  expect_error(http_call(port, "POST", path, "{not json",
                         {{"Authorization", "Bearer " + token_for("user-1")}}),
               400, "E_INVALID_REQUEST", "bad json");
  expect_error(stack.confirm(body_for(key, "bad order id!", 49000, "course-sql")), 400,
               "E_INVALID_REQUEST", "bad orderId");
  expect_error(stack.confirm(body_for(key, "order-err-0001", -5, "course-sql")), 400,
               "E_INVALID_REQUEST", "negative amount");
  expect_error(http_call(port, "POST", path, std::string(20 * 1024, ' ') + valid,
                         {{"Authorization", "Bearer " + token_for("user-1")}}),
               413, "E_PAYLOAD_TOO_LARGE", "too large");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 49000, "course-nope")), 404,
               "E_COURSE_NOT_FOUND", "unknown course");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 39000, "course-old")), 409,
               "E_COURSE_INACTIVE", "inactive course");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 39200, "course-sql", "SUMMER2026")),
               400, "E_COUPON_INVALID", "expired coupon");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 44000, "course-sql", "NOPE")), 400,
               "E_COUPON_INVALID", "unknown coupon");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 44000, "course-cpp", "SQL5000")), 400,
               "E_COUPON_INVALID", "coupon for another course");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 48000, "course-sql")), 400,
               "E_AMOUNT_MISMATCH", "mismatch");
  EXPECT_EQ(last_log()["expected_amount"], 49000);
  expect_error(stack.confirm(body_for(key, "order-err-0001", 99000, "course-ml")), 400,
               "E_AMOUNT_MISMATCH", "ended sale price");

  stack.db().exec("UPDATE flags SET value = 'off' WHERE name = 'payments_enabled'");
  expect_error(stack.confirm(body_for(key, "order-err-0001", 49000, "course-sql")), 503,
               "E_PAYMENTS_DISABLED", "kill switch");
  stack.db().exec("UPDATE flags SET value = 'on' WHERE name = 'payments_enabled'");

  // No payment session at Toss for this key: Toss answers 404 NOT_FOUND_PAYMENT_SESSION.
  auto rejected =
      stack.confirm(body_for("no-such-session-key", "order-err-0002", 49000, "course-sql"));
  expect_error(rejected, 402, "E_TOSS_REJECTED", "toss 4xx");
  EXPECT_EQ(rejected.json()["error"]["tossCode"], "NOT_FOUND_PAYMENT_SESSION");
  EXPECT_EQ(last_log()["toss_http_status"], 404);
  EXPECT_EQ(last_log()["toss_code"], "NOT_FOUND_PAYMENT_SESSION");

  // Toss 5xx on every try: retryable TOSS_API_ERROR, attempt left open for the reconciler.
  stack.set_faults({{"error_rate", 1.0}, {"error_status", 500}});
  auto down = stack.confirm(body_for(key, "order-err-0001", 49000, "course-sql"));
  expect_error(down, 502, "TOSS_API_ERROR", "toss 5xx");
  EXPECT_EQ(down.json()["error"]["retryable"], true);
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + key + "'"),
      "IN_PROGRESS");
  EXPECT_GE(stack.sim_stats()["faults_injected"].get<int>(), 2);  // it retried

  // Toss recovers: the client's retry re-drives the same attempt and succeeds once.
  stack.set_faults(json::object());
  auto retry = stack.confirm(body_for(key, "order-err-0001", 49000, "course-sql"));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(payments(), 1);
  EXPECT_EQ(stack.sim_stats()["approvals_by_payment_key"][key], 1);

  // Same user, same course, new payment: already enrolled, and Toss is not called.
  const std::string key2 = stack.new_session("order-err-0003", 49000);
  const auto calls_before = stack.sim_stats()["confirm_calls"].get<int>();
  auto again = stack.confirm(body_for(key2, "order-err-0003", 49000, "course-sql"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json()["error"]["code"], "E_ALREADY_ENROLLED");
  EXPECT_EQ(stack.sim_stats()["confirm_calls"].get<int>(), calls_before);
  EXPECT_EQ(payments(), 1);
}

TEST_F(ConfirmTest, RejectedPaymentReleasesCouponAndReplaysTheRejection) {
  auto r =
      stack.confirm(body_for("missing-session-1", "order-rej-1", 44000, "course-sql", "SQL5000"));
  ASSERT_EQ(r.status, 402) << r.body;
  EXPECT_EQ(redemptions("SQL5000"), "0");
  auto again =
      stack.confirm(body_for("missing-session-1", "order-rej-1", 44000, "course-sql", "SQL5000"));
  EXPECT_EQ(again.status, 402);
  EXPECT_EQ(again.json()["error"]["tossCode"], "NOT_FOUND_PAYMENT_SESSION");
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 1);
}

TEST_F(ConfirmTest, MessagesAreKoreanByDefaultAndEnglishOnRequest) {
  auto ko = stack.confirm(body_for("k-lang-12345", "order-lang-1", 1, "course-nope"));
  auto en = stack.confirm(body_for("k-lang-12345", "order-lang-1", 1, "course-nope"), "user-1",
                          {{"Accept-Language", "en-US,en;q=0.9"}});
  EXPECT_EQ(ko.json()["error"]["message"], "강의를 찾을 수 없습니다");
  EXPECT_EQ(en.json()["error"]["message"], "Course not found");
}

TEST_F(ConfirmTest, RequestIdIsGeneratedWhenAbsent) {
  auto r = stack.confirm(body_for("k-rid-12345", "order-rid-1", 1, "course-nope"));
  const std::string id = r.json()["requestId"];
  EXPECT_GE(id.size(), 16u);
  EXPECT_EQ(r.headers["x-request-id"], id);
  EXPECT_EQ(last_log()["request_id"], id);
}

TEST_F(ConfirmTest, LogNeverContainsTokensOrSecrets) {
  const std::string token = token_for("user-1");
  const std::string key = stack.new_session("order-secret-1", 49000);
  auto reply = http_call(stack.api_port(), "POST", "/functions/v1/confirm-payment",
                         body_for(key, "order-secret-1", 49000, "course-sql").dump(),
                         {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(reply.status, 200) << reply.body;  // the key and the token did reach the logger
  std::ifstream in(stack.log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  // The confirm's own line is there, with the key in its masked form.
  ASSERT_NE(log.find("\"order_id\":\"order-secret-1\""), std::string::npos) << log;
  ASSERT_NE(log.find(mask_payment_key(key)), std::string::npos) << log;
  EXPECT_EQ(log.find(token), std::string::npos);
  EXPECT_EQ(log.find(kTossSecret), std::string::npos);
  EXPECT_EQ(log.find(kJwtSecret), std::string::npos);
  EXPECT_EQ(log.find(key), std::string::npos);  // the paymentKey is masked
}

TEST_F(ConfirmTest, PaymentStatusFollowsTheKillSwitch) {
  auto on = http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json();
  EXPECT_EQ(on["paymentsEnabled"], true);
  EXPECT_TRUE(on["banner"].is_null());
  stack.db().exec("UPDATE flags SET value = 'off' WHERE name = 'payments_enabled'");
  auto off = http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json();
  EXPECT_EQ(off["paymentsEnabled"], false);
  EXPECT_TRUE(off["banner"].is_string());
}

TEST_F(ConfirmTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/readyz").status, 200);
  stack.confirm(body_for("k-metrics-1", "order-metrics-1", 1, "course-nope"));
  auto metrics = http_call(stack.api_port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("payedge_requests_total{fn=\"confirm-payment\",status=\"error\","
                              "error_code=\"E_COURSE_NOT_FOUND\"} 1"),
            std::string::npos)
      << metrics.body;
}

TEST_F(ConfirmTest, StoredResultSurvivesARestart) {
  const std::string key = stack.new_session("order-restart-1", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-restart-1", 49000, "course-sql")).status, 200);
  stack.restart_service();
  auto r = stack.confirm(body_for(key, "order-restart-1", 49000, "course-sql"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["replayed"], true);
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 1);
}

}  // namespace
}  // namespace payedge::testing

namespace payedge::testing {
namespace {

TEST(Metrics, PassPromtoolCheckMetrics) {
  Stack stack;
  stack.confirm(body_for("k-prom-1", "order-prom-1", 1, "course-nope"));
  const std::string key = stack.new_session("order-prom-2", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-prom-2", 49000, "course-sql")).status, 200);
  auto metrics = http_call(stack.api_port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
      << "promtool missing: scripts/install-deps.sh installs it";
  std::ofstream(stack.dir().file("metrics.txt")) << metrics.body;
  auto check = std::system(("promtool check metrics < " + stack.dir().file("metrics.txt") + " > " +
                            stack.dir().file("promtool.out") + " 2>&1")
                               .c_str());
  std::ifstream out(stack.dir().file("promtool.out"));
  std::stringstream ss;
  ss << out.rdbuf();
  EXPECT_EQ(check, 0) << ss.str();
}

}  // namespace
}  // namespace payedge::testing
