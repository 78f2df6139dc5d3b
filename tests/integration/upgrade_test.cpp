// Expand/contract through a real upgrade on PostgreSQL. The "older build" is this binary with
// PAYEDGE_SCHEMA_VERSION set below the newest migration (it knows, applies and checks only the
// migrations up to that one), so the test needs no second checkout: it serves confirms while
// the newer build migrates the shared store and starts beside it, then restarts against the
// newer (expand-only) schema. Every paid confirm is recorded once, with its enrollment.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "harness.h"
#include "store/migrations.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

TEST(Upgrade, OnPostgresAnOlderBuildServesBesideANewerOneDuringAMigration) {
  const int newest = latest_schema_version();
  const int older = newest - 1;
  ASSERT_GE(older, kExpandColumnVersion - 1);
  Stack stack({.tls = false, .postgres = true});  // the simulator and a fresh database
  TempDir& dir = stack.dir();
  // The drill runs in a schema of its own, created by the older build.
  const std::string config = dir.file("drill.toml");
  std::ofstream(config) << "[server]\nconfirm_rate_per_s = 0\nwebhook_rate_per_s = 0\n"
                        << "[store]\nschema = \"drill\"\n";
  auto older_env = test_env();
  older_env["PAYEDGE_SCHEMA_VERSION"] = std::to_string(older);
  auto seeded = run_payedge(
      {"seed", dir.file("seed.json"), "--config", config, "--store", stack.store_url()}, older_env);
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  Db db(stack.store_url(), "drill");
  ASSERT_EQ(db.scalar("SELECT MAX(version) FROM schema_migrations"), std::to_string(older));

  auto serve = [&](const std::map<std::string, std::string>& env) {
    auto p = std::make_unique<ChildProcess>(
        std::vector<std::string>{"serve", "--config", config, "--listen", "127.0.0.1:0", "--store",
                                 stack.store_url(), "--toss-url", stack.toss_url(), "--log-file",
                                 dir.file("drill.log")},
        env);
    return p;
  };
  int bought = 0;
  auto buy = [&](int port) {
    const std::string n = std::to_string(++bought);
    const std::string order = "order-drill-" + n;
    const std::string key = stack.new_session(order, 49000);
    return http_call(port, "POST", "/functions/v1/confirm-payment",
                     body_for(key, order, 49000, "course-sql").dump(),
                     {{"Authorization", "Bearer " + token_for("user-drill-" + n)}})
        .status;
  };

  auto old_instance = serve(older_env);
  int old_port = old_instance->wait_listening();
  ASSERT_NE(old_port, 0) << old_instance->stderr_rest();
  EXPECT_EQ(buy(old_port), 200);

  // The newer build migrates the store while the older one serves.
  auto migrated =
      run_payedge({"migrate", "--config", config, "--store", stack.store_url()}, test_env());
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_EQ(db.scalar("SELECT MAX(version) FROM schema_migrations"), std::to_string(newest));
  EXPECT_EQ(buy(old_port), 200);

  auto new_instance = serve(test_env());
  const int new_port = new_instance->wait_listening();
  ASSERT_NE(new_port, 0) << new_instance->stderr_rest();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(buy(i % 2 == 0 ? new_port : old_port), 200);

  // The older build restarts against the newer, expand-only schema and still serves.
  old_instance.reset();
  old_instance = serve(older_env);
  old_port = old_instance->wait_listening();
  ASSERT_NE(old_port, 0) << old_instance->stderr_rest();
  EXPECT_EQ(buy(old_port), 200);
  EXPECT_EQ(buy(new_port), 200);

  EXPECT_EQ(db.count("payments", "status = 'DONE'"), bought);
  EXPECT_EQ(db.count("enrollments", "status = 'ACTIVE'"), bought);
  EXPECT_EQ(stack.sim_stats()["approvals"], bought);
  EXPECT_EQ(stack.sim_stats()["duplicate_confirms"], 0);
}

}  // namespace
}  // namespace payedge::testing
