// Running payedge as a service: --version, config check, the /metrics series a platform team
// graphs, the Grafana export (its queries parse and name only exposed metrics), log reopen on
// SIGHUP, and migrations (--dry-run, refusing a store migrated by a newer binary).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"

namespace payedge::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Version, NamesGitVersionCompilerAndLibraries) {
  auto r = run_payedge({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("payedge ")) << r.out;
  for (const char* part :
       {"compiler: GCC", "build type: ", "OpenSSL: OpenSSL 3", "SQLite: 3.", "libpq: "}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in " << r.out;
  }
  // The version is git describe's (a hex hash at least) — the tests run from a checkout.
  const std::string first = r.out.substr(0, r.out.find('\n'));
  EXPECT_TRUE(std::regex_search(first, std::regex("[0-9a-f]{7}"))) << first;
}

TEST(ConfigCheck, ListsEveryProblemAndExitsOne) {
  TempDir dir;
  std::ofstream(dir.file("bad.toml")) << "[server]\nlisten = \"nowhere\"\n"
                                         "[store]\nurl = \"sqlite:///no/such/dir/payedge.db\"\n";
  // No secrets in the environment: the development defaults are problems too.
  auto r =
      run_payedge({"config", "check", "--config", dir.file("bad.toml")},
                  {{"TOSS_SECRET_KEY", ""}, {"SUPABASE_JWT_SECRET", ""}, {"WEBHOOK_SECRET", ""}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const char* problem :
       {"TOSS_SECRET_KEY is not set", "SUPABASE_JWT_SECRET is not set", "WEBHOOK_SECRET is not set",
        "/no/such/dir does not exist", "problem  [server] listen = nowhere"}) {
    EXPECT_NE(r.out.find(problem), std::string::npos) << problem << " in\n" << r.out;
  }
  // What it checked is listed, fine or not.
  EXPECT_NE(r.out.find("ok       [toss] base_url"), std::string::npos) << r.out;
}

TEST(ConfigCheck, LoaderErrorIsAProblem) {
  TempDir dir;
  std::ofstream(dir.file("slo.toml")) << "[slo]\nsuccess_rate = 2\n";
  auto r = run_payedge({"config", "check", "--config", dir.file("slo.toml")}, test_env());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("problem  config file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("success_rate"), std::string::npos) << r.out;
  auto missing = run_payedge({"config", "check", "--config", dir.file("none.toml")}, test_env());
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
}

TEST(ConfigCheck, GoodConfigAndSecretsPass) {
  TempDir dir;
  std::ofstream(dir.file("good.toml"))
      << "[server]\nlisten = \"127.0.0.1:8080\"\n[store]\nurl = \"sqlite://"
      << dir.file("payedge.db") << "\"\n[log]\nfile = \"" << dir.file("payedge.log") << "\"\n";
  auto r = run_payedge({"config", "check", "--config", dir.file("good.toml")}, test_env());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("config check: ok"), std::string::npos) << r.out;
  // Nothing was started or created.
  EXPECT_FALSE(std::filesystem::exists(dir.file("payedge.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("payedge.log")));
}

// The family names of an exposition (from its TYPE lines), with a histogram's series names.
std::set<std::string> exposed_names(const std::string& body) {
  std::set<std::string> names;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, std::regex("# TYPE (\\S+) (\\S+)"))) continue;
    names.insert(m[1]);
    if (m[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(m[1].str() + suffix);
    }
  }
  return names;
}

TEST(Metrics, SwitchesCoursesOutcomesAndBuildInfo) {
  Stack stack;
  const std::string key = stack.new_session("order-series-1", 49000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-series-1", 49000, "course-sql")).status, 200);
  stack.confirm(body_for("k-series-2", "order-series-2", 1, "course-nope"));  // not catalogued
  stack.confirm(body_for("k-series-3", "order-series-3", 1, "course-cpp"));   // amount mismatch
  stack.db().exec("UPDATE flags SET value = 'off' WHERE name = 'payments_enabled'");
  stack.db().exec("UPDATE courses SET active = FALSE WHERE id = 'course-ml'");
  auto m = http_call(stack.api_port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  for (const char* series : {
           "payedge_payments_enabled 0\n",
           "payedge_course_active{course_id=\"course-ml\"} 0\n",
           "payedge_course_active{course_id=\"course-sql\"} 1\n",
           "payedge_confirms_total{course_id=\"course-sql\",outcome=\"success\"} 1\n",
           "payedge_confirms_total{course_id=\"other\",outcome=\"E_COURSE_NOT_FOUND\"} 1\n",
           "payedge_confirms_total{course_id=\"course-cpp\",outcome=\"E_AMOUNT_MISMATCH\"} 1\n",
           "payedge_open_confirm_attempts 0\n",
           "payedge_pending_deposits 0\n",
           "payedge_toss_answers_total{class=\"ok\"} 1\n",
           "payedge_build_info{version=\"",
           "# TYPE payedge_webhook_events_total counter\n",
           "# TYPE payedge_reconciler_actions_total counter\n",
       }) {
    EXPECT_NE(m.body.find(series), std::string::npos) << series << "\n" << m.body;
  }
  // A course id nobody catalogued never becomes a label of its own.
  EXPECT_EQ(m.body.find("course-nope"), std::string::npos);
  // Group commit: the paid confirm wrote at least twice (its attempt, then payment and
  // enrollment), in at least one committed group.
  auto value = [&](const std::string& name) {
    const auto at = m.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(m.body.substr(at + name.size() + 2));
  };
  EXPECT_GE(value("payedge_store_commit_writes_total"), 2) << m.body;
  EXPECT_GE(value("payedge_store_commit_batches_total"), 1) << m.body;
  EXPECT_LE(value("payedge_store_commit_batches_total"),
            value("payedge_store_commit_writes_total"));
  EXPECT_EQ(value("payedge_store_commit_failed_total"), 0) << m.body;
  EXPECT_GE(value("payedge_store_commit_largest_batch"), 1) << m.body;
}

TEST(Dashboards, GrafanaQueriesParseAndNameOnlyExposedMetrics) {
  Stack stack;
  auto m = http_call(stack.api_port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  const auto exposed = exposed_names(m.body);
  ASSERT_TRUE(exposed.contains("payedge_confirms_total"));

  auto dash = run_payedge({"dashboards", "export", "--format", "grafana"});
  ASSERT_EQ(dash.exit_code, 0) << dash.err;
  auto j = nlohmann::json::parse(dash.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << dash.out;
  EXPECT_GE(j["schemaVersion"].get<int>(), 39);
  std::vector<std::string> exprs;
  for (const auto& panel : j["panels"]) {
    for (const auto& t : panel["targets"]) exprs.push_back(t["expr"].get<std::string>());
  }
  auto listed = run_payedge({"dashboards", "export", "--list-queries"});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), std::ssize(exprs));
  ASSERT_GE(exprs.size(), 10u);

  // One rule file with every expression as a recording rule: promtool parses each one.
  ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
      << "promtool missing: scripts/install-deps.sh installs it";
  std::ofstream rules(stack.dir().file("dash_rules.yml"));
  rules << "groups:\n  - name: dashboard\n    rules:\n";
  const std::regex name_re("payedge_[a-z_]+");
  for (size_t i = 0; i < exprs.size(); ++i) {
    nlohmann::json quoted = exprs[i];
    rules << "      - record: payedge:dashboard_query_" << i << "\n        expr: " << quoted.dump()
          << "\n";
    for (auto it = std::sregex_iterator(exprs[i].begin(), exprs[i].end(), name_re);
         it != std::sregex_iterator(); ++it) {
      EXPECT_TRUE(exposed.contains(it->str())) << it->str() << " in " << exprs[i];
    }
  }
  rules.close();
  const int rc = std::system(("promtool check rules " + stack.dir().file("dash_rules.yml") + " > " +
                              stack.dir().file("promtool.out") + " 2>&1")
                                 .c_str());
  EXPECT_EQ(rc, 0) << slurp(stack.dir().file("promtool.out"));

  // One source: the rules' latency and mismatch expressions are the dashboard's.
  auto rules_out = run_payedge({"rules", "export", "--format", "prometheus"});
  ASSERT_EQ(rules_out.exit_code, 0);
  for (const auto& e : exprs) {
    if (e.starts_with("histogram_quantile") ||
        e.starts_with("(sum(increase(payedge_requests_total"
                      "{fn=\"confirm-payment\",error_code=\"E_AMOUNT")) {
      EXPECT_NE(rules_out.out.find(e), std::string::npos) << e;
    }
  }
}

// The pid of this test's child whose command line mentions `needle` (the harness keeps pids
// to itself): /proc/self/task/*/children lists the children of each thread.
pid_t child_with_arg(const std::string& needle) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    for (pid_t pid; children >> pid;) {
      const std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
      if (cmdline.find(needle) != std::string::npos) return pid;
    }
  }
  return -1;
}

TEST(LogFile, ReopensOnSighupAfterRotation) {
  TempDir dir;
  const std::string log = dir.file("payedge.log");
  std::ofstream(dir.file("c.toml")) << "[server]\nconfirm_rate_per_s = 0\n";  // no 429s here
  ChildProcess serve(
      {"serve", "--config", dir.file("c.toml"), "--listen", "127.0.0.1:0", "--store",
       "sqlite://" + dir.file("p.db"), "--toss-url", "http://127.0.0.1:9", "--log-file", log},
      test_env());
  const int port = serve.wait_listening();
  ASSERT_GT(port, 0) << serve.stderr_rest();
  auto unauthorized = [&] {
    return http_call(port, "POST", "/functions/v1/confirm-payment", "{}").status;
  };
  ASSERT_EQ(unauthorized(), 401);
  ASSERT_EQ(read_json_lines(log).size(), 1u);
  std::filesystem::rename(log, log + ".1");  // what logrotate does first
  ASSERT_EQ(unauthorized(), 401);            // still the old file: nobody reopened it
  EXPECT_EQ(read_json_lines(log + ".1").size(), 2u);
  const pid_t pid = child_with_arg(log);
  ASSERT_GT(pid, 0) << "serve's pid not found under /proc/self/task/*/children";
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  // The signal reaches the I/O thread at some point between two requests: keep logging until a
  // line lands at the old path (bounded, no sleeping). The reopen creates the file before any
  // line reaches it, so wait for a line, not for the file. No line is lost or split on the way.
  size_t sent = 2;
  while (read_json_lines(log).empty() && sent < 5000) {
    ASSERT_EQ(unauthorized(), 401);
    ++sent;
  }
  ASSERT_FALSE(read_json_lines(log).empty()) << "no line in a new file after " << sent;
  ASSERT_EQ(unauthorized(), 401);
  ++sent;
  const size_t old_lines = read_json_lines(log + ".1").size();
  const size_t new_lines = read_json_lines(log).size();
  EXPECT_GE(new_lines, 2u);
  EXPECT_EQ(old_lines + new_lines, sent);
  for (const auto& line : read_json_lines(log)) EXPECT_EQ(line["fn"], "confirm-payment");
  EXPECT_EQ(serve.stop(), 0);
}

TEST(Migrate, DryRunPrintsAndChangesNothing) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("p.db");
  auto plan = run_payedge({"migrate", "--dry-run", "--store", store});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("store schema version 0"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("would apply 1 initial"), std::string::npos) << plan.out;
  {
    Db db(dir.file("p.db"));
    EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"),
              "0");
  }
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  plan = run_payedge({"migrate", "--dry-run", "--store", store});
  ASSERT_EQ(plan.exit_code, 0);
  EXPECT_NE(plan.out.find("nothing to do"), std::string::npos) << plan.out;
}

TEST(Migrate, RefusesAStoreMigratedByANewerBinary) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("p.db");
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  {
    Db db(dir.file("p.db"));
    db.exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
        "(999, 'from_the_future', '2030-01-01T00:00:00.000Z')");
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"migrate", "--store", store},
           {"migrate", "--dry-run", "--store", store},
           {"serve", "--listen", "127.0.0.1:0", "--store", store}}) {
    auto r = run_payedge(args, test_env());
    EXPECT_EQ(r.exit_code, 1) << args[0] << r.out << r.err;
    EXPECT_NE(r.err.find("schema version 999, newer than this binary's"), std::string::npos)
        << r.err;
  }
  // auto_migrate = false checks too.
  std::ofstream(dir.file("c.toml")) << "[store]\nauto_migrate = false\n";
  auto r = run_payedge(
      {"serve", "--config", dir.file("c.toml"), "--listen", "127.0.0.1:0", "--store", store},
      test_env());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("newer than this binary's"), std::string::npos) << r.err;
}

// Expand/contract: a newer migration that only added (recorded with expand = TRUE) leaves an
// older binary free to migrate (nothing to do), serve and read; a contract one does not.
TEST(Migrate, AcceptsANewerSchemaWhoseNewerMigrationsOnlyAdd) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("p.db");
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  {
    Db db(dir.file("p.db"));
    db.exec(
        "INSERT INTO schema_migrations (version, name, applied_at, expand) VALUES "
        "(998, 'adds_a_column', '2030-01-01T00:00:00.000Z', TRUE)");
  }
  auto migrated = run_payedge({"migrate", "--store", store});
  EXPECT_EQ(migrated.exit_code, 0) << migrated.err;
  auto plan = run_payedge({"migrate", "--dry-run", "--store", store});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("nothing to do"), std::string::npos) << plan.out;
  // A reading command (no payments: verify asks Toss nothing).
  auto read = run_payedge({"ops", "verify", "--store", store, "--toss-url", "http://127.0.0.1:9"},
                          test_env());
  EXPECT_EQ(read.exit_code, 0) << read.out << read.err;
  EXPECT_EQ(read.err.find("newer than this binary"), std::string::npos) << read.err;
  {
    ChildProcess serve({"serve", "--listen", "127.0.0.1:0", "--store", store}, test_env());
    EXPECT_NE(serve.wait_listening(), 0) << serve.stderr_rest();
  }
  // One contract step among the newer ones: refused, naming the versions.
  {
    Db db(dir.file("p.db"));
    db.exec(
        "INSERT INTO schema_migrations (version, name, applied_at, expand) VALUES "
        "(999, 'drops_a_column', '2030-01-02T00:00:00.000Z', FALSE)");
  }
  auto refused = run_payedge({"migrate", "--store", store});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("schema version 999, newer than this binary's"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace payedge::testing
