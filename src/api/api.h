// The public HTTP API of `payedge serve` (SPEC section 4): routing, auth, request ids,
// language, the JSON envelopes, and one log line per request.
#pragma once

#include <optional>
#include <string>

#include "api/admin_api.h"
#include "auth/token_verifier.h"
#include "config/config.h"
#include "confirm/confirm_service.h"
#include "core/client_address.h"
#include "net/rate_limit.h"
#include "net/server.h"
#include "obs/metrics.h"
#include "obs/request_log.h"
#include "store/store.h"
#include "webhook/webhook_service.h"

namespace payedge {

class Api {
 public:
  Api(asio::thread_pool& store_pool, Store& store, ConfirmService& confirm, WebhookService& webhook,
      TokenVerifier& tokens, const Config& config, const Clock& clock, Metrics& metrics,
      LogSink& log);

  awaitable<HttpResponse> handle(HttpRequest& req);
  // SIGTERM arrived: /readyz answers 503 from now on (I/O thread only).
  void set_draining() { draining_ = true; }

 private:
  awaitable<HttpResponse> confirm_payment(HttpRequest& req, RequestLog& log);
  awaitable<HttpResponse> toss_webhook(HttpRequest& req, RequestLog& log);
  awaitable<HttpResponse> payment_status(HttpRequest& req);
  awaitable<HttpResponse> readyz(HttpRequest& req);
  std::string client_ip(const HttpRequest& req) const;
  // Access-Control-Allow-Origin for this request: "*", the request's Origin when it is listed
  // in [server] cors_origins, or nothing.
  std::optional<std::string> allowed_origin(const HttpRequest& req) const;
  void set_cors(HttpResponse& res, const HttpRequest& req) const;

  asio::thread_pool& pool_;
  Store& store_;
  ConfirmService& confirm_;
  WebhookService& webhook_;
  TokenVerifier& tokens_;
  const Config& config_;
  TrustedProxies proxies_;
  const Clock& clock_;
  Metrics& metrics_;
  LogSink& log_;
  RateLimiter confirm_limiter_;
  RateLimiter confirm_user_limiter_;  // the same budget per user (`sub`): many IPs, one account
  RateLimiter webhook_limiter_;
  RateLimiter admin_limiter_;
  AdminApi admin_;
  bool draining_ = false;
};

// What the front end's payment button and banner show (GET payment-status; the dashboard).
struct PaymentSwitch {
  bool enabled = true;
  std::optional<std::string> banner;
};
PaymentSwitch describe_payment_switch(const std::optional<Flag>& payments_enabled,
                                      const std::optional<Flag>& payment_banner);

// An X-Request-Id we echo: printable ASCII, at most 128 characters; otherwise a new one.
std::string request_id_from(std::string_view header);
bool wants_english(std::string_view accept_language);
std::string error_body(const Error& e, const std::string& request_id, bool english);
// The error answer of every payedge endpoint: the body of SPEC 4, and the code (and detail,
// Toss's code) recorded in the request's log line.
HttpResponse error_response(const Error& e, RequestLog& log, bool english);

}  // namespace payedge
