#include "api/api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "api/metrics_scrape.h"
#include "auth/jwt.h"
#include "core/codec.h"
#include "core/confirm_request.h"
#include "toss/toss_errors.h"

namespace payedge {
namespace {

using nlohmann::json;
constexpr std::string_view kConfirmPath = "/functions/v1/confirm-payment";
constexpr std::string_view kStatusPath = "/functions/v1/payment-status";
constexpr std::string_view kWebhookPath = "/functions/v1/toss-webhook";
constexpr std::string_view kFunctionsPrefix = "/functions/v1/";
// Supabase's corsHeaders (https://supabase.com/docs/guides/functions/cors; the SDK's
// `@supabase/supabase-js/cors`), plus the retry and trace headers clients add and ours.
constexpr std::string_view kCorsAllowHeaders =
    "authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, tracestate, "
    "baggage, x-request-id, accept-language";
constexpr double kAdminRatePerS = 10;
constexpr int kAdminBurst = 60;

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

void set_common(HttpResponse& res, const std::string& request_id) {
  res.set("X-Request-Id", request_id);
  res.set(http::field::cache_control, "no-store");
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
         WebhookService& webhook, TokenVerifier& tokens, const Config& config, const Clock& clock,
         Metrics& metrics, LogSink& log)
    : pool_(store_pool),
      store_(store),
      confirm_(confirm),
      webhook_(webhook),
      tokens_(tokens),
      config_(config),
      // load_config has refused a list that does not parse.
      proxies_(TrustedProxies::parse(config.server.trusted_proxies).value_or(TrustedProxies{})),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      confirm_limiter_(config.server.confirm_rate_per_s, config.server.confirm_burst),
      confirm_user_limiter_(config.server.confirm_rate_per_s, config.server.confirm_burst),
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
  if (proxies_.empty()) return req.peer_ip;
  // Several X-Forwarded-For lines are one list, in order (RFC 9110 section 5.3).
  std::string xff;
  auto [it, end] = req.msg.equal_range("X-Forwarded-For");
  for (; it != end; ++it) {
    if (!xff.empty()) xff += ',';
    xff.append(it->value().data(), it->value().size());
  }
  return client_address(req.peer_ip, xff, proxies_);
}

std::optional<std::string> Api::allowed_origin(const HttpRequest& req) const {
  const auto& origins = config_.server.cors_origins;
  if (origins.size() == 1 && origins.front() == "*") return std::string("*");
  const auto origin = req.header("Origin");
  for (const auto& o : origins) {
    if (o == origin) return o;
  }
  return std::nullopt;
}

void Api::set_cors(HttpResponse& res, const HttpRequest& req) const {
  if (auto origin = allowed_origin(req)) {
    res.set(http::field::access_control_allow_origin, *origin);
    if (*origin != "*") res.set(http::field::vary, "Origin");
  }
}

awaitable<HttpResponse> Api::handle(HttpRequest& req) {
  const auto path = path_of(req.msg.target());
  const auto method = req.msg.method();
  if (method == http::verb::options && path.starts_with(kFunctionsPrefix)) {
    // The browser's preflight before supabase.functions.invoke(): answered for every function
    // path, as Supabase's own gateway lets each function answer it.
    HttpResponse res{http::status::no_content, req.msg.version()};
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    res.set(http::field::access_control_allow_headers, kCorsAllowHeaders);
    res.set(http::field::access_control_max_age, "86400");
    set_cors(res, req);
    set_common(res, request_id_from(req.header("X-Request-Id")));
    co_return res;
  }
  const bool confirm = path == kConfirmPath;
  const bool admin = is_admin_path(path);
  if (confirm || admin || path == kWebhookPath) {
    const auto started = std::chrono::steady_clock::now();
    RequestLog log;
    log.ts = clock_.now_ms();
    log.fn = confirm ? "confirm-payment" : admin ? "admin" : "toss-webhook";
    log.request_id = request_id_from(req.header("X-Request-Id"));
    log.ip = client_ip(req);
    log.ua = std::string(req.header("User-Agent").substr(0, 256));
    HttpResponse res;
    int retry_after = 1;
    RateLimiter& limiter = confirm ? confirm_limiter_ : admin ? admin_limiter_ : webhook_limiter_;
    if (!limiter.allow(log.ip, log.ts, &retry_after)) {
      res = error_response(make_error(ErrorCode::kRateLimited), log,
                           wants_english(req.header("Accept-Language")));
      res.set(http::field::retry_after, std::to_string(retry_after));
    } else if (confirm) {
      res = co_await confirm_payment(req, log);
    } else if (admin) {
      res = co_await admin_.handle(req, log);
    } else {
      res = co_await toss_webhook(req, log);
    }
    if (admin) {
      // Same origin only: no CORS header for the dashboard and its API.
      res.set("X-Request-Id", log.request_id);
      res.set(http::field::cache_control, "no-store");
    } else {
      set_common(res, log.request_id);
      set_cors(res, req);
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
  const bool english = wants_english(req.header("Accept-Language"));
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

  auto auth = req.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || !auth.starts_with(kBearer)) {
    co_return reply_error(make_error(ErrorCode::kUnauthorized, "missing bearer token"));
  }
  auto claims = co_await tokens_.verify(std::string(auth.substr(kBearer.size())), clock_.now_ms());
  if (!claims) co_return reply_error(claims.error());  // the reason goes to error_detail
  log.user_id = claims->sub;
  if (int retry_after = 1; !confirm_user_limiter_.allow(claims->sub, log.ts, &retry_after)) {
    HttpResponse res = error_response(make_error(ErrorCode::kRateLimited), log, english);
    res.set(http::field::retry_after, std::to_string(retry_after));
    co_return res;
  }

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
  if (out.toss_latency_ms >= 0 || out.toss_http_status != 0) {
    const int st = out.toss_http_status;
    log.toss_class = st >= 200 && st < 300
                         ? "ok"
                         : std::string(to_string(classify_toss_answer(st, out.toss_code)));
  }
  log.replayed = out.replayed;
  if (out.error) co_return reply_error(*out.error);
  // A virtual account: the confirm succeeded, the money comes later. The line says so, so that
  // `logs top --by error_detail` and `slo report` can show pending deposits apart from the
  // successes they are counted among.
  if (const auto e = out.result.find("enrollment"); e != out.result.end() && e->is_object()) {
    if (const auto st = e->find("status"); st != e->end() && *st == "PENDING") {
      log.error_detail = "pending_deposit";
    }
  }

  json body = {{"ok", true}, {"requestId", log.request_id}, {"replayed", out.replayed}};
  body.update(out.result);
  co_return json_response(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

static std::vector<std::string_view> header_values(const HttpRequest& req, std::string_view name) {
  std::vector<std::string_view> out;
  for (auto range = req.msg.equal_range(name); range.first != range.second; ++range.first) {
    out.emplace_back(range.first->value());
  }
  return out;
}

// SPEC 6: the receiver stores the event and answers; `WebhookService` decides, this maps its
// verdict to the HTTP answer and the request's log line.
awaitable<HttpResponse> Api::toss_webhook(HttpRequest& req, RequestLog& log) {
  const bool english = wants_english(req.header("Accept-Language"));
  if (req.msg.method() != http::verb::post) {
    co_return error_response(make_error(ErrorCode::kInvalidRequest, "method must be POST"), log,
                             english);
  }
  WebhookDelivery d;
  d.body = req.msg.body();
  d.body_too_large = req.body_too_large;
  d.signatures = header_values(req, "tosspayments-webhook-signature");
  d.transmission_times = header_values(req, "tosspayments-webhook-transmission-time");
  d.request_id = log.request_id;
  d.ip = log.ip;
  d.ua = log.ua;
  const WebhookReceipt receipt = co_await webhook_.receive(d);
  log.payment_key = receipt.payment_key;
  log.order_id = receipt.order_id;
  switch (receipt.verdict) {
    case WebhookVerdict::kQueued:
    case WebhookVerdict::kDuplicate: {
      const bool duplicate = receipt.verdict == WebhookVerdict::kDuplicate;
      if (duplicate) log.replayed = true;
      log.error_detail = receipt.detail;  // what became of the delivery, for the on-call
      json body = {{"ok", true},
                   {"requestId", log.request_id},
                   {"outcome", duplicate ? "duplicate" : "accepted"}};
      co_return json_response(200, body.dump());
    }
    case WebhookVerdict::kInvalidBody:
    case WebhookVerdict::kTooLarge:
    case WebhookVerdict::kBadSignature:
    case WebhookVerdict::kBadDepositSecret:
    case WebhookVerdict::kStoreFailed:
      break;
  }
  const Error e = receipt.error ? *receipt.error : make_error(ErrorCode::kInternal);
  co_return error_response(e, log, english);
}

awaitable<HttpResponse> Api::payment_status(HttpRequest& req) {
  auto enabled = co_await run_blocking(pool_, [&] { return store_.find_flag("payments_enabled"); });
  auto banner = co_await run_blocking(pool_, [&] { return store_.find_flag("payment_banner"); });
  auto courses = co_await run_blocking(pool_, [&] { return store_.list_courses(); });
  if (!enabled || !banner || !courses) {
    HttpResponse res = json_response(503, error_body(make_error(ErrorCode::kInternal), "", false));
    set_cors(res, req);
    co_return res;
  }
  const PaymentSwitch sw = describe_payment_switch(*enabled, *banner);
  // SPEC 4: the courses off sale, so the front end disables their buy buttons before a payment.
  json off = json::array();
  for (const auto& c : *courses) {
    if (!c.active) off.push_back(c.id);
  }
  json body = {{"paymentsEnabled", sw.enabled}, {"banner", nullptr}, {"coursesOff", off}};
  if (sw.banner) body["banner"] = *sw.banner;
  HttpResponse res = json_response(200, body.dump(-1, ' ', false, json::error_handler_t::replace));
  set_cors(res, req);
  res.set(http::field::cache_control, "no-store");
  co_return res;
}

awaitable<HttpResponse> Api::readyz(HttpRequest& req) {
  // From SIGTERM until exit (SPEC 4): a load balancer stops sending before the drain.
  if (draining_) co_return json_response(503, R"({"ready":false,"draining":true})");
  auto st = co_await run_blocking(pool_, [&] { return store_.ping(); });
  if (!st)
    co_return json_response(503, json{{"ready", false}, {"store", st.error().detail}}.dump());
  co_return json_response(200, R"({"ready":true})");
}

}  // namespace payedge
