// The ops dashboard through the real binary: the embedded page, the admin token (401, and 503
// without one), the switches it flips (audited like `ops`), and the token kept out of the log.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer " + kAdminToken}};

HttpReply admin_get(Stack& stack, const std::string& target,
                    const std::map<std::string, std::string>& headers = kAuth) {
  return http_call(stack.api_port(), "GET", target, "", headers);
}

HttpReply admin_post(Stack& stack, const std::string& target, const json& body,
                     const std::map<std::string, std::string>& headers = kAuth) {
  return http_call(stack.api_port(), "POST", target, body.dump(), headers);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_error(const HttpReply& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const json b = r.json();
  EXPECT_EQ(b["ok"], false) << r.body;
  EXPECT_EQ(b["error"]["code"], code) << r.body;
  EXPECT_TRUE(b["requestId"].is_string()) << r.body;
}

TEST(AdminTest, PageIsServedAsHtmlAndCallsTheAdminApi) {
  Stack stack;
  for (const std::string target : {"/admin/", "/admin"}) {
    auto r = http_call(stack.api_port(), "GET", target);
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_TRUE(r.headers["content-type"].starts_with("text/html")) << r.headers["content-type"];
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(r.headers["x-frame-options"], "DENY");
    for (const char* path : {"/admin/api/summary", "/admin/api/alerts", "/admin/api/audit",
                             "/admin/api/flags/payments_enabled", "/admin/api/courses/"}) {
      EXPECT_NE(r.body.find(path), std::string::npos) << path;
    }
    // Self-contained: nothing loaded from elsewhere.
    EXPECT_EQ(r.body.find("<script src"), std::string::npos);
    // The one <link> is an empty icon, so the browser does not ask for /favicon.ico.
    EXPECT_EQ(r.body.find("<link"), r.body.find("<link rel=\"icon\" href=\"data:,\">"));
    EXPECT_EQ(r.body.find("<link", r.body.find("<link") + 1), std::string::npos);
    EXPECT_EQ(r.body.find("https://"), std::string::npos);
    EXPECT_TRUE(r.body.ends_with("</html>\n"));  // the whole file made it into the binary
  }
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/admin/nothing-here").status, 404);
}

TEST(AdminTest, ApiRefusesMissingAndWrongTokens) {
  Stack stack;
  expect_error(admin_get(stack, "/admin/api/summary", {}), 401, "E_UNAUTHORIZED");
  expect_error(admin_get(stack, "/admin/api/audit", {{"Authorization", "Bearer "}}), 401,
               "E_UNAUTHORIZED");
  std::string wrong = kAdminToken;
  wrong.back() = wrong.back() == 'x' ? 'y' : 'x';
  expect_error(admin_get(stack, "/admin/api/summary", {{"Authorization", "Bearer " + wrong}}), 401,
               "E_UNAUTHORIZED");
  expect_error(admin_get(stack, "/admin/api/summary", {{"Authorization", kAdminToken}}), 401,
               "E_UNAUTHORIZED");
  // A refused change changes nothing.
  expect_error(admin_post(stack, "/admin/api/flags/payments_enabled",
                          {{"value", "off"}, {"reason", "not allowed"}},
                          {{"Authorization", "Bearer " + wrong}}),
               401, "E_UNAUTHORIZED");
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 0);
  EXPECT_EQ(admin_get(stack, "/admin/api/summary").status, 200);
  // Authorised, but not a route.
  EXPECT_EQ(admin_get(stack, "/admin/api/nothing").status, 404);
}

TEST(AdminTest, ApiIsOffWithoutATokenOrWithAShortOne) {
  for (const std::string token : {"", "short-token"}) {
    StackOptions options;
    options.admin_token = token;
    Stack stack(options);
    expect_error(admin_get(stack, "/admin/api/summary", {{"Authorization", "Bearer " + token}}),
                 503, "E_ADMIN_DISABLED");
    expect_error(admin_post(stack, "/admin/api/flags/payments_enabled",
                            {{"value", "off"}, {"reason", "r"}}, {}),
                 503, "E_ADMIN_DISABLED");
    EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");
    // The page itself holds nothing secret; it tells the operator the API is off, asking
    // /admin/api/status before any token.
    EXPECT_EQ(http_call(stack.api_port(), "GET", "/admin/").status, 200);
    auto st = http_call(stack.api_port(), "GET", "/admin/api/status");
    EXPECT_EQ(st.status, 200);
    EXPECT_EQ(st.json()["enabled"], false);
    EXPECT_TRUE(st.json()["reason"].is_string());
  }
}

TEST(AdminTest, PaymentsSwitchFlipsAuditsOnceAndShowsEverywhere) {
  Stack stack;
  auto summary = admin_get(stack, "/admin/api/summary");
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(summary.json()["payments_enabled"], true);
  EXPECT_TRUE(summary.json()["banner"].is_null());

  const std::string path = "/admin/api/flags/payments_enabled";
  expect_error(admin_post(stack, path, {{"value", "off"}}), 400, "E_INVALID_REQUEST");
  expect_error(admin_post(stack, path, {{"value", "off"}, {"reason", "   "}}), 400,
               "E_INVALID_REQUEST");
  expect_error(admin_post(stack, path, {{"value", "maybe"}, {"reason", "r"}}), 400,
               "E_INVALID_REQUEST");
  expect_error(http_call(stack.api_port(), "POST", path, "{not json", kAuth), 400,
               "E_INVALID_REQUEST");
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 0);
  EXPECT_EQ(stack.db().scalar("SELECT value FROM flags WHERE name = 'payments_enabled'"), "on");

  auto off = admin_post(
      stack, path, {{"value", "off"}, {"reason", "runbook 4.1 mismatch spike"}, {"actor", "kim"}});
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.json()["flag"]["from"], "on");
  EXPECT_EQ(off.json()["flag"]["to"], "off");
  auto rows = stack.db().rows(
      "SELECT actor, action, target, reason FROM audit_log WHERE action <> 'catalog.seed' ORDER BY "
      "id");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"kim", "flag.set", "payments_enabled",
                                               "runbook 4.1 mismatch spike"}));
  EXPECT_EQ(stack.db().scalar("SELECT actor FROM flags WHERE name = 'payments_enabled'"), "kim");

  summary = admin_get(stack, "/admin/api/summary");
  EXPECT_EQ(summary.json()["payments_enabled"], false);
  EXPECT_TRUE(summary.json()["banner"].is_string());
  EXPECT_EQ(summary.json()["flags"]["payments_enabled"]["reason"], "runbook 4.1 mismatch spike");
  auto status = http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json();
  EXPECT_EQ(status["paymentsEnabled"], false);
  EXPECT_EQ(status["banner"], summary.json()["banner"]);
  const std::string key = stack.new_session("order-admin-off-1", 49000);
  expect_error(stack.confirm(body_for(key, "order-admin-off-1", 49000, "course-sql")), 503,
               "E_PAYMENTS_DISABLED");

  // Newest first: the change, then the stack's own seed (catalog.seed).
  auto audit = admin_get(stack, "/admin/api/audit?limit=5").json();
  ASSERT_EQ(audit["audit"].size(), 2u);
  EXPECT_EQ(audit["audit"][0]["actor"], "kim");
  EXPECT_EQ(audit["audit"][0]["details"]["via"], "admin-api");
  EXPECT_EQ(audit["audit"][0]["details"]["from"], "on");

  auto on = admin_post(stack, path, {{"value", "on"}, {"reason", "cause found"}});
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 2);
  audit = admin_get(stack, "/admin/api/audit?limit=1").json();
  ASSERT_EQ(audit["audit"].size(), 1u);
  EXPECT_EQ(audit["audit"][0]["actor"], "admin-api");
  EXPECT_EQ(audit["audit"][0]["reason"], "cause found");
  EXPECT_EQ(
      http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json()["paymentsEnabled"],
      true);
}

TEST(AdminTest, CourseToggleStopsTheNextConfirmOfThatCourse) {
  Stack stack;
  const std::string path = "/admin/api/courses/course-sql";
  expect_error(admin_post(stack, path, {{"active", false}}), 400, "E_INVALID_REQUEST");
  expect_error(admin_post(stack, path, {{"active", "no"}, {"reason", "r"}}), 400,
               "E_INVALID_REQUEST");
  expect_error(
      admin_post(stack, "/admin/api/courses/no-such-course", {{"active", false}, {"reason", "r"}}),
      404, "E_COURSE_NOT_FOUND");
  EXPECT_EQ(stack.db().count("audit_log", "action <> 'catalog.seed'"), 0);

  auto off = admin_post(stack, path, {{"active", false}, {"reason", "price check"}});
  ASSERT_EQ(off.status, 200) << off.body;
  auto rows = stack.db().rows(
      "SELECT actor, action, target, reason FROM audit_log WHERE action <> 'catalog.seed' ORDER BY "
      "id");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"admin-api", "course.deactivate", "course-sql",
                                               "price check"}));
  const std::string key = stack.new_session("order-admin-inactive-1", 49000);
  expect_error(stack.confirm(body_for(key, "order-admin-inactive-1", 49000, "course-sql")), 409,
               "E_COURSE_INACTIVE");
  // Other courses still sell.
  const std::string cpp = stack.new_session("order-admin-cpp-1", 79000);
  EXPECT_EQ(stack.confirm(body_for(cpp, "order-admin-cpp-1", 79000, "course-cpp")).status, 200);

  bool listed_inactive = false;
  const json summary = admin_get(stack, "/admin/api/summary").json();
  for (const auto& c : summary["courses"]) {
    if (c["id"] == "course-sql") listed_inactive = c["active"] == false;
  }
  EXPECT_TRUE(listed_inactive);

  ASSERT_EQ(admin_post(stack, path, {{"active", true}, {"reason", "prices fixed"}}).status, 200);
  EXPECT_EQ(stack.db().count("audit_log", "action = 'course.activate'"), 1);
  const std::string again = stack.new_session("order-admin-active-2", 49000);
  EXPECT_EQ(stack.confirm(body_for(again, "order-admin-active-2", 49000, "course-sql")).status,
            200);
}

TEST(AdminTest, SummaryAndAlertsReflectWhatHappened) {
  Stack stack;
  const std::string key = stack.new_session("order-admin-sum-1", 79000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-admin-sum-1", 79000, "course-cpp")).status, 200);
  expect_error(stack.confirm(body_for("pk-x", "order-admin-sum-2", 1, "course-sql")), 400,
               "E_AMOUNT_MISMATCH");

  auto s = admin_get(stack, "/admin/api/summary").json();
  EXPECT_EQ(s["store"]["payments"], 1);
  EXPECT_EQ(s["store"]["open_attempts"], 0);
  long long success = 0, mismatch = 0;
  for (const auto& r : s["requests"]) {
    if (r["fn"] != "confirm-payment") continue;
    if (r["status"] == "success") success += r["count"].get<long long>();
    if (r["error_code"] == "E_AMOUNT_MISMATCH") mismatch += r["count"].get<long long>();
  }
  EXPECT_EQ(success, 1);
  EXPECT_EQ(mismatch, 1);
  EXPECT_EQ(s["latency"]["confirm-payment"]["count"], 2);
  EXPECT_GT(s["latency"]["confirm-payment"]["p95_ms"].get<double>(), 0);
  std::map<std::string, bool> active;
  for (const auto& c : s["courses"]) active[c["id"].get<std::string>()] = c["active"].get<bool>();
  EXPECT_EQ(active.size(), 4u);
  EXPECT_FALSE(active["course-old"]);
  EXPECT_TRUE(active["course-cpp"]);

  stack.db().exec(
      "INSERT INTO alerts (at, rule, state, summary, labels) VALUES "
      "('2026-11-26T01:00:00.000Z', 'toss_5xx_burst', 'firing', 'three 5xx', '{\"n\":3}'), "
      "('2026-11-26T01:10:00.000Z', 'toss_5xx_burst', 'resolved', 'calm again', '{}')");
  auto alerts = admin_get(stack, "/admin/api/alerts?limit=1").json();
  ASSERT_EQ(alerts["alerts"].size(), 1u);
  EXPECT_EQ(alerts["alerts"][0]["state"], "resolved");
  alerts = admin_get(stack, "/admin/api/alerts").json();
  ASSERT_EQ(alerts["alerts"].size(), 2u);
  EXPECT_EQ(alerts["alerts"][1]["labels"]["n"], 3);
  expect_error(admin_get(stack, "/admin/api/alerts?limit=0"), 400, "E_INVALID_REQUEST");
  expect_error(admin_get(stack, "/admin/api/audit?limit=abc"), 400, "E_INVALID_REQUEST");
}

TEST(AdminTest, EveryAdminRequestIsLoggedWithoutTheToken) {
  Stack stack;
  std::string wrong = "wrong-admin-token-but-long-enough";
  admin_get(stack, "/admin/");
  admin_get(stack, "/admin/api/summary", {{"Authorization", "Bearer " + wrong}});
  admin_get(stack, "/admin/api/summary",
            {{"X-Request-Id", "admin-trace-1"}, {"Authorization", "Bearer " + kAdminToken}});
  admin_post(stack, "/admin/api/flags/payments_enabled", {{"value", "off"}, {"reason", "drill"}});

  const std::string text = slurp(stack.log_path());
  EXPECT_EQ(text.find(kAdminToken), std::string::npos);
  EXPECT_EQ(text.find(wrong), std::string::npos);
  // The dashboard's own reads (an authorized GET under /admin/api/) are fn "admin-poll", so
  // a page left open is not counted as traffic; the page, a wrong token and changes are "admin".
  std::vector<json> admin;
  for (const auto& line : read_json_lines(stack.log_path())) {
    if (line["fn"] == "admin" || line["fn"] == "admin-poll") admin.push_back(line);
  }
  ASSERT_EQ(admin.size(), 4u);
  EXPECT_EQ(admin[0]["fn"], "admin");
  EXPECT_EQ(admin[0]["http_status"], 200);
  EXPECT_EQ(admin[1]["fn"], "admin");
  EXPECT_EQ(admin[1]["http_status"], 401);
  EXPECT_EQ(admin[1]["status"], "error");
  EXPECT_EQ(admin[1]["error_code"], "E_UNAUTHORIZED");
  EXPECT_EQ(admin[2]["fn"], "admin-poll");
  EXPECT_EQ(admin[2]["request_id"], "admin-trace-1");
  EXPECT_EQ(admin[2]["status"], "success");
  EXPECT_EQ(admin[3]["fn"], "admin");
  EXPECT_EQ(admin[3]["http_status"], 200);
  EXPECT_TRUE(admin[3]["latency_ms"].is_number_integer());
  // ... and the summary's request counters leave the polling out.
  auto s = admin_get(stack, "/admin/api/summary").json();
  for (const auto& r : s["requests"]) EXPECT_NE(r["fn"], "admin-poll") << r.dump();
  EXPECT_FALSE(s["latency"].contains("admin-poll"));
}

TEST(AdminTest, StateNowSeriesAndMaskedAudit) {
  Stack stack;
  // Status is answered without a token: the page says "off" before asking for one.
  auto st = http_call(stack.api_port(), "GET", "/admin/api/status");
  EXPECT_EQ(st.status, 200);
  EXPECT_EQ(st.json()["enabled"], true);

  const std::string key = stack.new_session("order-admin-now-1", 79000);
  ASSERT_EQ(stack.confirm(body_for(key, "order-admin-now-1", 79000, "course-cpp")).status, 200);
  expect_error(stack.confirm(body_for("pk-y", "order-admin-now-2", 1, "course-sql")), 400,
               "E_AMOUNT_MISMATCH");
  ASSERT_EQ(admin_post(stack, "/admin/api/courses/course-ml",
                       {{"active", false}, {"reason", "price bug"}, {"actor", "oncall-kim"}})
                .status,
            200);
  stack.db().exec(
      "INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES "
      "('2026-11-26T01:00:00.000Z', 'payedge-alert', 'course.deactivate', 'course-sql', "
      "'mismatch wave', '{}'), "
      "('2026-11-26T01:00:01.000Z', 'ops-lee', 'payment.inject', '" +
      key + "', 'support', '{\"payment_key\":\"" + key + "\"}')");
  // Two alerts: one firing before this process started (stale), one resolved.
  stack.db().exec(
      "INSERT INTO alerts (at, rule, state, summary, labels) VALUES "
      "('2026-11-26T01:00:00.000Z', 'toss_5xx_burst', 'firing', 'burst', '{}'), "
      "('2026-11-26T01:00:00.000Z', 'confirm_latency_p95', 'firing', 'slow', '{}'), "
      "('2026-11-26T01:05:00.000Z', 'confirm_latency_p95', 'resolved', 'ok again', '{}')");

  auto s = admin_get(stack, "/admin/api/summary").json();
  EXPECT_EQ(s["store"]["pending_deposits"], 0);
  std::map<std::string, json> courses;
  for (const auto& c : s["courses"]) courses[c["id"].get<std::string>()] = c;
  EXPECT_EQ(courses["course-ml"]["changed"]["by"], "operator");
  EXPECT_EQ(courses["course-ml"]["changed"]["actor"], "oncall-kim");
  EXPECT_TRUE(courses["course-cpp"]["changed"].is_null());
  // course-sql was last switched by the alert engine (actor payedge-alert).
  EXPECT_EQ(courses["course-sql"]["changed"]["by"], "alert");
  ASSERT_EQ(s["firing"].size(), 1u) << s["firing"].dump();
  EXPECT_EQ(s["firing"][0]["rule"], "toss_5xx_burst");
  EXPECT_EQ(s["firing"][0]["stale"], true);

  auto audit = admin_get(stack, "/admin/api/audit").body;
  EXPECT_EQ(audit.find(key), std::string::npos) << audit;
  EXPECT_NE(audit.find(key.substr(0, 4)), std::string::npos);

  auto series = admin_get(stack, "/admin/api/series?window=hour").json();
  ASSERT_EQ(series["step_s"], 10);
  ASSERT_EQ(series["confirms"]["success"].size(), 360u);
  long long ok = 0, client = 0;
  for (const auto& v : series["confirms"]["success"]) ok += v.get<long long>();
  for (const auto& v : series["confirms"]["client"]) client += v.get<long long>();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(client, 1);
  EXPECT_EQ(admin_get(stack, "/admin/api/series?window=day").json()["step_s"], 300);
  expect_error(admin_get(stack, "/admin/api/series?window=week"), 400, "E_INVALID_REQUEST");
}

}  // namespace
}  // namespace payedge::testing
