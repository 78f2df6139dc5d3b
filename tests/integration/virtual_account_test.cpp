// Virtual accounts (가상계좌) at confirm, through the real binaries: Toss answers
// WAITING_FOR_DEPOSIT, payedge records the payment waiting with its account and deposit secret
// and a PENDING enrollment, answers the account to the buyer, replays the same, and refuses a
// second purchase of the course while the deposit is awaited. Also `serve`'s key modes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

std::string va_session(Stack& stack, const std::string& order, long long amount) {
  auto r =
      http_call(stack.sim_port(), "POST", "/__sim/sessions",
                json{{"orderId", order}, {"amount", amount}, {"method", "VIRTUAL_ACCOUNT"}}.dump());
  if (r.status != 200) throw std::runtime_error("session: " + r.body);
  return r.json()["paymentKey"];
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(VirtualAccount, ConfirmRecordsAWaitingPaymentAndAPendingEnrollment) {
  Stack stack;
  const std::string key = va_session(stack, "order-va-1", 44000);
  const json body = body_for(key, "order-va-1", 44000, "course-sql", "SQL5000");
  auto r = stack.confirm(body);
  ASSERT_EQ(r.status, 200) << r.body;
  json b = r.json();
  EXPECT_EQ(b["payment"]["status"], "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(b["payment"]["method"], "가상계좌");
  EXPECT_EQ(b["enrollment"]["status"], "PENDING");
  const json va = b["payment"]["virtualAccount"];
  ASSERT_TRUE(va.is_object()) << r.body;
  EXPECT_EQ(va["bankCode"], "88");
  const std::string account = va["accountNumber"];
  EXPECT_EQ(account.size(), 14u);
  EXPECT_EQ(account[0], 'X');  // a test account, as Toss issues them
  EXPECT_EQ(va["customerName"], "김토스");
  EXPECT_EQ(va["dueDate"].get<std::string>().substr(19), "+09:00");
  EXPECT_EQ(r.body.find("secret"), std::string::npos);

  // Toss's deposit secret is stored with the payment, the account number masked.
  const json toss = http_call(stack.sim_port(), "GET", "/v1/payments/" + key, "",
                              {{"Authorization", "Basic dGVzdF9za19pbnRlZ3JhdGlvbl8wMDAxOg=="}})
                        .json();
  const std::string secret = toss["secret"];
  ASSERT_FALSE(secret.empty());
  auto row = stack.db().rows(
      "SELECT status, va_bank_code, va_account_number, va_customer_name, va_due_date, va_secret "
      "FROM payments WHERE provider_tx_id = '" +
      key + "'");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(row[0][1], "88");
  EXPECT_EQ(row[0][2], account.substr(0, 4) + "********" + account.substr(12));
  EXPECT_EQ(row[0][3], "김토스");
  EXPECT_EQ(row[0][4], va["dueDate"]);
  EXPECT_EQ(row[0][5], secret);
  EXPECT_EQ(stack.db().scalar("SELECT status FROM enrollments WHERE payment_key = '" + key + "'"),
            "PENDING");
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'SQL5000'"), "1");

  // A replay answers the same until the deposit, without asking Toss again.
  auto replay = stack.confirm(body);
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json()["replayed"], true);
  EXPECT_EQ(replay.json()["payment"], b["payment"]);
  EXPECT_EQ(replay.json()["enrollment"]["status"], "PENDING");
  EXPECT_EQ(stack.sim_stats()["confirms_by_payment_key"][key], 1);

  // A second purchase of the course while the deposit is awaited is refused, Toss untouched.
  const std::string key2 = va_session(stack, "order-va-2", 49000);
  auto second = stack.confirm(body_for(key2, "order-va-2", 49000, "course-sql"), "user-1",
                              {{"Accept-Language", "en"}});
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.json()["error"]["code"], "E_ALREADY_ENROLLED");
  EXPECT_NE(second.json()["error"]["message"].get<std::string>().find("deposit is awaited"),
            std::string::npos);
  EXPECT_FALSE(stack.sim_stats()["confirms_by_payment_key"].contains(key2));
  // Another buyer of the same course is not affected.
  const std::string key3 = va_session(stack, "order-va-3", 49000);
  EXPECT_EQ(stack.confirm(body_for(key3, "order-va-3", 49000, "course-sql"), "user-2").status, 200);

  // Neither the secret nor the full account number reaches the log.
  const std::string log = slurp(stack.log_path());
  EXPECT_EQ(log.find(secret), std::string::npos);
  EXPECT_EQ(log.find(account), std::string::npos);
  EXPECT_EQ(stack.ops({"verify", "--format", "json"}).exit_code, 0);

  // The confirm succeeded (the money comes later): its line is a success that says so, and the
  // SLO report counts it as a good confirm and, apart, as a pending deposit (not the replay).
  int pending_lines = 0;
  for (const json& l : read_json_lines(stack.log_path())) {
    if (l["fn"] == "confirm-payment" && l["error_detail"] == "pending_deposit") {
      ++pending_lines;
      EXPECT_EQ(l["status"], "success") << l.dump();
    }
  }
  EXPECT_EQ(pending_lines, 3);  // the first, its replay, the other buyer's
  auto slo = run_payedge({"slo", "report", "--format", "json", stack.log_path()});
  ASSERT_EQ(slo.exit_code, 0) << slo.err;
  const json report = json::parse(slo.out);
  EXPECT_EQ(report["success_rate"]["pending_deposits"], 2) << slo.out;
  EXPECT_EQ(report["success_rate"]["failed"], 0) << slo.out;
  // Two orders: the first (its replay is the same order, counted once by order_id) and the
  // other buyer's; the refused purchase is excluded.
  EXPECT_EQ(report["success_rate"]["good"], 2) << slo.out;
  auto top = run_payedge({"logs", "top", "--by", "error_detail", "--fn", "confirm-payment",
                          "--format", "json", stack.log_path()});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("pending_deposit"), std::string::npos) << top.out;
}

TEST(TossKeys, ServeSaysTheModeAndProductionRefusesATestKey) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("keys.db");
  {
    ChildProcess serve(
        {"serve", "--listen", "127.0.0.1:0", "--store", store, "--toss-url", "http://127.0.0.1:9"},
        test_env());
    const int port = serve.wait_listening();
    ASSERT_GT(port, 0);
    // Answering means it got past its start-up lines; a SIGTERM before that would cut them.
    EXPECT_EQ(http_call(port, "GET", "/healthz").status, 200);
    serve.stop();
    const std::string rest = serve.stderr_rest();
    EXPECT_EQ(rest.substr(0, rest.find('\n')), "toss mode: test") << rest;
    EXPECT_EQ(rest.find(kTossSecret), std::string::npos);
  }
  std::ofstream(dir.file("prod.toml")) << "[server]\nenvironment = \"production\"\n";
  auto refused = run_payedge({"serve", "--config", dir.file("prod.toml"), "--listen", "127.0.0.1:0",
                              "--store", store, "--toss-url", "http://127.0.0.1:9"},
                             test_env());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("test_ Toss key"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find(kTossSecret), std::string::npos);
  EXPECT_EQ(refused.err.find("listening on"), std::string::npos);

  std::ofstream(dir.file("rehearsal.toml"))
      << "[server]\nenvironment = \"production\"\n[toss]\nallow_test_keys = true\n";
  ChildProcess rehearsal({"serve", "--config", dir.file("rehearsal.toml"), "--listen",
                          "127.0.0.1:0", "--store", store, "--toss-url", "http://127.0.0.1:9"},
                         test_env());
  const int rehearsal_port = rehearsal.wait_listening();
  EXPECT_GT(rehearsal_port, 0);
  if (rehearsal_port > 0) {
    EXPECT_EQ(http_call(rehearsal_port, "GET", "/healthz").status, 200);
  }
  rehearsal.stop();

  auto env = test_env();
  env["TOSS_SECRET_KEY"] = "live_sk_payedge_keys_0001";
  ChildProcess live({"serve", "--config", dir.file("prod.toml"), "--listen", "127.0.0.1:0",
                     "--store", store, "--toss-url", "http://127.0.0.1:9"},
                    env);
  const int live_port = live.wait_listening();
  ASSERT_GT(live_port, 0);
  EXPECT_EQ(http_call(live_port, "GET", "/healthz").status, 200);
  live.stop();
  const std::string rest = live.stderr_rest();
  EXPECT_EQ(rest.substr(0, rest.find('\n')), "toss mode: live") << rest;
  EXPECT_EQ(rest.find("live_sk_payedge_keys_0001"), std::string::npos);
}

}  // namespace
}  // namespace payedge::testing
