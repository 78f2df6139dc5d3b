// The chaos test of the exactly-once issue: many concurrent clients, duplicates and retries,
// the simulator injecting 5xx, timeouts and approve-then-fail, the service SIGKILLed and
// restarted mid-run; then the reconciler; then `ops verify` must find nothing, the simulator
// must show no paymentKey approved twice or confirmed outside an Idempotency-Key replay,
// and every client must have ended with a success or a retryable error.
//
// One order in eight is a virtual account (가상계좌): its confirm leaves the payment
// WAITING_FOR_DEPOSIT and the enrollment PENDING; a "bank" thread then deposits or lets it expire
// at the simulator, the webhook delivered to whichever serve is up (or lost: no URL, or the
// service is down), and the reconciler finds what no webhook brought. At the end every virtual
// account agrees with Toss: DONE ⇔ ACTIVE, WAITING_FOR_DEPOSIT ⇔ PENDING, EXPIRED ⇔ CANCELLED
// with its coupon released — and no money without an enrollment.
//
// Bounded in count and time. PAYEDGE_CHAOS_ORDERS sets the size (ctest: small; make chaos:
// large). Waiting is on conditions (a counter of finished requests), never on sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/codec.h"
#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

const char* kChaosConfig = R"(
[toss]
attempt_timeout_ms = 250
deadline_ms = 1200
max_attempts = 3
backoff_base_ms = 10
backoff_max_ms = 100
[idempotency]
wait_ms = 1500
lease_ms = 1000
reconcile_interval_s = 0
)";

// Which orders are virtual accounts, and what the bank does with each once it is confirmed.
bool is_virtual_account(int order) { return order % 8 == 5; }
bool uses_coupon(int order) { return (order / 8) % 2 == 0; }  // WELCOME10: 49,000 → 44,100
enum class BankAction { kDeposit, kExpire, kDepositLost, kExpireLost, kNothing };
BankAction bank_action(int order) {
  switch ((order / 8) % 6) {
    case 0:
    case 1:
      return BankAction::kDeposit;
    case 2:
      return BankAction::kExpire;
    case 3:
      return BankAction::kDepositLost;  // Toss has the money; its DEPOSIT_CALLBACK never came
    case 4:
      return BankAction::kExpireLost;
    default:
      return BankAction::kNothing;  // still waiting at the end
  }
}

std::string fmt_bank(bool deposit, int sim_status, const std::string& delivery) {
  return std::string(deposit ? "deposit" : "expire") + ":" + std::to_string(sim_status) + ":" +
         delivery;
}

struct Tally {
  std::mutex mu;
  std::map<std::string, int> finals;  // "200", "TOSS_API_ERROR", …
  int non_retryable = 0;
  std::vector<std::string> non_retryable_samples;
  int transport_errors = 0;  // connection refused/reset while the service was down
  int requests = 0;
};

// SQLite: one serve on the file, killed twice. PostgreSQL: two stateless serve instances on
// one database, clients spread over both, instance 0 killed twice.
class Chaos : public ::testing::TestWithParam<std::string> {};

TEST_P(Chaos, ExactlyOnceUnderFaultsAndCrashes) {
  const int orders = env_int("PAYEDGE_CHAOS_ORDERS", 300);
  const int clients = env_int("PAYEDGE_CHAOS_CLIENTS", 12);
  const int kills = 2;
  const bool pg = GetParam() != "sqlite";
  const int instances = pg ? 2 : 1;
  // "postgresql_schema": payedge's tables in their own schema, as beside Supabase's.
  Stack stack({.sim_args = {"--timeout-hang-ms", "400"},
               .config_toml = kChaosConfig,
               .instances = instances,
               .postgres = pg,
               .pg_schema = GetParam() == "postgresql_schema" ? "payedge" : ""});

  std::vector<std::string> keys;
  auto amount_of = [](int order) {
    return is_virtual_account(order) && uses_coupon(order) ? 44100 : 49000;
  };
  for (int i = 0; i < orders; ++i) {
    const std::string order_id = "chaos-order-" + std::to_string(100000 + i);
    if (!is_virtual_account(i)) {
      keys.push_back(stack.new_session(order_id, 49000));
      continue;
    }
    auto r = http_call(
        stack.sim_port(), "POST", "/__sim/sessions",
        json{{"orderId", order_id}, {"amount", amount_of(i)}, {"method", "VIRTUAL_ACCOUNT"}}
            .dump());
    ASSERT_EQ(r.status, 200) << r.body;
    keys.push_back(r.json()["paymentKey"]);
  }
  // Each order is sent 1–3 times: duplicates land concurrently or later, like back/refresh.
  std::mt19937 rng(20261126);
  std::vector<int> work;
  for (int i = 0; i < orders; ++i) {
    const int copies = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < copies; ++c) work.push_back(i);
  }
  std::shuffle(work.begin(), work.end(), rng);
  stack.set_faults({{"error_rate", 0.06},
                    {"error_status", 503},
                    {"timeout_rate", 0.03},
                    {"approve_then_fail_rate", 0.06},
                    {"latency_ms", {0, 15}}});

  std::atomic<int> ports[2] = {stack.api_port(0), stack.api_port(instances - 1)};
  std::atomic<size_t> next{0};
  std::atomic<int> finished{0};
  std::mutex restart_mu;
  std::condition_variable restarted;
  Tally tally;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  // Virtual accounts confirmed (a first 200), for the bank; closed when the clients are done.
  std::mutex bank_mu;
  std::condition_variable bank_cv;
  std::vector<int> bank_queue;
  std::set<int> bank_seen;
  bool clients_done = false;
  std::map<std::string, int> bank_tally;  // "deposit:200", "expire:0" (service down), …

  auto client = [&](int id) {
    std::atomic<int>& port = ports[id % 2];  // with two instances, half the clients use each
    std::map<std::string, std::string> headers;
    for (size_t w; (w = next.fetch_add(1)) < work.size();) {
      const int order = work[w];
      const std::string user = "chaos-user-" + std::to_string(order);
      json body = {{"paymentKey", keys[static_cast<size_t>(order)]},
                   {"orderId", "chaos-order-" + std::to_string(100000 + order)},
                   {"amount", amount_of(order)},
                   {"courseId", "course-sql"}};
      if (amount_of(order) != 49000) body["couponCode"] = "WELCOME10";
      headers["Authorization"] = "Bearer " + token_for(user);
      std::string final_code;
      bool retryable = true;
      // A client retries a retryable answer a bounded number of times, as the front end would.
      for (int attempt = 0;
           attempt < 40 && retryable && std::chrono::steady_clock::now() < deadline; ++attempt) {
        HttpReply r;
        const int used_port = port.load();
        try {
          r = http_call(used_port, "POST", "/functions/v1/confirm-payment", body.dump(), headers);
        } catch (const std::exception&) {
          {
            std::lock_guard lock(tally.mu);
            ++tally.transport_errors;
          }
          final_code = "transport";
          // The service is down: wait until it is back on its new port, then try again.
          std::unique_lock lock(restart_mu);
          restarted.wait_until(lock, deadline, [&] { return port.load() != used_port; });
          --attempt;  // a dead server is not an answer; it does not use up the retry budget
          continue;
        }
        {
          std::lock_guard lock(tally.mu);
          ++tally.requests;
        }
        if (r.status == 200) {
          final_code = "200";
          retryable = false;
          if (is_virtual_account(order)) {
            std::lock_guard lock(bank_mu);
            if (bank_seen.insert(order).second) bank_queue.push_back(order);
            bank_cv.notify_one();
          }
          break;
        }
        json b = r.json();
        final_code = b.is_object() ? b["error"].value("code", std::string("?")) : "?";
        retryable = b.is_object() && b["error"].value("retryable", false);
        if (!retryable) {
          std::lock_guard lock(tally.mu);
          ++tally.non_retryable;
          if (tally.non_retryable_samples.size() < 5) tally.non_retryable_samples.push_back(r.body);
        }
      }
      {
        std::lock_guard lock(tally.mu);
        ++tally.finals[final_code];
      }
      finished.fetch_add(1);
    }
  };

  // The killer crashes the service after a third and after two thirds of the work.
  std::thread killer([&] {
    for (int k = 1; k <= kills; ++k) {
      const int mark = static_cast<int>(work.size()) * k / (kills + 1);
      while (finished.load() < mark && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
      stack.kill_service();
      stack.restart_service();
      {
        std::lock_guard lock(restart_mu);
        ports[0].store(stack.api_port(0));
        if (instances == 1) ports[1].store(stack.api_port(0));
      }
      restarted.notify_all();
    }
  });
  // The bank: the buyer pays into the account, or lets its due date pass; Toss tells the serve
  // that is up at that moment (a kill in between loses the webhook, as a lost one would).
  std::thread bank([&] {
    for (;;) {
      int order = -1;
      {
        std::unique_lock lock(bank_mu);
        bank_cv.wait(lock, [&] { return !bank_queue.empty() || clients_done; });
        if (bank_queue.empty()) return;
        order = bank_queue.back();
        bank_queue.pop_back();
      }
      const BankAction action = bank_action(order);
      if (action == BankAction::kNothing) continue;
      const bool deposit = action == BankAction::kDeposit || action == BankAction::kDepositLost;
      json request = {{"paymentKey", keys[static_cast<size_t>(order)]}};
      if (action == BankAction::kDeposit || action == BankAction::kExpire) {
        request["url"] = "http://127.0.0.1:" + std::to_string(ports[order % 2].load()) +
                         "/functions/v1/toss-webhook";
      }
      auto r = http_call(stack.sim_port(), "POST", deposit ? "/__sim/deposit" : "/__sim/expire",
                         request.dump());
      json b = r.json();
      const std::string delivery =
          !request.contains("url") ? "lost"
          : b.is_object() && b.contains("delivery") && b["delivery"].is_object()
              ? std::to_string(b["delivery"].value("status", 0))
              : "?";
      std::lock_guard lock(bank_mu);
      ++bank_tally[fmt_bank(deposit, r.status, delivery)];
    }
  });
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c);
  for (auto& t : threads) t.join();
  killer.join();
  {
    std::lock_guard lock(bank_mu);
    clients_done = true;
  }
  bank_cv.notify_all();
  bank.join();
  ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the run hit its time bound";

  // Quiesce: no serve runs, Toss is healthy, and the reconciler settles what was left open.
  stack.stop_services();
  stack.set_faults(json::object());
  ASSERT_TRUE([&] {
    for (int i = 0; i < 100'000; ++i) {
      if (stack.sim_stats()["in_flight"] == 0) return true;
    }
    return false;
  }());
  auto reconcile = stack.ops({"reconcile", "--older-than", "0s", "--break-leases", "--reason",
                              "chaos", "--format", "json"});
  ASSERT_EQ(reconcile.exit_code, 0) << reconcile.out << reconcile.err;
  auto verify = stack.ops({"verify", "--format", "json"});
  json stats = stack.sim_stats();

  std::printf(
      "chaos: %d orders, %zu sends, %d HTTP requests, %d transport errors during %d kills\n",
      orders, work.size(), tally.requests, tally.transport_errors, kills);
  std::printf("chaos: final answers %s\n", json(tally.finals).dump().c_str());
  std::printf("chaos: simulator confirm_calls %s, approvals %s, faults %s\n",
              stats["confirm_calls"].dump().c_str(), stats["approvals"].dump().c_str(),
              stats["faults_by_kind"].dump().c_str());
  std::printf("chaos: reconcile %s\n", json::parse(reconcile.out)["by_action"].dump().c_str());
  std::printf("chaos: bank (action:sim status:webhook answer) %s\n",
              json(bank_tally).dump().c_str());
  std::printf("chaos: verify %s\n", verify.out.c_str());

  // Faults were really injected, of every kind, and the service was really killed.
  EXPECT_GT(stats["faults_by_kind"].value("error", 0), 0);
  EXPECT_GT(stats["faults_by_kind"].value("timeout", 0), 0);
  EXPECT_GT(stats["faults_by_kind"].value("approve_then_fail", 0), 0);
  EXPECT_GT(tally.transport_errors, 0);  // the kills cut live connections

  // Every client ended with a success or a retryable error.
  EXPECT_EQ(tally.non_retryable, 0)
      << (tally.non_retryable_samples.empty() ? "" : tally.non_retryable_samples[0]);
  // ops verify: zero violations.
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(json::parse(verify.out)["violations"].size(), 0u) << verify.out;
  // No paymentKey confirmed twice: never approved twice, never confirmed after DONE under a new
  // key.
  for (const auto& [key, n] : stats["approvals_by_payment_key"].items()) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(stats["duplicate_confirms"], 0);
  // Every payment Toss approved is exactly one payment row with one ACTIVE enrollment.
  std::set<std::string> approved;
  for (const auto& [key, n] : stats["approvals_by_payment_key"].items()) approved.insert(key);
  std::set<std::string> recorded;
  for (const auto& row : stack.db().rows("SELECT provider_tx_id FROM payments"))
    recorded.insert(row[0]);
  EXPECT_EQ(recorded, approved);
  EXPECT_EQ(stack.db().count("confirm_attempts", "state = 'IN_PROGRESS'"), 0);

  // Every virtual account agrees with Toss's record of it.
  std::map<std::string, int> va_states;  // Toss status → orders
  long long va_not_paid = 0;             // approved at confirm, but no money (yet, or ever)
  for (int i = 0; i < orders; ++i) {
    if (!is_virtual_account(i)) continue;
    const std::string& key = keys[static_cast<size_t>(i)];
    auto toss = http_call(stack.sim_port(), "GET", "/v1/payments/" + key, "",
                          {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}});
    ASSERT_EQ(toss.status, 200) << toss.body;
    const std::string t = toss.json()["status"];
    ++va_states[t];
    const std::string where = "payment_key = '" + key + "'";
    const std::string payment =
        stack.db().scalar("SELECT status FROM payments WHERE provider_tx_id = '" + key + "'");
    const std::string enrollment =
        stack.db().scalar("SELECT status FROM enrollments WHERE " + where);
    const std::string coupon_held = stack.db().scalar(
        "SELECT COUNT(*) FROM confirm_attempts WHERE coupon_reserved = TRUE AND " + where);
    const std::string at = key + " (order " + std::to_string(i) + ", bank action " +
                           std::to_string(static_cast<int>(bank_action(i))) + ")";
    if (t == "DONE") {
      EXPECT_EQ(payment, "DONE") << at;
      EXPECT_EQ(enrollment, "ACTIVE") << at;
    } else if (t == "WAITING_FOR_DEPOSIT") {
      ++va_not_paid;
      EXPECT_EQ(payment, "WAITING_FOR_DEPOSIT") << at;
      EXPECT_EQ(enrollment, "PENDING") << at;
    } else if (t == "EXPIRED" || t == "CANCELED") {
      ++va_not_paid;
      EXPECT_EQ(payment, t) << at;
      EXPECT_EQ(enrollment, "CANCELLED") << at;
      EXPECT_EQ(coupon_held, "0") << at << ": the coupon redemption was not released";
    } else {
      // Never confirmed at Toss: neither a payment nor an enrollment.
      EXPECT_EQ(payment, "") << at << " Toss " << t;
      EXPECT_EQ(enrollment, "") << at << " Toss " << t;
    }
  }
  std::printf("chaos: virtual accounts by Toss status %s\n", json(va_states).dump().c_str());
  // Each road was really taken: deposits and expiries, by webhook and by the reconciler.
  EXPECT_GT(va_states["DONE"], 0);
  EXPECT_GT(va_states["EXPIRED"], 0);
  EXPECT_GT(va_states["WAITING_FOR_DEPOSIT"], 0);
  EXPECT_GT(stack.db().count("audit_log",
                             "action = 'payment.deposit' AND details LIKE "
                             "'%\"source\":\"webhook\"%'"),
            0);
  EXPECT_GT(stack.db().count("audit_log",
                             "action = 'payment.deposit' AND details LIKE "
                             "'%\"source\":\"reconcile\"%'"),
            0);
  EXPECT_GT(stack.db().count("audit_log", "action = 'payment.deposit_closed'"), 0);
  // Money only with an enrollment: every approval is ACTIVE except the accounts never paid into.
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"),
            static_cast<long long>(approved.size()) - va_not_paid);
  EXPECT_EQ(stack.db().count("payments p",
                             "p.status = 'DONE' AND NOT EXISTS (SELECT 1 FROM "
                             "enrollments e WHERE e.payment_key = p.provider_tx_id "
                             "AND e.status = 'ACTIVE')"),
            0);
  EXPECT_EQ(stack.db().count("enrollments", "status = 'PENDING'"),
            va_states["WAITING_FOR_DEPOSIT"]);
  // The coupon's redemptions are exactly the attempts that still hold one.
  EXPECT_EQ(stack.db().scalar("SELECT redemptions FROM coupons WHERE code = 'WELCOME10'"),
            std::to_string(stack.db().count("confirm_attempts",
                                            "coupon_code = 'WELCOME10' AND "
                                            "coupon_reserved = TRUE")));
}

INSTANTIATE_TEST_SUITE_P(Stores, Chaos,
                         ::testing::Values("sqlite", "postgresql", "postgresql_schema"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace payedge::testing
