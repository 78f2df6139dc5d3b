#include "webhook/webhook_handler.h"

#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

std::vector<std::string_view> header_values(const HttpRequest& req, std::string_view name) {
  std::vector<std::string_view> out;
  for (auto range = req.msg.equal_range(name); range.first != range.second; ++range.first) {
    out.emplace_back(range.first->value());
  }
  return out;
}

}  // namespace

WebhookSecrets resolve_webhook_secrets(const std::vector<StoredSecret>& stored,
                                       const Secrets& env) {
  WebhookSecrets s;
  if (stored.empty()) {
    s.current = env.webhook_secret;
    s.previous = env.webhook_secret_previous;
    return s;
  }
  s.current = stored[0].secret;
  if (stored.size() > 1 && stored[1].retire_at) {
    s.previous = stored[1].secret;
    s.previous_valid_until = *stored[1].retire_at;
  }
  return s;
}

WebhookHandler::WebhookHandler(asio::thread_pool& pool, Store& store, TossClient& toss,
                               ConfirmService& confirm, const Config& config, const Clock& clock)
    : pool_(pool), store_(store), toss_(toss), confirm_(confirm), config_(config), clock_(clock) {}

awaitable<WebhookSecrets> WebhookHandler::current_secrets() {
  auto stored = co_await run_blocking(pool_, [&] { return store_.webhook_secrets(2); });
  co_return resolve_webhook_secrets(stored ? *stored : std::vector<StoredSecret>{},
                                    config_.secrets);
}

awaitable<HttpResponse> WebhookHandler::handle(HttpRequest& req, RequestLog& log) {
  auto reply = [&](int status, const Error* e, std::string outcome) {
    log.success = e == nullptr;
    json body = {{"ok", e == nullptr}, {"requestId", log.request_id}};
    if (e) {
      log.error_code = std::string(e->name());
      log.error_detail = e->detail;
      body["error"] = {
          {"code", e->name()}, {"message", e->message(true)}, {"retryable", e->retryable}};
    } else {
      log.error_detail = outcome;  // what the event did, for the on-call reading the log
      body["outcome"] = outcome;
    }
    return json_response(status, body.dump());
  };

  if (req.msg.method() != http::verb::post) {
    auto e = make_error(ErrorCode::kInvalidRequest, "method must be POST");
    co_return reply(e.http_status(), &e, "");
  }
  if (req.body_too_large) {
    auto e = make_error(ErrorCode::kPayloadTooLarge);
    co_return reply(e.http_status(), &e, "");
  }
  const std::string& body = req.msg.body();
  const auto signatures = header_values(req, "tosspayments-webhook-signature");
  const auto times = header_values(req, "tosspayments-webhook-transmission-time");
  std::optional<std::string_view> time;
  if (times.size() == 1) time = times[0];
  const WebhookSecrets secrets = co_await current_secrets();
  const SignatureCheck check =
      verify_webhook_signature(body, signatures, times.size() > 1 ? std::nullopt : time, secrets,
                               clock_.now_ms(), config_.webhook.tolerance_s);
  if (!check.ok()) {
    auto e = make_error(ErrorCode::kWebhookInvalidSig, std::string(to_string(check.failure)));
    if (times.size() > 1) e.detail = "malformed";
    co_return reply(e.http_status(), &e, "");
  }

  json event = json::parse(body, nullptr, false);
  if (!event.is_object()) {
    auto e = make_error(ErrorCode::kInvalidRequest, "webhook body is not a JSON object");
    co_return reply(e.http_status(), &e, "");
  }
  WebhookEvent stored;
  stored.id = sha256_hex(body);
  stored.event_type = event.value("eventType", std::string());
  stored.transmission_time = time ? std::string(*time) : std::string();
  stored.body = body;
  const json data =
      event.contains("data") && event["data"].is_object() ? event["data"] : json::object();
  stored.payment_key = data.value("paymentKey", std::string());
  log.payment_key = stored.payment_key;
  log.order_id = data.value("orderId", std::string());

  auto seen = co_await run_blocking(pool_, [&] { return store_.webhook_event_outcome(stored.id); });
  if (!seen) co_return reply(500, &seen.error(), "");
  if (*seen && (**seen == "applied" || (*seen)->starts_with("ignored") || **seen == "canceled" ||
                **seen == "recorded" || **seen == "already_recorded" || **seen == "closed")) {
    log.replayed = true;
    co_return reply(200, nullptr, "duplicate:" + **seen);
  }

  std::string outcome = "ignored_event_type";
  if (stored.event_type == "PAYMENT_STATUS_CHANGED" && !stored.payment_key.empty()) {
    auto applied = co_await apply_payment_status(stored.payment_key);
    if (!applied) {
      // Toss could not be asked, or the store failed: answer 500 so Toss delivers again.
      (void)co_await run_blocking(
          pool_, [&] { return store_.save_webhook_event(stored, "retry", clock_.now_ms()); });
      co_return reply(500, &applied.error(), "");
    }
    outcome = *applied;
  } else if (stored.event_type == "PAYMENT_STATUS_CHANGED") {
    outcome = "ignored_no_payment_key";
  }
  auto saved = co_await run_blocking(
      pool_, [&] { return store_.save_webhook_event(stored, outcome, clock_.now_ms()); });
  if (!saved) co_return reply(500, &saved.error(), "");
  co_return reply(200, nullptr, outcome);
}

awaitable<Result<std::string>> WebhookHandler::apply_payment_status(const std::string& key) {
  auto fetched = co_await toss_.get_payment(key);
  if (fetched.http_status == 404) co_return std::string("ignored_unknown_at_toss");
  auto toss_payment = fetched.payment();
  if (!toss_payment) {
    Error e = make_error(ErrorCode::kTossApiError, "payment fetch failed");
    e.toss_code = fetched.code();
    co_return std::unexpected(e);
  }
  const std::string status = toss_payment->status;
  auto attempt = co_await run_blocking(pool_, [&] { return store_.find_attempt(key); });
  if (!attempt) co_return std::unexpected(attempt.error());
  auto payment = co_await run_blocking(pool_, [&] { return store_.find_payment(key); });
  if (!payment) co_return std::unexpected(payment.error());

  if (status == "CANCELED" || status == "PARTIAL_CANCELED") {
    if (*payment) {
      const EpochMs now = clock_.now_ms();
      AuditEntry audit{"toss-webhook", "payment.cancel", key, "Toss reported " + status,
                       json{{"status", status}, {"order_id", (*payment)->order_id}}.dump()};
      auto changed = co_await run_blocking(
          pool_, [&] { return store_.cancel_payment(key, status, now, audit); });
      if (!changed) co_return std::unexpected(changed.error());
      co_return std::string(*changed ? "canceled" : "applied");
    }
  }
  // An open confirm: DONE finishes it (a second road beside the reconciler); a dead end
  // (EXPIRED, ABORTED, CANCELED) closes it.
  if (*attempt && (*attempt)->state == AttemptState::kInProgress) {
    const EpochMs now = clock_.now_ms();
    auto claimed = co_await run_blocking(
        pool_, [&] { return store_.claim_attempt(key, now, now + config_.idempotency.lease_ms); });
    if (!claimed) co_return std::unexpected(claimed.error());
    if (!*claimed)
      co_return std::string("deferred_owner_busy");  // its owner is finishing it right now
    ReconcileResult r = co_await confirm_.reconcile(**attempt, false, "webhook");
    switch (r.action) {
      case ReconcileAction::kRecorded:
      case ReconcileAction::kRedriven:
        co_return std::string(r.outcome.error ? "deferred_unresolved" : "recorded");
      case ReconcileAction::kFailed:
        co_return std::string("closed");
      case ReconcileAction::kWaiting:
      case ReconcileAction::kUnresolved:
        co_return std::string("deferred_unresolved");
    }
  }
  if (status == "DONE" && *payment) co_return std::string("already_recorded");
  if (!*attempt && !*payment) co_return std::string("ignored_not_ours");
  co_return std::string("applied");
}

}  // namespace payedge
