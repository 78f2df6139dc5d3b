#include "api/api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "api/metrics_scrape.h"
#include "auth/jwt.h"
#include "core/codec.h"
#include "core/confirm_request.h"

namespace payedge {
namespace {

using nlohmann::json;
constexpr std::string_view kConfirmPath = "/functions/v1/confirm-payment";
constexpr std::string_view kStatusPath = "/functions/v1/payment-status";
constexpr std::string_view kWebhookPath = "/functions/v1/toss-webhook";
constexpr double kAdminRatePerS = 10;
constexpr int kAdminBurst = 60;

std::string_view header(const HttpRequest& req, std::string_view name) {
  auto it = req.msg.find(name);
  return it == req.msg.end() ? std::string_view() : std::string_view(it->value());
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

void set_common(HttpResponse& res, const std::string& request_id) {
  res.set("X-Request-Id", request_id);
  res.set(http::field::cache_control, "no-store");
  // The front end calls from the browser, as it did the Supabase function.
  res.set(http::field::access_control_allow_origin, "*");
}

}  // namespace

std::string request_id_from(std::string_view h) {
  bool ok = !h.empty() && h.size() <= 128;
  for (char c : h) ok = ok && c > 0x20 && c < 0x7f;
  if (ok) return std::string(h);
  const std::string r = random_hex(16);
  return r.substr(0, 8) + "-" + r.substr(8, 4) + "-" + r.substr(12, 4) + "-" + r.substr(16, 4) +
         "-" + r.substr(20);
}

bool wants_english(std::string_view accept_language) {
  // The first language tag decides; Korean is the default.
  auto first = accept_language.substr(0, accept_language.find_first_of(",;"));
  while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
  return first.size() >= 2 && (first[0] == 'e' || first[0] == 'E') &&
         (first[1] == 'n' || first[1] == 'N');
}

std::string error_body(const Error& e, const std::string& request_id, bool english) {
  // Details of server-side failures (SQL errors, hosts) stay in the log, not in the answer.
  Error shown = e;
  if (e.http_status() >= 500 && e.code != ErrorCode::kTossApiError &&
      e.code != ErrorCode::kPaymentsDisabled && e.code != ErrorCode::kAdminDisabled) {
    shown.detail.clear();
  }
  json err = {{"code", e.name()}, {"message", shown.message(english)}, {"retryable", e.retryable}};
  if (!e.toss_code.empty()) err["tossCode"] = e.toss_code;
  return json{{"ok", false}, {"requestId", request_id}, {"error", err}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

HttpResponse error_response(const Error& e, RequestLog& log, bool english) {
  log.success = false;
  log.error_code = std::string(e.name());
  log.error_detail = e.detail;
  if (!e.toss_code.empty()) log.toss_code = e.toss_code;
  return json_response(e.http_status(), error_body(e, log.request_id, english));
}

Api::Api(asio::thread_pool& store_pool, Store& store, ConfirmService& confirm,
         WebhookHandler& webhook, const Config& config, const Clock& clock, Metrics& metrics,
         LogSink& log)
    : pool_(store_pool),
      store_(store),
      confirm_(confirm),
      webhook_(webhook),
      config_(config),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      confirm_limiter_(config.server.confirm_rate_per_s, config.server.confirm_burst),
      webhook_limiter_(config.server.webhook_rate_per_s, config.server.webhook_burst),
      // A page open in a few tabs polls three endpoints every 5 s; guessing tokens stays slow.
      admin_limiter_(kAdminRatePerS, kAdminBurst),
      admin_(store_pool, store, config.secrets.admin_token, clock, metrics) {}

PaymentSwitch describe_payment_switch(const std::optional<Flag>& payments_enabled,
                                      const std::optional<Flag>& payment_banner) {
  PaymentSwitch sw;
  sw.enabled = !payments_enabled || payments_enabled->value != "off";
  if (payment_banner && !payment_banner->value.empty()) {
    sw.banner = payment_banner->value;
  } else if (!sw.enabled) {
    sw.banner = "결제 시스템 점검 중입니다. 잠시 후 다시 시도해 주세요.";
  }
  return sw;
}

std::string Api::client_ip(const HttpRequest& req) const {
  if (config_.server.trust_forwarded_for) {
    auto xff = header(req, "X-Forwarded-For");
    auto first = xff.substr(0, xff.find(','));
    while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
    while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
    if (!first.empty() && first.size() <= 64) return std::string(first);
  }
  return req.peer_ip;
}

awaitable<HttpResponse> Api::handle(HttpRequest& req) {
  const auto path = path_of(req.msg.target());
  const auto method = req.msg.method();
  const bool confirm = path == kConfirmPath;
  const bool admin = is_admin_path(path);
  if (confirm || admin || path == kWebhookPath) {
    const auto started = std::chrono::steady_clock::now();
    RequestLog log;
    log.ts = clock_.now_ms();
    log.fn = confirm ? "confirm-payment" : admin ? "admin" : "toss-webhook";
    log.request_id = request_id_from(header(req, "X-Request-Id"));
    log.ip = client_ip(req);
    log.ua = std::string(header(req, "User-Agent").substr(0, 256));
    HttpResponse res;
    if (confirm && method == http::verb::options) {
      res = HttpResponse{http::status::no_content, req.msg.version()};
      res.set(http::field::access_control_allow_methods, "POST, OPTIONS");
      res.set(http::field::access_control_allow_headers,
              "authorization, x-client-info, apikey, content-type, x-request-id, accept-language");
      set_common(res, log.request_id);
      co_return res;
    }
    int retry_after = 1;
    RateLimiter& limiter = confirm ? confirm_limiter_ : admin ? admin_limiter_ : webhook_limiter_;
    if (!limiter.allow(log.ip, log.ts, &retry_after)) {
      res = error_response(make_error(ErrorCode::kRateLimited), log,
                           wants_english(header(req, "Accept-Language")));
      res.set(http::field::retry_after, std::to_string(retry_after));
    } else if (confirm) {
      res = co_await confirm_payment(req, log);
    } else if (admin) {
      res = co_await admin_.handle(req, log);
    } else {
      res = co_await webhook_.handle(req, log);
    }
    if (admin) {
      // Same origin only: no CORS header for the dashboard and its API.
      res.set("X-Request-Id", log.request_id);
      res.set(http::field::cache_control, "no-store");
    } else {
      set_common(res, log.request_id);
    }
    log.latency_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - started)
                                          .count());
    log.http_status = res.result_int();
    log.level = log.success ? "info" : (log.http_status >= 500 ? "error" : "warn");
    metrics_.observe_request(log.fn, log.success, log.error_code, log.latency_ms);
    log_.write(log);
    co_return res;
  }
  if (path == kStatusPath && method == http::verb::get) co_return co_await payment_status(req);
  if (path == "/healthz") co_return json_response(200, R"({"ok":true})");
  if (path == "/readyz") co_return co_await readyz(req);
  if (path == "/metrics" && method == http::verb::get) {
    HttpResponse res{http::status::ok, req.msg.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = co_await scrape_metrics(pool_, store_, metrics_);
    co_return res;
  }
  co_return json_response(404, R"({"ok":false,"message":"not found"})");
}

awaitable<HttpResponse> Api::confirm_payment(HttpRequest& req, RequestLog& log) {
  const bool english = wants_english(header(req, "Accept-Language"));
  auto reply_error = [&](const Error& e) {
    HttpResponse res = error_response(e, log, english);
    if (e.code == ErrorCode::kPaymentsDisabled || e.code == ErrorCode::kRateLimited) {
      res.set(http::field::retry_after, "30");
    }
    return res;
  };

  if (req.msg.method() != http::verb::post) {
    co_return reply_error(make_error(ErrorCode::kInvalidRequest, "method must be POST"));
  }
  if (req.body_too_large) co_return reply_error(make_error(ErrorCode::kPayloadTooLarge));

  auto auth = header(req, "Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || !auth.starts_with(kBearer)) {
    co_return reply_error(make_error(ErrorCode::kUnauthorized, "missing bearer token"));
  }
  auto claims = verify_jwt(auth.substr(kBearer.size()), config_.secrets.jwt_secret, clock_.now_ms(),
                           config_.auth.clock_skew_s);
  if (!claims) co_return reply_error(claims.error());
  log.user_id = claims->sub;

  auto parsed = parse_confirm_request(req.msg.body());
  if (!parsed) co_return reply_error(parsed.error());
  const ConfirmRequest& cr = *parsed;
  log.course_id = cr.course_id;
  log.order_id = cr.order_id;
  log.payment_key = cr.payment_key;
  log.amount = cr.amount;
  log.coupon_code = cr.coupon_code;

  ConfirmOutcome out = co_await confirm_.confirm(cr, claims->sub);
  log.expected_amount = out.expected_amount;
  log.toss_http_status = out.toss_http_status;
  log.toss_code = out.toss_code;
  log.toss_latency_ms = out.toss_latency_ms;
  if (out.toss_tries) log.toss_tries = out.toss_tries;
  log.replayed = out.replayed;
  if (out.error) co_return reply_error(*out.error);

  json body = {{"ok", true}, {"requestId", log.request_id}, {"replayed", out.replayed}};
  body.update(out.result);
  co_return json_response(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

awaitable<HttpResponse> Api::payment_status(HttpRequest& req) {
  auto enabled = co_await run_blocking(pool_, [&] { return store_.find_flag("payments_enabled"); });
  auto banner = co_await run_blocking(pool_, [&] { return store_.find_flag("payment_banner"); });
  if (!enabled || !banner)
    co_return json_response(503, error_body(make_error(ErrorCode::kInternal), "", false));
  const PaymentSwitch sw = describe_payment_switch(*enabled, *banner);
  json body = {{"paymentsEnabled", sw.enabled}, {"banner", nullptr}};
  if (sw.banner) body["banner"] = *sw.banner;
  HttpResponse res = json_response(200, body.dump());
  res.set(http::field::access_control_allow_origin, "*");
  res.set(http::field::cache_control, "no-store");
  co_return res;
}

awaitable<HttpResponse> Api::readyz(HttpRequest& req) {
  auto st = co_await run_blocking(pool_, [&] { return store_.ping(); });
  if (!st)
    co_return json_response(503, json{{"ready", false}, {"store", st.error().detail}}.dump());
  co_return json_response(200, R"({"ready":true})");
}

}  // namespace payedge
