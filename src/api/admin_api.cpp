#include "api/admin_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "alert/switches.h"
#include "api/api.h"
#include "core/codec.h"
#include "obs/mask.h"
#include "obs/timeseries.h"
#include "ops/switches.h"
#include "web/admin_page.h"  // generated from web/admin.html (cmake/embed_text.cmake)

namespace payedge {
namespace {

using nlohmann::json;
constexpr std::string_view kApiPrefix = "/admin/api/";
constexpr std::string_view kCoursesPrefix = "/admin/api/courses/";
constexpr std::string_view kDefaultActor = "admin-api";
constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 500;
constexpr size_t kMaxReasonBytes = 500;
constexpr size_t kMaxActorBytes = 64;
// What the summary reads to tell the current state: alerts of the last week, the newest
// audit rows (who switched a course last).
constexpr EpochMs kAlertLookbackMs = 7LL * 24 * 3600 * 1000;
constexpr int kStateRows = 500;
// Pending deposits are counted over the payments list (the store has no count by status
// yet); beyond this many payments the count covers the oldest ones only.
constexpr int kMaxPaymentsScanned = 20'000;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// `limit=N` from the query string: absent → the default; not 1..500 → nullopt.
std::optional<int> limit_from(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return kDefaultListLimit;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (pair.starts_with("limit=")) {
      const auto v = pair.substr(6);
      int n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > kMaxListLimit) {
        return std::nullopt;
      }
      return n;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return kDefaultListLimit;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// The parts every change takes: a JSON object body, a reason, and who asks.
struct ChangeRequest {
  json body;
  std::string reason;
  std::string actor;
};

Result<ChangeRequest> parse_change(const HttpRequest& req) {
  if (req.body_too_large) return fail(ErrorCode::kPayloadTooLarge);
  ChangeRequest c;
  c.body = json::parse(req.msg.body(), nullptr, false);
  if (c.body.is_discarded() || !c.body.is_object()) {
    return fail(ErrorCode::kInvalidRequest, "body must be a JSON object");
  }
  const auto reason = c.body.find("reason");
  if (reason == c.body.end() || !reason->is_string()) {
    return fail(ErrorCode::kInvalidRequest, "reason is required");
  }
  c.reason = trimmed(reason->get<std::string>());
  if (c.reason.empty()) return fail(ErrorCode::kInvalidRequest, "reason is required");
  if (c.reason.size() > kMaxReasonBytes) return fail(ErrorCode::kInvalidRequest, "reason too long");
  c.actor = std::string(kDefaultActor);
  if (const auto actor = c.body.find("actor"); actor != c.body.end() && !actor->is_null()) {
    if (!actor->is_string()) return fail(ErrorCode::kInvalidRequest, "actor must be a string");
    std::string a = trimmed(actor->get<std::string>());
    if (a.size() > kMaxActorBytes || has_control_chars(a)) {
      return fail(ErrorCode::kInvalidRequest, "actor must be at most 64 characters");
    }
    if (!a.empty()) c.actor = std::move(a);
  }
  return c;
}

json flag_json(const std::optional<Flag>& f) {
  if (!f) return nullptr;
  return {{"value", f->value},
          {"reason", f->reason},
          {"actor", f->actor},
          {"updated_at", format_utc(f->updated_at)}};
}

json parsed_or_text(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return text;
  return j;
}

// Audit details as the dashboard shows them: every string masked by its field name
// (payment_key, ip, secrets) and then as free text (SPEC 11), nested objects too.
json masked(const json& j, std::string_view name = "") {
  if (j.is_string()) return mask_field(name, j.get_ref<const std::string&>());
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = masked(it.value(), it.key());
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(masked(v));
    return out;
  }
  return j;
}

// The target of an audit row about a payment (payment.*, reconcile.*, enrollment.*) is a
// paymentKey: shown as its first and last 4 characters.
std::string masked_target(const AuditEntry& e) {
  for (std::string_view prefix : {"payment.", "reconcile.", "enrollment."}) {
    if (e.action.starts_with(prefix)) return mask_payment_key(e.target);
  }
  return mask_text(e.target);
}

// The reads the page polls (GET /admin/api/summary|alerts|audit|series with the right token)
// are logged and counted as fn "admin-poll", so a dashboard left open is not traffic.
constexpr std::string_view kPollFn = "admin-poll";

// `window=hour|day` from the query string: absent → hour; anything else → nullopt.
std::optional<SeriesWindow> window_from(std::string_view target) {
  const auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (pair == "window=hour") return SeriesWindow::kHour;
    if (pair == "window=day") return SeriesWindow::kDay;
    if (pair.starts_with("window=")) return std::nullopt;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return SeriesWindow::kHour;
}

template <class T>
json numbers(const std::vector<T>& v) {
  json out = json::array();
  for (const auto& x : v) out.push_back(x);
  return out;
}

// Virtual-account payments waiting for the buyer's transfer.
long long pending_deposits(const std::vector<Payment>& payments) {
  return std::count_if(payments.begin(), payments.end(),
                       [](const Payment& p) { return p.status == "WAITING_FOR_DEPOSIT"; });
}

// The charts' data as columns: one value per bucket, oldest first.
HttpResponse series_response(SeriesWindow window, EpochMs now) {
  const SeriesView v = confirm_series().view(window, now);
  json p95 = json::array();
  for (const auto& x : v.p95_ms) p95.push_back(x ? json(std::round(*x)) : json(nullptr));
  const json body = {
      {"ok", true},
      {"window", window == SeriesWindow::kHour ? "hour" : "day"},
      {"step_s", v.step_s},
      {"start", format_utc(v.start)},
      {"now", format_utc(now)},
      {"confirms",
       {{"success", numbers(v.success)},
        {"server", numbers(v.server)},
        {"client", numbers(v.client)}}},
      {"p95_ms", p95},
      {"toss",
       {{"calls", numbers(v.toss_calls)},
        {"5xx", numbers(v.toss_5xx)},
        {"timeouts", numbers(v.toss_timeouts)}}},
  };
  return json_response(200, dump(body));
}

}  // namespace

bool is_admin_path(std::string_view path) {
  return path == "/admin" || path.starts_with("/admin/");
}

std::string admin_disabled_reason(const std::string& token) {
  if (token.empty()) return "PAYEDGE_ADMIN_TOKEN is not set";
  if (token.size() < kMinAdminTokenLength) {
    return "PAYEDGE_ADMIN_TOKEN is shorter than " + std::to_string(kMinAdminTokenLength) +
           " characters";
  }
  return "";
}

AdminApi::AdminApi(asio::thread_pool& store_pool, Store& store, std::string token,
                   const Clock& clock, Metrics& metrics)
    : pool_(store_pool),
      store_(store),
      token_digest_(sha256_hex(token)),
      disabled_reason_(admin_disabled_reason(token)),
      clock_(clock),
      metrics_(metrics),
      started_at_(clock.now_ms()) {}

bool AdminApi::authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return false;
  // Digests have one length, so the comparison time tells nothing about the token's length.
  return constant_time_equal(sha256_hex(authorization.substr(kBearer.size())), token_digest_);
}

awaitable<HttpResponse> AdminApi::handle(HttpRequest& req, RequestLog& log) {
  const bool english = wants_english(req.header("Accept-Language"));
  auto reply_error = [&](const Error& e) { return error_response(e, log, english); };
  const std::string_view target = req.msg.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const auto method = req.msg.method();

  if (path == "/admin" || path == "/admin/") {
    if (method != http::verb::get) {
      co_return reply_error(make_error(ErrorCode::kInvalidRequest, "method must be GET"));
    }
    // The page holds no secret: it asks for the token and keeps it in sessionStorage.
    HttpResponse res{http::status::ok, req.msg.version()};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'");
    res.set("X-Frame-Options", "DENY");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.body() = std::string(kAdminPage);
    co_return res;
  }
  if (!path.starts_with(kApiPrefix)) {
    log.success = false;
    co_return json_response(404, R"({"ok":false,"message":"not found"})");
  }
  if (path == "/admin/api/status" && method == http::verb::get) {
    // Asked before the token: the page says the API is off instead of asking for a token
    // that cannot work. Tells nothing but on/off (and why off: no token, or one too short).
    log.fn = std::string(kPollFn);
    json body = {{"ok", true}, {"enabled", disabled_reason_.empty()}};
    if (!disabled_reason_.empty()) body["reason"] = disabled_reason_;
    co_return json_response(200, dump(body));
  }
  if (!disabled_reason_.empty()) {
    co_return reply_error(make_error(ErrorCode::kAdminDisabled, disabled_reason_));
  }
  if (!authorized(req.header("Authorization"))) {
    co_return reply_error(make_error(ErrorCode::kUnauthorized, "admin token missing or wrong"));
  }

  const bool get = method == http::verb::get;
  const bool post = method == http::verb::post;
  if (get) log.fn = std::string(kPollFn);
  if (path == "/admin/api/summary" && get) co_return co_await summary();
  if (path == "/admin/api/series" && get) {
    const auto window = window_from(target);
    if (!window) {
      co_return reply_error(make_error(ErrorCode::kInvalidRequest, "window must be hour or day"));
    }
    co_return series_response(*window, clock_.now_ms());
  }
  if ((path == "/admin/api/alerts" || path == "/admin/api/audit") && get) {
    const auto limit = limit_from(target);
    if (!limit) {
      co_return reply_error(make_error(ErrorCode::kInvalidRequest, "limit must be 1..500"));
    }
    if (path == "/admin/api/alerts") co_return co_await alerts(*limit);
    co_return co_await audit(*limit);
  }
  if (path == "/admin/api/flags/payments_enabled" && post) {
    co_return co_await set_payments_enabled(req, log);
  }
  if (path.starts_with(kCoursesPrefix) && path.size() > kCoursesPrefix.size() && post) {
    const std::string id(path.substr(kCoursesPrefix.size()));
    if (id.size() > 128 || id.find('/') != std::string::npos || has_control_chars(id)) {
      co_return reply_error(make_error(ErrorCode::kInvalidRequest, "course id"));
    }
    log.course_id = id;
    co_return co_await set_course_active(req, log, id);
  }
  log.success = false;
  co_return json_response(404, R"({"ok":false,"message":"not found"})");
}

awaitable<HttpResponse> AdminApi::summary() {
  struct Read {
    Result<std::optional<Flag>> enabled, banner;
    Result<std::vector<Course>> courses;
    Result<StoreCounts> counts;
    Result<std::vector<AlertRow>> alerts;
    Result<std::vector<AuditRow>> audit;
    Result<std::vector<Payment>> payments;
  };
  const EpochMs now = clock_.now_ms();
  // One hop to the store pool for the reads.
  Read r = co_await run_blocking(pool_, [this, now] {
    return Read{store_.find_flag("payments_enabled"),
                store_.find_flag("payment_banner"),
                store_.list_courses(),
                store_.counts(),
                store_.list_alerts(now - kAlertLookbackMs, kStateRows),
                store_.list_audit(kStateRows),
                store_.list_payments(kMaxPaymentsScanned)};
  });
  if (!r.enabled || !r.banner || !r.courses || !r.counts || !r.alerts || !r.audit || !r.payments) {
    co_return json_response(500, error_body(make_error(ErrorCode::kInternal), "", false));
  }
  const PaymentSwitch sw = describe_payment_switch(*r.enabled, *r.banner);
  // Who switched each course last (list_audit is newest first).
  std::map<std::string, const AuditRow*> last_course_change;
  for (const auto& a : *r.audit) {
    if (a.entry.action == "course.activate" || a.entry.action == "course.deactivate") {
      last_course_change.try_emplace(a.entry.target, &a);
    }
  }
  json courses = json::array();
  for (const auto& c : *r.courses) {
    json course = {{"id", c.id},
                   {"title", c.title},
                   {"list_price", c.list_price},
                   {"sale_price", c.sale_price ? json(*c.sale_price) : json(nullptr)},
                   {"active", c.active},
                   {"changed", nullptr}};
    if (auto it = last_course_change.find(c.id); it != last_course_change.end()) {
      const AuditEntry& e = it->second->entry;
      course["changed"] = {{"at", format_utc(it->second->at)},
                           {"actor", e.actor},
                           {"by", e.actor == alert::kAlertActor ? "alert" : "operator"},
                           {"reason", e.reason}};
    }
    courses.push_back(std::move(course));
  }
  // Alerts firing now: per rule, its latest change (list_alerts is oldest first). A rule
  // whose last word is "firing" from before this process started was not re-evaluated since
  // (the engine starts empty): shown, but marked stale rather than firing forever.
  std::map<std::string, const AlertRow*> latest;
  for (const auto& a : *r.alerts) {
    if (a.state != "action") latest[a.rule] = &a;
  }
  json firing = json::array();
  for (const auto& [rule, a] : latest) {
    if (a->state != "firing" && a->state != "pending") continue;
    firing.push_back({{"rule", rule},
                      {"state", a->state},
                      {"since", format_utc(a->at)},
                      {"summary", a->summary},
                      {"stale", a->at < started_at_}});
  }
  const MetricsSnapshot m = metrics_.snapshot();
  json requests = json::array();
  for (const auto& q : m.requests) {
    if (q.fn == kPollFn) continue;
    requests.push_back({{"fn", q.fn},
                        {"status", q.status},
                        {"error_code", q.error_code.empty() ? json(nullptr) : json(q.error_code)},
                        {"count", q.count}});
  }
  json latency = json::object();
  for (const auto& l : m.latency) {
    if (l.fn == kPollFn) continue;
    latency[l.fn] = {{"count", l.count}, {"mean_ms", l.mean_ms}, {"p95_ms", l.p95_ms}};
  }
  const json body = {
      {"ok", true},
      {"now", format_utc(clock_.now_ms())},
      {"started_at", format_utc(started_at_)},
      {"payments_enabled", sw.enabled},
      {"banner", sw.banner ? json(*sw.banner) : json(nullptr)},
      {"flags",
       {{"payments_enabled", flag_json(*r.enabled)}, {"payment_banner", flag_json(*r.banner)}}},
      {"courses", courses},
      {"store",
       {{"payments", r.counts->payments},
        {"active_enrollments", r.counts->active_enrollments},
        {"attempts", r.counts->attempts},
        {"open_attempts", r.counts->open_attempts},
        {"pending_deposits", pending_deposits(*r.payments)}}},
      {"firing", firing},
      {"requests", requests},
      {"latency", latency},
  };
  co_return json_response(200, dump(body));
}

awaitable<HttpResponse> AdminApi::alerts(int limit) {
  auto rows = co_await run_blocking(pool_, [this, limit] { return store_.list_alerts(0, limit); });
  if (!rows) co_return json_response(500, error_body(make_error(ErrorCode::kInternal), "", false));
  json out = json::array();
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {  // newest first, as the audit
    out.push_back({{"at", format_utc(it->at)},
                   {"rule", it->rule},
                   {"state", it->state},
                   {"summary", it->summary},
                   {"labels", parsed_or_text(it->labels)}});
  }
  co_return json_response(200, dump({{"ok", true}, {"alerts", out}}));
}

awaitable<HttpResponse> AdminApi::audit(int limit) {
  auto rows = co_await run_blocking(pool_, [this, limit] { return store_.list_audit(limit); });
  if (!rows) co_return json_response(500, error_body(make_error(ErrorCode::kInternal), "", false));
  json out = json::array();
  for (const auto& r : *rows) {
    out.push_back({{"id", r.id},
                   {"at", format_utc(r.at)},
                   {"actor", r.entry.actor},
                   {"action", r.entry.action},
                   {"target", masked_target(r.entry)},
                   {"reason", mask_text(r.entry.reason)},
                   {"details", masked(parsed_or_text(r.entry.details))}});
  }
  co_return json_response(200, dump({{"ok", true}, {"audit", out}}));
}

awaitable<HttpResponse> AdminApi::set_payments_enabled(HttpRequest& req, RequestLog& log) {
  const bool english = wants_english(req.header("Accept-Language"));
  auto reply_error = [&](const Error& e) { return error_response(e, log, english); };
  auto change = parse_change(req);
  if (!change) co_return reply_error(change.error());
  const auto value = change->body.find("value");
  if (value == change->body.end() || !value->is_string() || (*value != "on" && *value != "off")) {
    co_return reply_error(make_error(ErrorCode::kInvalidRequest, "value must be on or off"));
  }
  const std::string to = value->get<std::string>();
  // The same change as `ops flag set payments_enabled`: flag and audit row in one transaction.
  auto result = co_await run_blocking(pool_, [&] {
    return Switches(store_, clock_)
        .set_flag("payments_enabled", to,
                  {change->actor, change->reason, std::string(kDefaultActor)});
  });
  if (!result) co_return reply_error(result.error());
  co_return json_response(200, dump({{"ok", true},
                                     {"flag",
                                      {{"name", "payments_enabled"},
                                       {"from", result->from},
                                       {"to", to},
                                       {"actor", change->actor}}}}));
}

awaitable<HttpResponse> AdminApi::set_course_active(HttpRequest& req, RequestLog& log,
                                                    const std::string& course_id) {
  const bool english = wants_english(req.header("Accept-Language"));
  auto reply_error = [&](const Error& e) { return error_response(e, log, english); };
  auto change = parse_change(req);
  if (!change) co_return reply_error(change.error());
  const auto active = change->body.find("active");
  if (active == change->body.end() || !active->is_boolean()) {
    co_return reply_error(make_error(ErrorCode::kInvalidRequest, "active must be true or false"));
  }
  const bool to = active->get<bool>();
  // The same change as `ops course activate|deactivate`.
  auto result = co_await run_blocking(pool_, [&] {
    return Switches(store_, clock_)
        .set_course_active(course_id, to,
                           {change->actor, change->reason, std::string(kDefaultActor)});
  });
  if (!result) co_return reply_error(result.error());
  co_return json_response(200, dump({{"ok", true},
                                     {"course",
                                      {{"id", course_id},
                                       {"from", result->from == "true"},
                                       {"to", to},
                                       {"actor", change->actor}}}}));
}

}  // namespace payedge
