// The periodic reconciler of `serve` against the real simulator: one open attempt whose Toss
// answer is mistyped (status a number, totalAmount a string) is logged as unresolved and does
// not stop the loop — the next open attempt is settled in the same run, and the first one once
// Toss answers properly (issue 10: detached loops never die silently).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

TEST(PeriodicReconciler, SurvivesAMistypedTossBodyAndSettlesTheNextPayment) {
  // One try per confirm; the reconciler runs every second on every open attempt.
  Stack stack({.config_toml = "[toss]\nmax_attempts = 1\n[idempotency]\nreconcile_interval_s = "
                              "1\nreconcile_older_than_s = 0\n"});
  // Toss approves the payments but the answers are lost, and so are the re-fetches. (A cut
  // connection may be retried under the same key and answered by Toss's replay: then that
  // payment is simply paid, and the next order is tried, until two attempts are left open.)
  stack.set_faults({{"approve_then_fail_rate", 1.0}, {"get_error_rate", 1.0}});
  std::vector<std::string> open;
  for (int i = 0; i < 20 && open.size() < 2; ++i) {
    const std::string order = "order-rec-" + std::to_string(i);
    const std::string key = stack.new_session(order, 49000);
    auto r = stack.confirm(body_for(key, order, 49000, "course-sql"), "user-" + std::to_string(i));
    if (r.status == 502) open.push_back(key);
  }
  ASSERT_EQ(open.size(), 2u);
  const std::string bad = open[0], good = open[1];
  const long long paid_before = stack.db().count("payments");

  // Toss answers again, but its record of `bad` comes back with the wrong types.
  // (One call: between two, a round could fetch `bad` properly.)
  stack.set_faults({{"approve_then_fail_rate", 0.0},
                    {"get_error_rate", 0.0},
                    {"get_mistyped_keys", json::array({bad})}});
  auto has_payment = [&](const std::string& key) {
    return stack.db().count("payments", "provider_tx_id = '" + key + "'") == 1;
  };
  auto mistyped_lines = [&] {
    int n = 0;
    for (const json& l : read_json_lines(stack.log_path())) {
      // An unreadable 200 is no verdict: unresolved, with the reader's complaint as toss_code.
      if (l["fn"] == "reconciler" && l["error_detail"] == "action=unresolved" &&
          l["toss_code"].is_string() &&
          l["toss_code"].get<std::string>().starts_with("toss payment:"))
        ++n;
    }
    return n;
  };
  ASSERT_TRUE(eventually([&] { return has_payment(good) && mistyped_lines() >= 2; }))
      << "good settled: " << has_payment(good) << ", unresolved lines: " << mistyped_lines();
  EXPECT_GT(stack.sim_stats()["faults_by_kind"].value("get_mistyped", 0), 0);
  EXPECT_FALSE(has_payment(bad));  // never settled on a body that could not be read
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + bad + "'"),
      "IN_PROGRESS");
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), paid_before + 1);
  // The service is still up, and the loop still runs: once Toss answers properly, `bad` settles.
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/healthz").status, 200);
  stack.set_faults(json::object());
  ASSERT_TRUE(eventually([&] { return has_payment(bad); }));
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), paid_before + 2);
  EXPECT_EQ(stack.ops({"verify", "--format", "json"}).exit_code, 0);
}

}  // namespace
}  // namespace payedge::testing
