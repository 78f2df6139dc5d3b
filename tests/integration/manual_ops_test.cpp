// `ops enrollment cancel` and `ops payment inject` (runbook 5) through the real binary, against
// the simulator and a real store: what Toss holds, what the store holds, and the audit log.
#include <gtest/gtest.h>

#include "core/codec.h"
#include "harness.h"
#include "obs/mask.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

json toss_payment(Stack& stack, const std::string& key) {
  return http_call(stack.sim_port(), "GET", "/v1/payments/" + key, "", toss_basic_auth()).json();
}

std::string payment_status(Stack& stack, const std::string& key) {
  return stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'");
}

std::string enrollment_status(Stack& stack, const std::string& key) {
  return stack.db().scalar("SELECT status FROM enrollments WHERE payment_key = '" + key + "'");
}

void expect_cancel_works(Stack& stack) {
  const std::string key = stack.purchase("order-cancel-01");
  auto r = stack.ops({"enrollment", "cancel", "--order", "order-cancel-01", "--reason",
                      "wrong course", "--actor", "tester", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["outcome"], "canceled") << r.out;
  json at_toss = toss_payment(stack, key);
  EXPECT_EQ(at_toss["status"], "CANCELED");
  EXPECT_EQ(at_toss["cancels"][0]["cancelReason"], "wrong course");
  EXPECT_EQ(payment_status(stack, key), "CANCELED");
  EXPECT_EQ(enrollment_status(stack, key), "CANCELLED");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'enrollment.cancel' AND actor = 'tester' AND "
                             "reason = 'wrong course' AND target = '" +
                                 mask_payment_key(key) + "'"),
            1);
  // The audit table masks payment keys (SPEC 11): the key itself is nowhere in it.
  EXPECT_EQ(stack.db().count("audit_log", "target = '" + key + "' OR details LIKE '%" + key + "%'"),
            0);
  EXPECT_EQ(stack.ops({"verify"}).exit_code, 0);
  // Running it again changes nothing and says so.
  auto again = stack.ops(
      {"enrollment", "cancel", "--order", "order-cancel-01", "--reason", "x", "--format", "json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["outcome"], "nothing_to_do");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'enrollment.cancel'"), 1);
}

void expect_inject_works(Stack& stack) {
  const std::string key = stack.paid_at_toss_only("order-inject-01", 49000);
  auto r = stack.ops({"payment", "inject", "--payment-key", key, "--order", "order-inject-01",
                      "--user", "user-7", "--course", "course-sql", "--amount", "49000", "--reason",
                      "answer lost", "--actor", "tester"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto row = stack.db().rows(
      "SELECT source, status, method, approved_at, user_id FROM payments WHERE provider_tx_id = '" +
      key + "'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], "manual");
  EXPECT_EQ(row[0][1], "DONE");
  EXPECT_EQ(row[0][2], toss_payment(stack, key)["method"]);
  EXPECT_EQ(row[0][3], toss_payment(stack, key)["approvedAt"]);
  EXPECT_EQ(row[0][4], "user-7");
  EXPECT_EQ(enrollment_status(stack, key), "ACTIVE");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'payment.inject' AND actor = 'tester' AND "
                             "reason = 'answer lost' AND details LIKE '%\"force\":"
                             "false%' AND details LIKE '%\"DONE\"%'"),
            1);
  EXPECT_EQ(stack.ops({"verify"}).exit_code, 0);
}

TEST(EnrollmentCancel, CancelsAtTossThenPaymentAndEnrollmentTogether) {
  Stack stack;
  expect_cancel_works(stack);
}

TEST(EnrollmentCancel, WorksOnPostgres) {
  Stack stack({.postgres = true});
  expect_cancel_works(stack);
  expect_inject_works(stack);
}

TEST(EnrollmentCancel, TossRefusingOrUnreachableChangesNothing) {
  Stack stack;
  const std::string key = stack.purchase("order-refuse-01");
  for (int status : {403, 500}) {
    stack.set_faults({{"cancel_error_status", status}});
    auto r = stack.ops({"enrollment", "cancel", "--order", "order-refuse-01", "--reason", "r"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find(status == 403 ? "NOT_CANCELABLE_PAYMENT" : "HTTP 500"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("nothing changed"), std::string::npos) << r.err;
  }
  stack.set_faults(json::object());
  auto unreachable =
      run_payedge({"ops", "enrollment", "cancel", "--order", "order-refuse-01", "--reason", "r",
                   "--store", stack.store_url(), "--toss-url", "http://127.0.0.1:1"},
                  test_env());
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("TOSS_API_ERROR"), std::string::npos) << unreachable.err;
  EXPECT_EQ(toss_payment(stack, key)["status"], "DONE");
  EXPECT_EQ(payment_status(stack, key), "DONE");
  EXPECT_EQ(enrollment_status(stack, key), "ACTIVE");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'enrollment.cancel'"), 0);
}

TEST(EnrollmentCancel, DryRunChangesNothingAnywhere) {
  Stack stack;
  const std::string key = stack.purchase("order-dry-0001");
  auto r = stack.ops({"enrollment", "cancel", "--order", "order-dry-0001", "--reason", "r",
                      "--dry-run", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["outcome"], "would_cancel");
  EXPECT_EQ(j["details"]["toss"]["status"], "DONE");
  EXPECT_EQ(toss_payment(stack, key)["status"], "DONE");
  EXPECT_EQ(payment_status(stack, key), "DONE");
  EXPECT_EQ(enrollment_status(stack, key), "ACTIVE");
  EXPECT_EQ(stack.db().count("audit_log", "action = 'enrollment.cancel'"), 0);
}

TEST(EnrollmentCancel, HalfCancelledByOldSqlGetsItsEnrollmentCancelledAlone) {
  Stack stack;
  const std::string key = stack.purchase("order-half-0001");
  stack.db().exec("UPDATE payments SET status = 'CANCELED' WHERE provider_tx_id = '" + key + "'");
  auto r = stack.ops({"enrollment", "cancel", "--order", "order-half-0001", "--reason", "mend",
                      "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["outcome"], "enrollment_only");
  EXPECT_EQ(enrollment_status(stack, key), "CANCELLED");
  EXPECT_EQ(toss_payment(stack, key)["status"], "DONE");  // Toss was not called
  EXPECT_EQ(stack.db().count("audit_log", "action = 'enrollment.cancel' AND reason = 'mend'"), 1);
}

TEST(EnrollmentCancel, UnknownOrderAndMissingReason) {
  Stack stack;
  EXPECT_EQ(
      stack.ops({"enrollment", "cancel", "--order", "order-nope-01", "--reason", "r"}).exit_code,
      1);
  EXPECT_EQ(stack.ops({"enrollment", "cancel", "--order", "order-nope-01"}).exit_code, 2);
  EXPECT_EQ(stack
                .ops({"payment", "inject", "--payment-key", "k", "--order", "order-x-01", "--user",
                      "u", "--course", "course-sql", "--amount", "49000"})
                .exit_code,
            2);
}

TEST(PaymentInject, RecordsAPaymentTossHasDone) {
  Stack stack;
  expect_inject_works(stack);
}

TEST(PaymentInject, RefusesDuplicatesMismatchesAndEnrolledUsers) {
  Stack stack;
  const std::string bought = stack.purchase("order-bought-01");  // user-1, course-sql
  auto inject = [&](const std::string& key, const std::string& order, const std::string& user,
                    const std::string& amount) {
    return stack.ops({"payment", "inject", "--payment-key", key, "--order", order, "--user", user,
                      "--course", "course-sql", "--amount", amount, "--reason", "r"});
  };
  auto dup_key = inject(bought, "order-other-01", "user-2", "49000");
  EXPECT_EQ(dup_key.exit_code, 1);
  EXPECT_NE(dup_key.err.find("order-bought-01"), std::string::npos) << dup_key.err;

  const std::string other = stack.paid_at_toss_only("order-other-02", 49000);
  auto dup_order = inject(other, "order-bought-01", "user-2", "49000");
  EXPECT_EQ(dup_order.exit_code, 1);
  EXPECT_NE(dup_order.err.find(bought), std::string::npos) << dup_order.err;

  auto mismatch = inject(other, "order-other-02", "user-2", "39000");
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.err.find("E_AMOUNT_MISMATCH"), std::string::npos) << mismatch.err;
  EXPECT_NE(mismatch.err.find("totalAmount 49000"), std::string::npos) << mismatch.err;

  const std::string unpaid = stack.new_session("order-unpaid-01", 49000);
  auto not_done = inject(unpaid, "order-unpaid-01", "user-2", "49000");
  EXPECT_EQ(not_done.exit_code, 1);
  EXPECT_NE(not_done.err.find("not DONE"), std::string::npos) << not_done.err;

  auto enrolled = inject(other, "order-other-02", "user-1", "49000");
  EXPECT_EQ(enrolled.exit_code, 1);
  EXPECT_NE(enrolled.err.find("E_ALREADY_ENROLLED"), std::string::npos) << enrolled.err;

  auto unknown = inject("key-never-paid", "order-never-01", "user-2", "49000");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("NOT_FOUND_PAYMENT"), std::string::npos) << unknown.err;

  auto dry = stack.ops({"payment", "inject", "--payment-key", other, "--order", "order-other-02",
                        "--user", "user-2", "--course", "course-sql", "--amount", "49000",
                        "--reason", "r", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run"), std::string::npos);

  EXPECT_EQ(stack.db().count("payments"), 1);
  EXPECT_EQ(stack.db().count("enrollments"), 1);
  EXPECT_EQ(stack.db().count("audit_log", "action LIKE 'payment.inject%'"), 0);
}

TEST(PaymentInject, ForcedIsTheAllowedExceptionAndCancelsLocallyOnly) {
  Stack stack;
  auto plain = stack.ops({"payment", "inject", "--payment-key", "outside-0001", "--order",
                          "order-outside-01", "--user", "user-9", "--course", "course-cpp",
                          "--amount", "79000", "--reason", "paid by bank transfer"});
  EXPECT_EQ(plain.exit_code, 1);  // Toss has no such payment
  auto r =
      stack.ops({"payment", "inject", "--payment-key", "outside-0001", "--order",
                 "order-outside-01", "--user", "user-9", "--course", "course-cpp", "--amount",
                 "79000", "--force", "--reason", "paid by bank transfer", "--actor", "tester"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(payment_status(stack, "outside-0001"), "DONE");
  EXPECT_EQ(enrollment_status(stack, "outside-0001"), "ACTIVE");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'payment.inject.force' AND actor = 'tester' "
                             "AND details LIKE '%\"force\":true%'"),
            1);
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  json v = json::parse(verify.out);
  ASSERT_EQ(v["allowed"].size(), 1u) << verify.out;
  EXPECT_EQ(v["allowed"][0]["payment_key"], "outside-0001");

  auto cancel = stack.ops({"enrollment", "cancel", "--order", "order-outside-01", "--reason",
                           "refunded by bank", "--format", "json"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(json::parse(cancel.out)["outcome"], "local_only");
  EXPECT_EQ(payment_status(stack, "outside-0001"), "CANCELED");
  EXPECT_EQ(enrollment_status(stack, "outside-0001"), "CANCELLED");
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'enrollment.cancel' AND details LIKE "
                             "'%local_only%'"),
            1);
  EXPECT_EQ(stack.ops({"verify"}).exit_code, 0);
}

TEST(PaymentInject, RepairsAFailedButPaidAttemptForVerify) {
  Stack stack;
  const std::string key = stack.paid_at_toss_only("order-fbp-0001", 49000);
  // Our attempt ended FAILED although Toss took the money (as an old bug or a lost race left it).
  stack.db().exec(
      "INSERT INTO confirm_attempts (payment_key, order_id, user_id, course_id, amount, "
      "fingerprint, idempotency_key, state, lease_until, created_at, updated_at, expires_at) "
      "VALUES ('" +
      key +
      "', 'order-fbp-0001', 'user-3', 'course-sql', 49000, 'fp', 'idem', 'FAILED', "
      "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', "
      "'2026-01-16T00:00:00.000Z')");
  auto before = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(before.exit_code, 1);
  EXPECT_EQ(json::parse(before.out)["violations"][0]["kind"], "failed_but_paid") << before.out;
  auto r = stack.ops({"payment", "inject", "--payment-key", key, "--order", "order-fbp-0001",
                      "--user", "user-3", "--course", "course-sql", "--amount", "49000", "--reason",
                      "failed_but_paid"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto after = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

TEST(PaymentInject, RefusesWhileAConfirmAttemptIsOpen) {
  Stack stack({.config_toml = "[toss]\nmax_attempts = 1\nattempt_timeout_ms = 400\ndeadline_ms = "
                              "1000\n[idempotency]\nreconcile_interval_s = 0\n"});
  stack.set_faults({{"approve_then_fail_rate", 1.0}, {"get_error_rate", 1.0}});
  const std::string key = stack.new_session("order-open-0001", 49000);
  EXPECT_EQ(stack.confirm(body_for(key, "order-open-0001", 49000, "course-sql")).status, 502);
  stack.set_faults(json::object());
  auto r =
      stack.ops({"payment", "inject", "--payment-key", key, "--order", "order-open-0001", "--user",
                 "user-1", "--course", "course-sql", "--amount", "49000", "--reason", "r"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ops reconcile"), std::string::npos) << r.err;
  EXPECT_EQ(stack.db().count("payments"), 0);
}

}  // namespace
}  // namespace payedge::testing
