// Issue 14, "operator commands refuse instead of pretending", through the real binary: every
// bad input is a clear error with a non-zero exit, and nothing is half-written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

std::string write_file(TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

// A file rejected anywhere changes nothing: not the price before it, not the coupon after it.
TEST(Seed, RefusesABadFileWholeAndNamesThePosition) {
  Stack stack;
  const auto before = stack.db().rows("SELECT id, list_price, sale_price, active FROM courses");
  const auto coupons_before = stack.db().rows("SELECT code, kind, value FROM coupons");
  struct Case {
    const char* name;
    std::string seed;
    const char* message;
  };
  const std::string good_course = R"({"id":"course-sql","title":"t","list_price":1})";
  const std::vector<Case> cases = {
      {"duplicate course id", R"({"courses":[)" + good_course + "," + good_course + "]}",
       "courses[1]: id \"course-sql\" repeats courses[0]"},
      {"duplicate coupon code",
       R"({"coupons":[{"code":"WELCOME10","kind":"PERCENT","value":90},)"
       R"({"code":"WELCOME10","kind":"PERCENT","value":5}]})",
       "coupons[1]: code \"WELCOME10\" repeats coupons[0]"},
      {"list_price 0", R"({"courses":[{"id":"c-zero","list_price":0}]})",
       "courses[0]: list_price must be at least 1"},
      {"sale above list", R"({"courses":[{"id":"c-sale","list_price":1000,"sale_price":2000}]})",
       "courses[0]: sale_price must be 1..list_price"},
      {"price over the bound", R"({"courses":[{"id":"c-big","list_price":1000000001}]})",
       "courses[0]: list_price must be an integer 0..1000000000"},
      {"price beyond int64", R"({"courses":[{"id":"c-huge","list_price":99999999999999999999}]})",
       "courses[0]: list_price must be an integer"},
      {"coupon for an unknown course",
       R"({"courses":[)" + good_course +
           R"(],"coupons":[{"code":"NEW","kind":"FIXED","value":5,"course_id":"course-nope"}]})",
       "coupons[0]: course_id \"course-nope\" is not a course"},
      {"unknown course field", R"({"courses":[{"id":"c-typo","list_price":100,"listprice":1}]})",
       "courses[0]: unknown field \"listprice\""},
      {"unknown coupon field",
       R"({"coupons":[{"code":"X","kind":"FIXED","value":5,"max_redemption":1}]})",
       "coupons[0]: unknown field \"max_redemption\""},
      {"unknown top-level field", R"({"course":[]})", "seed: unknown field \"course\""},
      {"FIXED value 0", R"({"coupons":[{"code":"Z","kind":"FIXED","value":0}]})",
       "coupons[0]: FIXED value must be >= 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = write_file(stack.dir(), "bad.json", c.seed);
    auto r = run_payedge({"seed", path, "--store", stack.store_url()}, test_env());
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;  // which file
  }
  EXPECT_EQ(stack.db().rows("SELECT id, list_price, sale_price, active FROM courses"), before);
  EXPECT_EQ(stack.db().rows("SELECT code, kind, value FROM coupons"), coupons_before);
}

// A file the database itself refuses halfway (a CHECK on the coupons table, after a course
// update in the same file) leaves the price as it was: one transaction.
TEST(Seed, OneTransactionAllOrNothing) {
  Stack stack;
  const auto price = stack.db().scalar("SELECT list_price FROM courses WHERE id = 'course-sql'");
  // SQL5000 has been redeemed twice: max_redemptions 1 breaks the CHECK, after the course and
  // WELCOME10 were already written inside the transaction.
  stack.db().exec("UPDATE coupons SET redemptions = 2 WHERE code = 'SQL5000'");
  const auto path = write_file(
      stack.dir(), "half.json",
      R"({"courses":[{"id":"course-sql","title":"SQL","list_price":1}],)"
      R"("coupons":[{"code":"WELCOME10","kind":"PERCENT","value":90},)"
      R"({"code":"SQL5000","kind":"FIXED","value":5000,"course_id":"course-sql","max_redemptions":1}]})");
  auto r = run_payedge({"seed", path, "--store", stack.store_url()}, test_env());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("coupons[1] (SQL5000)"), std::string::npos) << r.err;
  EXPECT_EQ(stack.db().scalar("SELECT list_price FROM courses WHERE id = 'course-sql'"), price);
  EXPECT_EQ(stack.db().scalar("SELECT value FROM coupons WHERE code = 'WELCOME10'"), "10");
}

TEST(OpsArguments, RefusedBeforeAnythingIsWritten) {
  Stack stack;
  struct Case {
    const char* name;
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  const std::string long_actor(65, 'a');
  const std::string long_banner(301, 'b');
  const std::vector<Case> cases = {
      {"unknown flag",
       {"flag", "set", "paymnets_enabled", "off", "--reason", "x"},
       2,
       "unknown flag \"paymnets_enabled\""},
      {"bad value",
       {"flag", "set", "payments_enabled", "maybe", "--reason", "x"},
       2,
       "payments_enabled takes on|off"},
      {"blank reason",
       {"flag", "set", "payments_enabled", "off", "--reason", "   "},
       2,
       "--reason must not be blank"},
      {"empty reason",
       {"course", "deactivate", "course-sql", "--reason", ""},
       2,
       "--reason must not be blank"},
      {"long actor",
       {"flag", "set", "payments_enabled", "off", "--reason", "x", "--actor", long_actor},
       2,
       "--actor must be at most 64 bytes"},
      {"actor with a newline",
       {"course", "deactivate", "course-sql", "--reason", "x", "--actor", "kim\nroot"},
       2,
       "--actor must be at most 64 bytes without control characters"},
      {"long banner",
       {"flag", "set", "payment_banner", long_banner, "--reason", "x"},
       2,
       "payment_banner must be at most 300 bytes"},
      {"banner with control characters",
       {"flag", "set", "payment_banner", "점검\x1b[31m", "--reason", "x"},
       2,
       "without control characters"},
      {"blank reason, reconcile", {"reconcile", "--reason", " "}, 2, "--reason must not be blank"},
      {"blank reason, inject",
       {"payment", "inject", "--payment-key", "k-0001", "--order", "order-0001", "--user", "u",
        "--course", "course-sql", "--amount", "49000", "--reason", "\t"},
       2,
       "--reason must not be blank"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = stack.ops(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 0);
  EXPECT_EQ(stack.db().count("flags", "name = 'paymnets_enabled'"), 0);
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(stack.db().scalar("SELECT active FROM courses WHERE id = 'course-sql'"), "1");
}

TEST(StoreUrl, AURLWithASchemeOrAUsageErrorThatCreatesNothing) {
  TempDir dir;
  const std::string bare = dir.file("bare.db");
  const std::vector<std::vector<std::string>> commands = {
      {"migrate"},
      {"ops", "flag", "set", "payments_enabled", "off", "--reason", "x"},
      {"ops", "verify"},
      {"check", "weekly"},
      {"price", "explain", "--course", "course-sql"},
  };
  for (const auto& base : commands) {
    for (const std::string& value : {std::string(""), bare, std::string("sqlite://")}) {
      auto args = base;
      args.push_back("--store");
      args.push_back(value);
      SCOPED_TRACE(args[0] + " --store '" + value + "'");
      auto r = run_payedge(args, test_env());
      EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
      EXPECT_NE(r.err.find("--store"), std::string::npos) << r.err;
    }
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// Commands that read never create or migrate a store; they read a read-only copy.
TEST(ReadOnlyCommands, NeverCreateOrMigrateAStore) {
  TempDir dir;
  const std::string missing = "sqlite://" + dir.file("missing.db");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ops", "verify", "--store", missing, "--toss-url", "http://127.0.0.1:9"},
           {"check", "weekly", "--store", missing},
           {"incident", "new", "--title", "t", "--store", missing, "--dir", dir.file("inc")},
           {"price", "explain", "--course", "course-sql", "--store", missing},
       }) {
    SCOPED_TRACE(args[0]);
    auto r = run_payedge(args, test_env());
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("no store at"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing.db")));
  }
  // A store of an older schema is not migrated by a reader.
  Stack stack;
  stack.stop_services();
  stack.db().exec(
      "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM "
      "schema_migrations)");
  auto old = run_payedge(
      {"price", "explain", "--course", "course-sql", "--store", stack.store_url()}, test_env());
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_NE(old.err.find("run payedge migrate first"), std::string::npos) << old.err;
}

TEST(ReadOnlyCommands, ReadAReadOnlyCopyAndLeaveItAsItWas) {
  Stack stack;
  stack.stop_services();
  stack.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");  // everything in the main file
  TempDir copy_dir;
  const std::string copy = copy_dir.file("copy.db");
  std::filesystem::copy_file(stack.db_path(), copy);
  ::chmod(copy.c_str(), 0444);
  ::chmod(copy_dir.path().c_str(), 0555);  // not even a -shm file can be made beside it
  auto r = run_payedge({"price", "explain", "--course", "course-sql", "--store", "sqlite://" + copy,
                        "--format", "json"},
                       test_env());
  ::chmod(copy_dir.path().c_str(), 0755);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["expected"], 49000) << r.out;
  // Nothing written: the copy has its bytes (and no journal beside it was left behind).
  std::ifstream a(stack.db_path(), std::ios::binary), b(copy, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(a)), {}),
      after((std::istreambuf_iterator<char>(b)), {});
  EXPECT_TRUE(original == after);
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal") &&
               std::filesystem::file_size(copy + "-wal") > 0);
}

constexpr const char* kOpenAttempts =
    "INSERT INTO confirm_attempts (payment_key, order_id, user_id, course_id, amount, "
    "fingerprint, idempotency_key, state, lease_until, created_at, updated_at, expires_at) "
    "VALUES ";

std::string open_attempt(const std::string& key, const std::string& user,
                         const std::string& lease_until) {
  return "('" + key + "', 'order-" + key + "', '" + user + "', 'course-sql', 49000, 'fp', 'idem-" +
         key + "', 'IN_PROGRESS', '" + lease_until +
         "', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z')";
}

TEST(Reconcile, ExitsOneNamingAStoreItCannotWrite) {
  Stack stack;
  stack.stop_services();
  // An open attempt whose lease has run out: a real run must claim it, a write. Another
  // process holds the write lock past the busy timeout (tests run as root: file modes would
  // not stop a write).
  stack.db().exec(std::string(kOpenAttempts) +
                  open_attempt("pk-open-1", "u1", "2026-01-01T00:00:00.000Z"));
  const auto config = write_file(stack.dir(), "busy.toml", "[store]\nbusy_timeout_ms = 100\n");
  stack.db().exec("BEGIN EXCLUSIVE");
  auto r = run_payedge(
      {"ops", "reconcile", "--older-than", "0s", "--config", config, "--store", stack.store_url(),
       "--toss-url", stack.toss_url(), "--toss-ca", stack.toss_ca(), "--lang", "en"},
      test_env());
  stack.db().exec("ROLLBACK");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find("held by a live serve: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("error: E_INTERNAL"), std::string::npos) << r.err;
}

TEST(Reconcile, DryRunPredictsLeasesExactly) {
  Stack stack;
  stack.stop_services();
  // One attempt leased far into the future (a live owner), one whose lease ran out.
  stack.db().exec(std::string(kOpenAttempts) +
                  open_attempt("pk-held-1", "u1", "2999-01-01T00:00:00.000Z") + ", " +
                  open_attempt("pk-free-1", "u2", "2026-01-01T00:00:00.000Z"));
  auto dry = stack.ops({"reconcile", "--older-than", "0s", "--dry-run", "--format", "json"});
  auto real = stack.ops({"reconcile", "--older-than", "0s", "--format", "json"});
  const auto d = json::parse(dry.out, nullptr, false), w = json::parse(real.out, nullptr, false);
  ASSERT_TRUE(d.is_object()) << dry.out << dry.err;
  ASSERT_TRUE(w.is_object()) << real.out << real.err;
  EXPECT_EQ(d["leased_elsewhere"], 1);
  EXPECT_EQ(d["leased_elsewhere"], w["leased_elsewhere"]);
  EXPECT_EQ(d["examined"], w["examined"]);
  EXPECT_EQ(d["actions"].size(), w["actions"].size());
}

TEST(Config, UnknownKeysWrongTypesAndRangesNameTheKey) {
  TempDir dir;
  struct Case {
    const char* toml;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"[server]\nconfirm_rate_per_sec = 1\n", "[server] confirm_rate_per_sec: unknown key"},
      {"[server]\nmax_body_bytes = 0\n", "[server] max_body_bytes: 0 is out of range"},
      {"[server]\nmax_body_bytes = -5\n", "[server] max_body_bytes: -5 is out of range"},
      {"[toss]\nbase_url = 42\n", "[toss] base_url: expected a string"},
      {"[alerts]\nmismatch_min_users = 0\n", "[alerts] mismatch_min_users: 0 is out of range"},
      {"[alerts]\nmismatch_ratio = 1.5\n", "[alerts] mismatch_ratio: 1.5 is out of range"},
      {"[alerts]\nauto_toggle = \"yes\"\n", "[alerts] auto_toggle: expected true or false"},
      {"[sever]\nlisten = \"x\"\n", "[sever]: unknown section"},
      {"[store]\nurl = \"payedge.db\"\n", "[store] url: must be sqlite://PATH"},
      {"[server]\nenvironment = \"prod\"\n", "[server] environment: must be"},
      // One late heartbeat must not make a live instance look dead.
      {"[server]\nheartbeat_interval_ms = 5000\nheartbeat_stale_ms = 6000\n",
       "[server] heartbeat_stale_ms: 6000 is under twice heartbeat_interval_ms"},
      {"[server]\nshutdown_delay_ms = -1\n", "[server] shutdown_delay_ms: -1 is out of range"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.toml);
    const auto path = write_file(dir, "payedge.toml", c.toml);
    auto r = run_payedge({"price", "explain", "--course", "x", "--config", path}, test_env());
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  // Every problem at once.
  const auto path =
      write_file(dir, "payedge.toml", "[server]\nconfirm_rate_per_sec = 1\nmax_body_bytes = 0\n");
  auto r = run_payedge({"price", "explain", "--course", "x", "--config", path}, test_env());
  EXPECT_NE(r.err.find("confirm_rate_per_sec"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("max_body_bytes"), std::string::npos) << r.err;
}

TEST(LogsCommand, PrintsNothingOnStdoutBeforeItFails) {
  TempDir dir;
  // A truncated .gz: the first half of a compressed log.
  std::string gz;
  for (int i = 0; i < 200; ++i) {
    gz +=
        R"({"ts":"2026-11-26T01:02:03.000Z","fn":"confirm-payment","status":"success","latency_ms":)" +
        std::to_string(i) + "}\n";
  }
  std::ofstream(dir.file("full.log")) << gz;
  ASSERT_EQ(std::system(("gzip -k " + dir.file("full.log")).c_str()), 0);
  const auto size = std::filesystem::file_size(dir.file("full.log.gz"));
  std::filesystem::copy_file(dir.file("full.log.gz"), dir.file("cut.log.gz"));
  std::filesystem::resize_file(dir.file("cut.log.gz"), size / 2);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"logs", "query", "--count", dir.path()},
           {"logs", "query", "--count", dir.file("cut.log.gz")},
           {"logs", "top", "--by", "error_code", dir.file("cut.log.gz")},
           {"logs", "latency", "--format", "json", dir.file("cut.log.gz")},
           {"logs", "errors", "--format", "json", dir.file("cut.log.gz")},
       }) {
    SCOPED_TRACE(args.back() + " " + args[1]);
    auto r = run_payedge(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace payedge::testing
