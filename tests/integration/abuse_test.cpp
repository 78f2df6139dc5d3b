// Issue 14, through the real binary: one account cannot stop the shop. A tamperer's wrong
// amounts (one JWT, default config) switch nothing off and fire `amount_mismatch_single_user`
// naming the account; a price bug seen by many buyers still switches its course off; an
// operator's "back on" not being undone by old mismatches is tests/alert/live_test.cpp's;
// confirms are rate-limited per user as well as per address.
#include <gtest/gtest.h>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

// The default [server] and [alerts] settings (the harness turns rate limits off otherwise).
constexpr const char* kDefaults = "[server]\n";

TEST(Abuse, OneAccountSendingWrongAmountsSwitchesNothingOff) {
  Stack stack({.config_toml = kDefaults});
  // The probe of issue 14: one JWT, amount 1, two courses, ten confirms (under the rate limit).
  for (int i = 0; i < 10; ++i) {
    const std::string order = "order-tamper-" + std::to_string(i);
    const std::string key = stack.new_session(order, 1);
    auto r =
        stack.confirm(body_for(key, order, 1, i % 2 ? "course-sql" : "course-cpp"), "attacker-1");
    ASSERT_EQ(r.json()["error"]["code"], "E_AMOUNT_MISMATCH") << r.body;
  }
  // What the exported Prometheus rule reads: one user, under mismatch_min_users.
  EXPECT_NE(http_call(stack.api_port(), "GET", "/metrics")
                .body.find("\npayedge_amount_mismatch_users 1\n"),
            std::string::npos);
  stack.restart_service();  // a graceful stop evaluates what the engine has queued
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(stack.db().count("courses", "active = 0"), 1);  // course-old, as seeded
  EXPECT_EQ(stack.db().count("audit_log", "actor = 'payedge-alert'"), 0);
  EXPECT_EQ(stack.db().count("alerts", "rule = 'amount_mismatch_ratio'"), 0);
  ASSERT_EQ(stack.db().count("alerts", "rule = 'amount_mismatch_single_user' AND state = 'firing'"),
            1);
  const auto labels = json::parse(
      stack.db().scalar("SELECT labels FROM alerts WHERE rule = 'amount_mismatch_single_user'"));
  EXPECT_EQ(labels["user_ids"], "attacker-1 (10)");
  // Honest buyers still buy.
  const std::string key = stack.new_session("order-honest-1", 49000);
  EXPECT_EQ(stack.confirm(body_for(key, "order-honest-1", 49000, "course-sql"), "buyer").status,
            200);
}

TEST(Abuse, ManyBuyersMismatchingOnOneCourseSwitchOffThatCourse) {
  Stack stack({.config_toml = kDefaults});
  // A price bug: twelve buyers each pay the old price of course-sql. The engine runs beside
  // the requests: once it has switched the course off, the last few are told so instead.
  for (int u = 0; u < 12; ++u) {
    const std::string order = "order-bug-" + std::to_string(u);
    const std::string key = stack.new_session(order, 39000);
    const auto code =
        stack.confirm(body_for(key, order, 39000, "course-sql"), "buyer-" + std::to_string(u))
            .json()["error"]["code"];
    if (u < 10) {  // nothing can fire before the 10th
      ASSERT_EQ(code, "E_AMOUNT_MISMATCH");
    }
    if (u >= 10) {
      EXPECT_TRUE(code == "E_AMOUNT_MISMATCH" || code == "E_COURSE_INACTIVE") << code;
    }
  }
  // The gauge the exported rule compares with mismatch_min_users (5): 10 to 12 buyers.
  const std::string metrics = http_call(stack.api_port(), "GET", "/metrics").body;
  const auto at = metrics.find("\npayedge_amount_mismatch_users ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoi(metrics.substr(at + 31)), 10) << metrics.substr(at, 40);
  stack.restart_service();
  EXPECT_EQ(stack.db().scalar("SELECT active FROM courses WHERE id = 'course-sql'"), "0");
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(stack.db().count("audit_log", "actor = 'payedge-alert'"), 1);
  EXPECT_EQ(stack.db().count("alerts", "rule = 'amount_mismatch_single_user'"), 0);
}

// Rate limits for confirms are per user as well as per address: one account spread over many
// addresses still gets 429 after its burst.
TEST(Abuse, ConfirmRateLimitIsPerUserAcrossAddresses) {
  Stack stack({.config_toml = "[server]\ntrusted_proxies = [\"127.0.0.0/8\"]\n"
                              "confirm_rate_per_s = 0.01\nconfirm_burst = 3\n"});
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string order = "order-rl-" + std::to_string(i);
    auto r = stack.confirm(body_for("pk-rl-" + std::to_string(i), order, 1, "course-sql"),
                           "spreader", {{"X-Forwarded-For", "203.0.113." + std::to_string(i)}});
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.json()["error"]["code"], "E_RATE_LIMITED");
      EXPECT_FALSE(r.headers["retry-after"].empty());
    }
  }
  EXPECT_EQ(limited, 2);  // a burst of 3, then refused although every address is new
  // Another user from yet another address is not affected.
  auto other = stack.confirm(body_for("pk-rl-x", "order-rl-x", 1, "course-sql"), "someone-else",
                             {{"X-Forwarded-For", "203.0.113.99"}});
  EXPECT_NE(other.status, 429);
}

}  // namespace
}  // namespace payedge::testing

namespace payedge::testing {
namespace {

// What a client smuggles into each field of a confirm, and what the log must keep of it.
struct Smuggled {
  const char* field;     // the log field it lands in
  std::string sent;      // what the client sends
  std::string expected;  // what the log line holds
};

TEST(LiveLogMasking, NothingAClientSendsIsStoredInClear) {
  Stack stack;
  const std::string jwt = token_for("victim");
  const std::vector<Smuggled> cases = {
      {"ua", "Mozilla kim@example.com", "Mozilla k***@example.com"},
      {"ua", "curl " + jwt, "curl [REDACTED]"},
      {"ua", kAdminToken, "[REDACTED]"},
      {"ua", "x " + kWebhookSecret, "x [REDACTED]"},
      {"ua", "tel 010-1234-5678 2층", "tel 010-****-5678 2층"},
      {"user_id", "lee@example.com", "l***@example.com"},
      {"course_id", "010-1234-5678", "010-****-5678"},
      {"coupon_code", "4111 1111 1111 1111", "**** **** **** 1111"},
      {"request_id", "park@example.com", "p***@example.com"},
      {"order_id", "01012345678", "010****5678"},
      {"payment_key", "4111111111111111", "************1111"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const std::string field = c.field;
    nlohmann::json body = body_for("pk-mask-" + std::to_string(i),
                                   "order-mask-" + std::to_string(i), 49000, "course-sql");
    std::map<std::string, std::string> headers = {{"User-Agent", "test-agent"}};
    std::string user = "user-mask";
    if (field == "ua") headers["User-Agent"] = c.sent;
    if (field == "user_id") user = c.sent;
    if (field == "course_id") body["courseId"] = c.sent;
    if (field == "coupon_code") body["couponCode"] = c.sent;
    if (field == "request_id") headers["X-Request-Id"] = c.sent;
    if (field == "order_id") body["orderId"] = c.sent;
    if (field == "payment_key") body["paymentKey"] = c.sent;
    stack.confirm(body, user, headers);
  }
  stack.stop_services();
  const auto lines = read_json_lines(stack.log_path());
  ASSERT_EQ(lines.size(), cases.size());
  std::string all;
  for (const auto& l : lines) all += l.dump() + "\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE(std::string(c.field) + ": " + c.sent);
    EXPECT_EQ(lines[i][c.field], c.expected);
    EXPECT_EQ(all.find(c.sent), std::string::npos);  // nowhere in the log, in no field
  }
}

// The audit table masks payment keys as the log does; the forced-injection lookup still works.
TEST(LiveLogMasking, AuditTableMasksPaymentKeys) {
  Stack stack;
  auto r = stack.ops({"payment", "inject", "--payment-key", "outside-key-00001234", "--order",
                      "order-outside-77", "--user", "user-9", "--course", "course-cpp", "--amount",
                      "79000", "--force", "--reason", "paid by bank transfer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stack.db().count("audit_log", "target = 'outside-key-00001234'"), 0);
  EXPECT_EQ(stack.db().count("audit_log", "details LIKE '%outside-key-00001234%'"), 0);
  EXPECT_EQ(stack.db().count("audit_log", "target = 'outs************1234'"), 1);
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;  // still known as forced
}

}  // namespace
}  // namespace payedge::testing
