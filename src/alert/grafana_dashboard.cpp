#include "alert/grafana_dashboard.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "alert/promql.h"

namespace payedge::alert {
namespace {

using json = nlohmann::ordered_json;

struct Query {
  std::string expr;
  std::string legend;
};

struct Panel {
  std::string title;
  std::string description;
  std::vector<Query> queries;
  std::string unit;                 // Grafana unit id ("percentunit", "s", "short", "reqps")
  std::vector<double> thresholds;   // drawn as red lines
  std::string type = "timeseries";  // or "stat", "state-timeline"
};

std::string minutes(int seconds) { return fmt::format("{}m", std::max(1, seconds / 60)); }

std::vector<Panel> panels(const AlertsConfig& c) {
  namespace q = promql;
  const double budget = 1 - c.slo_objective;
  auto burn = [&](const std::string& range) {
    return fmt::format("{} / {:.6g}", q::server_error_ratio(range), budget);
  };
  return {
      {"Confirms by outcome",
       "Confirm-payment requests a second, by outcome (success or the error code).",
       {{q::confirm_rate_by_outcome("5m"), "{{outcome}}"}},
       "reqps",
       {}},
      {"Server-side error ratio",
       "Bad / valid confirms (SLO classes). Below the line for recovery_window_s after a Toss "
       "incident means recovered (runbook 4.2).",
       {{q::server_error_ratio("5m"), "5xx ratio"}},
       "percentunit",
       {c.recovery_error_rate}},
      {"Confirm latency p95",
       "95th percentile of confirm latency against [alerts] latency_p95_ms.",
       {{q::confirm_latency_p95(minutes(c.latency_window_s)), "p95"}},
       "s",
       {c.latency_p95_ms / 1000.0}},
      {"Toss 5xx and timeouts",
       "Confirms that ended in TOSS_API_ERROR over the toss_5xx window, and Toss calls by "
       "outcome.",
       {{q::toss_failures(minutes(c.toss_5xx_window_s)), "TOSS_API_ERROR confirms"},
        {q::toss_call_rate_by_outcome("5m"), "calls {{outcome}}/s"}},
       "short",
       {static_cast<double>(c.toss_5xx_count)}},
      {"Toss answers by class",
       "The last Toss answer of each confirm: transient, buyer, merchant (ok: approved).",
       {{q::toss_answer_rate_by_class("5m"), "{{class}}"}},
       "reqps",
       {}},
      {"Amount mismatch ratio",
       "E_AMOUNT_MISMATCH / confirms over the mismatch window (runbook 4.1).",
       {{q::mismatch_ratio(minutes(c.mismatch_window_s)), "mismatch ratio"}},
       "percentunit",
       {c.mismatch_ratio}},
      {"Users with amount mismatches",
       "Distinct users with a mismatch in the window: under mismatch_min_users it is one "
       "account tampering (amount_mismatch_single_user), nothing is switched off.",
       {{q::mismatch_users(), "users"}},
       "short",
       {static_cast<double>(c.mismatch_min_users)}},
      {"Switches",
       "payments_enabled and each catalogue course (1 on, 0 off).",
       {{"payedge_payments_enabled", "payments_enabled"},
        {"payedge_course_active", "{{course_id}}"}},
       "short",
       {},
       "state-timeline"},
      {"SLO burn rates",
       "Error budget burn of the success SLO: 14.4x over 1h and 5m pages, 6x over 6h and 30m "
       "warns.",
       {{burn("5m"), "5m"}, {burn("1h"), "1h"}, {burn("30m"), "30m"}, {burn("6h"), "6h"}},
       "short",
       {c.burn_slow, c.burn_fast}},
      {"Webhook outcomes",
       "Toss webhook requests a second, by outcome or error code.",
       {{q::webhook_rate_by_reason("5m"), "{{reason}}"},
        {fmt::format("{} / clamp_min({}, 1)", q::webhooks_invalid_sig(minutes(c.webhook_window_s)),
                     q::webhooks(minutes(c.webhook_window_s))),
         "invalid signature ratio"}},
       "short",
       {}},
      {"Open attempts and pending deposits",
       "Confirm attempts IN_PROGRESS (the reconciler's work) and virtual accounts waiting for a "
       "deposit, and reconciler actions per 5 minutes.",
       {{"payedge_open_confirm_attempts", "open attempts"},
        {"payedge_pending_deposits", "pending deposits"},
        {q::reconciler_actions("5m"), "reconciler {{action}}"}},
       "short",
       {}},
      {"Store commits",
       "Write transactions committed a second (each one fsync) and the mean number of writes "
       "each carried (group commit: above 1 under concurrent confirms; 1 when idle).",
       {{"sum(rate(payedge_store_commit_batches_total[5m]))", "commits/s"},
        {"sum(rate(payedge_store_commit_writes_total[5m])) / "
         "sum(rate(payedge_store_commit_batches_total[5m]))",
         "writes per commit"}},
       "short",
       {}},
      {"Version",
       "The running binaries (payedge_build_info).",
       {{"count by (version) (payedge_build_info)", "{{version}}"}},
       "short",
       {},
       "stat"},
  };
}

json panel_json(const Panel& p, int id, int x, int y) {
  json steps = json::array({{{"color", "green"}, {"value", nullptr}}});
  for (double t : p.thresholds) steps.push_back({{"color", "red"}, {"value", t}});
  json targets = json::array();
  char ref = 'A';
  for (const auto& query : p.queries) {
    targets.push_back({{"datasource", {{"type", "prometheus"}, {"uid", "${datasource}"}}},
                       {"expr", query.expr},
                       {"legendFormat", query.legend},
                       {"refId", std::string(1, ref++)}});
  }
  json defaults = {{"unit", p.unit}, {"thresholds", {{"mode", "absolute"}, {"steps", steps}}}};
  if (p.type == "timeseries") {
    defaults["custom"] = {{"thresholdsStyle", {{"mode", p.thresholds.empty() ? "off" : "line"}}}};
  }
  return {{"id", id},
          {"type", p.type},
          {"title", p.title},
          {"description", p.description},
          {"datasource", {{"type", "prometheus"}, {"uid", "${datasource}"}}},
          {"gridPos", {{"h", 8}, {"w", 12}, {"x", x}, {"y", y}}},
          {"fieldConfig", {{"defaults", defaults}, {"overrides", json::array()}}},
          {"options", json::object()},
          {"targets", targets}};
}

}  // namespace

std::string grafana_dashboard(const AlertsConfig& c) {
  json out_panels = json::array();
  int id = 1;
  for (const auto& p : panels(c)) {
    const int slot = id - 1;
    out_panels.push_back(panel_json(p, id++, (slot % 2) * 12, (slot / 2) * 8));
  }
  json dashboard = {
      {"title", "payedge"},
      {"uid", "payedge"},
      {"description",
       "Generated by `payedge dashboards export --format grafana`; the queries are those of "
       "`payedge rules export --format prometheus`."},
      {"tags", {"payedge", "payments"}},
      {"timezone", "browser"},
      {"editable", true},
      {"graphTooltip", 1},
      {"schemaVersion", 41},
      {"version", 1},
      {"refresh", "30s"},
      {"time", {{"from", "now-6h"}, {"to", "now"}}},
      {"templating",
       {{"list",
         {{{"name", "datasource"},
           {"label", "Prometheus"},
           {"type", "datasource"},
           {"query", "prometheus"},
           {"current", json::object()},
           {"hide", 0}}}}}},
      {"annotations", {{"list", json::array()}}},
      {"panels", out_panels},
  };
  return dashboard.dump(2) + "\n";
}

std::vector<std::string> grafana_expressions(const AlertsConfig& c) {
  std::vector<std::string> out;
  for (const auto& p : panels(c)) {
    for (const auto& query : p.queries) out.push_back(query.expr);
  }
  return out;
}

}  // namespace payedge::alert
