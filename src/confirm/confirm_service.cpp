#include "confirm/confirm_service.h"

#include <fmt/format.h>

#include "core/codec.h"
#include "core/price.h"
#include "toss/toss_errors.h"

namespace payedge {
namespace {

using nlohmann::json;

constexpr EpochMs kDayMs = 24LL * 3600 * 1000;

Error conflict(std::string detail, bool retryable) {
  Error e = make_error(ErrorCode::kIdempotencyConflict, std::move(detail));
  e.retryable = retryable;
  return e;
}

json success_result(const Payment& p) {
  return {{"payment",
           {{"paymentKey", p.provider_tx_id},
            {"orderId", p.order_id},
            {"amount", p.amount},
            {"status", p.status},
            {"approvedAt", p.approved_at},
            {"method", p.method}}},
          {"enrollment", {{"courseId", p.course_id}, {"status", "ACTIVE"}}}};
}

// A stored answer back into an outcome: the success body, or the error with Toss's code.
ConfirmOutcome stored_outcome(const ConfirmAttempt& a) {
  ConfirmOutcome out;
  out.replayed = true;
  json body = json::parse(a.response, nullptr, false);
  if (a.state == AttemptState::kDone && body.is_object()) {
    out.result = std::move(body);
    return out;
  }
  Error e = make_error(parse_error_code(a.error_code).value_or(ErrorCode::kTossRejected));
  if (body.is_object()) {
    // Our own stored body; read without value(), which throws on a field of another type.
    auto text = [&](const char* key) {
      const auto it = body.find(key);
      return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    e.toss_code = text("tossCode");
    e.toss_message = text("tossMessage");
    e.detail = text("detail");
  }
  out.error = std::move(e);
  return out;
}

}  // namespace

ConfirmOutcome outcome_error(Error e) {
  ConfirmOutcome out;
  out.error = std::move(e);
  return out;
}

std::string confirm_fingerprint(const ConfirmRequest& req, const std::string& user_id) {
  // Length-prefixed so that no two different tuples hash alike.
  std::string material;
  for (const std::string* part : {&req.payment_key, &req.order_id, &user_id, &req.course_id}) {
    material += fmt::format("{}:{}|", part->size(), *part);
  }
  material += std::to_string(req.amount);
  return sha256_hex(material);
}

ConfirmService::ConfirmService(asio::thread_pool& store_pool, Store& store, TossClient& toss,
                               const Config& config, const Clock& clock, Metrics& metrics)
    : pool_(store_pool),
      store_(store),
      toss_(toss),
      config_(config),
      clock_(clock),
      metrics_(metrics) {}

awaitable<ConfirmOutcome> ConfirmService::confirm(const ConfirmRequest& req,
                                                  const std::string& user_id) {
  // 1. A known paymentKey is a replay, a wait, a takeover or a conflict — before any price check,
  //    so a successful confirm is replayed even after the price or the switches changed.
  //    One hop to the store for every look-up before the Toss call (one read transaction).
  auto ctx = co_await blocking([&] {
    return store_.confirm_context(req.payment_key, req.order_id, req.course_id, req.coupon_code);
  });
  if (!ctx) co_return outcome_error(ctx.error());
  if (ctx->attempt) co_return co_await handle_existing(*ctx->attempt, req, user_id);
  if (ctx->attempt_by_order) {
    // Inserted by a concurrent request between the two look-ups: the same attempt after all.
    if (ctx->attempt_by_order->payment_key == req.payment_key)
      co_return co_await handle_existing(*ctx->attempt_by_order, req, user_id);
    co_return outcome_error(conflict("orderId belongs to another paymentKey", false));
  }

  // 2. Switches, course, price.
  if (ctx->payments_flag && ctx->payments_flag->value == "off")
    co_return outcome_error(make_error(ErrorCode::kPaymentsDisabled));
  if (!ctx->course) co_return outcome_error(make_error(ErrorCode::kCourseNotFound));
  if (!ctx->course->active) co_return outcome_error(make_error(ErrorCode::kCourseInactive));
  const std::optional<Coupon>& coupon = ctx->coupon;
  const EpochMs now = clock_.now_ms();
  const PriceQuote quote = quote_price(*ctx->course, req.coupon_code, coupon, now);
  if (req.coupon_code && !quote.coupon_applied) {
    co_return outcome_error(make_error(ErrorCode::kCouponInvalid, quote.coupon_error));
  }
  if (req.amount != quote.expected) {
    ConfirmOutcome out = outcome_error(make_error(ErrorCode::kAmountMismatch));
    out.expected_amount = quote.expected;
    co_return out;
  }

  // 3. Record the attempt (and reserve the coupon) before Toss hears of it.
  ConfirmAttempt attempt;
  attempt.payment_key = req.payment_key;
  attempt.order_id = req.order_id;
  attempt.user_id = user_id;
  attempt.course_id = req.course_id;
  attempt.amount = req.amount;
  attempt.coupon_code = req.coupon_code;
  attempt.fingerprint = confirm_fingerprint(req, user_id);
  // Derived from the paymentKey: one paymentKey can never reach Toss under two keys.
  attempt.idempotency_key = "payedge-confirm-" + sha256_hex(req.payment_key).substr(0, 48);
  attempt.created_at = now;
  attempt.lease_until = now + config_.idempotency.lease_ms;
  attempt.expires_at = now + config_.idempotency.result_ttl_days * kDayMs;
  auto begun = co_await blocking([&] { return store_.begin_attempt(attempt); });
  if (!begun) co_return outcome_error(begun.error());
  switch (begun->outcome) {
    case BeginOutcome::kStarted:
      break;
    case BeginOutcome::kExisting:  // a concurrent duplicate from another process won the insert
      co_return co_await handle_existing(*begun->existing, req, user_id);
    case BeginOutcome::kOrderTaken:
      co_return outcome_error(conflict("orderId belongs to another payment", false));
    case BeginOutcome::kAlreadyEnrolled:
      co_return outcome_error(make_error(ErrorCode::kAlreadyEnrolled));
    case BeginOutcome::kDepositPending:
      co_return outcome_error(
          make_error(ErrorCode::kAlreadyEnrolled,
                     "가상계좌 입금 대기 중 / a virtual-account deposit is awaited"));
    case BeginOutcome::kUserBusy:
      co_return outcome_error(conflict("another payment for this course is in progress", true));
    case BeginOutcome::kCouponExhausted:
      co_return outcome_error(make_error(ErrorCode::kCouponInvalid, "exhausted"));
  }
  ConfirmOutcome out = co_await drive(std::move(attempt));
  out.expected_amount = quote.expected;
  co_return out;
}

awaitable<ConfirmOutcome> ConfirmService::handle_existing(const ConfirmAttempt& attempt,
                                                          const ConfirmRequest& req,
                                                          const std::string& user_id) {
  if (attempt.fingerprint != confirm_fingerprint(req, user_id)) {
    co_return outcome_error(conflict("paymentKey was confirmed with other parameters", false));
  }
  if (attempt.state != AttemptState::kInProgress) {
    ConfirmOutcome stored = stored_outcome(attempt);
    // A virtual account answers the same until the deposit, then the state it reached.
    const json* payment = stored.result.is_object() && stored.result.contains("payment")
                              ? &stored.result["payment"]
                              : nullptr;
    if (payment && payment->is_object() && payment->contains("status") &&
        (*payment)["status"] == "WAITING_FOR_DEPOSIT") {
      auto now = co_await blocking([&] { return store_.find_payment(attempt.payment_key); });
      auto enrollment =
          co_await blocking([&] { return store_.find_enrollment(attempt.payment_key); });
      if (now && *now && (*now)->status != "WAITING_FOR_DEPOSIT" && enrollment && *enrollment) {
        stored.result["payment"]["status"] = (*now)->status;
        stored.result["payment"]["approvedAt"] = (*now)->approved_at;
        stored.result["enrollment"]["status"] = (*enrollment)->status;
      }
    }
    co_return stored;
  }

  if (auto it = in_flight_.find(attempt.payment_key); it != in_flight_.end()) {
    co_return co_await wait_for(it->second);
  }
  // Nobody here drives it: take the lease if its owner let go (or died) and finish it.
  const EpochMs now = clock_.now_ms();
  auto claimed = co_await blocking([&] {
    return store_.claim_attempt(attempt.payment_key, now, now + config_.idempotency.lease_ms);
  });
  if (!claimed) co_return outcome_error(claimed.error());
  if (!*claimed) co_return outcome_error(conflict("the first confirm is still in progress", true));
  // Another coroutine may have claimed and registered while we were in the store.
  if (auto it = in_flight_.find(attempt.payment_key); it != in_flight_.end()) {
    co_return co_await wait_for(it->second);
  }
  co_return co_await drive(attempt);
}

awaitable<ConfirmOutcome> ConfirmService::wait_for(std::shared_ptr<InFlight> flight) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex, std::chrono::milliseconds(config_.idempotency.wait_ms));
  flight->waiters.push_back(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  std::erase(flight->waiters, &timer);
  if (!flight->outcome)
    co_return outcome_error(conflict("the first confirm is still in progress", true));
  ConfirmOutcome out = *flight->outcome;
  out.replayed = true;
  out.toss_http_status = 0;  // this request did not call Toss
  out.toss_code.clear();
  out.toss_latency_ms = -1;
  out.toss_tries = 0;
  co_return out;
}

template <class Body>
awaitable<ConfirmOutcome> ConfirmService::own(const std::string& payment_key, Body body) {
  auto flight = std::make_shared<InFlight>();
  in_flight_[payment_key] = flight;
  ConfirmOutcome out;
  try {
    out = co_await body();
  } catch (const std::exception& e) {
    out = outcome_error(make_error(ErrorCode::kInternal, e.what()));
  }
  flight->outcome = out;
  in_flight_.erase(payment_key);
  for (auto* waiter : flight->waiters) waiter->cancel();
  co_return out;
}

awaitable<ConfirmOutcome> ConfirmService::drive(ConfirmAttempt attempt) {
  co_return co_await own(attempt.payment_key, [&]() { return drive_toss(attempt); });
}

std::string_view to_string(ReconcileAction a) {
  switch (a) {
    case ReconcileAction::kRecorded:
      return "recorded";
    case ReconcileAction::kRedriven:
      return "redriven";
    case ReconcileAction::kFailed:
      return "failed";
    case ReconcileAction::kWaiting:
      return "waiting";
    case ReconcileAction::kUnresolved:
      return "unresolved";
  }
  return "?";
}

ReconcileAction decide_reconcile(int http_status, const std::string& toss_status) {
  if (http_status == 404) return ReconcileAction::kFailed;  // Toss never had this paymentKey
  if (http_status != 200) return ReconcileAction::kUnresolved;
  if (toss_status == "DONE") return ReconcileAction::kRecorded;
  if (toss_status == "READY" || toss_status == "IN_PROGRESS") return ReconcileAction::kRedriven;
  // A virtual account issued for our confirm: recorded as a payment waiting for its deposit.
  if (toss_status == "WAITING_FOR_DEPOSIT") return ReconcileAction::kRecorded;
  if (toss_status == "EXPIRED" || toss_status == "ABORTED" || toss_status == "CANCELED" ||
      toss_status == "PARTIAL_CANCELED") {
    // Canceled before we recorded it: the money went back, so there is nothing to enroll.
    return ReconcileAction::kFailed;
  }
  return ReconcileAction::kUnresolved;
}

awaitable<ReconcileResult> ConfirmService::reconcile(const ConfirmAttempt& attempt, bool dry_run,
                                                     std::string source) {
  ReconcileResult result;
  auto reply = co_await toss_.get_payment(attempt.payment_key);
  metrics_.observe_toss(reply.http_status, reply.timed_out, reply.latency_ms);
  auto fetched = reply.payment();
  const std::string status = fetched ? fetched->status : std::string();
  result.toss_status = !status.empty()            ? status
                       : !reply.code().empty()    ? reply.code()
                       : reply.http_status == 200 ? fetched.error().detail
                                                  : reply.transport_error;
  // An unreadable 200 is no verdict: decide as if Toss had not answered.
  result.action =
      decide_reconcile(fetched || reply.http_status != 200 ? reply.http_status : 0, status);
  if (dry_run) co_return result;

  ConfirmOutcome base;
  base.toss_http_status = reply.http_status;
  base.toss_latency_ms = reply.latency_ms;
  switch (result.action) {
    case ReconcileAction::kRecorded:
      result.outcome = co_await own(attempt.payment_key, [&]() {
        return record_success(attempt, *fetched, base, attempt.toss_calls, source);
      });
      if (result.outcome.error) result.action = ReconcileAction::kUnresolved;
      break;
    case ReconcileAction::kRedriven:
      result.outcome = co_await drive(attempt);
      // Only a settled re-drive counts; a rejection closes it, anything else stays open.
      if (result.outcome.error) {
        result.action = result.outcome.error->code == ErrorCode::kTossRejected
                            ? ReconcileAction::kFailed
                            : ReconcileAction::kUnresolved;
      }
      break;
    case ReconcileAction::kFailed: {
      Error e = make_error(ErrorCode::kTossRejected, "reconciled: " + result.toss_status);
      e.toss_code = result.toss_status;
      result.outcome = co_await own(attempt.payment_key, [&]() {
        return record_rejection(attempt, e, base, attempt.toss_calls);
      });
      break;
    }
    case ReconcileAction::kWaiting:
    case ReconcileAction::kUnresolved:
      (void)co_await blocking(
          [&] { return store_.release_attempt(attempt.payment_key, attempt.toss_calls); });
      break;
  }
  co_return result;
}

std::string attempt_idempotency_key(const ConfirmAttempt& attempt) {
  return attempt.key_seq == 0 ? attempt.idempotency_key
                              : fmt::format("{}-{}", attempt.idempotency_key, attempt.key_seq);
}

awaitable<ConfirmOutcome> ConfirmService::drive_toss(const ConfirmAttempt& first) {
  ConfirmOutcome out;
  ConfirmAttempt attempt = first;
  int calls = attempt.toss_calls;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.toss.deadline_ms);
  auto remaining_ms = [&] {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now())
                                .count());
  };
  TossReply reply;
  // Each round: one confirm under the attempt's current key (retried under that key while
  // Toss gives no answer). An answered transient failure may be replayed by Toss for that key
  // for 15 days, so the payment is re-fetched: paid → settle; still unconfirmed → the next key.
  for (int round = 0; round < std::max(1, config_.toss.max_attempts); ++round) {
    if (round > 0 && remaining_ms() <= 0) break;
    auto call = co_await toss_.confirm(attempt.payment_key, attempt.order_id, attempt.amount,
                                       attempt_idempotency_key(attempt),
                                       round == 0 ? 0 : std::max(1, remaining_ms()));
    calls += call.tries;
    out.toss_tries += call.tries;
    out.toss_http_status = call.last.http_status;
    out.toss_code = call.last.code();
    out.toss_latency_ms = std::max(0, out.toss_latency_ms) + call.total_latency_ms;
    metrics_.observe_toss(call.last.http_status, call.last.timed_out, call.total_latency_ms);
    reply = std::move(call.last);

    if (reply.http_status == 200) {
      auto approved = reply.payment();
      if (approved) co_return co_await record_success(attempt, *approved, std::move(out), calls);
      // Toss answered but not with a Payment object: no verdict, keep the attempt open.
      co_return co_await leave_unresolved(
          attempt, make_error(ErrorCode::kTossApiError, approved.error().detail), std::move(out),
          calls);
    }
    const std::string code = reply.code();
    const TossAnswerClass cls = classify_toss_answer(reply.http_status, code);
    if (cls == TossAnswerClass::kMerchantMisconfiguration) {
      // Our keys, not the buyer: never stored as the buyer's failure; the alert fires from
      // the log line's toss_code.
      metrics_.observe_toss_auth_failure();
      Error e = make_error(ErrorCode::kTossApiError, "merchant misconfiguration");
      e.toss_code = code.empty() ? fmt::format("HTTP_{}", reply.http_status) : code;
      e.toss_message = reply.message();
      co_return co_await leave_unresolved(attempt, std::move(e), std::move(out), calls);
    }
    if (cls == TossAnswerClass::kBuyerRejection) {
      Error e = make_error(ErrorCode::kTossRejected);
      e.toss_code = code;
      e.toss_message = reply.message();
      co_return co_await record_rejection(attempt, std::move(e), std::move(out), calls);
    }
    // Transient. Without an answer (timeout, network) or while Toss is still on it (409, 429)
    // the key must stay: the first confirm may still be running at Toss.
    if (!reply.answered() || reply.http_status == 429 || code == "IDEMPOTENT_REQUEST_PROCESSING")
      break;
    auto fetched = co_await toss_.get_payment(attempt.payment_key);
    metrics_.observe_toss(fetched.http_status, fetched.timed_out, fetched.latency_ms);
    auto payment = fetched.payment();
    if (!payment) break;  // cannot tell: leave it open with its key
    if (payment->status == "DONE" || payment->status == "WAITING_FOR_DEPOSIT") {
      co_return co_await record_success(attempt, *payment, std::move(out), calls);
    }
    if (payment->status != "IN_PROGRESS" && payment->status != "READY") {
      // EXPIRED, ABORTED, CANCELED: this payment will never be paid.
      Error e = make_error(ErrorCode::kTossRejected, "toss payment " + payment->status);
      e.toss_code = payment->status;
      e.toss_message = reply.message();
      co_return co_await record_rejection(attempt, std::move(e), std::move(out), calls);
    }
    auto next = co_await blocking([&] { return store_.advance_attempt_key(attempt.payment_key); });
    if (!next) break;
    attempt.key_seq = *next;
  }
  Error e = make_error(ErrorCode::kTossApiError, reply.timed_out    ? "timeout"
                                                 : reply.answered() ? "toss transient failure"
                                                                    : "network");
  e.toss_code = reply.code();
  co_return co_await leave_unresolved(attempt, std::move(e), std::move(out), calls);
}

Payment payment_for(const ConfirmAttempt& attempt, const TossPayment& toss_payment,
                    std::string source) {
  Payment p;
  p.provider_tx_id = attempt.payment_key;
  p.order_id = attempt.order_id;
  p.user_id = attempt.user_id;
  p.course_id = attempt.course_id;
  p.amount = attempt.amount;
  p.coupon_code = attempt.coupon_code;
  p.status = toss_payment.status;
  p.method = toss_payment.method;
  p.approved_at = toss_payment.approved_at;
  p.source = std::move(source);
  if (const auto& va = toss_payment.virtual_account; va && p.status == "WAITING_FOR_DEPOSIT") {
    p.va_bank_code = va->bank_code;
    p.va_account_number = mask_account_number(va->account_number);
    p.va_customer_name = va->customer_name;
    p.va_due_date = va->due_date;
    p.va_secret = toss_payment.secret;
  }
  return p;
}

awaitable<ConfirmOutcome> ConfirmService::record_success(const ConfirmAttempt& attempt,
                                                         const TossPayment& toss_payment,
                                                         ConfirmOutcome out, int toss_calls,
                                                         std::string source) {
  const std::string& status = toss_payment.status;
  const std::string& order_id = toss_payment.order_id;
  const Krw amount = toss_payment.total_amount;
  const bool waiting = status == "WAITING_FOR_DEPOSIT" && toss_payment.virtual_account;
  if (status != "DONE" && !waiting) {
    // IN_PROGRESS, …: not money yet; the reconciler finishes it later.
    co_return co_await leave_unresolved(
        attempt, make_error(ErrorCode::kTossApiError, "toss status " + status), std::move(out),
        toss_calls);
  }
  if (order_id != attempt.order_id || amount != attempt.amount) {
    // Toss holds a different order under this paymentKey: never record it as ours.
    Error e = make_error(ErrorCode::kTossRejected, "toss payment does not match the order");
    e.toss_code = "MISMATCHED_PAYMENT";
    co_return co_await record_rejection(attempt, std::move(e), std::move(out), toss_calls);
  }
  const Payment p = payment_for(attempt, toss_payment, std::move(source));
  json result = success_result(p);
  if (waiting) {
    // The buyer deposits into this account; the money comes later (DEPOSIT_CALLBACK).
    const TossVirtualAccount& va = *toss_payment.virtual_account;
    result["payment"]["virtualAccount"] = {{"bankCode", va.bank_code},
                                           {"accountNumber", va.account_number},
                                           {"customerName", va.customer_name},
                                           {"dueDate", va.due_date}};
    result["enrollment"]["status"] = "PENDING";
  }
  const std::string response = result.dump();
  auto st = co_await blocking([&] {
    return store_.complete_attempt(attempt.payment_key, p, 200, response, clock_.now_ms(),
                                   toss_calls);
  });
  if (!st) {
    // Toss took the money but we could not write it down. Keep the attempt open: a retry or
    // the reconciler re-drives it with the same Idempotency-Key and records it then.
    (void)co_await blocking(
        [&] { return store_.release_attempt(attempt.payment_key, toss_calls); });
    Error e = st.error();
    e.retryable = true;
    co_return outcome_error(std::move(e));
  }
  out.result = std::move(result);
  co_return out;
}

awaitable<ConfirmOutcome> ConfirmService::record_rejection(const ConfirmAttempt& attempt,
                                                           Error error, ConfirmOutcome out,
                                                           int toss_calls) {
  const json stored = {
      {"tossCode", error.toss_code}, {"tossMessage", error.toss_message}, {"detail", error.detail}};
  auto st = co_await blocking([&] {
    return store_.fail_attempt(attempt.payment_key, std::string(error.name()), error.http_status(),
                               stored.dump(), clock_.now_ms(), toss_calls);
  });
  if (!st) {
    (void)co_await blocking(
        [&] { return store_.release_attempt(attempt.payment_key, toss_calls); });
    error = st.error();
    error.retryable = true;
  }
  out.error = std::move(error);
  co_return out;
}

awaitable<ConfirmOutcome> ConfirmService::leave_unresolved(const ConfirmAttempt& attempt,
                                                           Error error, ConfirmOutcome out,
                                                           int toss_calls) {
  // Never mark failed on a guess: Toss may have approved. Free the lease so a client retry
  // (or the reconciler) can re-drive with the same Idempotency-Key.
  (void)co_await blocking([&] { return store_.release_attempt(attempt.payment_key, toss_calls); });
  error.retryable = true;
  out.error = std::move(error);
  co_return out;
}

}  // namespace payedge
