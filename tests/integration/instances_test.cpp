// Several `serve` instances on one store (issues 14 and 17), through the real binaries: a
// killed instance's confirms are settled by `ops reconcile` (no --break-leases) as soon as its
// heartbeat is stale, long before their lease ends, and a client retry takes one over too;
// `ops reconcile` names the live instance that holds an attempt; /readyz answers 503 from
// SIGTERM while the in-flight confirm still finishes.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/time.h"
#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

// The heartbeat every 100 ms, dead after 600 ms; the lease stays at its 30 s default, so a
// settlement inside the test's few seconds can only come from the stale heartbeat. One Toss
// try that waits long enough for the simulator's injected latency.
const char* kFastHeartbeat = R"(
[server]
confirm_rate_per_s = 0
webhook_rate_per_s = 0
heartbeat_interval_ms = 100
heartbeat_stale_ms = 600
[toss]
max_attempts = 1
attempt_timeout_ms = 8000
deadline_ms = 9000
[idempotency]
reconcile_interval_s = 0
)";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

void settle_after_crash(Stack& stack) {
  constexpr int kInFlight = 5;
  // Toss holds each confirm 1.5 s: long enough to kill the instance with all of them inside.
  stack.set_faults({{"latency_ms", {1500, 1500}}});
  std::vector<std::string> keys, orders;
  for (int i = 0; i < kInFlight; ++i) {
    orders.push_back("order-dead-" + std::to_string(1000 + i));
    keys.push_back(stack.new_session(orders.back(), 49000));
  }
  std::vector<std::thread> clients;
  for (int i = 0; i < kInFlight; ++i) {
    clients.emplace_back([&, i] {
      try {
        stack.confirm(body_for(keys[i], orders[i], 49000, "course-sql"), "dead-user-" + orders[i]);
      } catch (const std::exception&) {
        // the connection dies with the server: expected
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return stack.sim_stats()["in_flight"] == kInFlight; }))
      << stack.sim_stats().dump();
  const std::string instance = stack.db().scalar("SELECT instance_id FROM instances");
  ASSERT_FALSE(instance.empty());
  stack.kill_service();  // SIGKILL: no drain, no goodbye
  for (auto& c : clients) c.join();
  ASSERT_TRUE(eventually([&] { return stack.sim_stats()["approvals"] == kInFlight; }));
  stack.set_faults(json::object());
  // Every attempt is open, owned by the dead instance, its lease far from over.
  EXPECT_EQ(stack.db().count("payments"), 0);
  EXPECT_EQ(
      stack.db().count("confirm_attempts", "state = 'IN_PROGRESS' AND owner = " + quoted(instance)),
      kInFlight);

  // Its last heartbeat goes stale (600 ms after it), which the store tells by the clock.
  ASSERT_TRUE(eventually([&] {
    const auto alive_until = parse_rfc3339(stack.db().scalar(
        "SELECT alive_until FROM instances WHERE instance_id = " + quoted(instance)));
    return alive_until && *alive_until < SystemClock::instance().now_ms();
  }));
  const EpochMs now = SystemClock::instance().now_ms();
  for (const auto& row : stack.db().rows("SELECT payment_key, lease_until FROM confirm_attempts")) {
    const auto lease = parse_rfc3339(row[1]);
    ASSERT_TRUE(lease) << row[1];
    EXPECT_GT(*lease, now + 20'000) << row[0] << ": the lease alone would still hold";
  }

  // A client retry at a fresh instance takes one over at once (no 409 "still in progress")…
  stack.restart_service();
  auto retry =
      stack.confirm(body_for(keys[0], orders[0], 49000, "course-sql"), "dead-user-" + orders[0]);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["payment"]["paymentKey"], keys[0]);

  // …and `ops reconcile` without --break-leases settles the rest.
  auto rec = stack.ops({"reconcile", "--older-than", "1h", "--format", "json"});
  ASSERT_EQ(rec.exit_code, 0) << rec.out << rec.err;
  const json report = json::parse(rec.out);
  EXPECT_EQ(report["leased_elsewhere"], 0) << rec.out;
  EXPECT_EQ(report["by_action"]["recorded"], kInFlight - 1) << rec.out;
  for (const auto& a : report["actions"]) {
    if (a.contains("payment_key") && a["payment_key"] != keys[0]) {
      EXPECT_EQ(a["taken_from"], instance) << a.dump();
    }
  }
  EXPECT_EQ(stack.db().count("payments"), kInFlight);
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), kInFlight);
  EXPECT_EQ(stack.db().count("confirm_attempts", "state = 'IN_PROGRESS'"), 0);
  const json stats = stack.sim_stats();
  EXPECT_EQ(stats["approvals"], kInFlight);
  EXPECT_EQ(stats["duplicate_confirms"], 0);
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(Instances, AKilledServesConfirmsAreSettledOnceItsHeartbeatIsStaleSqlite) {
  Stack stack({.tls = false, .config_toml = kFastHeartbeat});
  settle_after_crash(stack);
}

TEST(Instances, AKilledServesConfirmsAreSettledOnceItsHeartbeatIsStalePostgres) {
  Stack stack({.tls = false, .config_toml = kFastHeartbeat, .postgres = true});
  settle_after_crash(stack);
}

TEST(Instances, OpsReconcileNamesTheLiveInstanceHoldingAnAttempt) {
  // The default heartbeat (5 s, dead after 15 s): the instance stays alive through the test.
  Stack stack({.tls = false, .config_toml = R"(
[server]
confirm_rate_per_s = 0
[toss]
max_attempts = 1
attempt_timeout_ms = 8000
deadline_ms = 9000
[idempotency]
reconcile_interval_s = 0
)"});
  stack.set_faults({{"latency_ms", {5000, 5000}}});  // the three commands run meanwhile
  const std::string key = stack.new_session("order-held-0001", 49000);
  HttpReply reply;
  std::thread client(
      [&] { reply = stack.confirm(body_for(key, "order-held-0001", 49000, "course-sql")); });
  ASSERT_TRUE(eventually([&] { return stack.sim_stats()["in_flight"] == 1; }));
  const pid_t pid = stack.service().pid();
  auto dry = stack.ops({"reconcile", "--older-than", "0s", "--dry-run", "--format", "json"});
  auto rec = stack.ops({"reconcile", "--older-than", "0s", "--format", "json"});
  auto table = stack.ops({"reconcile", "--older-than", "0s"});
  client.join();
  EXPECT_EQ(reply.status, 200) << reply.body;  // the live owner finished it itself
  for (const auto* r : {&dry, &rec}) {
    ASSERT_EQ(r->exit_code, 0) << r->out << r->err;
    const json report = json::parse(r->out);
    EXPECT_EQ(report["leased_elsewhere"], 1) << r->out;
    ASSERT_EQ(report["held"].size(), 1u) << r->out;
    const json& held = report["held"][0];
    EXPECT_EQ(held["payment_key"], key);
    EXPECT_EQ(held["pid"], pid);
    EXPECT_FALSE(held["host"].get<std::string>().empty());
    EXPECT_EQ(held["instance_id"], stack.db().scalar("SELECT instance_id FROM instances"));
  }
  EXPECT_NE(table.out.find("by instance "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("pid " + std::to_string(pid)), std::string::npos) << table.out;
  EXPECT_EQ(stack.sim_stats()["confirms_by_payment_key"][key], 1);
}

TEST(GracefulStop, ReadyzTurns503AtSigtermWhileAnInFlightConfirmFinishes) {
  // 2 s between SIGTERM and the drain: a load balancer's probe sees 503 meanwhile. Toss holds
  // the confirm 4 s, so it is still in flight when the drain begins.
  Stack stack({.tls = false, .config_toml = R"(
[server]
confirm_rate_per_s = 0
shutdown_delay_ms = 2000
[toss]
max_attempts = 1
attempt_timeout_ms = 8000
deadline_ms = 9000
)"});
  stack.set_faults({{"latency_ms", {4000, 4000}}});
  const int port = stack.api_port();
  ASSERT_EQ(http_call(port, "GET", "/readyz").status, 200);
  const std::string key = stack.new_session("order-sigterm-0001", 49000);
  HttpReply reply;
  std::thread client([&] {
    try {
      reply = stack.confirm(body_for(key, "order-sigterm-0001", 49000, "course-sql"));
    } catch (const std::exception& e) {
      reply.body = e.what();
    }
  });
  ASSERT_TRUE(eventually([&] { return stack.sim_stats()["in_flight"] == 1; }));
  stack.service().terminate();
  // Not ready from SIGTERM on (polled: the signal reaches the I/O thread at some point).
  HttpReply ready;
  ASSERT_TRUE(eventually(
      [&] {
        ready = http_call(port, "GET", "/readyz");
        return ready.status == 503;
      },
      std::chrono::milliseconds(1500)));
  EXPECT_EQ(ready.json()["draining"], true) << ready.body;
  EXPECT_EQ(ready.headers["connection"], "close");
  client.join();
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(stack.service().wait(), 0);
  EXPECT_EQ(stack.db().count("payments"), 1);
  EXPECT_EQ(stack.db().count("confirm_attempts", "state = 'IN_PROGRESS'"), 0);
  // A clean stop is recorded: nothing of it is held any more.
  EXPECT_FALSE(stack.db().scalar("SELECT stopped_at FROM instances").empty());
}

// Issue 17: a rolling restart under load. Two instances on one PostgreSQL; clients alternate
// between them (a load balancer's round robin) and take a refused or reset connection, or a
// retryable error, as "try the other one". Instance 1 gets SIGTERM mid-load and is restarted,
// then instance 2. Every confirm ends 200, each payment once, with its enrollment.
TEST(RollingRestart, UnderLoadOnPostgresEveryPaidConfirmIsKeptOnce) {
  Stack stack({.tls = false,
               .config_toml = R"(
[server]
confirm_rate_per_s = 0
webhook_rate_per_s = 0
shutdown_delay_ms = 300
heartbeat_interval_ms = 200
heartbeat_stale_ms = 1000
)",
               .instances = 2,
               .postgres = true});
  stack.set_faults({{"latency_ms", {20, 120}}});
  constexpr int kClients = 6;
  constexpr int kOrdersPerClient = 10;
  constexpr int kOrders = kClients * kOrdersPerClient;
  std::vector<std::string> keys, orders;
  for (int i = 0; i < kOrders; ++i) {
    orders.push_back("order-roll-" + std::to_string(1000 + i));
    keys.push_back(stack.new_session(orders.back(), 49000));
  }
  std::array<std::atomic<int>, 2> ports;
  ports[0] = stack.api_port(0);
  ports[1] = stack.api_port(1);
  std::atomic<int> done{0}, retries{0};
  std::mutex mu;
  std::vector<std::string> problems;  // anything a client should never see
  std::vector<int> answered(kOrders, 0);
  auto client = [&](int c) {
    size_t next = static_cast<size_t>(c) % 2;
    for (int k = 0; k < kOrdersPerClient; ++k) {
      const int i = c * kOrdersPerClient + k;
      const std::string body = body_for(keys[i], orders[i], 49000, "course-sql").dump();
      const std::map<std::string, std::string> headers = {
          {"Authorization", "Bearer " + token_for("roll-user-" + std::to_string(i))}};
      for (int attempt = 0;; ++attempt) {
        if (attempt == 300) {
          std::lock_guard lock(mu);
          problems.push_back(orders[i] + ": no answer after 300 tries");
          break;
        }
        const int port = ports[next].load();
        next = 1 - next;  // round robin, and a failure goes to the other instance
        HttpReply r;
        try {
          r = http_call(port, "POST", "/functions/v1/confirm-payment", body, headers);
        } catch (const std::exception&) {
          ++retries;  // refused or reset: the instance is stopping; retryable for a client
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a client's backoff
          continue;
        }
        if (r.status == 200) {
          std::lock_guard lock(mu);
          ++answered[static_cast<size_t>(i)];
          if (r.json()["payment"]["paymentKey"] != keys[i]) problems.push_back(r.body);
          break;
        }
        const json j = r.json();
        if (j.is_object() && j["error"].is_object() && j["error"]["retryable"] == true) {
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        std::lock_guard lock(mu);
        problems.push_back(orders[i] + ": not retryable: " + std::to_string(r.status) + " " +
                           r.body);
        break;
      }
      ++done;
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back(client, c);

  // Instance i is stopped mid-load (its /readyz says 503 first) and started again.
  auto roll = [&](size_t i, int after_done) {
    if (!eventually([&] { return done.load() >= after_done; }, std::chrono::seconds(40))) {
      ADD_FAILURE() << "the load stalled before instance " << i << "'s restart";
      return;
    }
    const int port = ports[i].load();
    stack.service(i).terminate();
    bool unready = false;
    eventually(
        [&] {
          try {
            unready = http_call(port, "GET", "/readyz").status == 503;
          } catch (const std::exception&) {
            return true;  // already past the delay: accepting stopped
          }
          return unready;
        },
        std::chrono::seconds(5));
    EXPECT_EQ(stack.service(i).wait(), 0) << "instance " << i;
    stack.restart_service(i);
    ports[i] = stack.api_port(i);
  };
  roll(0, kOrders / 4);
  roll(1, kOrders / 2);
  for (auto& t : clients) t.join();

  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  for (int i = 0; i < kOrders; ++i) EXPECT_EQ(answered[static_cast<size_t>(i)], 1) << orders[i];
  EXPECT_EQ(stack.db().count("payments"), kOrders);
  EXPECT_EQ(stack.db().count("enrollments", "status = 'ACTIVE'"), kOrders);
  EXPECT_EQ(stack.db().count("confirm_attempts", "state <> 'DONE'"), 0);
  const json stats = stack.sim_stats();
  EXPECT_EQ(stats["approvals"], kOrders);
  EXPECT_EQ(stats["duplicate_confirms"], 0);
  for (const auto& key : keys) EXPECT_EQ(stats["confirms_by_payment_key"][key], 1) << key;
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Both stops were clean: two instances marked stopped, two running.
  EXPECT_EQ(stack.db().count("instances", "stopped_at IS NOT NULL"), 2);
  std::printf("rolling restart: %d orders, %d client retries\n", kOrders, retries.load());
}

}  // namespace
}  // namespace payedge::testing
