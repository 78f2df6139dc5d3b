// The chaos test of the exactly-once issue: many concurrent clients, duplicates and retries,
// the simulator injecting 5xx, timeouts and approve-then-fail, the service SIGKILLed and
// restarted mid-run; then the reconciler; then `ops verify` must find nothing, the simulator
// must show no paymentKey approved twice or confirmed outside an Idempotency-Key replay,
// and every client must have ended with a success or a retryable error.
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
  for (int i = 0; i < orders; ++i)
    keys.push_back(stack.new_session("chaos-order-" + std::to_string(100000 + i), 49000));
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

  auto client = [&](int id) {
    std::atomic<int>& port = ports[id % 2];  // with two instances, half the clients use each
    std::map<std::string, std::string> headers;
    for (size_t w; (w = next.fetch_add(1)) < work.size();) {
      const int order = work[w];
      const std::string user = "chaos-user-" + std::to_string(order);
      const json body = {{"paymentKey", keys[static_cast<size_t>(order)]},
                         {"orderId", "chaos-order-" + std::to_string(100000 + order)},
                         {"amount", 49000},
                         {"courseId", "course-sql"}};
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
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c);
  for (auto& t : threads) t.join();
  killer.join();
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
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"),
            static_cast<long long>(approved.size()));
  EXPECT_EQ(stack.db().count("confirm_attempts", "state = 'IN_PROGRESS'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, Chaos,
                         ::testing::Values("sqlite", "postgresql", "postgresql_schema"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace payedge::testing
