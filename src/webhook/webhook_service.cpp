#include "webhook/webhook_service.h"

#include <fmt/format.h>

#include <chrono>

#include "confirm/deposits.h"
#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

constexpr int kBatch = 50;
constexpr int kLeaseMarginMs = 2000;

bool is_signed_event_type(std::string_view type) {
  // The only events Toss signs (https://techchat.tosspayments.com/m/1308725417263497257).
  return type == "payout.changed" || type == "seller.changed";
}

WebhookReceipt refuse(WebhookVerdict verdict, Error e) {
  WebhookReceipt r;
  r.verdict = verdict;
  r.detail = e.detail;
  r.error = std::move(e);
  return r;
}

}  // namespace

std::string_view to_string(WebhookVerdict v) {
  switch (v) {
    case WebhookVerdict::kQueued:
      return "queued";
    case WebhookVerdict::kDuplicate:
      return "duplicate";
    case WebhookVerdict::kInvalidBody:
      return "invalid_body";
    case WebhookVerdict::kTooLarge:
      return "too_large";
    case WebhookVerdict::kBadSignature:
      return "bad_signature";
    case WebhookVerdict::kBadDepositSecret:
      return "deposit_secret";
    case WebhookVerdict::kStoreFailed:
      return "store_failed";
  }
  return "?";
}

std::string_view to_string(ProcessOutcome o) {
  switch (o) {
    case ProcessOutcome::kApplied:
      return "applied";
    case ProcessOutcome::kUnchanged:
      return "unchanged";
    case ProcessOutcome::kIgnored:
      return "ignored";
    case ProcessOutcome::kRefused:
      return "refused";
    case ProcessOutcome::kRetry:
      return "retry";
  }
  return "?";
}

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

EpochMs webhook_retry_delay_ms(int attempts, int base_ms, int max_ms) {
  EpochMs delay = std::max(1, base_ms);
  for (int i = 1; i < attempts && delay < max_ms; ++i) delay *= 2;
  return std::min<EpochMs>(delay, std::max(1, max_ms));
}

WebhookService::WebhookService(asio::io_context& ioc, asio::thread_pool& pool, Store& store,
                               TossClient& toss, ConfirmService& confirm, const Config& config,
                               const Clock& clock, LogSink& log)
    : ioc_(ioc),
      pool_(pool),
      store_(store),
      toss_(toss),
      confirm_(confirm),
      config_(config),
      clock_(clock),
      log_(log),
      wake_timer_(ioc) {}

awaitable<WebhookSecrets> WebhookService::current_secrets() {
  auto stored = co_await run_blocking(pool_, [&] { return store_.webhook_secrets(2); });
  co_return resolve_webhook_secrets(stored ? *stored : std::vector<StoredSecret>{},
                                    config_.secrets);
}

awaitable<WebhookReceipt> WebhookService::receive(const WebhookDelivery& d) {
  if (d.body_too_large) {
    co_return refuse(WebhookVerdict::kTooLarge, make_error(ErrorCode::kPayloadTooLarge));
  }
  // A request that carries the signature headers is judged by them, whatever its type.
  const bool signed_request = !d.signatures.empty() || !d.transmission_times.empty();
  std::string transmission_time;
  if (signed_request) {
    std::optional<std::string_view> time;
    if (d.transmission_times.size() == 1) time = d.transmission_times[0];
    const WebhookSecrets secrets = co_await current_secrets();
    const SignatureCheck check = verify_webhook_signature(
        d.body, d.signatures, time, secrets, clock_.now_ms(), config_.webhook.tolerance_s);
    if (!check.ok() || d.transmission_times.size() > 1) {
      co_return refuse(
          WebhookVerdict::kBadSignature,
          make_error(ErrorCode::kWebhookInvalidSig, d.transmission_times.size() > 1
                                                        ? std::string("malformed")
                                                        : std::string(to_string(check.failure))));
    }
    transmission_time = std::string(*time);
  }

  auto claims = parse_webhook_body(d.body);
  if (!claims) co_return refuse(WebhookVerdict::kInvalidBody, claims.error());
  WebhookReceipt receipt;
  receipt.event_type = claims->event_type;
  receipt.payment_key = claims->payment_key;
  receipt.order_id = claims->order_id;
  if (!signed_request && is_signed_event_type(claims->event_type)) {
    auto r =
        refuse(WebhookVerdict::kBadSignature, make_error(ErrorCode::kWebhookInvalidSig, "missing"));
    r.event_type = claims->event_type;
    co_return r;
  }

  if (claims->kind == WebhookKind::kDepositCallback) {
    // The secret Toss returned with this virtual account at confirm is the only proof a
    // DEPOSIT_CALLBACK has (https://docs.tosspayments.com/reference/using-api/webhook-events).
    auto payment = co_await run_blocking(
        pool_, [&] { return store_.find_payment_by_order(claims->order_id); });
    if (!payment) {
      receipt.verdict = WebhookVerdict::kStoreFailed;
      receipt.error = payment.error();
      receipt.detail = payment.error().detail;
      co_return receipt;
    }
    const std::string stored_secret = *payment ? (*payment)->va_secret : std::string();
    if (!claims->has_secret || !deposit_secret_matches(claims->secret, stored_secret)) {
      auto r = refuse(WebhookVerdict::kBadDepositSecret,
                      make_error(ErrorCode::kWebhookInvalidSig, "deposit_secret"));
      r.event_type = receipt.event_type;
      r.order_id = receipt.order_id;
      co_return r;
    }
    receipt.payment_key = (*payment)->provider_tx_id;
  }

  WebhookEvent event;
  event.id = sha256_hex(d.body);
  event.event_type = claims->event_type;
  event.payment_key = receipt.payment_key;
  event.order_id = receipt.order_id;
  event.transmission_time = transmission_time;
  event.body = redact_webhook_body(d.body);
  event.request_id = d.request_id;
  event.ip = d.ip;
  event.ua = d.ua;
  event.received_at = event.next_attempt_at = clock_.now_ms();
  if (claims->kind == WebhookKind::kOther) {
    // payout.changed, seller.changed and types we do not use: kept, nothing to process.
    event.state = WebhookState::kDone;
    event.outcome = "ignored_event_type";
  }
  auto stored = co_await run_blocking(pool_, [&] { return store_.insert_webhook_event(event); });
  if (!stored) {
    receipt.verdict = WebhookVerdict::kStoreFailed;
    receipt.error = stored.error();
    receipt.detail = stored.error().detail;
    co_return receipt;
  }
  if (!stored->inserted) {
    receipt.verdict = WebhookVerdict::kDuplicate;
    const WebhookEvent& before = stored->existing ? *stored->existing : event;
    receipt.detail = fmt::format("duplicate:{}", to_string(before.state));
    co_return receipt;
  }
  receipt.verdict = WebhookVerdict::kQueued;
  receipt.detail = event.state == WebhookState::kDone ? event.outcome : "queued";
  if (event.state == WebhookState::kPending) wake();
  co_return receipt;
}

void WebhookService::wake() {
  wake_requested_ = true;
  wake_timer_.cancel();
}

void WebhookService::start() {
  if (running_) return;
  running_ = true;
  stopping_ = false;
  asio::co_spawn(ioc_, run(), asio::detached);
}

void WebhookService::stop() {
  stopping_ = true;
  wake_timer_.cancel();
}

awaitable<void> WebhookService::run() {
  // Never dies silently: every failure of a pass is logged and the loop goes on.
  while (!stopping_) {
    wake_requested_ = false;
    try {
      co_await process_due();
    } catch (const std::exception& e) {
      RequestLog line;
      line.ts = clock_.now_ms();
      line.fn = "toss-webhook";
      line.level = "error";
      line.request_id = "webhook-processor";
      line.success = false;
      line.error_code = std::string(make_error(ErrorCode::kInternal).name());
      line.error_detail = std::string("processor: ") + e.what();
      log_.write(line);
    } catch (...) {
      RequestLog line;
      line.ts = clock_.now_ms();
      line.fn = "toss-webhook";
      line.level = "error";
      line.request_id = "webhook-processor";
      line.success = false;
      line.error_code = std::string(make_error(ErrorCode::kInternal).name());
      line.error_detail = "processor: unknown exception";
      log_.write(line);
    }
    if (stopping_ || wake_requested_) continue;
    wake_timer_.expires_after(
        std::chrono::milliseconds(std::max(10, config_.webhook.poll_interval_ms)));
    boost::system::error_code ec;
    co_await wake_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  running_ = false;
}

awaitable<int> WebhookService::process_due() {
  const EpochMs now = clock_.now_ms();
  auto due = co_await run_blocking(pool_, [&] { return store_.due_webhook_events(now, kBatch); });
  if (!due) {
    RequestLog line;
    line.ts = now;
    line.fn = "toss-webhook";
    line.level = "error";
    line.request_id = "webhook-processor";
    line.success = false;
    line.error_code = std::string(due.error().name());
    line.error_detail = "processor: " + due.error().detail;
    log_.write(line);
    co_return 0;
  }
  int processed = 0;
  for (WebhookEvent& event : *due) {
    if (stopping_) break;
    const EpochMs t = clock_.now_ms();
    const EpochMs lease = t + config_.toss.attempt_timeout_ms + kLeaseMarginMs;
    auto claimed = co_await run_blocking(
        pool_, [&] { return store_.claim_webhook_event(event.id, t, lease); });
    if (!claimed || !*claimed) continue;  // another worker has it
    ++event.attempts;
    const auto started = std::chrono::steady_clock::now();
    ProcessResult r;
    try {
      r = co_await process(event);
    } catch (const std::exception& e) {
      r.outcome = ProcessOutcome::kRetry;
      r.detail = std::string("exception: ") + e.what();
      r.error = make_error(ErrorCode::kInternal, r.detail);
    }
    const int latency = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count());
    const EpochMs done_at = clock_.now_ms();
    std::string outcome = fmt::format("{}:{}", to_string(r.outcome), r.detail);
    bool gave_up = false;
    Status st;
    if (r.outcome == ProcessOutcome::kRetry) {
      gave_up = event.attempts >= std::max(1, config_.webhook.max_attempts);
      if (gave_up) {
        st = co_await run_blocking(pool_, [&] {
          return store_.finish_webhook_event(event.id, WebhookState::kFailed, "gave_up:" + outcome,
                                             done_at);
        });
      } else {
        const EpochMs next =
            done_at + webhook_retry_delay_ms(event.attempts, config_.webhook.retry_base_ms,
                                             config_.webhook.retry_max_ms);
        st = co_await run_blocking(
            pool_, [&] { return store_.retry_webhook_event(event.id, outcome, next); });
      }
    } else {
      st = co_await run_blocking(pool_, [&] {
        return store_.finish_webhook_event(event.id, WebhookState::kDone, outcome, done_at);
      });
    }
    if (!st && r.outcome != ProcessOutcome::kRetry) {
      // Applied but not marked: the lease runs out and it is processed again (idempotently).
      r.error = st.error();
    }
    log_processed(event, r, latency, gave_up);
    ++processed;
  }
  co_return processed;
}

void WebhookService::log_processed(const WebhookEvent& event, const ProcessResult& r,
                                   int latency_ms, bool gave_up) {
  RequestLog line;
  line.ts = clock_.now_ms();
  line.fn = "toss-webhook";
  line.request_id =
      event.request_id.empty() ? "webhook-" + event.id.substr(0, 16) : event.request_id;
  line.latency_ms = latency_ms;
  line.http_status = 0;  // answered already: this line is the processing, not the request
  line.payment_key = event.payment_key;
  line.order_id = event.order_id;
  line.toss_http_status = r.toss_http_status;
  line.toss_latency_ms = r.toss_latency_ms;
  line.toss_code = r.toss_status;
  line.ip = event.ip;
  line.ua = event.ua;
  switch (r.outcome) {
    case ProcessOutcome::kRefused:
      // What a forger looks like now: counted by webhook_invalid_sig_ratio (runbook 4.4).
      line.success = false;
      line.level = "warn";
      line.error_code = std::string(make_error(ErrorCode::kWebhookInvalidSig).name());
      line.error_detail = "refetch_mismatch";
      break;
    case ProcessOutcome::kRetry: {
      line.success = false;
      line.level = gave_up ? "error" : "warn";
      const Error e = r.error ? *r.error : make_error(ErrorCode::kTossApiError);
      line.error_code = std::string(e.name());
      line.error_detail =
          fmt::format("{}:{}:{}", gave_up ? "gave_up" : "retry", event.attempts, r.detail);
      break;
    }
    default:
      line.error_detail = fmt::format("{}:{}", to_string(r.outcome), r.detail);
      if (r.error) {  // applied, but the event could not be marked done
        line.level = "warn";
        line.error_detail += " (not marked done: " + r.error->detail + ")";
      }
      break;
  }
  log_.write(line);
}

awaitable<ProcessResult> WebhookService::process(const WebhookEvent& event) {
  ProcessResult r;
  auto claims = parse_webhook_body(event.body);
  if (!claims) {
    r.outcome = ProcessOutcome::kIgnored;
    r.detail = "unreadable_body";
    co_return r;
  }
  if (claims->kind == WebhookKind::kOther) {
    r.outcome = ProcessOutcome::kIgnored;
    r.detail = "event_type";
    co_return r;
  }
  // DEPOSIT_CALLBACK names the order; its payment was found when the secret was checked.
  const std::string key = claims->payment_key.empty() ? event.payment_key : claims->payment_key;
  if (key.empty()) {
    r.outcome = ProcessOutcome::kIgnored;
    r.detail = "no_payment_key";
    co_return r;
  }
  // The body is never trusted: Toss's record of the payment is what counts.
  TossReply reply = co_await toss_.get_payment(key);
  r.toss_http_status = reply.http_status;
  r.toss_latency_ms = reply.latency_ms;
  if (reply.http_status == 404) {
    r.outcome = ProcessOutcome::kRefused;
    r.detail = "payment unknown at Toss";
    r.toss_status = reply.code();
    co_return r;
  }
  if (reply.http_status != 200 || !reply.body.is_object()) {
    r.outcome = ProcessOutcome::kRetry;
    r.detail = reply.timed_out    ? "toss_timeout"
               : reply.answered() ? fmt::format("toss_http_{}", reply.http_status)
                                  : "toss_unreachable";
    Error e = make_error(ErrorCode::kTossApiError, "payment fetch failed");
    e.toss_code = reply.code();
    r.error = e;
    r.toss_status = reply.code();
    co_return r;
  }
  auto fetched = reply.payment();
  if (!fetched) {
    r.outcome = ProcessOutcome::kRetry;
    r.detail = "toss_unreadable";
    r.error = fetched.error();
    co_return r;
  }
  r.toss_status = fetched->status;
  if (auto why = refetch_contradiction(*claims, *fetched)) {
    r.outcome = ProcessOutcome::kRefused;
    r.detail = *why;
    co_return r;
  }
  co_return co_await apply_toss_state(key, *fetched, std::move(r));
}

awaitable<ProcessResult> WebhookService::apply_toss_state(const std::string& key,
                                                          const TossPayment& toss,
                                                          ProcessResult r) {
  const std::string status = r.toss_status;
  auto fail_store = [&](const Error& e) {
    r.outcome = ProcessOutcome::kRetry;
    r.detail = "store";
    r.error = e;
    return r;
  };
  auto payment = co_await run_blocking(pool_, [&] { return store_.find_payment(key); });
  if (!payment) co_return fail_store(payment.error());
  const EpochMs now = clock_.now_ms();

  if (!*payment) {
    // No payment yet: an open confirm of ours that lost Toss's answer is finished through the
    // reconciler's path (source webhook); anything else is not ours.
    auto attempt = co_await run_blocking(pool_, [&] { return store_.find_attempt(key); });
    if (!attempt) co_return fail_store(attempt.error());
    if (!*attempt) {
      r.outcome = ProcessOutcome::kIgnored;
      r.detail = "not_ours";
      co_return r;
    }
    if ((*attempt)->state != AttemptState::kInProgress) {
      r.outcome = ProcessOutcome::kUnchanged;
      r.detail = fmt::format("attempt_{}", to_string((*attempt)->state));
      co_return r;
    }
    auto claimed = co_await run_blocking(
        pool_, [&] { return store_.claim_attempt(key, now, now + config_.idempotency.lease_ms); });
    if (!claimed) co_return fail_store(claimed.error());
    if (!*claimed) {
      r.outcome = ProcessOutcome::kRetry;  // its owner is finishing it right now
      r.detail = "attempt_owner_busy";
      co_return r;
    }
    ReconcileResult rec = co_await confirm_.reconcile(**attempt, false, "webhook");
    switch (rec.action) {
      case ReconcileAction::kRecorded:
      case ReconcileAction::kRedriven:
        if (rec.outcome.error) {
          r.outcome = ProcessOutcome::kRetry;
          r.detail = "confirm_unresolved";
          r.error = rec.outcome.error;
        } else {
          r.outcome = ProcessOutcome::kApplied;
          r.detail = "confirm_recorded";
        }
        co_return r;
      case ReconcileAction::kFailed:
        r.outcome = ProcessOutcome::kApplied;
        r.detail = "confirm_closed";
        co_return r;
      case ReconcileAction::kWaiting:
        r.outcome = ProcessOutcome::kUnchanged;
        r.detail = "confirm_waiting";
        co_return r;
      case ReconcileAction::kUnresolved:
        r.outcome = ProcessOutcome::kRetry;
        r.detail = "confirm_unresolved";
        co_return r;
    }
  }

  const Payment& ours = **payment;
  auto audit = [&](std::string action) {
    return AuditEntry{"toss-webhook", std::move(action), key, "Toss reported " + status,
                      json{{"status", status},
                           {"previous_status", ours.status},
                           {"order_id", ours.order_id},
                           {"balance_amount", toss.balance_amount}}
                          .dump()};
  };
  auto changed_or_not = [&](Result<bool> changed, std::string what) {
    if (!changed) return fail_store(changed.error());
    r.outcome = *changed ? ProcessOutcome::kApplied : ProcessOutcome::kUnchanged;
    r.detail = std::move(what);
    return r;
  };
  if (ours.status == "WAITING_FOR_DEPOSIT") {
    // A virtual account: the deposit (DONE + ACTIVE), or its end before one (EXPIRED/CANCELED,
    // enrollment CANCELLED, coupon released).
    auto change =
        co_await apply_deposit_state(pool_, store_, ours, toss, "toss-webhook", "webhook", now);
    if (!change) co_return fail_store(change.error());
    r.outcome = *change == DepositChange::kSettled || *change == DepositChange::kClosed
                    ? ProcessOutcome::kApplied
                    : ProcessOutcome::kUnchanged;
    r.detail = std::string(to_string(*change));
    co_return r;
  }
  if (status == "CANCELED" && (ours.status == "DONE" || ours.status == "PARTIAL_CANCELED")) {
    const AuditEntry a = audit("payment.cancel");
    auto changed = co_await run_blocking(
        pool_, [&] { return store_.cancel_payment(key, "CANCELED", now, a); });
    co_return changed_or_not(changed, "canceled");
  }
  if (status == "PARTIAL_CANCELED" &&
      (ours.status == "DONE" || ours.status == "PARTIAL_CANCELED")) {
    // A partial refund: the buyer keeps the course; what is left of the payment is recorded.
    const Krw balance = toss.balance_amount;
    const AuditEntry a = audit("payment.partial_cancel");
    auto changed = co_await run_blocking(
        pool_, [&] { return store_.record_partial_cancel(key, balance, now, a); });
    co_return changed_or_not(changed, "partially_canceled");
  }
  if (status == ours.status) {
    r.outcome = ProcessOutcome::kUnchanged;
    r.detail = "already_" + status;
    co_return r;
  }
  r.outcome = ProcessOutcome::kUnchanged;
  r.detail = fmt::format("ours_{}_toss_{}", ours.status, status);
  co_return r;
}

}  // namespace payedge
