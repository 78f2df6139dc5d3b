// PostgreSQL as the shared store of several stateless instances: switches seen by every
// instance at once, and a database restart survived without a false success.
#include <gtest/gtest.h>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

TEST(Postgres, KillSwitchAndCourseToggleReachEveryInstanceAtOnce) {
  Stack stack({.instances = 2, .postgres = true});
  auto off = stack.ops(
      {"flag", "set", "payments_enabled", "off", "--reason", "incident 42", "--actor", "oncall"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  // The flag is read from the database on every request: no instance can lag behind.
  for (size_t i = 0; i < 2; ++i) {
    auto r = stack.confirm(body_for("pg-key-" + std::to_string(i),
                                    "pg-order-000" + std::to_string(i), 49000, "course-sql"),
                           "u" + std::to_string(i), {}, i);
    EXPECT_EQ(r.json()["error"]["code"], "E_PAYMENTS_DISABLED") << "instance " << i;
    EXPECT_EQ(http_call(stack.api_port(i), "GET", "/functions/v1/payment-status")
                  .json()["paymentsEnabled"],
              false);
  }
  EXPECT_EQ(stack.db().count("audit_log",
                             "action = 'flag.set' AND actor = 'oncall' AND reason = 'incident 42'"),
            1);
  ASSERT_EQ(stack.ops({"flag", "set", "payments_enabled", "on", "--reason", "resolved"}).exit_code,
            0);

  ASSERT_EQ(stack.ops({"course", "deactivate", "course-sql", "--reason", "price bug"}).exit_code,
            0);
  for (size_t i = 0; i < 2; ++i) {
    auto r = stack.confirm(body_for("pg-key-c" + std::to_string(i),
                                    "pg-order-c00" + std::to_string(i), 49000, "course-sql"),
                           "u" + std::to_string(i), {}, i);
    EXPECT_EQ(r.json()["error"]["code"], "E_COURSE_INACTIVE") << "instance " << i;
  }
  ASSERT_EQ(stack.ops({"course", "activate", "course-sql", "--reason", "fixed"}).exit_code, 0);
  const std::string key = stack.new_session("pg-order-ok01", 49000);
  EXPECT_EQ(stack.confirm(body_for(key, "pg-order-ok01", 49000, "course-sql"), "u9", {}, 1).status,
            200);
}

TEST(Postgres, OpsRefusesWithoutReasonAndDryRunChangesNothing) {
  Stack stack({.postgres = true});
  EXPECT_EQ(stack.ops({"flag", "set", "payments_enabled", "off"}).exit_code,
            2);  // --reason is required
  auto dry = stack.ops({"flag", "set", "payments_enabled", "off", "--reason", "x", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(stack.ops({"course", "deactivate", "no-such-course", "--reason", "x"}).exit_code, 1);
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 0);
}

// A private server, since this test stops it.
TEST(Postgres, DatabaseRestartIsSurvivedWithoutAFalseSuccess) {
  TempDir pgdir;
  const std::string script = std::string(PAYEDGE_SOURCE_DIR) + "/scripts/pg-test-server.sh";
  ASSERT_EQ(std::system((script + " start " + pgdir.path() + " >/dev/null").c_str()), 0);
  const char* shared = std::getenv("PAYEDGE_TEST_PG_DIR");
  struct StopServer {
    std::string cmd;
    std::string shared_dir;
    ~StopServer() {
      (void)std::system(cmd.c_str());
      setenv("PAYEDGE_TEST_PG_DIR", shared_dir.c_str(), 1);
    }
  } stop_at_end{script + " stop " + pgdir.path() + " >/dev/null", shared ? shared : ""};
  setenv("PAYEDGE_TEST_PG_DIR", pgdir.path().c_str(), 1);
  Stack stack({.postgres = true});
  const std::string key = stack.new_session("pg-restart-01", 49000);

  ASSERT_EQ(std::system((script + " pause " + pgdir.path() + " >/dev/null").c_str()), 0);
  auto down = stack.confirm(body_for(key, "pg-restart-01", 49000, "course-sql"));
  EXPECT_EQ(down.status, 500) << down.body;
  EXPECT_EQ(down.json()["error"]["code"], "E_INTERNAL");
  EXPECT_EQ(down.json()["error"]["retryable"], true);
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/readyz").status, 503);
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 0);  // nothing reached Toss without a record

  ASSERT_EQ(std::system((script + " resume " + pgdir.path() + " >/dev/null").c_str()), 0);
  // The pool reconnects by itself; each connection notices on its next use.
  HttpReply ready;
  for (int i = 0; i < 20 && ready.status != 200; ++i)
    ready = http_call(stack.api_port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  HttpReply up;
  for (int i = 0; i < 20 && up.status != 200; ++i)
    up = stack.confirm(body_for(key, "pg-restart-01", 49000, "course-sql"));
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(Db(stack.store_url()).count("payments"),
            1);  // the stack's own connection died with the server
}

}  // namespace
}  // namespace payedge::testing
