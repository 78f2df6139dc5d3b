// The alert engine through the real binary: `watch --replay` prints transitions in event
// time and changes nothing; `watch` over stdin with a store flips the switch and records the
// alerts; Slack and Alertmanager deliveries (the simulator stands in for both) survive 429s;
// `rules export` passes promtool; and `serve` runs the same engine on its own traffic.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/time.h"
#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

constexpr EpochMs kT0 = 1'795'617'000'000;  // 2026-11-25T14:30:00Z
constexpr EpochMs kMin = 60'000;

std::string line(EpochMs ts, const std::string& code, int http,
                 const std::string& course = "course-sql",
                 const std::string& fn = "confirm-payment") {
  json j = {{"ts", format_utc(ts)},
            {"level", code.empty() ? "info" : "warn"},
            {"fn", fn},
            {"request_id", "r-" + std::to_string(ts)},
            {"status", code.empty() ? "success" : "error"},
            {"error_code", code.empty() ? json(nullptr) : json(code)},
            {"latency_ms", 120},
            {"http_status", http},
            // Mismatches come from many buyers (a price bug), so the automatic switch may act.
            {"user_id", code == "E_AMOUNT_MISMATCH" ? "u-" + std::to_string(ts / 1000 % 100000)
                                                    : std::string("u-1")},
            {"course_id", course}};
  if (code == "TOSS_API_ERROR") j["toss_http_status"] = 500;
  return j.dump() + "\n";
}

std::string write(TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(json::parse(l));
  }
  return out;
}

// Three Toss failures in two minutes, quiet successes ten minutes later, and ten amount
// mismatches on course-sql among a few good confirms.
std::string incident_log() {
  std::string log;
  log += line(kT0, "TOSS_API_ERROR", 502);
  log += line(kT0 + kMin, "TOSS_API_ERROR", 502);
  log += line(kT0 + 2 * kMin, "TOSS_API_ERROR", 502);
  log += line(kT0 + 12 * kMin, "", 200);  // the window is clear of failures: false from here
  log += line(kT0 + 15 * kMin, "", 200);  // ... for longer than resolve_after_s (2 min)
  for (int i = 0; i < 10; ++i) log += line(kT0 + 20 * kMin + i * 1000, "E_AMOUNT_MISMATCH", 400);
  return log;
}

TEST(Watch, ReplayPrintsTransitionsInEventTimeAndChangesNothing) {
  TempDir dir;
  const auto log = write(dir, "app.log", incident_log() + "not json\n");
  auto r = run_payedge({"watch", "--replay", log, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0]["rule"], "toss_5xx_burst");
  EXPECT_EQ(lines[0]["state"], "firing");
  EXPECT_EQ(lines[0]["at"], format_utc(kT0 + 2 * kMin));
  EXPECT_EQ(lines[0]["annotations"]["count"], "3");
  EXPECT_EQ(lines[1]["rule"], "toss_5xx_burst");
  EXPECT_EQ(lines[1]["state"], "resolved");
  EXPECT_EQ(lines[1]["at"], format_utc(kT0 + 15 * kMin));
  EXPECT_EQ(lines[2]["rule"], "amount_mismatch_ratio");
  EXPECT_EQ(lines[2]["state"], "firing");
  EXPECT_EQ(lines[2]["at"], format_utc(kT0 + 20 * kMin + 9000));  // the 10th mismatch
  EXPECT_EQ(lines[3]["state"], "action");
  EXPECT_EQ(lines[3]["labels"]["action"], "course_deactivate");
  EXPECT_EQ(lines[3]["labels"]["course_id"], "course-sql");
  EXPECT_EQ(lines[3]["labels"]["applied"], "false");
  for (const auto& l : lines) {
    for (const char* key : {"rule", "state", "at", "summary", "labels"})
      EXPECT_TRUE(l.contains(key));
  }
  EXPECT_NE(r.err.find("skipped 1 malformed line"), std::string::npos) << r.err;
}

TEST(Watch, StdinWithAStoreSwitchesOffTheCourseAndRecordsTheAlerts) {
  TempDir dir;
  const std::string db = dir.file("payedge.db");
  const std::string store = "sqlite://" + db;
  std::ofstream(dir.file("seed.json")) << sample_seed_json();
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  ASSERT_EQ(run_payedge({"seed", dir.file("seed.json"), "--store", store}).exit_code, 0);
  const auto log = write(dir, "app.log", incident_log());
  auto r = run_payedge({"watch", "--store", store, "--format", "json"}, {}, log);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[3]["labels"]["applied"], "true");
  Db d(db);
  EXPECT_EQ(d.scalar("SELECT active FROM courses WHERE id = 'course-sql'"), "0");
  EXPECT_EQ(d.scalar("SELECT active FROM courses WHERE id = 'course-cpp'"), "1");
  EXPECT_EQ(d.scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(d.count("audit_log",
                    "actor = 'payedge-alert' AND action = 'course.deactivate' AND "
                    "target = 'course-sql'"),
            1);
  const auto alerts = d.rows("SELECT rule, state, at FROM alerts ORDER BY id");
  ASSERT_EQ(alerts.size(), 4u);
  EXPECT_EQ(alerts[0],
            (std::vector<std::string>{"toss_5xx_burst", "firing", format_utc(kT0 + 2 * kMin)}));
  EXPECT_EQ(alerts[3][0], "amount_mismatch_ratio");
  EXPECT_EQ(alerts[3][1], "action");
  // Never back on by itself: a second run over a quiet log leaves the course off.
  const auto quiet = write(dir, "quiet.log", line(kT0 + 200 * kMin, "", 200));
  ASSERT_EQ(run_payedge({"watch", "--store", store}, {}, quiet).exit_code, 0);
  EXPECT_EQ(d.scalar("SELECT active FROM courses WHERE id = 'course-sql'"), "0");
}

// Slack and Alertmanager are https: the simulator's receivers serve TLS with a throwaway CA,
// which `[alerts] ca_file` trusts.
TEST(Watch, DeliversToSlackAndAlertmanagerOverTlsThroughRefusals) {
  TempDir dir;
  ChildProcess sim({"sim", "--listen", "127.0.0.1:0", "--tls-self-signed", dir.file("tls")},
                   test_env());
  const int port = sim.wait_listening();
  ASSERT_GT(port, 0);
  use_tls_for_port(port, dir.file("tls/ca.pem"));
  struct Forget {
    int port;
    ~Forget() { forget_tls_port(port); }
  } forget{port};
  ASSERT_EQ(http_call(port, "POST", "/__sim/receivers", R"({"fail_next":2,"status":429})").status,
            200);
  std::string log;
  for (int i = 0; i < 3; ++i) log += line(kT0 + i * 1000, "TOSS_API_ERROR", 502);
  const auto path = write(dir, "app.log", log);
  const auto config =
      write(dir, "payedge.toml", "[alerts]\nca_file = \"" + dir.file("tls/ca.pem") + "\"\n");
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  // Not a replay (stdin): the sinks are on. The process delivers what is queued before it ends.
  auto r = run_payedge({"watch", "--config", config, "--slack-url", base + "/__sim/slack",
                        "--alertmanager-url", base},
                       {}, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = http_call(port, "GET", "/__sim/received").json();
  EXPECT_EQ(got["rejected"], 2);  // two 429s, each retried
  ASSERT_EQ(got["slack"].size(), 1u) << got.dump();
  EXPECT_NE(got["slack"][0]["text"].get<std::string>().find("toss_5xx_burst"), std::string::npos);
  EXPECT_TRUE(got["slack"][0]["blocks"].is_array());
  ASSERT_EQ(got["alertmanager"].size(), 1u) << got.dump();
  const json& alert = got["alertmanager"][0][0];
  EXPECT_EQ(alert["labels"]["alertname"], "toss_5xx_burst");
  EXPECT_EQ(alert["labels"]["severity"], "critical");
  EXPECT_EQ(alert["startsAt"], format_utc(kT0 + 2000));
}

// Alertmanager identifies an alert by its label set: the burst's firing and its resolve carry
// the same set, so the simulator (holding alerts as Alertmanager does, one per label set) has
// one alert, closed at the resolve. Values are annotations, with the runbook and the next
// command; Slack speaks Korean by default and English with [alerts] lang = "en".
TEST(Watch, AlertmanagerResolveClosesWhatTheFiringOpened) {
  TempDir dir;
  ChildProcess sim({"sim", "--listen", "127.0.0.1:0"}, test_env());
  const int port = sim.wait_listening();
  ASSERT_GT(port, 0);
  std::string log;
  for (int i = 0; i < 5; ++i) log += line(kT0 + i * 1000, "TOSS_API_ERROR", 502);
  log += line(kT0 + 12 * kMin, "", 200);
  log += line(kT0 + 15 * kMin, "", 200);
  const auto path = write(dir, "app.log", log);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto r = run_payedge({"watch", "--slack-url", base + "/__sim/slack", "--alertmanager-url", base},
                       {}, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json got = http_call(port, "GET", "/__sim/received").json();
  ASSERT_EQ(got["alertmanager"].size(), 2u) << got.dump();
  EXPECT_EQ(got["alertmanager"][0][0]["labels"], got["alertmanager"][1][0]["labels"]);
  ASSERT_EQ(got["alertmanager_alerts"].size(), 1u) << got.dump();
  const json& held = got["alertmanager_alerts"][0];
  EXPECT_EQ(
      held["labels"],
      (json{{"alertname", "toss_5xx_burst"}, {"severity", "critical"}, {"service", "payedge"}}));
  EXPECT_EQ(held["deliveries"], 2);
  EXPECT_EQ(held["startsAt"], format_utc(kT0 + 2000));
  EXPECT_EQ(held["endsAt"], format_utc(kT0 + 15 * kMin));  // closed by the resolve
  EXPECT_EQ(held["annotations"]["burst_size"], "5");
  EXPECT_EQ(held["annotations"]["runbook"], "RUNBOOK 4.2");
  EXPECT_EQ(held["annotations"]["next_command"],
            "payedge logs errors --window 5m --fn confirm-payment --since " +
                format_utc(kT0 + 2000 - 5 * kMin) + " \"$LOG\"");
  ASSERT_EQ(got["slack"].size(), 2u) << got.dump();
  const std::string ko = got["slack"][0]["blocks"][0]["text"]["text"];
  EXPECT_NE(ko.find("Toss 5xx·타임아웃 승인 3건"), std::string::npos) << ko;
  EXPECT_NE(ko.find("런북: RUNBOOK 4.2"), std::string::npos) << ko;
  EXPECT_NE(ko.find("payedge logs errors --window 5m"), std::string::npos) << ko;
  const std::string over = got["slack"][1]["text"];
  EXPECT_NE(over.find("모두 5건"), std::string::npos) << over;  // the whole burst, not "3"

  // English on request.
  TempDir dir2;
  ChildProcess sim2({"sim", "--listen", "127.0.0.1:0"}, test_env());
  const int port2 = sim2.wait_listening();
  ASSERT_GT(port2, 0);
  const auto config = write(dir2, "payedge.toml", "[alerts]\nlang = \"en\"\n");
  r = run_payedge({"watch", "--config", config, "--slack-url",
                   "http://127.0.0.1:" + std::to_string(port2) + "/__sim/slack"},
                  {}, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  got = http_call(port2, "GET", "/__sim/received").json();
  ASSERT_EQ(got["slack"].size(), 2u) << got.dump();
  const std::string en = got["slack"][1]["blocks"][0]["text"]["text"];
  EXPECT_NE(en.find("Toss 5xx burst over: 5 confirms"), std::string::npos) << en;
  EXPECT_NE(en.find("runbook: RUNBOOK 4.2"), std::string::npos) << en;
}

// The routing example in docs/ is a configuration Alertmanager accepts.
TEST(Watch, AlertmanagerRoutingExampleInDocsPassesAmtool) {
  ASSERT_EQ(std::system("command -v amtool >/dev/null"), 0)
      << "amtool missing: scripts/install-deps.sh installs prometheus-alertmanager";
  TempDir dir;
  const std::string example =
      (std::filesystem::path(PAYEDGE_SOURCE_DIR) / "docs/examples/alertmanager.yml").string();
  const int rc =
      std::system(("amtool check-config " + example + " > " + dir.file("out") + " 2>&1").c_str());
  std::ifstream in(dir.file("out"));
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(rc, 0) << out.str();
}

// Without the CA the receivers' certificate is refused: nothing is delivered, nothing is sent
// in clear text instead.
TEST(Watch, RefusesAReceiverWhoseCertificateItCannotVerify) {
  TempDir dir;
  ChildProcess sim({"sim", "--listen", "127.0.0.1:0", "--tls-self-signed", dir.file("tls")},
                   test_env());
  const int port = sim.wait_listening();
  ASSERT_GT(port, 0);
  use_tls_for_port(port, dir.file("tls/ca.pem"));
  struct Forget {
    int port;
    ~Forget() { forget_tls_port(port); }
  } forget{port};
  std::string log;
  for (int i = 0; i < 3; ++i) log += line(kT0 + i * 1000, "TOSS_API_ERROR", 502);
  const auto path = write(dir, "app.log", log);
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  auto r = run_payedge({"watch", "--slack-url", base + "/__sim/slack"}, {}, path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = http_call(port, "GET", "/__sim/received").json();
  EXPECT_EQ(got["slack"].size(), 0u) << got.dump();
}

TEST(Watch, AnUnusableSlackUrlFromTheEnvironmentWarnsWithoutShowingIt) {
  TempDir dir;
  const auto log = write(dir, "app.log", line(kT0, "", 200));
  // Plain http:// to another machine is refused (only loopback may be clear text): no delivery,
  // a warning, and the URL (a secret) appears nowhere.
  auto r =
      run_payedge({"watch"}, {{"SLACK_WEBHOOK_URL", "http://hooks.example/T000/B000/s3cr3t"}}, log);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("alerts: no Slack delivery"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("s3cr3t"), std::string::npos);
}

TEST(Watch, UsageErrors) {
  EXPECT_EQ(run_payedge({"watch", "--replay", "a.log", "--follow", "b.log"}).exit_code, 2);
  EXPECT_EQ(run_payedge({"watch", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(run_payedge({"watch", "--replay", "/nonexistent/app.log"}).exit_code, 1);
  EXPECT_EQ(run_payedge({"watch", "--slack-url", "ftp://x"}).exit_code, 2);
  EXPECT_EQ(run_payedge({"watch", "--slack-url", "http://hooks.example/T0/B0/x"}).exit_code, 2);
}

TEST(RulesExport, PassesPromtoolCheckRules) {
  TempDir dir;
  auto r = run_payedge({"rules", "export", "--format", "prometheus"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* rule : {"toss_5xx_burst", "webhook_invalid_sig_ratio", "confirm_latency_p95",
                           "amount_mismatch_ratio", "amount_mismatch_single_user",
                           "idempotency_conflicts", "slo_burn_fast", "slo_burn_slow"}) {
    EXPECT_NE(r.out.find(std::string("alert: ") + rule), std::string::npos) << rule;
  }
  // The switch-worthy rule needs mismatch_min_users distinct users, as the in-process one does.
  EXPECT_NE(r.out.find("max(payedge_amount_mismatch_users) >= 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max(payedge_amount_mismatch_users) < 5"), std::string::npos) << r.out;
  const auto path = write(dir, "rules.yml", r.out);
  ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
      << "promtool missing: scripts/install-deps.sh installs it";
  const int check =
      std::system(("promtool check rules " + path + " > " + dir.file("out") + " 2>&1").c_str());
  std::ifstream out(dir.file("out"));
  std::stringstream ss;
  ss << out.rdbuf();
  EXPECT_EQ(check, 0) << ss.str() << r.out;
}

TEST(Incident, NewFillsTheTemplateFromLogsAlertsAndTheAuditLog) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("payedge.db");
  std::ofstream(dir.file("seed.json")) << sample_seed_json();
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  ASSERT_EQ(run_payedge({"seed", dir.file("seed.json"), "--store", store}).exit_code, 0);
  const auto log = write(dir, "app.log", incident_log());
  ASSERT_EQ(run_payedge({"watch", "--store", store}, {}, log).exit_code, 0);  // alerts + switch
  ASSERT_EQ(run_payedge({"ops", "flag", "set", "payments_enabled", "off", "--reason", "결제 점검",
                         "--actor", "kim", "--store", store})
                .exit_code,
            0);
  const std::string out_dir = dir.file("incidents");
  auto r = run_payedge({"incident", "new", "--title", "금액 불일치 급증", "--since",
                        "2026-11-25T14:00:00Z", "--store", store, "--dir", out_dir, log});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string path = r.out.substr(0, r.out.find('\n'));
  ASSERT_EQ(path.rfind(out_dir + "/PM-", 0), 0u) << path;
  EXPECT_EQ(path.substr(path.size() - 5), "-1.md");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string md = ss.str();
  for (const char* heading :
       {"# Incident PM-", "## 요약 (3문장)", "## 타임라인", "## 영향 범위", "## 근본 원인(RCA)",
        "## 해결 조치", "## 재발 방지(Action Items)", "## 로그/메트릭 스냅샷", "## 첨부"}) {
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  }
  // The timeline in KST: the 5xx alert fired at 14:32Z = 23:32 KST on 11-25.
  EXPECT_NE(md.find("11-25 23:32 [경보 발생] toss_5xx_burst"), std::string::npos) << md;
  EXPECT_NE(md.find("[자동 조치] amount_mismatch_ratio"), std::string::npos);
  EXPECT_NE(md.find("payedge-alert: course.deactivate course-sql"), std::string::npos);
  EXPECT_NE(md.find("kim: flag.set payments_enabled (사유: 결제 점검)"), std::string::npos);
  // Impact from the log: 15 confirm lines, 13 errors (3 Toss + 10 mismatches), 3 ours.
  EXPECT_NE(md.find("결제 승인 요청 15건, 오류 13건, 우리 쪽·Toss 실패 3건"), std::string::npos)
      << md;
  EXPECT_NE(md.find("E_AMOUNT_MISMATCH): 10건"), std::string::npos);
  EXPECT_NE(md.find("| E_AMOUNT_MISMATCH | 10 |"), std::string::npos);
  // The window's charts: SVG files beside the postmortem, linked from it.
  const std::string stem = path.substr(0, path.size() - 3);
  for (const std::string chart : {"-confirms.svg", "-latency.svg", "-toss5xx.svg"}) {
    const std::string name = stem.substr(stem.rfind('/') + 1) + chart;
    EXPECT_NE(md.find("](" + name + ")"), std::string::npos) << name;
    std::ifstream svg(stem + chart);
    std::stringstream text;
    text << svg.rdbuf();
    EXPECT_EQ(text.str().rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << name;
    EXPECT_NE(text.str().find("class=\"series\""), std::string::npos) << name;
  }
  // A second one the same day gets the next number; nothing is overwritten.
  auto again = run_payedge({"incident", "new", "--title", "둘째", "--dir", out_dir});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("-2.md"), std::string::npos) << again.out;
  EXPECT_EQ(run_payedge({"incident", "new", "--dir", out_dir}).exit_code, 2);  // no --title
  EXPECT_EQ(run_payedge({"incident", "new", "--title", "x", "--since", "soon"}).exit_code, 2);
}

// Impact by final state: a staged Toss 5xx burst whose orders were all paid later — by the
// buyer's retry (in the window and after it) or by the reconciler (a payment row, no success
// line) — lost no money; a purchase a switch refused and never paid is counted apart. The
// timeline puts the people first, folds the reconciler's rows into one line (keys masked),
// and shows the price change `seed` made.
TEST(Incident, FailedOrdersPaidLaterAreNotLostMoney) {
  TempDir dir;
  const std::string db = dir.file("payedge.db");
  const std::string store = "sqlite://" + db;
  std::ofstream(dir.file("seed.json")) << sample_seed_json();
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  ASSERT_EQ(run_payedge({"seed", dir.file("seed.json"), "--store", store}).exit_code, 0);
  // The price bug: course-sql's list price changes by a seed (audited, with the change).
  json seed = json::parse(sample_seed_json());
  for (auto& c : seed["courses"]) {
    if (c["id"] == "course-sql") c["list_price"] = 59000;
  }
  std::ofstream(dir.file("seed2.json")) << seed.dump();
  ASSERT_EQ(run_payedge({"seed", dir.file("seed2.json"), "--store", store, "--actor", "lee",
                         "--reason", "가격 인상"})
                .exit_code,
            0);
  auto order_line = [](EpochMs ts, const std::string& order, const std::string& code, int http) {
    json j = json::parse(line(ts, code, http));
    j["order_id"] = order;
    j["amount"] = 49000;
    return j.dump() + "\n";
  };
  std::string log;
  for (int i = 1; i <= 3; ++i) {
    log += order_line(kT0 + i * 1000, "o-" + std::to_string(i), "TOSS_API_ERROR", 502);
  }
  log += order_line(kT0 + 4 * kMin, "o-1", "", 200);                   // retried in the window
  log += order_line(kT0 + 5 * kMin, "o-9", "E_COURSE_INACTIVE", 409);  // blocked, never paid
  log += order_line(kT0 + 50 * kMin, "o-2", "", 200);                  // retried after the window
  const auto path = write(dir, "app.log", log);
  // o-3 was settled by the reconciler: a payment row, no success line.
  Db d(db);
  d.exec(
      "INSERT INTO payments (provider_tx_id, order_id, user_id, course_id, amount, status, "
      "source, created_at, updated_at) VALUES ('tkey-o3-abcdefgh', 'o-3', 'u-1', 'course-sql', "
      "49000, 'DONE', 'reconcile', '" +
      format_utc(kT0 + 6 * kMin) + "', '" + format_utc(kT0 + 6 * kMin) + "')");
  for (int i = 0; i < 4; ++i) {
    d.exec("INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES ('" +
           format_utc(kT0 + 6 * kMin + i) + "', 'serve', 'reconcile.settled', 'tkey-secret-key-" +
           std::to_string(i) + "-wxyz', 'periodic reconcile', '{}')");
  }
  d.exec("INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES ('" +
         format_utc(kT0 + 6 * kMin + 500) +
         "', 'park', 'flag.set', 'payment_banner', '4.2 공지', '{}')");
  const std::string out_dir = dir.file("incidents");
  auto r =
      run_payedge({"incident", "new", "--title", "Toss 5xx", "--since", format_utc(kT0), "--until",
                   format_utc(kT0 + 30 * kMin), "--store", store, "--dir", out_dir, path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(r.out.substr(0, r.out.find('\n')));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string md = ss.str();
  EXPECT_NE(md.find("실패 후 끝내 결제되지 않은 주문 0건, 실패했지만 나중에 결제된 주문 3건"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("결제되지 않은 실패 주문 ₩0, 막힌 뒤 결제되지 않은 구매 ₩49,000"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("스위치로 막힌 구매(E_PAYMENTS_DISABLED, E_COURSE_INACTIVE): 주문 1건"),
            std::string::npos)
      << md;
  // The reconciler's four rows are one line; no key in clear.
  EXPECT_NE(md.find("serve 의 대사·입금 처리 4건"), std::string::npos) << md;
  EXPECT_EQ(md.find("tkey-secret-key"), std::string::npos) << md;
  // The person's action at the same minute comes before the machine's.
  const auto person = md.find("[조치] park: flag.set payment_banner");
  ASSERT_NE(person, std::string::npos) << md;
  EXPECT_LT(person, md.find("serve 의 대사·입금 처리"));
  // The seed that changed the price is in the audit log (the timeline shows it when it falls
  // in the window).
  const std::string details =
      d.scalar("SELECT details FROM audit_log WHERE action = 'catalog.seed' AND actor = 'lee'");
  EXPECT_NE(details.find("course-sql list_price 49000→59000"), std::string::npos) << details;
  EXPECT_EQ(d.scalar("SELECT reason FROM audit_log WHERE actor = 'lee'"), "가격 인상");
  auto recent = run_payedge(
      {"incident", "new", "--title", "seed", "--since", "-1h", "--store", store, "--dir", out_dir});
  ASSERT_EQ(recent.exit_code, 0) << recent.err;
  std::ifstream in3(recent.out.substr(0, recent.out.find('\n')));
  std::stringstream ss3;
  ss3 << in3.rdbuf();
  const std::string seeded = ss3.str();
  const auto row = seeded.find("[조치] lee: catalog.seed seed2.json — 카탈로그 변경: ");
  ASSERT_NE(row, std::string::npos) << seeded;
  const std::string text = seeded.substr(row, seeded.find('\n', row) - row);
  EXPECT_NE(text.find("course-sql list_price 49000→59000"), std::string::npos) << text;
  EXPECT_NE(text.find("(사유: 가격 인상)"), std::string::npos) << text;

  // Without the store, the log alone: o-3 has no success line, so it counts as unpaid.
  auto logs_only = run_payedge({"incident", "new", "--title", "logs", "--since", format_utc(kT0),
                                "--until", format_utc(kT0 + 30 * kMin), "--dir", out_dir, path});
  ASSERT_EQ(logs_only.exit_code, 0) << logs_only.err;
  std::ifstream in2(logs_only.out.substr(0, logs_only.out.find('\n')));
  std::stringstream ss2;
  ss2 << in2.rdbuf();
  EXPECT_NE(ss2.str().find("끝내 결제되지 않은 주문 1건, 실패했지만 나중에 결제된 주문 2건"),
            std::string::npos)
      << ss2.str();
}

// After the incident, support writes to the buyers who saw a failure but were charged: the
// payments a background path (reconciler, webhook) recorded in the window, masked.
TEST(OpsCustomers, AffectedAreTheBuyersChargedAfterAFailure) {
  TempDir dir;
  const std::string db = dir.file("payedge.db");
  const std::string store = "sqlite://" + db;
  ASSERT_EQ(run_payedge({"migrate", "--store", store}).exit_code, 0);
  Db d(db);
  auto pay = [&](const std::string& key, const std::string& order, const std::string& user,
                 const std::string& source, EpochMs at) {
    d.exec(
        "INSERT INTO payments (provider_tx_id, order_id, user_id, course_id, amount, status, "
        "approved_at, source, created_at, updated_at) VALUES ('" +
        key + "', '" + order + "', '" + user + "', 'course-sql', 49000, 'DONE', '" +
        format_utc(at) + "', '" + source + "', '" + format_utc(at) + "', '" + format_utc(at) +
        "')");
  };
  pay("tkey-reconciled-0001", "o-1", "kim@example.com", "reconcile", kT0 + kMin);
  pay("tkey-webhooked-0002", "o-2", "u-2", "webhook", kT0 + 2 * kMin);
  pay("tkey-confirmed-0003", "o-3", "u-3", "confirm", kT0 + 3 * kMin);      // saw the success
  pay("tkey-reconciled-0004", "o-4", "u-4", "reconcile", kT0 + 90 * kMin);  // outside
  auto r = run_payedge({"ops", "customers", "affected", "--since", format_utc(kT0), "--until",
                        format_utc(kT0 + 60 * kMin), "--store", store, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["count"], 2) << r.out;
  EXPECT_EQ(j["customers"][0]["order_id"], "o-1");
  EXPECT_EQ(j["customers"][0]["source"], "reconcile");
  EXPECT_EQ(j["customers"][1]["order_id"], "o-2");
  EXPECT_EQ(r.out.find("kim@example.com"), std::string::npos) << r.out;  // masked
  EXPECT_EQ(r.out.find("tkey-reconciled-0001"), std::string::npos) << r.out;
  EXPECT_EQ(j["customers"][0]["payment_key"], "tkey" + std::string(12, '*') + "0001");
  // The table shows each approval in the one zone of every command (Asia/Seoul by default).
  auto table = run_payedge({"ops", "customers", "affected", "--since", format_utc(kT0), "--until",
                            format_utc(kT0 + 60 * kMin), "--store", store});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("2026-11-25T23:31:00+09:00"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find(format_utc(kT0 + kMin)), std::string::npos) << table.out;
  EXPECT_EQ(
      run_payedge({"ops", "customers", "affected", "--since", "soon", "--store", store}).exit_code,
      2);
}

TEST(ServeAlerts, MismatchesSwitchOffTheCourseInProcess) {
  Stack stack({.config_toml = "[alerts]\nmismatch_min_count = 3\nmismatch_min_users = 3\n"});
  // Three buyers with a wrong amount on course-sql (49,000): 3 of 3 mismatched.
  for (int i = 0; i < 3; ++i) {
    const std::string order = "order-alert-" + std::to_string(i);
    const std::string key = stack.new_session(order, 100);
    ASSERT_EQ(stack.confirm(body_for(key, order, 100, "course-sql"), "buyer-" + std::to_string(i))
                  .json()["error"]["code"],
              "E_AMOUNT_MISMATCH");
  }
  // The engine runs beside the request path; a graceful stop evaluates what it has queued,
  // so after a restart the switch it flipped is there to see.
  stack.restart_service();
  ASSERT_EQ(stack.db().scalar("SELECT active FROM courses WHERE id = 'course-sql'"), "0");
  EXPECT_EQ(stack.db().count("audit_log", "actor = 'payedge-alert'"), 1);
  EXPECT_EQ(stack.db().count("alerts", "rule = 'amount_mismatch_ratio' AND state = 'firing'"), 1);
  EXPECT_EQ(stack.db().count("alerts", "rule = 'amount_mismatch_ratio' AND state = 'action'"), 1);
  // The next honest buyer of that course is told it is not on sale; others still buy.
  const std::string key = stack.new_session("order-alert-ok", 49000);
  auto refused = stack.confirm(body_for(key, "order-alert-ok", 49000, "course-sql"));
  EXPECT_EQ(refused.json()["error"]["code"], "E_COURSE_INACTIVE");
  const std::string key2 = stack.new_session("order-alert-cpp", 79000);
  EXPECT_EQ(stack.confirm(body_for(key2, "order-alert-cpp", 79000, "course-cpp")).status, 200);
}

}  // namespace
}  // namespace payedge::testing
